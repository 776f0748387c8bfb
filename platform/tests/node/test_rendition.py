"""H.264 renditions of H.265 video, fed real x265 packets through a recorder's taps."""

from __future__ import annotations

import time
from fractions import Fraction
from typing import Any

import av
import numpy as np
import pytest

from argus.node.rendition import MAX_HEIGHT, Renditions, scaled
from argus_sdk import ChannelKind, StreamDescription, StreamPacket, TrackDescription

TB = Fraction(1, 90000)
T0 = 1_800_000_000.0


class Worker:
    """The part of a recorder worker a rendition uses: its description and its taps."""

    def __init__(self, description: StreamDescription) -> None:
        self.camera, self.stream, self.description = "dome", "main", description
        self.taps: list[Any] = []

    def add_tap(self, tap: Any) -> None:
        self.taps.append(tap)

    def remove_tap(self, tap: Any) -> None:
        self.taps.remove(tap)

    def feed(self, packet: StreamPacket) -> None:
        for tap in list(self.taps):
            tap(packet)


@pytest.fixture(scope="module")
def hevc() -> tuple[StreamDescription, list[StreamPacket]]:
    """50 frames of 1280×1080 H.265 (Annex B, parameter sets in band), a keyframe every 25."""
    encoder = av.CodecContext.create("libx265", "w")
    encoder.width, encoder.height, encoder.pix_fmt = 1280, 1080, "yuv420p"
    encoder.time_base = TB
    encoder.framerate = Fraction(25)
    encoder.gop_size = 25
    encoder.options = {"preset": "ultrafast", "x265-params": "log-level=error:bframes=0"}
    packets: list[StreamPacket] = []
    for i in range(50):
        image = np.full((1080, 1280, 3), (i * 5) % 255, dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
        frame.pts = i * 3600
        for p in [*encoder.encode(frame), *([] if i < 49 else encoder.encode(None))]:
            packets.append(
                StreamPacket(0, bytes(p), p.pts, p.dts, TB, p.is_keyframe, T0 + p.pts / 90000)
            )
    description = StreamDescription(
        "main",
        (TrackDescription(0, ChannelKind.VIDEO, "hevc", TB, width=1280, height=1080),),
    )
    return description, packets


def test_the_rendition_size_keeps_the_aspect_within_the_bound() -> None:
    assert scaled(1920, 1080) == (1280, 720)
    assert scaled(1280, 1080) == (852, 720)
    assert scaled(640, 360) == (640, 360)
    assert scaled(641, 361) == (640, 360)
    assert scaled(3840, 2160)[1] == MAX_HEIGHT


def test_h265_becomes_decodable_h264_only_while_watched(
    hevc: tuple[StreamDescription, list[StreamPacket]],
) -> None:
    description, packets = hevc
    worker = Worker(description)
    renditions = Renditions()
    assert renditions.needed(worker, frozenset({"h264"}))  # type: ignore[arg-type]
    assert not renditions.needed(worker, frozenset({"h264", "hevc"}))  # type: ignore[arg-type]
    assert worker.taps == []  # nobody watches: nothing is transcoded

    seen: list[StreamPacket] = []
    rendition = renditions.watch(worker, seen.append)  # type: ignore[arg-type]
    assert len(worker.taps) == 1 and renditions.active() == [("dome", "main")]
    for packet in packets:
        worker.feed(packet)
        time.sleep(0.005)  # a camera's pace, roughly
    deadline = time.monotonic() + 60
    while len(seen) < 45:
        assert time.monotonic() < deadline, len(seen)
        time.sleep(0.05)

    assert rendition.description is not None
    [track] = rendition.description.tracks
    assert (track.codec, track.width, track.height) == ("h264", 852, 720)
    assert seen[0].keyframe
    walls = [p.wall_time for p in seen]
    assert walls == sorted(walls) and walls[0] == pytest.approx(T0)
    decoder = av.CodecContext.create("h264", "r")
    frames = [f for p in seen for f in decoder.decode(av.Packet(p.data))]
    assert len(frames) >= 40 and (frames[0].width, frames[0].height) == (852, 720)

    rendition.remove(seen.append)
    assert worker.taps == [] and not rendition.running and renditions.active() == []


def test_a_rendition_that_falls_behind_resumes_at_a_keyframe(
    hevc: tuple[StreamDescription, list[StreamPacket]],
) -> None:
    description, packets = hevc
    worker = Worker(description)
    seen: list[StreamPacket] = []
    rendition = Renditions().watch(worker, seen.append)  # type: ignore[arg-type]
    for _ in range(3):  # 150 packets at once: more than the queue holds
        for packet in packets:
            worker.feed(packet)
    for packet in packets:  # then the camera's pace again
        worker.feed(packet)
        time.sleep(0.02)
    deadline = time.monotonic() + 60
    while len(seen) < 20:
        assert time.monotonic() < deadline, len(seen)
        time.sleep(0.05)
    rendition.remove(seen.append)
    decoder = av.CodecContext.create("h264", "r")
    assert seen[0].keyframe
    assert [f for p in seen for f in decoder.decode(av.Packet(p.data))]
