"""Device settings of the simulated camera and encoder.

Every field carries a title, a description and bounds: the System Manager form
and the API docs are generated from these models.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from argus_driver_sim.const import ProfileName

_PORT_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"
_SerialName = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=_PORT_ID)]
#: Printable ASCII: the built-in font draws it (characters without a glyph as ``?``).
_DRAWABLE = r"^[ -~]+$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InputScript(_Model):
    """A periodic script for a digital input: active for ``active_seconds`` every
    ``period_seconds``, the first time ``offset_seconds`` after the device is opened."""

    active_seconds: float = Field(
        default=1.0,
        gt=0,
        le=86_400,
        title="Active for",
        description="Seconds the input stays active each period.",
    )
    period_seconds: float = Field(
        default=10.0,
        gt=0,
        le=86_400,
        title="Every",
        description="Seconds from one activation to the next; longer than 'Active for'.",
    )
    offset_seconds: float = Field(
        default=0.0,
        ge=0,
        le=86_400,
        title="First activation after",
        description="Seconds after the device is opened before the first activation.",
    )

    @model_validator(mode="after")
    def _active_within_period(self) -> Self:
        if self.active_seconds >= self.period_seconds:
            raise ValueError("active_seconds must be shorter than period_seconds")
        return self


class InputSettings(_Model):
    """One simulated digital input."""

    id: str = Field(
        min_length=1,
        max_length=32,
        pattern=_PORT_ID,
        title="Port id",
        description="Identifies the input in events and API.",
    )
    name: str = Field(default="", max_length=64, title="Name", description="Shown to operators.")
    script: InputScript | None = Field(
        default=None,
        title="Script",
        description="Switch the input periodically on the device's clock; none: only "
        "switched through the driver's set_input (tests, API).",
    )


class OutputSettings(_Model):
    """One simulated relay output."""

    id: str = Field(
        min_length=1,
        max_length=32,
        pattern=_PORT_ID,
        title="Port id",
        description="Identifies the output in events and API.",
    )
    name: str = Field(default="", max_length=64, title="Name", description="Shown to operators.")


class ChannelSettings(_Model):
    """Video and audio of a simulated video channel."""

    main_profile: ProfileName = Field(
        default="1080p",
        title="Main stream",
        description="Resolution of the 'main' stream (H.264, about 4/2/0.6 Mbit/s).",
    )
    sub_profile: ProfileName | None = Field(
        default="360p",
        title="Sub stream",
        description="Resolution of the 'sub' stream; none: the channel has no sub stream.",
    )
    fps: int = Field(default=25, ge=1, le=60, title="Frame rate", description="Frames per second.")
    loop_seconds: int = Field(
        default=10,
        ge=2,
        le=120,
        multiple_of=2,
        title="Loop length",
        description="Seconds of video encoded once and replayed (whole 2 s GOPs). The drawn "
        "clock shows the position in this loop.",
    )
    audio: bool = Field(
        default=False,
        title="Audio",
        description="Add an AAC track (48 kHz mono, a short beep every second, 8 s loop).",
    )
    ptz: bool = Field(
        default=False,
        title="PTZ",
        description="Accept PTZ commands; the picture shows a viewport of a larger scene.",
    )


def _default_inputs() -> list[InputSettings]:
    return [InputSettings(id="in1", name="Input 1")]


def _default_outputs() -> list[OutputSettings]:
    return [OutputSettings(id="out1", name="Output 1")]


def _default_encoder_channel() -> ChannelSettings:
    return ChannelSettings(main_profile="720p")


class _DeviceSettings(_Model):
    inputs: list[InputSettings] = Field(
        default_factory=_default_inputs,
        max_length=32,
        title="Digital inputs",
        description="Inputs with optional scripts; changes are published as argus.io.input.",
    )
    outputs: list[OutputSettings] = Field(
        default_factory=_default_outputs,
        max_length=32,
        title="Relay outputs",
        description="Outputs switched by set_output; changes are published as argus.io.output.",
    )
    drop_after_seconds: float | None = Field(
        default=None,
        gt=0,
        le=86_400,
        title="Disconnect after",
        description="Every opened stream fails with DeviceUnavailable after this many seconds, "
        "like a camera that drops its connection; none: never.",
    )

    @model_validator(mode="after")
    def _unique_ports(self) -> Self:
        ids = [p.id for p in self.inputs] + [p.id for p in self.outputs]
        if len(set(ids)) != len(ids):
            raise ValueError("input and output port ids must be unique")
        return self


class SimCameraSettings(ChannelSettings, _DeviceSettings):
    """A simulated IP camera: one channel, main and sub streams, optional audio and PTZ."""

    name: str = Field(
        default="Sim camera",
        min_length=1,
        max_length=40,
        pattern=_DRAWABLE,
        title="Channel name",
        description="Drawn into the picture. Part of the clip's cache key: cameras with the "
        "same name and stream settings share one clip in memory and on disk.",
    )


class SimEncoderSettings(_DeviceSettings):
    """A simulated encoder: N channels (cameras named '<name> ch<n>'), I/O and serial ports."""

    name: str = Field(
        default="Sim encoder",
        min_length=1,
        max_length=32,
        pattern=_DRAWABLE,
        title="Device name",
        description="Channel n is drawn as '<name> ch<n>' (each channel has its own clip).",
    )
    channel_count: int = Field(
        default=4, ge=1, le=64, title="Channels", description="Number of video channels (cameras)."
    )
    channel: ChannelSettings = Field(
        default_factory=_default_encoder_channel,
        title="Channel settings",
        description="Stream, audio and PTZ settings shared by every channel.",
    )
    serial_ports: list[_SerialName] = Field(
        default_factory=lambda: ["rs485-1"],
        max_length=8,
        title="Serial ports",
        description="Names of the serial ports; each is a loopback (what is written is read back).",
    )

    @model_validator(mode="after")
    def _valid_serial_ports(self) -> Self:
        if len(set(self.serial_ports)) != len(self.serial_ports):
            raise ValueError("serial port names must be unique")
        return self
