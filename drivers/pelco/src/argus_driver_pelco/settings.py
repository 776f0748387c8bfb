"""Device settings of a Pelco device: one serial port and the domes on it.

Every field carries a title, a description and bounds: the System Manager form
and the API docs are generated from these models.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from argus_driver_pelco import const


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DomeSettings(_Model):
    """One dome on the bus; each dome is a PTZ channel (a camera) of the device."""

    address: int = Field(
        ge=1,
        le=255,
        title="Address",
        description="The dome's address as set on its switches (1-255). Pelco-P sends it "
        "minus one on the wire (switch address 1 is byte 0x00).",
    )
    name: str = Field(default="", max_length=64, title="Name", description="Shown to operators.")
    max_presets: int = Field(
        default=64,
        ge=0,
        le=const.MAX_PRESET_NUMBER,
        title="Presets",
        description="Presets are numbered 1..this; 0: the dome has no presets.",
    )
    home_preset: int | None = Field(
        default=None,
        ge=1,
        le=const.MAX_PRESET_NUMBER,
        title="Home preset",
        description="'Home' goes to this preset; none: home uses the extended positioning "
        "commands (pan 0°, tilt 0°, zoom wide) if positioning is on, else it is unsupported.",
    )
    aux_outputs: int = Field(
        default=0,
        ge=0,
        le=const.MAX_AUX,
        title="Auxiliary outputs",
        description="Number of auxiliary outputs (relays, wipers, lights) switched with the "
        "set/clear auxiliary commands; each is a relay output of the device.",
    )
    positioning: bool = Field(
        default=False,
        title="Extended positioning",
        description="The dome accepts the set pan/tilt/zoom position commands (Spectra, "
        "Esprit and similar): absolute moves are offered.",
    )


def _default_domes() -> list[DomeSettings]:
    return [DomeSettings(address=1)]


class PelcoSettings(_Model):
    """Analogue PTZ domes on one RS-485/RS-422 serial port, driven with Pelco-D or Pelco-P."""

    port: str = Field(
        min_length=1,
        max_length=256,
        title="Serial port",
        description="Device path of the port (/dev/ttyUSB0, /dev/serial/by-id/…, COM3). "
        "Several devices may name the same port: they share one bus.",
    )
    protocol: Literal["d", "p"] = Field(
        default="d",
        title="Protocol",
        description="'d' for Pelco-D (7-byte frames, additive checksum), 'p' for Pelco-P "
        "(8-byte frames, XOR checksum).",
    )
    baud_rate: Literal[1200, 2400, 4800, 9600, 19200, 38400] = Field(
        default=2400,
        title="Baud rate",
        description="Pelco-D domes usually run at 2400, Pelco-P at 4800 or 9600.",
    )
    data_bits: Literal[7, 8] = Field(default=8, title="Data bits", description="Usually 8.")
    parity: Literal["none", "even", "odd"] = Field(
        default="none", title="Parity", description="Usually none."
    )
    stop_bits: Literal[1, 2] = Field(default=1, title="Stop bits", description="Usually 1.")
    domes: list[DomeSettings] = Field(
        default_factory=_default_domes,
        min_length=1,
        max_length=64,
        title="Domes",
        description="The domes this device drives; each is a PTZ channel, in this order.",
    )
    query_position: bool = Field(
        default=False,
        title="Query position",
        description="Pelco-D only: after each command, ask the dome for its pan, tilt and "
        "zoom (extended queries) and report them; relative moves need it.",
    )
    reply_timeout: float = Field(
        default=0.3,
        gt=0,
        le=5,
        title="Reply timeout",
        description="Seconds to wait for a dome's answer to a query before reporting it "
        "unavailable. The bus is held meanwhile, so keep it short.",
    )
    write_timeout: float = Field(
        default=1.0,
        gt=0,
        le=10,
        title="Write timeout",
        description="Seconds a frame may take to leave the port (a stuck adapter or "
        "flow control) before the bus is reported unavailable.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        addresses = [d.address for d in self.domes]
        if len(set(addresses)) != len(addresses):
            raise ValueError("two domes of one device have the same address")
        if self.query_position and self.protocol != "d":
            raise ValueError("query_position needs Pelco-D: Pelco-P domes do not answer")
        return self
