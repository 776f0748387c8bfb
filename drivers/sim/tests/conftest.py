"""Shared fixtures: a manual clock, a private cache directory, an event sink, decoders."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest

from argus_driver_sim.clip import forget_shared_clips
from argus_driver_sim.settings import SimCameraSettings
from argus_sdk import Event, PluginContext, StreamPacket, TrackDescription
from argus_sdk.testing import ManualClock

Luma = npt.NDArray[np.uint8]
DecodeVideo = Callable[[TrackDescription, Sequence[StreamPacket]], list[Luma]]


@pytest.fixture(autouse=True)
def _fresh_memory() -> Iterator[None]:
    """Each test starts without clips shared in memory by earlier tests."""
    forget_shared_clips()
    yield
    forget_shared_clips()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def events() -> list[Event]:
    return []


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def context(clock: ManualClock, events: list[Event], cache_dir: Path) -> PluginContext:
    return PluginContext(owner="cam-1", clock=clock, publish=events.append, cache_dir=cache_dir)


@pytest.fixture
def small() -> SimCameraSettings:
    """A cheap camera: 360p main only, 2 s loop."""
    return SimCameraSettings(main_profile="360p", sub_profile=None, loop_seconds=2, name="T1")


def _decode_video(track: TrackDescription, packets: Sequence[StreamPacket]) -> list[Luma]:
    """Decode ``packets`` of ``track`` with FFmpeg's H.264 decoder; the luma of every frame."""
    decoder = av.CodecContext.create("h264", "r")
    decoder.extradata = track.extradata
    lumas: list[Luma] = []
    for p in packets:
        if p.track != track.index:
            continue
        packet = av.Packet(p.data)
        packet.pts, packet.dts = p.pts, p.dts
        packet.time_base = p.time_base
        for frame in decoder.decode(packet):
            assert (frame.width, frame.height) == (track.width, track.height)
            lumas.append(np.asarray(frame.to_ndarray(format="gray"), dtype=np.uint8))
    for frame in decoder.decode(None):
        lumas.append(np.asarray(frame.to_ndarray(format="gray"), dtype=np.uint8))
    return lumas


@pytest.fixture
def decode_video() -> DecodeVideo:
    return _decode_video
