"""The dome emulator: its state after commands, what it counts, what it answers,
and its command line over a real pty."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time

import pytest

from argus_driver_pelco import const
from argus_driver_pelco.emulator import DEGREES_PER_SPEED_STEP, Emulator
from argus_driver_pelco.protocol import STOP, Extended, FrameParser, Motion, Protocol, encode
from argus_driver_pelco.testing import Pty

D, P = Protocol.D, Protocol.P


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("protocol", list(Protocol))
def test_moves_presets_and_aux_change_the_dome(protocol: Protocol) -> None:
    clock = FakeTime()
    emulator = Emulator(protocol, [1, 2], clock=clock)
    emulator.handle(encode(protocol, 1, Motion(pan=1, pan_speed=10)))
    clock.now += 2
    emulator.handle(encode(protocol, 1, STOP))
    dome = emulator.dome(1)
    assert dome.pan == pytest.approx(10 * DEGREES_PER_SPEED_STEP * 100 * 2)
    assert not dome.moving
    emulator.handle(encode(protocol, 1, Extended(const.OP_SET_PRESET, 0, 5)))
    emulator.handle(encode(protocol, 1, Motion(tilt=-1, zoom=1, tilt_speed=0x3F)))
    clock.now += 10
    moved = emulator.dome(1)
    assert moved.tilt == -9000 and moved.zoom == const.ZOOM_UNITS and moved.moving
    emulator.handle(encode(protocol, 1, Extended(const.OP_GOTO_PRESET, 0, 5)))
    back = emulator.dome(1)
    assert (back.pan, back.tilt, back.zoom, back.moving) == (dome.pan, 0, 0, False)
    emulator.handle(encode(protocol, 1, Extended(const.OP_CLEAR_PRESET, 0, 5)))
    emulator.handle(encode(protocol, 2, Extended(const.OP_SET_AUX, 0, 2)))
    emulator.handle(encode(protocol, 2, Extended(const.OP_SET_AUX, 0, 3)))
    emulator.handle(encode(protocol, 2, Extended(const.OP_CLEAR_AUX, 0, 2)))
    assert emulator.dome(1).presets == {} and emulator.dome(2).aux == {3}
    assert emulator.dome(1).aux == set() and emulator.dome(2).pan == 0
    assert emulator.counters.frames == 9 and emulator.counters.bad_checksum == 0


def test_bad_frames_are_counted_and_not_executed() -> None:
    emulator = Emulator(D, [1])
    bad = bytearray(encode(D, 1, Extended(const.OP_SET_AUX, 0, 1)))
    bad[-1] ^= 0xFF
    emulator.handle(bytes(bad) + b"\x00\x01")
    emulator.handle(encode(D, 9, Extended(const.OP_SET_AUX, 0, 1)))
    c = emulator.snapshot()
    assert (c.bad_checksum, c.frames, c.other_address) == (1, 1, 1)
    assert c.framing_errors >= 1
    assert emulator.dome(1).aux == set() and emulator.dome(1).frames == 0

    p = Emulator(P, [1])
    bad_p = bytearray(encode(P, 1, Extended(const.OP_SET_AUX, 0, 1)))
    bad_p[-1] ^= 0x01
    p.handle(bytes(bad_p))
    assert p.snapshot().bad_checksum == 1 and p.dome(1).aux == set()


def test_absolute_positions_and_queries_in_pelco_d() -> None:
    emulator = Emulator(D, [4])
    emulator.handle(encode(D, 4, Extended(const.OP_SET_PAN, 0x23, 0x28)))  # 90.00°
    emulator.handle(encode(D, 4, Extended(const.OP_SET_TILT, 0x7B, 0x0C)))  # 31500: 45° down
    emulator.handle(encode(D, 4, Extended(const.OP_SET_ZOOM, 0x80, 0x00)))
    dome = emulator.dome(4)
    assert (dome.pan, dome.tilt, dome.zoom) == (9000, -4500, 0x8000)
    reply = emulator.handle(encode(D, 4, Extended(const.OP_QUERY_PAN)))
    assert reply.hex(" ") == "ff 04 00 59 23 28 a8"
    reply = emulator.handle(encode(D, 4, Extended(const.OP_QUERY_TILT)))
    assert FrameParser(D).feed(reply)[0].command == Extended(const.OP_TILT_RESPONSE, 0x7B, 0x0C)
    # Queries for another dome and Pelco-P queries go unanswered.
    assert emulator.handle(encode(D, 5, Extended(const.OP_QUERY_PAN))) == b""
    assert Emulator(P, [4]).handle(encode(P, 4, Extended(const.OP_QUERY_PAN))) == b""
    assert Emulator(D, [4], replies=False).handle(encode(D, 4, Extended(const.OP_QUERY_PAN))) == b""


def _read_until(fd: int, size: int, timeout: float) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while len(data) < size and (left := deadline - time.monotonic()) > 0:
        if select.select([fd], [], [], left)[0]:
            data += os.read(fd, size - len(data))
    return data


def _emulator_process(pty: Pty, *args: str) -> subprocess.Popen[str]:
    """``python -m argus_driver_pelco.emulator --port <the pty's slave> *args``."""
    return subprocess.Popen(
        [sys.executable, "-m", "argus_driver_pelco.emulator", "--port", pty.path, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_command_line_emulator_over_a_pty(pty: Pty) -> None:
    """``python -m argus_driver_pelco.emulator`` on the pty's slave; the test is the bus."""
    proc = _emulator_process(pty, "--protocol", "d", "--address", "1", "--address", "2")
    try:
        assert proc.stdout is not None
        assert "emulating Pelco-D domes 1, 2" in proc.stdout.readline()
        os.write(pty.master, encode(D, 2, Extended(const.OP_SET_PAN, 0x46, 0x50)))  # 180.00°
        bad = bytearray(encode(D, 1, STOP))
        bad[-1] ^= 1
        os.write(pty.master, bytes(bad))
        os.write(pty.master, encode(D, 2, Extended(const.OP_QUERY_PAN)))
        reply = _read_until(pty.master, 7, 5.0)
        assert reply.hex(" ") == encode(D, 2, Extended(const.OP_PAN_RESPONSE, 0x46, 0x50)).hex(" ")
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "dome 2: Extended(opcode=75" in out
    assert "dropped (checksum)" in out
    assert "frames 2, bad checksums 1" in out


def test_command_line_emulator_speaks_pelco_p(pty: Pty) -> None:
    proc = _emulator_process(pty, "--protocol", "p", "--address", "3")
    try:
        assert proc.stdout is not None
        assert "emulating Pelco-P domes 3" in proc.stdout.readline()
        no_etx = bytearray(encode(P, 3, STOP))
        no_etx[6] = 0
        os.write(pty.master, bytes(no_etx) + encode(P, 3, Extended(const.OP_SET_AUX, 0, 1)))
        os.write(pty.master, encode(P, 3, Extended(const.OP_QUERY_PAN)))
        lines = [proc.stdout.readline() for _ in range(4)]
        assert lines[-2:] == [
            "dome 3: Extended(opcode=9, data1=0, data2=1)\n",
            "dome 3: Extended(opcode=81, data1=0, data2=0)\n",
        ]
        assert all(line.startswith("dropped (framing)") for line in lines[:2])
        assert _read_until(pty.master, 1, 0.1) == b""  # Pelco-P domes do not answer
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "frames 2, bad checksums 0, framing errors" in out


def test_command_line_emulator_exits_when_its_port_goes_away(pty: Pty) -> None:
    proc = _emulator_process(pty)
    try:
        assert proc.stdout is not None
        assert "emulating" in proc.stdout.readline()
        pty.close()
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            proc.communicate(timeout=10)
    assert proc.returncode == 1 and "failed" in err
    assert "frames 0" in out
