"""Sessions against GStreamer's RTSP server: descriptions, packets, decoding, timestamps."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from typing import Any

import av
import pytest

from argus.testing.rtsp import RtspServer
from argus_driver_rtsp import bitstream
from argus_driver_rtsp.connection import Connection, Endpoint, ffmpeg_options
from argus_driver_rtsp.const import PROBE_OPTIONS
from argus_driver_rtsp.native.source import NativePacketSource
from argus_driver_rtsp.settings import RtspCameraSettings
from argus_sdk import ChannelKind, Clock, StreamPacket, SystemClock, TrackDescription
from argus_sdk.testing import ManualClock

VIDEO = {
    "/h264": "h264",
    "/h264-aac": "h264",
    "/h264-pcma": "h264",
    "/h264-pcmu": "h264",
    "/h265": "hevc",
}
AUDIO = {
    "/h264-aac": ("aac", 16000),
    "/h264-pcma": ("pcm_alaw", 8000),
    "/h264-pcmu": ("pcm_mulaw", 8000),
}
PARAMETER_SETS = {"h264": {7, 8}, "hevc": {32, 33, 34}}

Settings = Callable[..., RtspCameraSettings]
#: These tests drive the ffmpeg engine's Connection directly.
FFMPEG = pytest.mark.parametrize("engine", ["ffmpeg"])
PATIENCE = 15.0
Decode = Callable[[TrackDescription, list[StreamPacket]], list[Any]]


def connect(
    settings: RtspCameraSettings, log: logging.Logger, clock: Clock | None = None
) -> Connection | NativePacketSource:
    """A session through the engine ``settings`` choose."""
    endpoint = Endpoint.of(settings, settings.main_url)
    engine = NativePacketSource if settings.native(settings.main_url) else Connection
    return engine("main", settings, endpoint, clock or SystemClock(), log)


def stream(connection: Connection | NativePacketSource) -> Iterator[StreamPacket]:
    """The session's packets, whichever the engine."""
    if isinstance(connection, Connection):
        yield from connection.packets()
        return
    while True:
        packet = connection.read(PATIENCE)
        assert packet is not None, "no packet within the patience"
        yield packet


def take(connection: Connection | NativePacketSource, video_count: int) -> list[StreamPacket]:
    """Packets until ``video_count`` video packets came (about 40 ms each)."""
    packets = stream(connection)
    taken: list[StreamPacket] = []
    try:
        while sum(p.track == 0 for p in taken) < video_count:
            taken.append(next(packets))
        return taken
    finally:
        packets.close()
        connection.close()


@pytest.mark.parametrize("mount", sorted(VIDEO))
def test_each_mount_is_described_as_the_sdk_documents(
    server: RtspServer, settings_for: Settings, log: logging.Logger, mount: str
) -> None:
    connection = connect(settings_for(server, mount), log)
    if isinstance(connection, Connection):
        assert connection.abortable  # its socket was found: close() cuts a blocked read
    connection.close()
    description = connection.description
    video = description.video
    assert description.name == "main" and video is not None and description.tracks[0] is video
    assert (video.index, video.kind, video.codec) == (0, ChannelKind.VIDEO, VIDEO[mount])
    assert (video.width, video.height, video.frame_rate) == (640, 360, Fraction(25))
    assert video.time_base == Fraction(1, 90_000)
    assert bitstream.is_annexb(video.extradata)
    units = bitstream.nal_units(video.extradata)
    assert PARAMETER_SETS[video.codec] <= {bitstream.nal_type(video.codec, u) for u in units}
    audio = description.audio
    if mount not in AUDIO:
        assert audio is None and len(description.tracks) == 1
        return
    assert audio is not None and audio.index == 1
    assert (audio.codec, audio.sample_rate, audio.audio_channels) == (*AUDIO[mount], 1)
    assert audio.time_base == Fraction(1, audio.sample_rate)
    if audio.codec == "aac":  # AudioSpecificConfig: AAC-LC (2), 16 kHz (index 8), mono
        assert audio.extradata[:2] == bitstream.aac_config(16000, 1)
    else:
        assert audio.extradata == b""


@pytest.mark.parametrize("mount", sorted(VIDEO))
def test_packets_decode_with_the_described_extradata(
    server: RtspServer, settings_for: Settings, log: logging.Logger, decode: Decode, mount: str
) -> None:
    connection = connect(settings_for(server, mount), log)
    packets = take(connection, 30)
    video, audio = connection.description.video, connection.description.audio
    assert video is not None
    assert packets[0].track == video.index and packets[0].keyframe
    for track in connection.description.tracks:
        mine = [p for p in packets if p.track == track.index]
        assert mine, f"no {track.codec} packets"
        assert all(p.time_base == track.time_base for p in mine)
        assert all(b.dts > a.dts for a, b in itertools.pairwise(mine))
        assert all(p.pts >= p.dts for p in mine)
    video_packets = [p for p in packets if p.track == video.index]
    assert all(bitstream.is_annexb(p.data) for p in video_packets)
    frames = decode(video, video_packets)
    assert len(frames) == len(video_packets)
    assert {(f.width, f.height) for f in frames} == {(640, 360)}
    if audio is not None:
        sound = decode(audio, [p for p in packets if p.track == audio.index])
        assert sound and {f.sample_rate for f in sound} == {audio.sample_rate}


@FFMPEG
def test_sessions_opened_at_once_each_find_their_own_socket(
    server: RtspServer, settings_for: Settings, log: logging.Logger
) -> None:
    settings = settings_for(server, "/h264")
    with ThreadPoolExecutor(4) as pool:
        connections = list(pool.map(lambda _: connect(settings, log), range(4)))
    for connection in connections:
        connection.close()
    assert all(isinstance(c, Connection) and c.abortable for c in connections)


@FFMPEG
def test_udp_transport_delivers_decodable_video(
    server: RtspServer, settings_for: Settings, log: logging.Logger, decode: Decode
) -> None:
    connection = connect(settings_for(server, "/h264", transport="udp"), log)
    packets = take(connection, 25)
    video = connection.description.video
    assert video is not None and packets[0].keyframe
    assert len(decode(video, packets)) == len(packets)


def test_wall_time_starts_at_the_host_clock_and_follows_media_time(
    server: RtspServer, settings_for: Settings, log: logging.Logger
) -> None:
    before = time.time()
    connection = connect(settings_for(server, "/h264-aac"), log)
    packets = take(connection, 25)
    after = time.time()
    assert before - 1 <= packets[0].wall_time <= after + 1
    for track in connection.description.tracks:
        mine = [p for p in packets if p.track == track.index]
        assert all(b.wall_time > a.wall_time for a, b in itertools.pairwise(mine))
        for p in mine:
            media = float((p.pts - mine[0].pts) * p.time_base)
            assert p.wall_time == pytest.approx(mine[0].wall_time + media, abs=1e-6)


def test_wall_time_comes_from_the_injected_clock_once_per_connection(
    server: RtspServer, settings_for: Settings, log: logging.Logger
) -> None:
    clock = ManualClock(start=1_000_000_000.0)
    connection = connect(settings_for(server, "/h264"), log, clock)
    packets = stream(connection)
    try:
        first = [next(packets) for _ in range(5)]
        clock.set_wall(500_000_000.0)  # the host clock steps back
        later = [next(packets) for _ in range(5)]
    finally:
        packets.close()
        connection.close()
    assert first[0].wall_time == 1_000_000_000.0
    walls = [p.wall_time for p in first + later]
    assert all(b > a for a, b in itertools.pairwise(walls))
    assert walls[-1] < 1_000_000_001.0


def _probed(url: str, options: dict[str, str]) -> Iterator[tuple[Any, ...]]:
    with av.open(url, options=options, timeout=10) as container:
        for s in container.streams:
            cc = s.codec_context
            size = (
                (cc.width, cc.height)
                if s.type == "video"
                else (cc.sample_rate, len(cc.layout.channels))
            )
            yield s.type, cc.name, size, bytes(cc.extradata or b"")


@pytest.mark.parametrize("mount", ["/h264-aac", "/h264-pcma", "/h265"])
def test_the_short_probe_keeps_every_codec_parameter(server: RtspServer, mount: str) -> None:
    settings = RtspCameraSettings(main_url=server.url(mount))
    short = ffmpeg_options(settings)
    assert {k: short[k] for k in PROBE_OPTIONS} == PROBE_OPTIONS
    full = {k: v for k, v in short.items() if k not in PROBE_OPTIONS}
    assert list(_probed(server.url(mount), short)) == list(_probed(server.url(mount), full))
