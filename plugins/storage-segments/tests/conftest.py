"""Fixtures: packets from the real sim camera driver on a manual clock; real mounts."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from argus_driver_sim.device import open_camera
from argus_driver_sim.settings import SimCameraSettings
from argus_sdk import PacketSource, PluginContext, StreamPacket
from argus_sdk.testing import ManualClock

Packets = Callable[..., tuple[PacketSource, list[StreamPacket]]]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1_763_800_000.0)


@pytest.fixture
def sim_packets(tmp_path_factory: pytest.TempPathFactory, clock: ManualClock) -> Iterator[Packets]:
    """``sim_packets(seconds, audio=False, name=...)`` → (open source, packets of that many
    seconds, starting at a keyframe)."""
    cache = tmp_path_factory.getbasetemp() / "sim-cache"
    opened = []

    def make(
        seconds: float, *, audio: bool = False, name: str = "Seg"
    ) -> tuple[PacketSource, list[StreamPacket]]:
        settings = SimCameraSettings(
            main_profile="360p",
            sub_profile=None,
            loop_seconds=2,
            name=name,
            audio=audio,
            inputs=[],
            outputs=[],
        )
        camera = open_camera(settings, PluginContext("cam", clock=clock, cache_dir=Path(cache)))
        opened.append(camera)
        source = camera.open_stream(0, "main")
        packets: list[StreamPacket] = []
        start = clock.monotonic()
        while clock.monotonic() - start < seconds:
            packet = source.read(1.0)
            if packet is not None:
                packets.append(packet)
        return source, packets

    yield make
    for camera in opened:
        camera.close()


@pytest.fixture
def mounts() -> Iterator[object]:
    m = Mounts()
    try:
        yield m
    finally:
        m.cleanup()


class Mounts:
    def __init__(self) -> None:
        self._mounted: list[Path] = []

    def run(self, *args: str) -> None:
        proc = subprocess.run(
            ["mount", *args], capture_output=True, text=True, check=False, timeout=30
        )
        if proc.returncode != 0:
            pytest.skip(f"cannot mount here (needs root): {proc.stderr.strip()}")

    def tmpfs(self, where: Path, size_mb: int) -> Path:
        where.mkdir(parents=True, exist_ok=True)
        self.run("-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(where))
        self._mounted.append(where)
        return where

    def bind(self, source: Path, where: Path) -> Path:
        where.mkdir(parents=True, exist_ok=True)
        self.run("--bind", str(source), str(where))
        self._mounted.append(where)
        return where

    def read_only(self, where: Path, ro: bool = True) -> None:
        self.run("-o", f"remount,{'ro' if ro else 'rw'},bind", str(where))

    def unmount(self, where: Path) -> None:
        """Detach lazily, as a pulled disk with open files would be."""
        subprocess.run(["umount", "-l", str(where)], check=True, timeout=30)
        self._mounted.remove(where)

    def cleanup(self) -> None:
        for where in reversed(self._mounted):
            subprocess.run(["umount", "-l", str(where)], check=False, timeout=30)
        self._mounted.clear()
