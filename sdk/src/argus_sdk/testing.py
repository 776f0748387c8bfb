"""Test helpers shipped with the SDK for plugin developers and for Argus's own tests."""

from __future__ import annotations

import threading

__all__ = ["ManualClock"]


class ManualClock:
    """A :class:`argus_sdk.Clock` that only moves when told to.

    ``sleep`` advances the clock instead of waiting, so code paced by the clock
    (a simulated camera, a retention schedule) runs as fast as the CPU allows
    and deterministically. Thread-safe.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._lock = threading.Lock()
        self._mono = 0.0
        self._wall = start

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def now(self) -> float:
        with self._lock:
            return self._wall

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.advance(seconds)

    def advance(self, seconds: float) -> None:
        """Move both the monotonic and the wall clock forward."""
        if seconds < 0:
            raise ValueError("a clock does not go back")
        with self._lock:
            self._mono += seconds
            self._wall += seconds

    def set_wall(self, wall: float) -> None:
        """Step the wall clock (as NTP would) without moving the monotonic clock."""
        with self._lock:
            self._wall = wall
