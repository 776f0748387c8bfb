"""FFmpeg's errors turned into the SDK's error vocabulary, at the driver's edge.

PyAV's exceptions quote the URL they were given, credentials included, so
they never escape: :func:`translate` builds a new message from the redacted
URL and the scrubbed FFmpeg reason, and callers raise the result ``from None``.
"""

from __future__ import annotations

import builtins

import av.error

from argus_driver_rtsp.urls import Scrubber
from argus_sdk import ArgusError, AuthenticationFailed, ConfigurationError, DeviceUnavailable

#: Raised by FFmpeg or PyAV while talking to a camera; anything else is a bug.
MEDIA_ERRORS: tuple[type[Exception], ...] = (av.error.FFmpegError, OSError, EOFError)

_RETRY_LATER: tuple[type[Exception], ...] = tuple(
    c
    for c in (getattr(av.error, "HTTPTooManyRequestsError", None), av.error.HTTPServerError)
    if isinstance(c, type)
)
_BAD_REQUEST = (
    av.error.ArgumentError,
    av.error.ProtocolNotFoundError,
    av.error.OptionNotFoundError,
    av.error.DemuxerNotFoundError,
)


def reason(exc: BaseException, scrub: Scrubber) -> str:
    """FFmpeg's own words for ``exc`` (never the URL it quotes), scrubbed of secrets."""
    text = getattr(exc, "strerror", None)
    if not isinstance(text, str) or not text:
        text = type(exc).__name__
    return scrub(text)


def translate(
    exc: Exception, where: str, scrub: Scrubber, *, opening: bool, timeout: float
) -> ArgusError:
    """The SDK error that tells the host what to do about ``exc``.

    :param where: the redacted URL, put at the head of the message.
    :param opening: ``exc`` came from opening the stream, not from reading it.
    :param timeout: the timeout in force, for the message.
    """
    why = reason(exc, scrub)
    if isinstance(exc, av.error.HTTPUnauthorizedError | av.error.HTTPForbiddenError):
        return AuthenticationFailed(f"{where}: the camera refused the credentials ({why})")
    if isinstance(exc, _RETRY_LATER):
        return DeviceUnavailable(f"{where}: the camera cannot serve the stream now ({why})")
    if isinstance(exc, av.error.HTTPNotFoundError):
        return ConfigurationError(f"{where}: the camera has no stream at this path ({why})")
    if isinstance(exc, av.error.HTTPBadRequestError | av.error.HTTPOtherClientError):
        return ConfigurationError(f"{where}: the camera rejected the request ({why})")
    if opening and isinstance(exc, _BAD_REQUEST):
        return ConfigurationError(f"{where}: FFmpeg cannot use this URL ({why})")
    return DeviceUnavailable(f"{where}: {_unavailable(exc, why, opening, timeout)}")


def _unavailable(exc: Exception, why: str, opening: bool, timeout: float) -> str:
    if isinstance(exc, av.error.ExitError | builtins.TimeoutError):
        if opening:
            return f"no answer within {timeout:g} s"
        return f"no data for {timeout:g} s"
    if isinstance(exc, builtins.ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, builtins.ConnectionResetError | builtins.BrokenPipeError):
        return "the camera reset the connection"
    if isinstance(exc, builtins.EOFError):
        return "the camera closed the connection"
    return f"cannot stream ({why})"
