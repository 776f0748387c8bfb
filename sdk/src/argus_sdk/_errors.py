"""The error vocabulary a plugin uses to tell the host what to do next.

Drivers translate vendor and library exceptions into these at their edge. Any
other exception escaping a plugin is treated as a bug in that plugin: it is
recorded against the plugin and, if it keeps happening, the plugin is
quarantined.
"""

from __future__ import annotations


class ArgusError(Exception):
    """Base of every error in the Argus plugin contract."""


class DeviceUnavailable(ArgusError):
    """The device cannot be reached or stopped answering: the host retries with backoff.

    :param retry_after: seconds the device asked to wait (e.g. a 503 reply), or
        ``None`` to let the host choose its capped exponential backoff.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthenticationFailed(ArgusError):
    """The device refused the credentials: the host stops retrying and asks for new ones."""


class Unsupported(ArgusError):
    """The device or driver lacks this capability: the host switches the capability off."""


class InvalidRequest(ArgusError):
    """A request names something the device does not have (a preset, a port, a channel):
    the host refuses that request and tells its caller; the device stays in service."""


class ConfigurationError(ArgusError):
    """The settings given to a plugin are invalid: the host reports them and does not retry."""
