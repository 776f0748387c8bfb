"""Segment files made by the muxer are real MP4: FFmpeg demuxes and decodes them."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import av
import pytest

from argus_sdk.fmp4.mux import Muxer
from argus_sdk.fmp4.scan import CorruptSegment, scan

Packets = Any


def write_file(path: Path, muxer: Muxer, packets: list) -> list:  # type: ignore[type-arg]
    fragments = [f for p in packets if (f := muxer.push(p)) is not None]
    last = muxer.flush()
    if last is not None:
        fragments.append(last)
    assert muxer.init is not None
    path.write_bytes(muxer.init + b"".join(f.data for f in fragments))
    return fragments


def test_h264_with_aac_decodes_frame_for_frame(sim_packets: Packets, tmp_path: Path) -> None:
    source, packets = sim_packets(6.0, audio=True)
    muxer = Muxer(source.description)
    path = tmp_path / "seg.mp4"
    fragments = write_file(path, muxer, packets)
    video_in = [p for p in packets if p.track == 0]
    audio_in = [p for p in packets if p.track == 1]

    with av.open(str(path)) as container:
        vstream, astream = container.streams.video[0], container.streams.audio[0]
        assert (vstream.codec_context.name, vstream.width, vstream.height) == ("h264", 640, 360)
        assert astream.codec_context.name == "aac"
        frames = list(container.decode(video=0))
    assert len(frames) == len(video_in)
    with av.open(str(path)) as container:
        samples = sum(f.samples for f in container.decode(audio=0))
    assert samples >= (len(audio_in) - 2) * 1024  # the decoder may hold back its priming
    # one fragment per 2 s GOP; the capture ends on the keyframe at 6 s, flushed alone
    assert [f.end_us - f.start_us for f in fragments] == [2_000_000] * 3 + [40_000]


def test_fragments_carry_wall_clock_times(sim_packets: Packets, tmp_path: Path) -> None:
    source, packets = sim_packets(4.0)
    path = tmp_path / "seg.mp4"
    fragments = write_file(path, Muxer(source.description), packets)
    with path.open("rb") as f:
        scanned = scan(f)
    first_wall_us = round(packets[0].wall_time * 1_000_000)
    assert abs(scanned.fragments[0].start_us - first_wall_us) <= 1
    assert [(s.start_us, s.end_us) for s in scanned.fragments] == [
        (f.start_us, f.end_us) for f in fragments
    ]
    assert all(s.keyframe for s in scanned.fragments)
    assert scanned.fragments[0].end_us == scanned.fragments[1].start_us  # no gap between GOPs
    assert scanned.valid_size == scanned.file_size == path.stat().st_size


def test_a_torn_tail_is_found_and_the_rest_plays(sim_packets: Packets, tmp_path: Path) -> None:
    source, packets = sim_packets(6.0)
    path = tmp_path / "seg.mp4"
    write_file(path, Muxer(source.description), packets)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) - 5000])  # the process died mid-write
    with path.open("rb") as f:
        scanned = scan(f)
    assert len(scanned.fragments) == 2
    assert scanned.valid_size < scanned.file_size
    with path.open("r+b") as f:
        f.truncate(scanned.valid_size)
    with av.open(str(path)) as container:
        assert len(list(container.decode(video=0))) == 100  # two whole 2 s GOPs at 25 fps


def test_garbage_is_not_a_segment() -> None:
    with pytest.raises(CorruptSegment):
        scan(io.BytesIO(b"\x00\x00\x00\x10junkjunkjunkjunk"))
    with pytest.raises(CorruptSegment):
        scan(io.BytesIO(b""))


def test_per_frame_fragments_for_live_view(sim_packets: Packets, tmp_path: Path) -> None:
    source, packets = sim_packets(2.5)
    muxer = Muxer(source.description, per_frame=True)
    fragments = [f for p in packets if (f := muxer.push(p)) is not None]
    assert len(fragments) == len(packets) - 1  # each frame is cut when the next arrives
    assert all(f.end_us - f.start_us == 40_000 for f in fragments)
    assert [f.keyframe for f in fragments[:3]] == [True, False, False]
    assert muxer.init is not None
    path = tmp_path / "live.mp4"
    path.write_bytes(muxer.init + b"".join(f.data for f in fragments))
    with av.open(str(path)) as container:
        assert len(list(container.decode(video=0))) == len(fragments)
