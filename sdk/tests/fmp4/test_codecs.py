"""H.265 video and G.711 audio through the muxer, encoded in-process with PyAV."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from argus_sdk import ChannelKind, StreamDescription, StreamPacket, TrackDescription
from argus_sdk.fmp4.mux import Muxer
from argus_sdk.fmp4.scan import scan

WALL = 1_763_800_000.0
VIDEO_TB = Fraction(1, 90000)


def hevc_packets(frames: int) -> list[StreamPacket]:
    enc = av.CodecContext.create("libx265", "w")
    enc.width, enc.height, enc.pix_fmt = 320, 240, "yuv420p"
    enc.time_base = Fraction(1, 25)
    enc.options = {"preset": "ultrafast", "x265-params": "keyint=25:bframes=0:log-level=none"}
    out: list[StreamPacket] = []
    for i in range(frames + 1):
        frame = None
        if i < frames:
            frame = av.VideoFrame.from_ndarray(
                np.full((360, 320), i * 7 % 255, np.uint8), format="yuv420p"
            )
            frame.pts = i
        for p in enc.encode(frame):
            pts = int(p.pts) * 3600
            out.append(
                StreamPacket(
                    0, bytes(p), pts, pts, VIDEO_TB, p.is_keyframe, WALL + pts / 90000, 3600
                )
            )
    return out


def alaw_packets(seconds: float) -> list[StreamPacket]:
    """20 ms G.711 A-law packets of a 440 Hz tone at 8 kHz."""
    out = []
    for n in range(int(seconds * 50)):
        data = bytes((0xD5 + (n % 3)) & 0xFF for _ in range(160))
        out.append(
            StreamPacket(1, data, n * 160, n * 160, Fraction(1, 8000), True, WALL + n * 0.02, 0)
        )
    return out


def test_hevc_and_g711_record_and_decode(tmp_path: Path) -> None:
    video = hevc_packets(75)
    audio = alaw_packets(3.0)
    description = StreamDescription(
        "main",
        (
            TrackDescription(0, ChannelKind.VIDEO, "hevc", VIDEO_TB, b"", 320, 240, Fraction(25)),
            TrackDescription(
                1,
                ChannelKind.AUDIO,
                "pcm_alaw",
                Fraction(1, 8000),
                sample_rate=8000,
                audio_channels=1,
            ),
        ),
    )
    muxer = Muxer(description)
    merged = sorted(video + audio, key=lambda p: (p.wall_time, p.track))
    fragments = [f for p in merged if (f := muxer.push(p)) is not None]
    fragments += [f for f in [muxer.flush()] if f is not None]
    assert muxer.init is not None
    path = tmp_path / "hevc.mp4"
    path.write_bytes(muxer.init + b"".join(f.data for f in fragments))

    with av.open(str(path)) as container:
        assert container.streams.video[0].codec_context.name == "hevc"
        assert container.streams.audio[0].codec_context.name == "pcm_alaw"
        assert len(list(container.decode(video=0))) == 75
    with av.open(str(path)) as container:
        assert sum(f.samples for f in container.decode(audio=0)) == 3 * 8000
    with path.open("rb") as f:
        assert [s.keyframe for s in scan(f).fragments] == [True, True, True]
