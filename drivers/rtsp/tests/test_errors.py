from __future__ import annotations

import errno

import av.error
import pytest

from argus_driver_rtsp.errors import translate
from argus_driver_rtsp.urls import Scrubber
from argus_sdk import ArgusError, AuthenticationFailed, ConfigurationError, DeviceUnavailable

SECRET = "s3cr3t!"
URL = f"rtsp://admin:{SECRET}@cam/live"
WHERE = "rtsp://admin:***@cam/live"


def ffmpeg_error(cls: type[Exception], code: int, text: str) -> Exception:
    """An exception as PyAV raises it: quoting the URL, password included."""
    return cls(code, text, URL)


@pytest.mark.parametrize(
    ("error", "expected", "words"),
    [
        (
            ffmpeg_error(av.error.HTTPUnauthorizedError, 1, "Server returned 401 Unauthorized"),
            AuthenticationFailed,
            "refused the credentials",
        ),
        (
            ffmpeg_error(av.error.HTTPForbiddenError, 1, "Server returned 403 Forbidden"),
            AuthenticationFailed,
            "refused the credentials",
        ),
        (
            ffmpeg_error(av.error.HTTPNotFoundError, 1, "Server returned 404 Not Found"),
            ConfigurationError,
            "no stream at this path",
        ),
        (
            ffmpeg_error(av.error.HTTPBadRequestError, 1, "Server returned 400 Bad Request"),
            ConfigurationError,
            "rejected the request",
        ),
        (
            ffmpeg_error(av.error.HTTPServerError, 1, "Server returned 5XX Server Error reply"),
            DeviceUnavailable,
            "cannot serve",
        ),
        (
            ffmpeg_error(av.error.ConnectionRefusedError, errno.ECONNREFUSED, "Connection refused"),
            DeviceUnavailable,
            "connection refused",
        ),
        (
            ffmpeg_error(av.error.ExitError, 1, "Immediate exit requested"),
            DeviceUnavailable,
            "no answer within 3 s",
        ),
        (
            ffmpeg_error(av.error.TimeoutError, errno.ETIMEDOUT, "Connection timed out"),
            DeviceUnavailable,
            "no answer within 3 s",
        ),
        (
            ffmpeg_error(av.error.OSError, errno.EIO, "Input/output error"),
            DeviceUnavailable,
            "cannot stream (Input/output error)",
        ),
        (
            ffmpeg_error(av.error.ArgumentError, errno.EINVAL, "Invalid argument"),
            ConfigurationError,
            "cannot use this URL",
        ),
        (EOFError(), DeviceUnavailable, "closed the connection"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else "",
)
def test_translation_tells_the_host_what_to_do(
    error: Exception, expected: type[ArgusError], words: str
) -> None:
    result = translate(error, WHERE, Scrubber([SECRET]), opening=True, timeout=3.0)
    assert type(result) is expected
    assert str(result).startswith(WHERE + ": ") and words in str(result)
    assert SECRET not in str(result) and SECRET not in repr(result)


def test_while_reading_a_timeout_is_silence_and_einval_is_the_camera() -> None:
    scrub = Scrubber([SECRET])
    silence = translate(
        ffmpeg_error(av.error.ExitError, 1, "exit"), WHERE, scrub, opening=False, timeout=4
    )
    assert str(silence) == f"{WHERE}: no data for 4 s"
    bad = ffmpeg_error(av.error.ArgumentError, errno.EINVAL, "Invalid argument")
    assert type(translate(bad, WHERE, scrub, opening=False, timeout=4)) is DeviceUnavailable


def test_ffmpeg_text_quoting_the_secret_is_scrubbed() -> None:
    error = ffmpeg_error(av.error.OSError, errno.EIO, f"odd reply for {URL}")
    result = translate(error, WHERE, Scrubber([SECRET]), opening=False, timeout=1)
    assert SECRET not in str(result) and "cam/live" in str(result)
