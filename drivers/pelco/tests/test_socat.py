"""End to end as a developer runs it: the driver on one end of a socat pty pair, the
command-line emulator on the other. socat outlives either end, like a bus whose
dome loses power: the driver's frames still go out, only the replies stop."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from argus_driver_pelco.device import PelcoDevice
from argus_sdk import AbsoluteMove, ContinuousMove, DeviceUnavailable, PtzPosition

MakeDevice = Callable[..., PelcoDevice]
SOCAT = shutil.which("socat")
pytestmark = pytest.mark.skipif(SOCAT is None, reason="socat is not installed")


@pytest.fixture
def socat_pair(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    driver_end, dome_end = tmp_path / "argus", tmp_path / "dome"
    assert SOCAT is not None
    proc = subprocess.Popen(
        [SOCAT, "pty,raw,echo=0,link=" + str(driver_end), "pty,raw,echo=0,link=" + str(dome_end)],
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 5
        while not (driver_end.exists() and dome_end.exists()):
            assert time.monotonic() < deadline, "socat made no ptys"
            time.sleep(0.01)
        yield driver_end, dome_end
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=5)


class CliEmulator:
    """``python -m argus_driver_pelco.emulator`` in a subprocess, stopped by its PID."""

    def __init__(self, port: Path, *addresses: int) -> None:
        args = [sys.executable, "-m", "argus_driver_pelco.emulator", "--port", str(port)]
        for a in addresses:
            args += ["--address", str(a)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()
        if not first.startswith("emulating Pelco-D"):
            self.stop()
            raise AssertionError(f"the emulator did not start: {first!r}")

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=10)
        return out


def test_driver_against_the_command_line_emulator_through_socat(
    socat_pair: tuple[Path, Path], make_device: MakeDevice
) -> None:
    driver_end, dome_end = socat_pair
    emulator = CliEmulator(dome_end, 1, 2)
    try:
        device = make_device(
            str(driver_end),
            query_position=True,
            reply_timeout=0.2,
            domes=[{"address": 1, "positioning": True}, {"address": 2, "positioning": True}],
        )
        status = device.ptz(1, AbsoluteMove(PtzPosition(0.5, 0.25, 1.0)))
        assert status.position is not None
        got = status.position
        assert (got.pan, got.tilt, got.zoom) == pytest.approx((0.5, 0.25, 1.0), abs=1e-4)
        assert device.query_position(0) == PtzPosition(0.0, 0.0, 0.0)
    finally:
        out = emulator.stop()
    assert "dome 2: Extended(opcode=75, data1=35, data2=40)" in out  # pan 90.00°
    assert "bad checksums 0" in out

    # The dome goes silent: commands still leave, but the status query fails fast.
    started = time.monotonic()
    with pytest.raises(DeviceUnavailable, match="dome 1 did not answer"):
        device.ptz(0, ContinuousMove(pan=0.5))
    assert time.monotonic() - started < 1.0

    # It comes back (fresh, at its zero position) and the same device carries on.
    emulator = CliEmulator(dome_end, 1, 2)
    try:
        status = device.ptz(0, AbsoluteMove(PtzPosition(-0.25, 0, 0)))
        assert status.position is not None and status.position.pan == pytest.approx(-0.25)
    finally:
        emulator.stop()
