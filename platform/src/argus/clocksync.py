"""Clock offsets between the master and its nodes, NTP style.

One exchange: the master notes ``t1`` and asks the node; the node notes ``t2``
on receipt and ``t3`` on reply; the master notes ``t4`` on receipt. Then

    offset = ((t2 - t1) + (t3 - t4)) / 2     (node clock minus master clock)
    delay  = (t4 - t1) - (t3 - t2)           (network round trip)

An exchange's offset is off by at most half its round trip, so of several
exchanges the one with the shortest round trip is kept. Assumes symmetric
network paths; an asymmetric path biases the offset by half the asymmetry.
"""

from __future__ import annotations

import statistics
import threading
from collections.abc import Callable
from dataclasses import dataclass

from argus_sdk import Clock


@dataclass(frozen=True, slots=True)
class Exchange:
    t1: float  # master sent
    t2: float  # node received
    t3: float  # node replied
    t4: float  # master received

    @property
    def offset(self) -> float:
        return ((self.t2 - self.t1) + (self.t3 - self.t4)) / 2

    @property
    def delay(self) -> float:
        return (self.t4 - self.t1) - (self.t3 - self.t2)


@dataclass(frozen=True, slots=True)
class Estimate:
    """The node's clock minus the master's, with its error bound (half the round trip)."""

    offset: float
    error: float
    samples: int
    spread: float  # stdev of all samples' offsets: a large one means a noisy path


def estimate(ask: Callable[[], tuple[float, float]], clock: Clock, samples: int = 8) -> Estimate:
    """Run ``samples`` exchanges; ``ask()`` returns the node's (t2, t3).

    :raises ValueError: ``samples`` < 1.
    """
    if samples < 1:
        raise ValueError("at least one sample is needed")
    exchanges = []
    for _ in range(samples):
        t1 = clock.now()
        t2, t3 = ask()
        exchanges.append(Exchange(t1, t2, t3, clock.now()))
    best = min(exchanges, key=lambda e: e.delay)
    offsets = [e.offset for e in exchanges]
    spread = statistics.pstdev(offsets) if len(offsets) > 1 else 0.0
    return Estimate(best.offset, max(0.0, best.delay) / 2, len(exchanges), spread)


class CorrectedClock:
    """A node's clock corrected by its measured offset to the master's time.

    Recording timestamps taken from it agree across nodes to within the offset
    error. Thread-safe; the offset changes only when a new estimate arrives.
    """

    def __init__(self, base: Clock) -> None:
        self._base = base
        self._offset = 0.0
        self._lock = threading.Lock()

    @property
    def base(self) -> Clock:
        """The uncorrected clock: what the master measures the offset of."""
        return self._base

    @property
    def offset(self) -> float:
        with self._lock:
            return self._offset

    def set_offset(self, offset: float) -> None:
        """``offset``: this node's clock minus the master's, as :func:`estimate` gives it."""
        with self._lock:
            self._offset = offset

    def monotonic(self) -> float:
        return self._base.monotonic()

    def now(self) -> float:
        with self._lock:
            return self._base.now() - self._offset

    def sleep(self, seconds: float) -> None:
        self._base.sleep(seconds)
