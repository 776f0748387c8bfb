"""The SDK's conformance kit against the Pelco driver and its dome emulator over real ptys:
two domes on one bus (Pelco-D with positioning and position queries, presets, aux outputs),
the adapter unplugged and plugged in again behind a stable link."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from argus_driver_pelco.emulator import Emulator, FdLink
from argus_driver_pelco.protocol import Protocol
from argus_driver_pelco.testing import Pty, open_pty
from argus_sdk.conformance import CameraDriverConformance, DeviceUnderTest


class Bus:
    """An RS-485 adapter behind a stable link (as /dev/serial/by-id/… is), with two
    emulated domes on it; :meth:`unplug` and :meth:`plug` swap the pty behind the link."""

    def __init__(self, folder: Path) -> None:
        self.link = folder / "rs485"
        self._ptys: list[Pty] = []
        self._emulators: list[Emulator] = []
        self.plug()

    def plug(self, _driver: Any = None) -> None:
        pty = open_pty()
        self._ptys.append(pty)
        self.link.unlink(missing_ok=True)
        self.link.symlink_to(pty.path)
        emulator = Emulator(Protocol.D, (1, 2))
        emulator.serve(FdLink(pty.master))
        self._emulators.append(emulator)

    def unplug(self, _driver: Any = None) -> None:
        self._emulators[-1].stop()
        self._ptys[-1].close()

    def close(self) -> None:
        for emulator in self._emulators:
            emulator.stop()
        for pty in self._ptys:
            pty.close()


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[Bus]:
    bus = Bus(tmp_path)
    yield bus
    bus.close()


class TestPelcoDomes(CameraDriverConformance):
    """Two PTZ-only channels (analogue domes have no video of their own)."""

    @pytest.fixture
    def argus_device(self, bus: Bus) -> DeviceUnderTest:
        dome: Callable[[int], dict[str, Any]] = lambda address: {  # noqa: E731
            "address": address,
            "name": f"Dome {address}",
            "max_presets": 32,
            "aux_outputs": 2,
            "positioning": True,
        }
        settings = {
            "port": str(bus.link),
            "protocol": "d",
            "query_position": True,
            "domes": [dome(1), dome(2)],
        }
        return DeviceUnderTest(
            "pelco", settings, drop=bus.unplug, restore=bus.plug, keyframe_timeout=5
        )
