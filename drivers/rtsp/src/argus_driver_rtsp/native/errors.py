"""The native engine's failures in the SDK's error vocabulary, worded as the ffmpeg engine's.

Every message starts with the redacted URL. A status reason phrase comes from
the camera and is scrubbed of the known secrets before it is quoted.
"""

from __future__ import annotations

import builtins
import socket

from argus_driver_rtsp.native.client import RtspStatus
from argus_driver_rtsp.native.wire import ProtocolError
from argus_driver_rtsp.urls import Scrubber
from argus_sdk import ArgusError, AuthenticationFailed, ConfigurationError, DeviceUnavailable


class Reordered(Exception):
    """The video comes in decode order with B-frames: its ``pts`` go back, and the native
    engine, which takes ``dts`` = ``pts``, cannot time it."""


#: What talking to a camera may raise; anything else is a bug.
OPEN_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    EOFError,
    ProtocolError,
    RtspStatus,
    Reordered,
)


def translate(
    exc: Exception, where: str, scrub: Scrubber, *, opening: bool, timeout: float
) -> ArgusError:
    """The SDK error that tells the host what to do about ``exc``.

    :param opening: ``exc`` came from opening the session, not from reading it.
    :param timeout: the timeout in force, for the message.
    """
    if isinstance(exc, RtspStatus):
        return _status(exc, where, scrub)
    if isinstance(exc, Reordered):
        return DeviceUnavailable(
            f"{where}: the camera sends B-frames, which the native engine cannot time; "
            "the stream reopens with the ffmpeg engine"
        )
    return DeviceUnavailable(f"{where}: {_unavailable(exc, opening, timeout)}")


def _status(exc: RtspStatus, where: str, scrub: Scrubber) -> ArgusError:
    why = scrub(f"{exc.method} answered {exc.status} {exc.reason}".strip())
    if exc.status in (401, 403, 407):
        return AuthenticationFailed(f"{where}: the camera refused the credentials ({why})")
    if exc.status == 404:
        return ConfigurationError(f"{where}: the camera has no stream at this path ({why})")
    if exc.status in (429, 453) or exc.status >= 500:
        return DeviceUnavailable(f"{where}: the camera cannot serve the stream now ({why})")
    return ConfigurationError(f"{where}: the camera rejected the request ({why})")


def _unavailable(exc: Exception, opening: bool, timeout: float) -> str:
    if isinstance(exc, builtins.TimeoutError):
        return f"no answer within {timeout:g} s" if opening else f"no data for {timeout:g} s"
    if isinstance(exc, builtins.ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, builtins.ConnectionResetError | builtins.BrokenPipeError):
        return "the camera reset the connection"
    if isinstance(exc, builtins.EOFError):
        return "the camera closed the connection"
    if isinstance(exc, socket.gaierror):
        return "the camera's host name does not resolve"
    if isinstance(exc, ProtocolError):
        return f"the camera does not speak RTSP ({exc})"
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
    return f"cannot stream ({text})"
