"""The shared bus: one owner per port, whole frames under concurrency, a port that
vanishes and comes back."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import serial  # type: ignore[import-untyped]

from argus_driver_pelco import bus as buses
from argus_driver_pelco.device import PelcoDevice
from argus_driver_pelco.emulator import Emulator
from argus_driver_pelco.protocol import Extended, Protocol
from argus_driver_pelco.testing import Pty
from argus_sdk import ConfigurationError, ContinuousMove, DeviceUnavailable, GotoPreset, PtzStop

MakeDevice = Callable[..., PelcoDevice]
MakeEmulator = Callable[..., Emulator]
log = logging.getLogger("test")


def test_one_bus_per_port_and_the_last_user_closes_it(pty: Pty) -> None:
    params = buses.PortParams()
    first = buses.acquire(pty.path, params, log)
    second = buses.acquire(pty.path, params, log)
    assert first is second
    with pytest.raises(ConfigurationError, match="same line settings"):
        buses.acquire(pty.path, buses.PortParams(baud_rate=9600), log)
    first.open()
    buses.release(first)
    assert second.is_open
    buses.release(second)
    assert not second.is_open
    third = buses.acquire(pty.path, buses.PortParams(baud_rate=9600), log)
    assert third is not first
    buses.release(third)


def test_devices_with_other_line_settings_on_one_port_are_refused(
    pty: Pty, make_device: MakeDevice
) -> None:
    make_device(pty.path, baud_rate=2400)
    with pytest.raises(ConfigurationError, match=pty.path):
        make_device(pty.path, baud_rate=4800, domes=[{"address": 2}])


def test_concurrent_moves_on_one_port_are_whole_frames(
    pty: Pty, make_emulator: MakeEmulator, make_device: MakeDevice, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two channels of one device and a second device, each from its own threads, on a
    port that takes one byte per write (as a busy UART may): frames still arrive whole."""
    write = serial.Serial.write

    def byte_by_byte(port: serial.Serial, data: bytes) -> int:
        for b in data:
            write(port, bytes((b,)))
            time.sleep(0)
        return len(data)

    monkeypatch.setattr(serial.Serial, "write", byte_by_byte)
    emulator = make_emulator(pty, Protocol.P, (1, 2, 3))
    device = make_device(pty.path, protocol="p", domes=[{"address": 1}, {"address": 2}])
    other = make_device(pty.path, protocol="p", domes=[{"address": 3}])
    rounds = 60
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def run(target: PelcoDevice, channel: int) -> None:
        try:
            start.wait()
            for i in range(rounds):
                target.ptz(channel, ContinuousMove(pan=(i % 7 - 3) / 3, tilt=0.5))
                target.ptz(channel, GotoPreset(str(i % 60 + 1)))
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(device, 0)),
        threading.Thread(target=run, args=(device, 1)),
        threading.Thread(target=run, args=(other, 0)),
        threading.Thread(target=run, args=(device, 0)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    total = 4 * 2 * rounds
    assert emulator.wait_frames(total, timeout=5)
    c = emulator.snapshot()
    assert (c.frames, c.bad_checksum, c.framing_errors, c.other_address) == (total, 0, 0, 0)
    assert len(emulator.received) == total * 8
    assert [emulator.dome(a).frames for a in (1, 2, 3)] == [4 * rounds, 2 * rounds, 2 * rounds]


@pytest.mark.parametrize("query_position", [False, True])
def test_a_port_that_vanishes_is_unavailable_and_recovers(
    query_position: bool,
    make_pty: Callable[[], Pty],
    make_emulator: MakeEmulator,
    make_device: MakeDevice,
    tmp_path: Path,
) -> None:
    """The device names a stable link (as /dev/serial/by-id/… is); the pty behind it
    goes away (adapter unplugged) and a new one appears. With position queries the
    first failure comes from flushing the port's input, without from the write."""
    link = tmp_path / "rs485"
    first = make_pty()
    link.symlink_to(first.path)
    emulator = make_emulator(first, Protocol.D, (1,))
    device = make_device(str(link), query_position=query_position)
    device.ptz(0, ContinuousMove(pan=0.5))
    assert emulator.wait_frames(1)

    emulator.stop()
    first.close()
    with pytest.raises(DeviceUnavailable, match=f"serial port {link}"):
        if query_position:
            device.query_position(0)
        else:
            device.ptz(0, PtzStop())
    with pytest.raises(DeviceUnavailable, match="cannot be opened"):
        device.ptz(0, PtzStop())

    second = make_pty()
    link.unlink()
    link.symlink_to(second.path)
    back = make_emulator(second, Protocol.D, (1,))
    device.ptz(0, GotoPreset("4"))
    assert back.wait_frames(1)
    assert back.wait_for(lambda e: Extended(0x07, 0, 4) in e.dome(1).commands)


def test_a_port_missing_at_open_is_retried_by_each_command(
    make_pty: Callable[[], Pty],
    make_emulator: MakeEmulator,
    make_device: MakeDevice,
    tmp_path: Path,
) -> None:
    link = tmp_path / "later"
    device = make_device(str(link))
    assert len(device.describe().channels) == 1
    with pytest.raises(DeviceUnavailable, match="cannot be opened"):
        device.ptz(0, PtzStop())
    pty = make_pty()
    link.symlink_to(pty.path)
    emulator = make_emulator(pty, Protocol.D, (1,))
    device.ptz(0, PtzStop())
    assert emulator.wait_frames(1)
