"""Device settings of an ONVIF camera.

Every field carries a title, a description and bounds: the System Manager form
and the API docs are generated from this model. Validation errors never echo
their input (``hide_input_in_errors``), so a rejected password does not end up
in a log through the host's error message.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from argus_driver_rtsp.const import Transport


class OnvifCameraSettings(BaseModel):
    """A camera (or encoder channel) that speaks ONVIF Profile S."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    host: str = Field(
        min_length=1,
        max_length=253,
        title="Host",
        description="IP address or DNS name of the camera's ONVIF device service.",
    )
    port: int = Field(
        default=80,
        ge=1,
        le=65535,
        title="Port",
        description="HTTP port of the ONVIF device service (/onvif/device_service).",
    )
    username: str = Field(
        default="",
        max_length=128,
        title="Username",
        description="ONVIF user of the camera (WS-Security UsernameToken, password digest); "
        "also used to log in to its RTSP streams and snapshots. Empty: no login.",
    )
    password: SecretStr = Field(
        default=SecretStr(""),
        max_length=128,
        title="Password",
        description="Password of that user. Never shown in logs, errors or the API.",
    )
    main_profile: str = Field(
        default="",
        max_length=64,
        title="Main stream profile",
        description="Token or name of the media profile recorded as the main stream. "
        "Empty: the camera's first profile.",
    )
    sub_profile: str | None = Field(
        default="",
        max_length=64,
        title="Sub stream profile",
        description="Token or name of the media profile used as the sub stream. Empty: the "
        "camera's second profile, if it has one. None: no sub stream.",
    )
    transport: Transport = Field(
        default="tcp",
        title="Transport",
        description="How the RTSP streams are carried: tcp (interleaved in the RTSP "
        "connection; works through firewalls and NAT) or udp (RTP over UDP).",
    )
    stream_host_from_settings: bool = Field(
        default=False,
        title="Use this host for streams",
        description="Replace the host in the stream and snapshot URIs the camera reports "
        "with Host above: for cameras behind NAT or port forwarding that report an address "
        "Argus cannot reach.",
    )
    timeout: float = Field(
        default=10.0,
        ge=0.5,
        le=120.0,
        title="Request timeout",
        description="Seconds to wait for an answer to one ONVIF request, and to open a stream, "
        "before the camera counts as unreachable.",
    )
    read_timeout: float = Field(
        default=10.0,
        ge=0.5,
        le=300.0,
        title="Read timeout",
        description="Seconds without stream data after which an open stream counts as dropped "
        "and is reconnected.",
    )

    @field_validator("host")
    @classmethod
    def _plain_host(cls, value: str) -> str:
        value = value.strip()
        if not value or any(c.isspace() or c in "/@?#" for c in value):
            raise ValueError("the host must be an address or a name, without scheme or path")
        return value

    @property
    def device_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/onvif/device_service"

    @property
    def where(self) -> str:
        """How logs and errors name the camera: never with the password."""
        return f"onvif://{self.username + '@' if self.username else ''}{self.host}:{self.port}"

    def secrets(self) -> tuple[str, ...]:
        """What must never appear in clear in a log or an error."""
        return (self.password.get_secret_value(),)
