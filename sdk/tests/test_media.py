from __future__ import annotations

from fractions import Fraction

import pytest

from argus_sdk import (
    ChannelKind,
    DeviceUnavailable,
    PtzPosition,
    StreamDescription,
    TimeRange,
    TrackDescription,
)


def test_stream_description_finds_video_and_audio() -> None:
    video = TrackDescription(0, ChannelKind.VIDEO, "h264", Fraction(1, 90000), width=640)
    audio = TrackDescription(1, ChannelKind.AUDIO, "aac", Fraction(1, 48000), sample_rate=48000)
    desc = StreamDescription("main", (video, audio))
    assert (desc.video, desc.audio) == (video, audio)
    assert StreamDescription("text", ()).video is None


def test_time_range_refuses_to_end_before_it_starts() -> None:
    assert TimeRange(10.0, 12.5).duration == 2.5
    with pytest.raises(ValueError, match="ends before it starts"):
        TimeRange(12.0, 10.0)


def test_ptz_position_clamps_to_normalised_ranges() -> None:
    assert PtzPosition(2.0, -3.0, 1.5).clamped() == PtzPosition(1.0, -1.0, 1.0)


def test_device_unavailable_carries_retry_hint() -> None:
    err = DeviceUnavailable("503 from camera", retry_after=4.0)
    assert err.retry_after == 4.0
    assert DeviceUnavailable("gone").retry_after is None
