from __future__ import annotations

import itertools
from fractions import Fraction

from argus_driver_rtsp.const import MAX_TIMESTAMP_LEAD
from argus_driver_rtsp.timestamps import TrackTimeline, WallClock
from argus_sdk.testing import ManualClock

TB = Fraction(1, 90_000)
FRAME = 3600  # 25 fps


def place_all(
    timeline: TrackTimeline, stamps: list[tuple[int | None, int | None]], spacing: float = 0.04
) -> list[tuple[int, int]]:
    placed = []
    for i, (pts, dts) in enumerate(stamps):
        p = timeline.place(pts, dts, FRAME, i * spacing)
        placed.append((p.pts, p.dts))
    return placed


def test_the_first_packet_without_timestamps_gets_one() -> None:
    """FFmpeg's RTSP demuxer: the IDR has neither, the next few have no dts."""
    timeline = TrackTimeline(TB, FRAME)
    stamps = [(None, None), (3600, None), (7200, None), (10800, 10800), (14400, 14400)]
    assert place_all(timeline, stamps) == [
        (0, 0),
        (3600, 3600),
        (7200, 7200),
        (10800, 10800),
        (14400, 14400),
    ]


def test_a_late_pts_is_kept_while_dts_continues() -> None:
    timeline = TrackTimeline(TB, FRAME)
    stamps = [(None, None), (3706, None), (7306, None), (10906, 10906)]
    assert place_all(timeline, stamps) == [(0, 0), (3706, 3600), (7306, 7200), (10906, 10906)]


def test_a_step_back_is_rebased_to_continue_the_track() -> None:
    timeline = TrackTimeline(TB, FRAME)
    first = [timeline.place(t, t, FRAME, i * 0.04) for i, t in enumerate((0, 3600, 7200))]
    back = timeline.place(1800, 1800, FRAME, 0.12)
    after = timeline.place(5400, 5400, FRAME, 0.16)
    assert not any(p.rebased for p in first)
    assert back.rebased and (back.pts, back.dts) == (10800, 10800)
    assert not after.rebased and (after.pts, after.dts) == (14400, 14400)


def test_a_jump_ahead_of_the_host_clock_is_rebased_a_real_gap_is_kept() -> None:
    timeline = TrackTimeline(TB, FRAME)
    timeline.place(0, 0, FRAME, 0.0)
    gap = timeline.place(90_000, 90_000, FRAME, 1.0)  # 1 s of lost packets, 1 s later
    assert not gap.rebased and gap.dts == 90_000
    ticks = round((MAX_TIMESTAMP_LEAD + 10) * 90_000)
    jump = timeline.place(90_000 + ticks, 90_000 + ticks, FRAME, 1.04)
    assert jump.rebased and jump.dts == 90_000 + FRAME


def test_dts_strictly_increases_and_pts_is_never_before_dts() -> None:
    timeline = TrackTimeline(TB, FRAME)
    stamps = [(None, None), (7200, None), (3600, 3600), (3600, 3600), (None, 5000), (4000, 8000)]
    placed = place_all(timeline, stamps)
    dts = [d for _, d in placed]
    assert all(b > a for a, b in itertools.pairwise(dts))
    assert all(p >= d for p, d in placed)


def test_b_frames_keep_their_presentation_order() -> None:
    timeline = TrackTimeline(TB, FRAME)
    stamps = [(7200, 0), (18000, 3600), (10800, 7200), (14400, 10800), (32400, 14400)]
    assert place_all(timeline, stamps) == stamps


def test_without_a_duration_the_step_is_learnt() -> None:
    timeline = TrackTimeline(Fraction(1, 8000), 160)
    for i, dts in enumerate((0, 1024, 2048)):
        timeline.place(dts, dts, 0, i * 0.128)
    placed = timeline.place(None, None, 0, 0.384)
    assert placed.dts == 3072


def test_wall_time_is_read_once_and_follows_media_time() -> None:
    clock = ManualClock(start=1_700_000_000.0)
    wall = WallClock(clock)
    assert wall.wall_time(90_000, TB) == 1_700_000_000.0
    clock.set_wall(1_600_000_000.0)  # the host clock steps back an epoch
    assert wall.wall_time(180_000, TB) == 1_700_000_001.0
    assert wall.wall_time(16_000, Fraction(1, 16_000)) == 1_700_000_000.0
