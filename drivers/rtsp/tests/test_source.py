"""The PacketSource: its mailbox, and its behaviour when the camera dies, stalls or is closed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest

from argus.testing.rtsp import RtspServer
from argus_driver_rtsp.device import open_camera
from argus_driver_rtsp.settings import RtspCameraSettings
from argus_driver_rtsp.source import Mailbox, RtspPacketSource
from argus_sdk import DeviceUnavailable, PacketSource, PluginContext, StreamPacket

PATIENCE = 15.0
Settings = Callable[..., RtspCameraSettings]
Read = Callable[[PacketSource, int], list[StreamPacket]]


def packet(n: int) -> StreamPacket:
    return StreamPacket(0, bytes([n]), n, n, Fraction(1, 90_000), n == 0, float(n))


def test_mailbox_delivers_in_order_then_the_error() -> None:
    box = Mailbox(4)
    assert box.get(0) is None
    for n in range(3):
        assert box.put(packet(n))
    box.finish(DeviceUnavailable("gone"))
    assert [box.get(0) for _ in range(3)] == [packet(0), packet(1), packet(2)]
    for _ in range(2):
        with pytest.raises(DeviceUnavailable, match="gone"):
            box.get(0)


def test_mailbox_close_drops_the_queue_and_unblocks_both_sides() -> None:
    box = Mailbox(1)
    assert box.put(packet(0))
    results: list[Any] = []
    producer = threading.Thread(target=lambda: results.append(box.put(packet(1))))
    producer.start()
    assert box.close(DeviceUnavailable("closed"))
    assert not box.close(DeviceUnavailable("again"))
    producer.join(PATIENCE)
    assert results == [False]
    with pytest.raises(DeviceUnavailable, match="closed"):
        box.get(PATIENCE)


def test_a_full_mailbox_makes_the_producer_wait() -> None:
    box = Mailbox(2)
    box.put(packet(0))
    box.put(packet(1))
    done = threading.Event()
    producer = threading.Thread(target=lambda: (box.put(packet(2)), done.set()))
    producer.start()
    assert not done.wait(0.3)
    assert box.get(0) == packet(0)
    assert done.wait(PATIENCE)
    producer.join(PATIENCE)


def _drain_until(source: PacketSource, stop: Callable[[StreamPacket | None], bool]) -> int:
    """Read until ``stop(result)``; how many reads it took (bounded by PATIENCE)."""
    deadline = time.monotonic() + PATIENCE
    reads = 0
    while time.monotonic() < deadline:
        reads += 1
        if stop(source.read(0.5)):
            return reads
    raise AssertionError("the condition never came")


def test_a_killed_camera_is_unavailable_and_its_restart_streams_again(
    own_server: RtspServer, settings_for: Settings, context: PluginContext, read: Read
) -> None:
    camera = open_camera(settings_for(own_server, "/h264-aac"), context)
    source = camera.open_stream(0, "main")
    read(source, 10)
    own_server.kill()
    with pytest.raises(DeviceUnavailable) as info:
        _drain_until(source, lambda p: False)
    assert str(info.value).startswith(own_server.url("/h264-aac"))
    source.close()
    with pytest.raises(DeviceUnavailable, match="connection refused"):
        camera.open_stream(0, "main")
    own_server.start()
    again = camera.open_stream(0, "main")
    first = again.read(PATIENCE)
    assert first is not None and first.track == 0 and first.keyframe
    again.close()
    camera.close()


def test_a_stalled_camera_reads_as_silence_then_as_unavailable(
    own_server: RtspServer, settings_for: Settings, context: PluginContext, read: Read
) -> None:
    camera = open_camera(settings_for(own_server, "/h264", read_timeout=2.0), context)
    source = camera.open_stream(0, "main")
    read(source, 5)
    own_server.pause()
    try:
        _drain_until(source, lambda p: p is None)  # what was queued, then silence
        with pytest.raises(DeviceUnavailable, match="no data for 2 s"):
            _drain_until(source, lambda p: False)
    finally:
        own_server.resume()
        source.close()
        camera.close()


@pytest.mark.parametrize("engine", ["ffmpeg"])  # the reader thread is FFmpeg's
def test_close_from_another_thread_ends_a_blocked_read_at_once(
    own_server: RtspServer, settings_for: Settings, context: PluginContext, read: Read
) -> None:
    """The camera stalls and the read timeout is a minute: only close() can end this."""
    camera = open_camera(settings_for(own_server, "/h264", read_timeout=60.0), context)
    source = camera.open_stream(0, "main")
    assert isinstance(source, RtspPacketSource)
    read(source, 5)
    own_server.pause()
    try:
        _drain_until(source, lambda p: p is None)
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
        assert not source.reader.is_alive()
        assert source.reader not in threading.enumerate()
        source.close()  # idempotent
    finally:
        own_server.resume()
        camera.close()


@pytest.mark.parametrize("engine", ["ffmpeg"])  # the reader thread is FFmpeg's
def test_close_while_streaming_leaves_no_thread(
    server: RtspServer, settings_for: Settings, context: PluginContext, read: Read
) -> None:
    camera = open_camera(settings_for(server, "/h264-pcma"), context)
    sources = [camera.open_stream(0, "main") for _ in range(3)]
    for source in sources:
        read(source, 3)
    names = {t.name for t in threading.enumerate()}
    assert "rtsp-cam-1-main" in names
    closers = [threading.Thread(target=s.close) for s in sources]
    for closer in closers:
        closer.start()
    for closer in closers:
        closer.join(PATIENCE)
    assert all(not s.reader.is_alive() for s in sources if isinstance(s, RtspPacketSource))
    for source in sources:
        with pytest.raises(DeviceUnavailable, match="closed"):
            source.read(0)
    camera.close()
