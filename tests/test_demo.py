"""``argus demo`` as a newcomer runs it: a real process, stopped by PID."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_demo_records_every_simulated_camera(tmp_path: Path) -> None:
    env = dict(os.environ, COLUMNS="200")
    proc = subprocess.Popen(
        [sys.executable, "-m", "argus", "demo", "--seconds", "12", "--data", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        out, _ = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, out
    loaded_line = next(line for line in out.splitlines() if line.startswith("plugins loaded:"))
    assert {"eventlog", "segments", "sim"} <= set(
        loaded_line.split(":")[1].replace(",", " ").split()
    )
    assert "Not in the demo yet: the master" in out
    assert "9/9 streams delivered video" in out
    assert "argus.io.input start dock:door" in out
    segments = list((tmp_path / "disk1").rglob("*.mp4"))
    cameras = {p.relative_to(tmp_path / "disk1").parts[0] for p in segments}
    assert {"entrance", "lobby", "parking", "yard-ch1", "yard-ch4"} <= cameras
    assert "Recording to" in out and "written to storage" in out
