"""Per-stream rates and the node process's load for status pages: sampled every few
seconds, off the packet path."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from argus.node.recorder import StreamWorker


@dataclass(frozen=True, slots=True)
class Rates:
    fps: float = 0.0  # video frames (all packets of the video track) per second
    bitrate: int = 0  # bits per second, all tracks


@dataclass(frozen=True, slots=True)
class HostStats:
    """The node process and its host; None where the platform does not tell."""

    cpu_percent: float | None = None  # the node process, % of one core
    cpu_count: int | None = None
    memory_rss_bytes: int | None = None  # the node process
    memory_total_bytes: int | None = None  # the host
    memory_available_bytes: int | None = None
    load1: float | None = None  # the host's 1-minute load average


def _meminfo() -> dict[str, int]:
    """/proc/meminfo in bytes (Linux); empty elsewhere."""
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
    except OSError:
        return {}
    out = {}
    for line in lines:
        key, _, value = line.partition(":")
        parts = value.split()
        if parts and parts[0].isdigit():
            out[key] = int(parts[0]) * (1024 if parts[1:] == ["kB"] else 1)
    return out


def _rss() -> int | None:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


class RateSampler:
    """Samples every worker's counters every ``interval`` seconds on its own thread."""

    def __init__(self, workers: list[StreamWorker], interval: float = 2.0) -> None:
        self._workers = workers
        self._interval = interval
        self._rates: dict[int, Rates] = {}
        self._last: dict[int, tuple[float, int, int]] = {}
        self._cpu_last: tuple[float, float] | None = None
        self._host = HostStats()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rate-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def rates(self, worker: StreamWorker) -> Rates:
        return self._rates.get(id(worker), Rates())

    def host(self) -> HostStats:
        return self._host

    def _sample_host(self, now: float) -> None:
        times = os.times()
        cpu = times.user + times.system
        percent = None
        if self._cpu_last is not None and now > self._cpu_last[0]:
            percent = round(100 * (cpu - self._cpu_last[1]) / (now - self._cpu_last[0]), 1)
        self._cpu_last = (now, cpu)
        memory = _meminfo()
        try:
            load: float | None = os.getloadavg()[0]
        except OSError:
            load = None
        self._host = HostStats(
            cpu_percent=percent,
            cpu_count=os.cpu_count(),
            memory_rss_bytes=_rss(),
            memory_total_bytes=memory.get("MemTotal"),
            memory_available_bytes=memory.get("MemAvailable"),
            load1=load,
        )

    def sample(self) -> None:
        now = time.monotonic()
        self._sample_host(now)
        for worker in self._workers:
            s = worker.stats
            before = self._last.get(id(worker))
            self._last[id(worker)] = (now, s.video_packets, s.bytes)
            if before is not None and now > before[0]:
                elapsed = now - before[0]
                self._rates[id(worker)] = Rates(
                    round((s.video_packets - before[1]) / elapsed, 2),
                    int((s.bytes - before[2]) * 8 / elapsed),
                )

    def _run(self) -> None:
        self.sample()
        while not self._stop.wait(self._interval):
            self.sample()
