"""The native engine against GStreamer's RTSP server: parity with the ffmpeg engine, byte for
byte; authentication; close from another thread; keep-alives."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import av
import pytest

import argus.testing.rtsp
from argus.testing.rtsp import AUTH_MOUNT, RtspServer, rtsp_peer_missing
from argus_driver_rtsp import bitstream
from argus_driver_rtsp.connection import Connection, Endpoint
from argus_driver_rtsp.device import open_camera
from argus_driver_rtsp.native import client
from argus_driver_rtsp.native.source import NativePacketSource
from argus_driver_rtsp.settings import RtspCameraSettings
from argus_driver_rtsp.source import RtspPacketSource
from argus_sdk import (
    AuthenticationFailed,
    DeviceUnavailable,
    PluginContext,
    StreamPacket,
    SystemClock,
)

PATIENCE = 15.0
Settings = Callable[..., RtspCameraSettings]
NATIVE = pytest.mark.parametrize("engine", ["native"])


def native(settings: RtspCameraSettings, log: logging.Logger) -> NativePacketSource:
    return NativePacketSource(
        "main", settings, Endpoint.of(settings, settings.main_url), SystemClock(), log
    )


def from_ffmpeg(connection: Connection, count: int) -> list[StreamPacket]:
    packets = connection.packets()
    try:
        return [next(packets) for _ in range(count)]
    finally:
        packets.close()
        connection.close()


def from_native(source: NativePacketSource, count: int) -> list[StreamPacket]:
    try:
        packets = []
        for _ in range(count):
            packet = source.read(PATIENCE)
            assert packet is not None, "no packet within the patience"
            packets.append(packet)
        return packets
    finally:
        source.close()


def overlap(a: list[bytes], b: list[bytes]) -> int:
    """The longest run by which two captures of one stream, started at different points,
    agree end to end when shifted against each other (a periodic tone repeats its packets,
    so every shift is tried)."""
    best = 0
    for shift in range(-len(b) + 1, len(a)):
        x, y = (a[shift:], b) if shift >= 0 else (a, b[-shift:])
        size = min(len(x), len(y))
        if size > best and x[:size] == y[:size]:
            best = size
    return best


@pytest.mark.parametrize("mount", ["/h264-aac", "/h264-pcma", "/h264-pcmu", "/h265"])
def test_same_description_and_byte_exact_access_units_as_the_ffmpeg_engine(
    server: RtspServer, log: logging.Logger, mount: str
) -> None:
    """Both engines watch the same shared encoder at once: every access unit must be equal."""
    settings = RtspCameraSettings(main_url=server.url(mount), open_timeout=10, read_timeout=5)
    endpoint = Endpoint.of(settings, settings.main_url)
    try:
        ffmpeg = Connection("main", settings, endpoint, SystemClock(), log)
    except DeviceUnavailable as exc:
        pytest.fail(f"the ffmpeg engine did not open: {exc}")
    try:
        ours = native(settings, log)
    except DeviceUnavailable as exc:
        ffmpeg.close()
        pytest.fail(f"the native engine did not open: {exc}")
    assert ours.description == ffmpeg.description
    theirs_packets = from_ffmpeg(ffmpeg, 120)
    our_packets = from_native(ours, 120)
    assert our_packets[0].track == 0 and our_packets[0].keyframe
    for track in ours.description.tracks:
        mine = [p.data for p in our_packets if p.track == track.index]
        theirs = [p.data for p in theirs_packets if p.track == track.index]
        assert overlap(mine, theirs) >= min(len(mine), len(theirs)) // 2, track.codec
    video = ours.description.tracks[0]
    keyframe = next(p for p in our_packets if p.track == 0 and p.keyframe)
    assert bitstream.is_annexb(keyframe.data)
    decoder = av.CodecContext.create(video.codec, "r")
    decoder.extradata = video.extradata
    frames: list[Any] = [*decoder.decode(av.Packet(keyframe.data))]  # type: ignore[attr-defined]
    frames += decoder.decode(None)  # type: ignore[attr-defined]
    assert [(f.width, f.height) for f in frames] == [(video.width, video.height)]


def test_timestamps_follow_the_rtp_clock_from_zero(server: RtspServer, log: logging.Logger) -> None:
    settings = RtspCameraSettings(main_url=server.url("/h264-pcma"))
    packets = from_native(native(settings, log), 60)
    video = [p for p in packets if p.track == 0]
    assert video[0].pts == video[0].dts
    assert {b.pts - a.pts for a, b in itertools.pairwise(video)} == {3600}
    assert {p.duration for p in video} == {3600}
    audio = [p for p in packets if p.track == 1]
    assert audio and all(p.duration == len(p.data) for p in audio)  # G.711: a byte per sample


@pytest.fixture(params=["digest", "basic"])
def auth_server(request: pytest.FixtureRequest) -> Iterator[RtspServer]:
    if reason := rtsp_peer_missing():
        pytest.skip(reason)
    with RtspServer(auth=request.param, password="p@ss:w/rd 1") as srv:
        yield srv


def test_authentication_right_and_wrong(
    auth_server: RtspServer, log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = auth_server.url(AUTH_MOUNT)
    good = RtspCameraSettings(main_url=url, username="argus", password="p@ss:w/rd 1")
    assert from_native(native(good, log), 3)[0].keyframe
    for settings in (
        RtspCameraSettings(main_url=url, username="argus", password="Wr0ng-pa55word!"),
        RtspCameraSettings(main_url=url),
    ):
        with pytest.raises(AuthenticationFailed, match="refused the credentials") as info:
            native(settings, log)
        assert str(info.value).startswith(
            url.replace("//", "//argus:***@") if settings.username else url
        )
        assert "Wr0ng" not in str(info.value)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "p@ss" not in logged and "Wr0ng" not in logged


@NATIVE
def test_close_from_another_thread_ends_a_blocked_read_at_once(
    own_server: RtspServer, settings_for: Settings, log: logging.Logger
) -> None:
    """The camera stalls and the read timeout is a minute: only close() can end this."""
    source = native(settings_for(own_server, "/h264", read_timeout=60.0), log)
    from_native_open = [source.read(PATIENCE) for _ in range(5)]
    assert all(p is not None for p in from_native_open)
    own_server.pause()
    try:
        while source.read(0.5) is not None:  # what was in flight, then silence
            pass
        outcome: list[BaseException | StreamPacket | None] = []

        def blocked_read() -> None:
            try:
                outcome.append(source.read(PATIENCE * 4))
            except DeviceUnavailable as exc:
                outcome.append(exc)

        consumer = threading.Thread(target=blocked_read)
        consumer.start()
        consumer.join(0.3)
        assert consumer.is_alive() and not outcome  # blocked in read
        source.close()
        consumer.join(PATIENCE)
        assert not consumer.is_alive()
        assert isinstance(outcome[0], DeviceUnavailable) and "closed" in str(outcome[0])
        with pytest.raises(DeviceUnavailable, match="closed"):
            source.read(0)
        source.close()  # idempotent
    finally:
        own_server.resume()


def test_keepalives_are_sent_and_their_answers_skipped(
    server: RtspServer, log: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []
    original = client.RtspClient.keepalive

    def counted(self: client.RtspClient, timeout: float) -> None:
        sent.append(self.session)
        original(self, timeout)

    monkeypatch.setattr(client.RtspClient, "keepalive", counted)
    monkeypatch.setattr(client, "_MIN_KEEPALIVE", 0.2)
    source = native(RtspCameraSettings(main_url=server.url("/h264-aac")), log)
    source._client.session_timeout = 0  # half of it: every 0.2 s
    source._next_keepalive = 0.0
    packets = from_native(source, 100)  # about 2.5 s
    assert len(sent) >= 5 and all(sent)
    video = [p for p in packets if p.track == 0]
    assert all(b.pts - a.pts == 3600 for a, b in itertools.pairwise(video))


def test_the_engine_setting_picks_the_reader(server: RtspServer, context: PluginContext) -> None:
    url = server.url("/h264")
    assert RtspCameraSettings(main_url=url).engine == "native"
    assert not RtspCameraSettings(main_url=url, transport="udp").native(url)
    assert not RtspCameraSettings(main_url="rtsps://cam/live").native("rtsps://cam/live")
    for engine, kind in (("native", NativePacketSource), ("ffmpeg", RtspPacketSource)):
        camera = open_camera(RtspCameraSettings(main_url=url, engine=engine), context)
        source = camera.open_stream(0, "main")
        assert isinstance(source, kind)
        camera.close()


@pytest.fixture
def bframes_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[RtspServer]:
    """The test camera with one more mount, ``/h264-bframes`` (``bframes_server.py``)."""
    if reason := rtsp_peer_missing():
        pytest.skip(reason)
    folder = argus.testing.rtsp.SERVER_SCRIPT.parent
    monkeypatch.setenv("ARGUS_RTSP_SERVER_DIR", str(folder))
    script = Path(__file__).with_name("bframes_server.py")
    monkeypatch.setattr(argus.testing.rtsp, "SERVER_SCRIPT", script)
    with RtspServer() as srv:
        yield srv


def test_b_frames_make_the_stream_fall_back_to_the_ffmpeg_engine(
    bframes_server: RtspServer, context: PluginContext, caplog: pytest.LogCaptureFixture
) -> None:
    url = bframes_server.url("/h264-bframes")
    camera = open_camera(RtspCameraSettings(main_url=url, open_timeout=5, read_timeout=3), context)
    source = camera.open_stream(0, "main")
    assert isinstance(source, NativePacketSource)
    with pytest.raises(DeviceUnavailable, match="B-frames"):
        for _ in range(50):
            source.read(PATIENCE)
    source.close()
    again = camera.open_stream(0, "main")
    assert isinstance(again, RtspPacketSource)
    packets = [again.read(PATIENCE) for _ in range(30)]
    again.close()
    camera.close()
    video = [p for p in packets if p is not None and p.track == 0]
    assert all(b.dts > a.dts for a, b in itertools.pairwise(video))
    assert any(b.pts < a.pts for a, b in itertools.pairwise(video))  # B-frames indeed
    assert [r.levelname for r in caplog.records if "B-frames" in r.getMessage()] == ["WARNING"]
