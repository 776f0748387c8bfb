"""What a device is and what it can do: description, PTZ and I/O."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from argus_sdk._media import StreamProfile


class IoDirection(enum.StrEnum):
    INPUT = "input"
    OUTPUT = "output"


@dataclass(frozen=True, slots=True)
class IoPort:
    """A digital input or relay output of a device."""

    id: str
    direction: IoDirection
    name: str = ""


@dataclass(frozen=True, slots=True)
class PtzCapabilities:
    """The moves a PTZ channel accepts. Ranges are normalised: pan/tilt -1..1, zoom 0..1."""

    continuous: bool = False
    absolute: bool = False
    relative: bool = False
    presets: bool = False
    home: bool = False
    max_presets: int = 0
    focus: bool = False
    iris: bool = False


@dataclass(frozen=True, slots=True)
class ChannelDescription:
    """One video channel of a device; each channel is a camera in Argus."""

    index: int
    name: str
    streams: tuple[StreamProfile, ...]
    ptz: PtzCapabilities | None = None


@dataclass(frozen=True, slots=True)
class DeviceDescription:
    """What the driver learned about the device it is connected to."""

    vendor: str
    model: str
    channels: tuple[ChannelDescription, ...]
    firmware: str = ""
    serial_number: str = ""
    io_ports: tuple[IoPort, ...] = ()
    serial_ports: tuple[str, ...] = ()

    @property
    def inputs(self) -> tuple[IoPort, ...]:
        return tuple(p for p in self.io_ports if p.direction is IoDirection.INPUT)

    @property
    def outputs(self) -> tuple[IoPort, ...]:
        return tuple(p for p in self.io_ports if p.direction is IoDirection.OUTPUT)


@dataclass(frozen=True, slots=True)
class DiscoveredDevice:
    """A device found by a driver's discovery, not yet added to the system."""

    driver: str
    address: str
    vendor: str = ""
    model: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class PtzPosition:
    """A normalised PTZ position: pan and tilt in -1..1, zoom in 0..1."""

    pan: float = 0.0
    tilt: float = 0.0
    zoom: float = 0.0

    def clamped(self) -> PtzPosition:
        return PtzPosition(
            pan=min(1.0, max(-1.0, self.pan)),
            tilt=min(1.0, max(-1.0, self.tilt)),
            zoom=min(1.0, max(0.0, self.zoom)),
        )


@dataclass(frozen=True, slots=True)
class ContinuousMove:
    """Move at the given velocities (-1..1) until :class:`PtzStop` or ``timeout`` seconds."""

    pan: float = 0.0
    tilt: float = 0.0
    zoom: float = 0.0
    timeout: float | None = None


@dataclass(frozen=True, slots=True)
class AbsoluteMove:
    """Move to a normalised position."""

    position: PtzPosition


@dataclass(frozen=True, slots=True)
class RelativeMove:
    """Move by a normalised offset from the current position."""

    pan: float = 0.0
    tilt: float = 0.0
    zoom: float = 0.0


@dataclass(frozen=True, slots=True)
class PtzStop:
    """Stop any continuous move."""


@dataclass(frozen=True, slots=True)
class GotoPreset:
    preset: str


@dataclass(frozen=True, slots=True)
class SetPreset:
    """Store the current position under ``preset`` (created or overwritten)."""

    preset: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class ClearPreset:
    """Delete ``preset``; an unknown one is an ``InvalidRequest``."""

    preset: str


@dataclass(frozen=True, slots=True)
class GotoHome:
    """Move to the home position."""


@dataclass(frozen=True, slots=True)
class LensMove:
    """Drive the lens at the given speeds until :class:`PtzStop` or ``timeout`` seconds:
    ``focus`` -1 (near) .. 1 (far), ``iris`` -1 (close) .. 1 (open); 0 holds. Needs the
    ``focus`` or ``iris`` capability; a lens with one speed only takes the sign."""

    focus: float = 0.0
    iris: float = 0.0
    timeout: float | None = None


PtzCommand = (
    ContinuousMove
    | AbsoluteMove
    | RelativeMove
    | PtzStop
    | GotoPreset
    | SetPreset
    | ClearPreset
    | GotoHome
    | LensMove
)
"""Every PTZ command a driver may receive; a driver raises ``Unsupported`` for the rest."""


@dataclass(frozen=True, slots=True)
class PtzStatus:
    """Where a PTZ channel is after a command, as far as the driver knows."""

    position: PtzPosition | None
    moving: bool = False
    presets: tuple[str, ...] = ()
