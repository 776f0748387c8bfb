"""Track choice and completion; sessions themselves are in test_connection.py."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
import pytest

from argus_driver_rtsp import bitstream
from argus_driver_rtsp.timestamps import TrackTimeline
from argus_driver_rtsp.tracks import Track, complete_video, select_tracks, summary
from argus_sdk import (
    ChannelKind,
    DeviceUnavailable,
    StreamDescription,
    TrackDescription,
    Unsupported,
)

TB = Fraction(1, 90_000)
SIZE = (320, 180)


@dataclass
class FakeStream:
    index: int


@dataclass
class FakePacket:
    """What complete_video reads of a PyAV packet: its stream and its bytes."""

    stream: FakeStream
    data: bytes

    def __bytes__(self) -> bytes:
        return self.data


def h264_annexb(frames: int) -> list[bytes]:
    """Packets of libx264 in Annex B form, SPS/PPS in-band before the IDR."""
    encoder = av.CodecContext.create("libx264", "w")
    encoder.width, encoder.height, encoder.pix_fmt = *SIZE, "yuv420p"  # type: ignore[attr-defined]
    encoder.time_base = Fraction(1, 25)
    encoder.options = {"tune": "zerolatency", "preset": "ultrafast"}
    packets: list[Any] = []
    for i in range(frames):
        frame = av.VideoFrame(*SIZE, "yuv420p")
        frame.pts = i
        packets += encoder.encode(frame)  # type: ignore[attr-defined]
    packets += encoder.encode(None)  # type: ignore[attr-defined]
    return [bytes(p) for p in packets]


def bare_track(extradata: bytes = b"", width: int = 0, height: int = 0) -> Track:
    description = TrackDescription(0, ChannelKind.VIDEO, "h264", TB, extradata, width, height)
    return Track(FakeStream(0), description, TrackTimeline(TB, 3600))  # type: ignore[arg-type]


def test_a_video_track_without_sdp_parameters_is_completed_from_its_keyframe() -> None:
    data = h264_annexb(3)
    audio = FakePacket(FakeStream(1), b"\x21\x00")
    track = complete_video(
        bare_track(), [audio, FakePacket(FakeStream(0), data[0])], "rtsp://cam/x"
    )
    d = track.description
    assert (d.width, d.height) == SIZE
    assert bitstream.is_annexb(d.extradata)
    assert [bitstream.nal_type("h264", u) for u in bitstream.nal_units(d.extradata)] == [7, 8]
    assert track.needs_keyframe() is False


def test_a_known_size_is_kept_and_no_parameter_sets_is_unsupported() -> None:
    data = h264_annexb(1)
    track = complete_video(bare_track(width=1, height=2), [FakePacket(FakeStream(0), data[0])], "w")
    assert (track.description.width, track.description.height) == (1, 2)
    idr_only = bitstream.annexb(
        [u for u in bitstream.nal_units(data[0]) if bitstream.nal_type("h264", u) == 5]
    )
    with pytest.raises(Unsupported, match="no h264 parameter sets"):
        complete_video(bare_track(), [FakePacket(FakeStream(0), idr_only)], "rtsp://cam/x")


def test_length_prefixed_payloads_become_annexb() -> None:
    track = bare_track()
    track.length_size = 4
    assert track.payload(b"\x00\x00\x00\x02\x65\x88", "w") == b"\x00\x00\x00\x01\x65\x88"
    with pytest.raises(DeviceUnavailable, match="w: malformed h264 packet"):
        track.payload(b"\x00\x00\x00\x09\x65", "w")


def test_rebases_are_logged_once_then_quietly(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    track = bare_track()
    log = logging.getLogger("argus.plugin.test")
    for _ in range(3):
        track.note_rebase(log, "rtsp://cam/x")
    assert [r.levelno for r in caplog.records] == [logging.INFO, logging.DEBUG, logging.DEBUG]


def mjpeg_avi() -> io.BytesIO:
    buf = io.BytesIO()
    with av.open(buf, "w", format="avi") as out:
        stream = out.add_stream("mjpeg", rate=5)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuvj420p"
        frame = av.VideoFrame(64, 48, "yuvj420p")
        frame.pts = 0
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    buf.seek(0)
    return buf


def test_unsupported_video_is_refused() -> None:
    with (
        av.open(mjpeg_avi()) as container,
        pytest.raises(Unsupported, match="mjpeg video is not supported"),
    ):
        select_tracks(container, "rtsp://cam/x", logging.getLogger("t"))


def test_summary_names_each_track() -> None:
    video = TrackDescription(0, ChannelKind.VIDEO, "hevc", TB, b"", 1920, 1080, Fraction(25))
    audio = TrackDescription(
        1, ChannelKind.AUDIO, "pcm_alaw", Fraction(1, 8000), sample_rate=8000, audio_channels=1
    )
    text = summary(StreamDescription("main", (video, audio)))
    assert text == "hevc 1920x1080 25 fps, pcm_alaw 8000 Hz 1 ch"
