"""Device settings of the generic RTSP camera.

Every field carries a title, a description and bounds: the System Manager form
and the API docs are generated from this model. Validation errors never echo
their input (``hide_input_in_errors``), so a rejected URL or password does not
end up in a log through the host's error message.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from argus_driver_rtsp import urls
from argus_driver_rtsp.const import Engine, Transport

_URL_HELP = (
    "rtsp:// or rtsps:// URL of the {what}, as the camera's manual gives it. Credentials "
    "written into the URL (rtsp://user:password@host/...) are moved to Username and Password."
)


class RtspCameraSettings(BaseModel):
    """A camera that serves H.264 or H.265 (with optional AAC or G.711 audio) over RTSP."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    main_url: str = Field(
        min_length=8,
        max_length=urls.MAX_URL_LENGTH,
        title="Main stream URL",
        description=_URL_HELP.format(what="main (high resolution) stream"),
    )
    sub_url: str | None = Field(
        default=None,
        min_length=8,
        max_length=urls.MAX_URL_LENGTH,
        title="Sub stream URL",
        description=_URL_HELP.format(what="sub (low resolution) stream")
        + " None: the camera has no sub stream.",
    )
    username: str = Field(
        default="",
        max_length=128,
        title="Username",
        description="User the camera knows; empty: the streams need no login.",
    )
    password: SecretStr = Field(
        default=SecretStr(""),
        max_length=128,
        title="Password",
        description="Password of that user. Never shown in logs, errors or the API.",
    )
    transport: Transport = Field(
        default="tcp",
        title="Transport",
        description="tcp: media interleaved in the RTSP connection (works through firewalls "
        "and NAT, never loses packets); udp: RTP over UDP (less latency, may lose packets).",
    )
    engine: Engine = Field(
        default="native",
        title="Reader",
        description="native: Argus's own lean RTSP/RTP reader, for rtsp:// URLs over tcp "
        "that does only what recording needs; ffmpeg: FFmpeg's RTSP demuxer, the fallback "
        "for cameras the native reader does not understand. udp transport and rtsps:// URLs "
        "always use ffmpeg.",
    )
    receive_interval: float = Field(
        default=0.1,
        ge=0.0,
        le=0.5,
        title="Receive interval",
        description="Native reader only: seconds between two collections of what the camera "
        "sent. Longer saves CPU (fewer wake-ups per stream) and delays live view by at most "
        "this much; 0 takes every byte as it comes.",
    )
    open_timeout: float = Field(
        default=10.0,
        ge=0.5,
        le=120.0,
        title="Open timeout",
        description="Seconds to connect, authenticate and start the stream before the camera "
        "counts as unreachable.",
    )
    read_timeout: float = Field(
        default=10.0,
        ge=0.5,
        le=300.0,
        title="Read timeout",
        description="Seconds without any data after which an open stream counts as dropped "
        "and is reconnected.",
    )

    @field_validator("main_url", "sub_url")
    @classmethod
    def _usable_url(cls, value: str | None) -> str | None:
        return None if value is None else urls.check(value)

    @model_validator(mode="before")
    @classmethod
    def _credentials_out_of_urls(cls, data: Any) -> Any:
        """Move ``user:password@`` out of the URLs into ``username`` and ``password``."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        found: set[tuple[str, str]] = set()
        for key in ("main_url", "sub_url"):
            value = data.get(key)
            if isinstance(value, str) and "@" in value:
                data[key], user, password = urls.split_credentials(value.strip())
                found.add((user, password))
        if not found:
            return data
        if len(found) > 1:
            raise ValueError("the main and sub stream URLs carry different credentials")
        ((user, password),) = found
        given_user = data.get("username") or ""
        given = data.get("password") or ""
        given_password = given.get_secret_value() if isinstance(given, SecretStr) else given
        if (given_user or given_password) and (given_user, given_password) != (user, password):
            raise ValueError("credentials are given both in a URL and in username/password")
        data["username"], data["password"] = user, password
        return data

    def url(self, stream: str) -> str | None:
        """The URL (without credentials) of stream ``main`` or ``sub``; ``None`` if absent."""
        return {"main": self.main_url, "sub": self.sub_url}.get(stream)

    def native(self, url: str) -> bool:
        """Whether stream ``url`` is read by the native engine."""
        return (
            self.engine == "native"
            and self.transport == "tcp"
            and url.lower().startswith("rtsp://")
        )

    def secrets(self) -> tuple[str, ...]:
        """What must never appear in clear in a log or an error."""
        return (self.password.get_secret_value(),)
