"""Capped exponential backoff for reconnecting to devices."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass
class Backoff:
    """Delays of ``initial`` × ``factor``ⁿ up to ``cap`` seconds, with ±``jitter`` spread.

    Jitter keeps a hundred cameras behind one failed switch from reconnecting in
    lockstep. ``reset()`` after a connection delivered data.
    """

    initial: float = 1.0
    cap: float = 30.0
    factor: float = 2.0
    jitter: float = 0.1
    attempts: int = 0

    def next_delay(self, hint: float | None = None) -> float:
        """The next delay; a device's own ``retry_after`` hint wins when given."""
        base = min(self.cap, self.initial * self.factor**self.attempts)
        self.attempts += 1
        if hint is not None:
            return min(self.cap, max(0.0, hint))
        return base * random.uniform(1 - self.jitter, 1 + self.jitter)

    def reset(self) -> None:
        self.attempts = 0
