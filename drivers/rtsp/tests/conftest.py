"""Shared fixtures: a real RTSP camera (GStreamer's RTSP server), settings, decoders.

The session's server is shared by the tests that only watch it; a test that
kills or pauses its camera takes a private one (``own_server``). Every server
is stopped by PID when its fixture ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import av
import pytest

from argus.testing.rtsp import RtspServer, rtsp_peer_missing
from argus_driver_rtsp.settings import RtspCameraSettings
from argus_sdk import PacketSource, PluginContext, StreamPacket, TrackDescription

#: Bounds every wait in these tests; never an assertion on duration.
PATIENCE = 15.0
FAST = {"open_timeout": 5.0, "read_timeout": 3.0}


def _server() -> RtspServer:
    reason = rtsp_peer_missing()
    if reason:
        pytest.skip(reason)
    return RtspServer().start()


@pytest.fixture(scope="session")
def server() -> Iterator[RtspServer]:
    """The shared camera: never kill or pause it."""
    srv = _server()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def own_server() -> Iterator[RtspServer]:
    """A camera of this test's own, which it may kill, pause and restart."""
    srv = _server()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(params=["native", "ffmpeg"])
def engine(request: pytest.FixtureRequest) -> str:
    """The engine that reads the stream: every test of the driver runs with both, unless it
    pins one with ``@pytest.mark.parametrize("engine", [...])``."""
    return str(request.param)


@pytest.fixture
def settings_for(engine: str) -> Callable[..., RtspCameraSettings]:
    def make(srv: RtspServer, mount: str, **changes: Any) -> RtspCameraSettings:
        values: dict[str, Any] = {"main_url": srv.url(mount), "engine": engine, **FAST}
        return RtspCameraSettings(**{**values, **changes})

    return make


@pytest.fixture
def log() -> logging.Logger:
    return logging.getLogger("argus.plugin.rtsp-test")


@pytest.fixture
def context(log: logging.Logger) -> PluginContext:
    return PluginContext(owner="cam-1", log=log)


def _read_packets(source: PacketSource, count: int) -> list[StreamPacket]:
    """``count`` packets, each within :data:`PATIENCE`."""
    packets = []
    for _ in range(count):
        packet = source.read(PATIENCE)
        assert packet is not None, "no packet within the patience"
        packets.append(packet)
    return packets


def _decode(track: TrackDescription, packets: Sequence[StreamPacket]) -> list[Any]:
    """Decode ``track``'s packets with FFmpeg, configured only by the track's description."""
    decoder = av.CodecContext.create(track.codec, "r")
    if track.extradata:
        decoder.extradata = track.extradata
    if track.sample_rate:
        decoder.sample_rate = track.sample_rate  # type: ignore[attr-defined]
        decoder.layout = "mono" if track.audio_channels == 1 else "stereo"  # type: ignore[attr-defined]
    frames: list[Any] = []
    for p in packets:
        if p.track == track.index:
            packet = av.Packet(p.data)
            packet.pts, packet.dts, packet.time_base = p.pts, p.dts, p.time_base
            frames += decoder.decode(packet)  # type: ignore[attr-defined]
    frames += decoder.decode(None)  # type: ignore[attr-defined]
    return frames


def _wait_until(condition: Callable[[], bool], timeout: float = PATIENCE) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` passes; whether it held."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture
def read() -> Callable[[PacketSource, int], list[StreamPacket]]:
    return _read_packets


@pytest.fixture
def decode() -> Callable[[TrackDescription, Sequence[StreamPacket]], list[Any]]:
    return _decode


@pytest.fixture
def wait_until() -> Callable[..., bool]:
    return _wait_until


@pytest.fixture
def reader_threads() -> Callable[[], list[threading.Thread]]:
    """The RTSP reader threads alive now (they are named ``rtsp-<owner>-<stream>``)."""
    return lambda: [t for t in threading.enumerate() if t.name.startswith("rtsp-")]


@pytest.fixture(autouse=True)
def _no_reader_left_behind() -> Iterator[None]:
    """Every test closes what it opens: no reader thread outlives it."""
    yield
    left = lambda: [t for t in threading.enumerate() if t.name.startswith("rtsp-")]  # noqa: E731
    assert _wait_until(lambda: not left(), 5.0), f"reader threads left behind: {left()}"
