from __future__ import annotations

import numpy as np
import pytest

from argus_driver_sim import font
from argus_driver_sim.pattern import Pattern, View, clock_label, planes

W, H = 640, 360


def make(view: View | None = None, name: str = "CAM 7") -> Pattern:
    return Pattern(W, H, fps=25, loop_frames=50, name=name, view=view)


def test_frame_is_a_yuv420p_array() -> None:
    frame = make().frame(0)
    assert frame.shape == (H * 3 // 2, W)
    assert frame.dtype == np.uint8
    luma, cb, cr = planes(frame, W, H)
    assert luma.shape == (H, W) and cb.shape == cr.shape == (H // 2, W // 2)


def test_clock_label_is_the_loop_position() -> None:
    assert clock_label(0, 25) == "LOOP 00:00.00"
    assert clock_label(185, 25) == "LOOP 00:07.40"
    assert clock_label(25 * 61 + 5, 25) == "LOOP 01:01.20"


def test_name_is_drawn_white_on_black_at_the_top_left() -> None:
    pattern = make(name="AB12")
    luma = planes(pattern.frame(0), W, H)[0].astype(int)
    mask = font.render("AB12", pattern.scale)
    m = 4 * pattern.scale
    region = luma[m : m + mask.shape[0], m : m + mask.shape[1]]
    assert region[mask].min() >= 235 - 2
    assert region[~mask].max() <= 16 + 2


def test_the_box_moves_and_the_loop_repeats() -> None:
    pattern = make()
    first = pattern.frame(0).copy()
    later = pattern.frame(20).copy()
    again = pattern.frame(50).copy()
    assert np.abs(first.astype(int) - later.astype(int)).mean() > 1.0
    assert np.array_equal(first, again)


def test_ptz_view_shows_another_part_of_the_scene() -> None:
    home = planes(make(View()).frame(0), W, H)[0].astype(int)
    moved = planes(make(View(pan=0.5, tilt=-0.25, zoom=0.5)).frame(0), W, H)[0].astype(int)
    assert np.abs(home - moved).mean() > 20


def test_size_must_be_a_multiple_of_four() -> None:
    with pytest.raises(ValueError, match="multiple of 4"):
        Pattern(642, 360, fps=25, loop_frames=50, name="x")
