"""Per-stream rates for status pages: sampled every few seconds, off the packet path."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from argus.node.recorder import StreamWorker


@dataclass(frozen=True, slots=True)
class Rates:
    fps: float = 0.0  # video frames (all packets of the video track) per second
    bitrate: int = 0  # bits per second, all tracks


class RateSampler:
    """Samples every worker's counters every ``interval`` seconds on its own thread."""

    def __init__(self, workers: list[StreamWorker], interval: float = 2.0) -> None:
        self._workers = workers
        self._interval = interval
        self._rates: dict[int, Rates] = {}
        self._last: dict[int, tuple[float, int, int]] = {}
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

    def sample(self) -> None:
        now = time.monotonic()
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
