from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest

from argus_driver_sim.clip import AudioKey, Clip, ClipStore, VideoKey
from argus_driver_sim.replay import SimPacketSource
from argus_sdk import (
    ChannelKind,
    DeviceUnavailable,
    PacketSource,
    StreamPacket,
    TrackDescription,
)
from argus_sdk.testing import ManualClock

Decode = Callable[[TrackDescription, Sequence[StreamPacket]], list[npt.NDArray[np.uint8]]]
FPS = 25
LOOP = 2  # seconds: one GOP
KEY = VideoKey(name="R", width=640, height=360, fps=FPS, loop_seconds=LOOP, bit_rate=600_000)


@pytest.fixture
def video(cache_dir: Path) -> Clip:
    return ClipStore(cache_dir, logging.getLogger("test")).get(KEY)


@pytest.fixture
def audio(cache_dir: Path) -> Clip:
    return ClipStore(cache_dir, logging.getLogger("test")).get(AudioKey())


def read_all(source: PacketSource, count: int) -> list[StreamPacket]:
    packets = []
    for _ in range(count):
        packet = source.read(1.0)
        assert packet is not None
        packets.append(packet)
    return packets


def test_is_a_packet_source(video: Clip, clock: ManualClock) -> None:
    source = SimPacketSource("main", video, FPS, None, clock)
    assert isinstance(source, PacketSource)
    (track,) = source.description.tracks
    assert (track.index, track.kind, track.codec) == (0, ChannelKind.VIDEO, "h264")
    assert (track.width, track.height, track.frame_rate) == (640, 360, Fraction(25))
    assert track.time_base == Fraction(1, 90_000)
    assert track.extradata == video.track.extradata
    assert track.bit_rate > 100_000


def test_timestamps_grow_across_loops_and_frames_decode(
    video: Clip, clock: ManualClock, decode_video: Decode
) -> None:
    source = SimPacketSource("main", video, FPS, None, clock)
    packets = read_all(source, 3 * LOOP * FPS + 5)  # three loop boundaries
    assert packets[0].keyframe
    assert [p.pts for p in packets] == [n * 3600 for n in range(len(packets))]
    assert all(p.dts == p.pts and p.duration == 3600 for p in packets)
    keyframes = [n for n, p in enumerate(packets) if p.keyframe]
    assert keyframes == [0, 50, 100, 150]
    video_track = source.description.video
    assert video_track is not None
    lumas = decode_video(video_track, packets)
    assert len(lumas) == len(packets)
    assert lumas[0].shape == (360, 640)


def test_packets_share_the_clip_bytes(video: Clip, clock: ManualClock) -> None:
    source = SimPacketSource("main", video, FPS, None, clock)
    packets = read_all(source, 2 * LOOP * FPS)
    for n, p in enumerate(packets):
        assert p.data is video.track.packets[n % len(video)]


def test_packets_are_paced_by_the_clock(video: Clip, clock: ManualClock) -> None:
    start = clock.monotonic()
    source = SimPacketSource("main", video, FPS, None, clock)
    for n in range(60):
        packet = source.read(1.0)
        assert packet is not None
        assert clock.monotonic() - start == pytest.approx(n / FPS)


def test_read_times_out_before_the_next_packet_is_due(video: Clip, clock: ManualClock) -> None:
    source = SimPacketSource("main", video, FPS, None, clock)
    assert source.read(0) is not None
    assert source.read(0) is None
    assert clock.monotonic() == 0.0
    assert source.read(0.01) is None
    assert clock.monotonic() == pytest.approx(0.01)
    packet = source.read(1.0)
    assert packet is not None and packet.pts == 3600
    assert clock.monotonic() == pytest.approx(0.04)


def test_wall_time_is_read_once_at_open(video: Clip, clock: ManualClock) -> None:
    opened = clock.now()
    source = SimPacketSource("main", video, FPS, None, clock)
    read_all(source, 10)
    clock.set_wall(opened + 3600.0)  # an NTP step does not bend the stream's timeline
    for p in read_all(source, 10):
        assert p.wall_time == pytest.approx(opened + p.pts / 90_000)


def test_audio_and_video_interleave_in_time_with_independent_loops(
    video: Clip, audio: Clip, clock: ManualClock
) -> None:
    source = SimPacketSource("main", video, FPS, audio, clock)
    assert source.description.audio is not None
    assert source.description.audio.index == 1
    packets = read_all(source, 1400)  # about 10 s: past the 8 s audio loop
    walls = [p.wall_time for p in packets]
    assert walls == sorted(walls)
    sound = [p for p in packets if p.track == 1]
    assert len(sound) > 375
    assert [p.pts for p in sound] == [n * 1024 for n in range(len(sound))]
    assert all(p.time_base == Fraction(1, 48_000) for p in sound)
    assert sound[375].data is audio.track.packets[0]
    decoder = av.CodecContext.create("aac", "r")
    decoder.extradata = source.description.audio.extradata
    frames = [f for p in sound for f in decoder.decode(av.Packet(p.data))]
    assert len(frames) >= len(sound) - 1
    assert frames[0].sample_rate == 48_000


def test_close_is_idempotent_and_read_after_close_raises(video: Clip, clock: ManualClock) -> None:
    source = SimPacketSource("main", video, FPS, None, clock)
    source.close()
    source.close()
    with pytest.raises(DeviceUnavailable):
        source.read(1.0)


def test_drop_makes_read_raise(video: Clip, clock: ManualClock) -> None:
    source = SimPacketSource("main", video, FPS, None, clock)
    read_all(source, 3)
    source.drop()
    with pytest.raises(DeviceUnavailable, match="disconnect"):
        source.read(1.0)
    with pytest.raises(DeviceUnavailable):
        source.read(1.0)


def test_scripted_drop_after_media_seconds(video: Clip, clock: ManualClock) -> None:
    source = SimPacketSource("main", video, FPS, None, clock, drop_after=1.0)
    assert len(read_all(source, 25)) == 25
    with pytest.raises(DeviceUnavailable, match="after 1 s"):
        source.read(1.0)
    assert clock.monotonic() == pytest.approx(0.96)


def test_switch_is_asked_at_keyframes_and_keeps_timestamps(
    video: Clip, clock: ManualClock, cache_dir: Path
) -> None:
    other = ClipStore(cache_dir, logging.getLogger("test")).get(
        VideoKey("S", 640, 360, FPS, LOOP, 600_000)
    )
    asked: list[int] = []

    def switch(current: Clip) -> Clip:
        asked.append(len(asked))
        return other if len(asked) == 2 else current

    source = SimPacketSource("main", video, FPS, None, clock, switch=switch)
    packets = read_all(source, 120)
    assert len(asked) == 3  # packets 0, 50 and 100 are keyframes
    assert packets[49].data is video.track.packets[49]
    assert packets[50].data is other.track.packets[0]
    assert packets[110].data is other.track.packets[10]
    assert [p.pts for p in packets] == [n * 3600 for n in range(120)]
