"""Clock offset estimation against a node whose clock is off, over a jittery path."""

from __future__ import annotations

import random

import pytest

from argus.clocksync import CorrectedClock, Exchange, estimate
from argus_sdk.testing import ManualClock


def test_one_exchange_gives_offset_and_round_trip() -> None:
    e = Exchange(t1=100.0, t2=105.3, t3=105.4, t4=100.5)  # node 5.1 s ahead, 0.4 s path
    assert e.offset == pytest.approx(5.1) and e.delay == pytest.approx(0.4)


def test_the_shortest_round_trip_wins_over_a_noisy_path() -> None:
    master = ManualClock(start=1_000_000.0)
    node_offset = 3.75  # the node's clock runs 3.75 s ahead of the master's
    rng = random.Random(1)

    def ask() -> tuple[float, float]:
        out, back = rng.uniform(0.001, 0.2), rng.uniform(0.001, 0.2)  # asymmetric jitter
        master.advance(out)
        t2 = master.now() + node_offset
        master.advance(0.0005)
        t3 = master.now() + node_offset
        master.advance(back)
        return t2, t3

    result = estimate(ask, master, samples=16)
    assert abs(result.offset - node_offset) <= result.error
    assert result.error < 0.05 and result.samples == 16 and result.spread > 0


def test_a_corrected_clock_reads_master_time() -> None:
    base = ManualClock(start=2_000.0)
    clock = CorrectedClock(base)
    clock.set_offset(3.75)
    assert clock.now() == pytest.approx(1_996.25)
    assert clock.monotonic() == base.monotonic()
    with pytest.raises(ValueError, match="at least one"):
        estimate(lambda: (0.0, 0.0), base, samples=0)
