from __future__ import annotations

import pytest

from argus_driver_sim.pattern import View
from argus_driver_sim.ptz import PtzHead
from argus_sdk import (
    AbsoluteMove,
    ContinuousMove,
    GotoHome,
    GotoPreset,
    InvalidRequest,
    PtzPosition,
    PtzStop,
    RelativeMove,
    SetPreset,
)
from argus_sdk.testing import ManualClock


def test_continuous_move_integrates_velocity_over_clock_time(clock: ManualClock) -> None:
    head = PtzHead(clock)
    status = head.execute(ContinuousMove(pan=1.0, tilt=-0.5))
    assert status.moving
    clock.advance(1.0)
    pos = head.position()
    assert (pos.pan, pos.tilt, pos.zoom) == pytest.approx((0.5, -0.25, 0.0))
    stopped = head.execute(PtzStop())
    assert not stopped.moving
    clock.advance(5.0)
    assert head.position().pan == pytest.approx(0.5)


def test_continuous_move_stops_at_its_timeout_and_at_the_end_of_range(clock: ManualClock) -> None:
    head = PtzHead(clock)
    head.execute(ContinuousMove(zoom=1.0, timeout=2.0))
    clock.advance(10.0)
    assert head.position().zoom == pytest.approx(0.5)
    assert not head.status().moving
    head.execute(ContinuousMove(pan=-1.0))
    clock.advance(100.0)
    assert head.position().pan == -1.0
    assert not head.status().moving


def test_absolute_and_relative_moves_are_clamped(clock: ManualClock) -> None:
    head = PtzHead(clock)
    status = head.execute(AbsoluteMove(PtzPosition(pan=2.0, tilt=-0.5, zoom=-1.0)))
    assert status.position == PtzPosition(1.0, -0.5, 0.0)
    status = head.execute(RelativeMove(pan=-0.5, tilt=-1.0, zoom=0.25))
    assert status.position == PtzPosition(0.5, -1.0, 0.25)


def test_presets_and_home(clock: ManualClock) -> None:
    head = PtzHead(clock)
    head.execute(AbsoluteMove(PtzPosition(0.3, 0.2, 0.1)))
    status = head.execute(SetPreset("door", name="Door"))
    assert status.presets == ("door",)
    head.execute(GotoHome())
    assert head.position() == PtzPosition()
    assert head.execute(GotoPreset("door")).position == PtzPosition(0.3, 0.2, 0.1)
    with pytest.raises(InvalidRequest, match="no PTZ preset"):
        head.execute(GotoPreset("nowhere"))


def test_preset_count_is_bounded(clock: ManualClock) -> None:
    head = PtzHead(clock)
    for n in range(32):
        head.execute(SetPreset(str(n)))
    head.execute(SetPreset("0"))  # overwriting is fine
    with pytest.raises(InvalidRequest, match="at most 32"):
        head.execute(SetPreset("one-too-many"))


def test_view_is_quantised(clock: ManualClock) -> None:
    head = PtzHead(clock)
    head.execute(AbsoluteMove(PtzPosition(0.33, -0.07, 0.52)))
    assert head.view() == View(pan=0.375, tilt=-0.125, zoom=0.5)
    head.execute(AbsoluteMove(PtzPosition(0.01, 0.0, 0.0)))
    assert head.view() == View()
