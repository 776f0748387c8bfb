"""Driver contracts: camera drivers, encoder drivers and metadata drivers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from pydantic import BaseModel

from argus_sdk._context import PluginContext
from argus_sdk._device import DeviceDescription, PtzCommand, PtzStatus
from argus_sdk._media import MetadataRecord, PacketSource


@runtime_checkable
class CameraDriver(Protocol):
    """A driver bound to one device (a camera, or one channel set of an encoder).

    Created by :attr:`CameraDriverType.open`. Every method may block and is
    called from worker threads; a method that the device lacks raises
    ``Unsupported``; an unreachable device raises ``DeviceUnavailable``.
    """

    def describe(self) -> DeviceDescription:
        """Vendor, model, channels with their stream profiles, PTZ and I/O ports."""
        ...

    def open_stream(self, channel: int, stream: str) -> PacketSource:
        """Open stream ``stream`` (a profile name from :meth:`describe`) of ``channel``."""
        ...

    def ptz(self, channel: int, command: PtzCommand) -> PtzStatus:
        """Execute a PTZ command on ``channel`` and return the resulting status."""
        ...

    def set_output(self, port: str, active: bool) -> None:
        """Switch relay output ``port``; publishes ``argus.io.output`` when it changed."""
        ...

    def input_states(self) -> Mapping[str, bool]:
        """Current state of every digital input (changes are also published as events)."""
        ...

    def close(self) -> None:
        """Release every connection, thread and socket. Idempotent."""
        ...


@runtime_checkable
class SerialPort(Protocol):
    """A serial port of an encoder (RS-232/485), for PTZ domes and I/O modules behind it."""

    def write(self, data: bytes) -> None: ...

    def read(self, size: int, timeout: float) -> bytes:
        """Up to ``size`` bytes, fewer (possibly none) if ``timeout`` passes."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class EncoderDriver(CameraDriver, Protocol):
    """A multi-channel device: N video channels (each a camera), I/O and serial ports."""

    def open_serial(self, port: str) -> SerialPort:
        """Open serial port ``port`` (a name from ``describe().serial_ports``)."""
        ...


@runtime_checkable
class MetadataSource(Protocol):
    """An open metadata or text channel."""

    def read(self, timeout: float) -> MetadataRecord | None: ...

    def close(self) -> None: ...


@runtime_checkable
class MetadataDriver(Protocol):
    """A driver producing timestamped metadata or text (POS, access control, analytics)."""

    def sources(self) -> tuple[str, ...]:
        """Names of the text channels this device offers."""
        ...

    def open_source(self, source: str) -> MetadataSource: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class CameraDriverType:
    """A camera driver a plugin provides.

    :param name: unique across the system, e.g. ``rtsp``, ``onvif``, ``sim``.
    :param settings: pydantic model of the device settings; its field titles,
        descriptions and bounds generate the System Manager form and API docs.
    :param open: builds a driver for one device from validated settings.
    """

    name: str
    title: str
    settings: type[BaseModel]
    open: Callable[[BaseModel, PluginContext], CameraDriver]


@dataclass(frozen=True, slots=True)
class EncoderDriverType:
    """An encoder driver a plugin provides (see :class:`CameraDriverType`)."""

    name: str
    title: str
    settings: type[BaseModel]
    open: Callable[[BaseModel, PluginContext], EncoderDriver]


@dataclass(frozen=True, slots=True)
class MetadataDriverType:
    """A metadata driver a plugin provides (see :class:`CameraDriverType`)."""

    name: str
    title: str
    settings: type[BaseModel]
    open: Callable[[BaseModel, PluginContext], MetadataDriver]
