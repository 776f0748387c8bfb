from __future__ import annotations

import pytest

from argus_sdk import Clock, SystemClock
from argus_sdk.testing import ManualClock


def test_manual_clock_sleep_advances_both_clocks() -> None:
    clock = ManualClock(start=1000.0)
    assert isinstance(clock, Clock)
    clock.sleep(2.5)
    assert (clock.monotonic(), clock.now()) == (2.5, 1002.5)
    clock.sleep(-1)
    assert clock.monotonic() == 2.5


def test_manual_clock_wall_steps_do_not_move_monotonic() -> None:
    clock = ManualClock(start=1000.0)
    clock.set_wall(500.0)
    assert (clock.monotonic(), clock.now()) == (0.0, 500.0)
    with pytest.raises(ValueError, match="does not go back"):
        clock.advance(-1)


def test_system_clock_is_a_clock() -> None:
    clock = SystemClock()
    assert isinstance(clock, Clock)
    before = clock.monotonic()
    clock.sleep(0.001)
    assert clock.monotonic() > before
