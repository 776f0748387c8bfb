"""Reading recordings back: timelines, fMP4 bytes from a keyframe, and packets.

Serving never re-muxes: playback and export send the init segment and the
stored fragments as they are on disk, starting at the keyframe at or before
the requested time.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from argus_sdk import StreamPacket, TimeRange
from argus_sdk.fmp4.scan import rebase
from argus_storage_segments.index import FragmentInfo

GAP_TOLERANCE_US = 100_000  # segments that touch within this are one recorded range


@dataclass(frozen=True, slots=True)
class Piece:
    """Fragments ``[first, last]`` of one segment file, with the file's init length."""

    file: Path
    init_size: int
    fragments: tuple[FragmentInfo, ...]


def merge(spans: Iterable[tuple[int, int]], window: TimeRange) -> list[TimeRange]:
    """Recorded ranges from (start µs, end µs) spans, clipped to ``window`` (seconds)."""
    lo, hi = int(window.start * 1e6), int(window.end * 1e6)
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        start, end = max(start, lo), min(end, hi)
        if end <= start:
            continue
        if merged and start <= merged[-1][1] + GAP_TOLERANCE_US:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [TimeRange(s / 1e6, e / 1e6) for s, e in merged]


def select(fragments: list[FragmentInfo], start_us: int, end_us: int) -> list[FragmentInfo]:
    """The fragments overlapping ``[start_us, end_us)``, from the keyframe at or before start."""
    first = 0
    for i, f in enumerate(fragments):
        if f.start_us > start_us:
            break
        if f.keyframe:
            first = i
    return [
        f
        for f in fragments[first:]
        if (f.start_us < end_us and f.end_us > start_us) or f is fragments[first]
    ]


def fmp4_bytes(pieces: Iterable[Piece], *, relative: bool = False) -> Iterator[bytes]:
    """The init segment, then the fragments; a new init only when a file's differs.

    With ``relative``, fragment times start at 0 (see :func:`scan.rebase`).
    """
    sent_init: bytes | None = None
    bases: dict[int, int] = {}
    for piece in pieces:
        fd = os.open(piece.file, os.O_RDONLY | os.O_CLOEXEC)
        try:
            init = os.pread(fd, piece.init_size, 0)
            if init != sent_init:
                yield init
                sent_init = init
            for frag in piece.fragments:
                data = os.pread(fd, frag.size, frag.offset)
                yield rebase(data, bases) if relative else data
        finally:
            os.close(fd)


def packets(pieces: Iterable[Piece]) -> Iterator[StreamPacket]:
    """Packets as drivers deliver them (Annex B video with parameter sets at keyframes).

    Tracks are numbered in file order (video first). Each file is demuxed with
    FFmpeg from its init segment plus the selected fragments.
    """
    for piece in pieces:
        buffer = io.BytesIO(b"".join(fmp4_bytes([piece])))
        with av.open(buffer, mode="r", format="mp4") as container:
            yield from _demux(container)


def _demux(container: av.container.InputContainer) -> Iterator[StreamPacket]:
    filters = {
        s.index: av.BitStreamFilterContext(
            "h264_mp4toannexb" if s.codec_context.name == "h264" else "hevc_mp4toannexb", s
        )
        for s in container.streams.video
    }
    for packet in container.demux():
        if packet.size == 0 or packet.pts is None or packet.dts is None:
            continue
        index = packet.stream.index
        out = filters[index].filter(packet) if index in filters else [packet]
        for p in out:
            yield _to_stream_packet(p, index)


def _to_stream_packet(p: av.Packet, track: int) -> StreamPacket:  # type: ignore[type-arg]
    tb = Fraction(p.time_base.numerator, p.time_base.denominator)
    pts, dts = int(p.pts or 0), int(p.dts or 0)
    return StreamPacket(
        track, bytes(p), pts, dts, tb, p.is_keyframe, float(pts * tb), int(p.duration or 0)
    )
