"""Reading segment files back: the init segment, and each fragment's place and time.

Used to recover a file after a crash (keep the complete fragments, cut the
rest), to rebuild the index from files alone, and to serve fragments.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

_HEADER = struct.Struct(">I4s")


class CorruptSegment(ValueError):
    """The file does not start with a readable init segment."""


@dataclass(frozen=True, slots=True)
class ScannedFragment:
    """A complete ``moof`` + ``mdat`` pair at ``offset`` (``size`` bytes, both boxes)."""

    offset: int
    size: int
    start_us: int
    end_us: int
    keyframe: bool


@dataclass(frozen=True, slots=True)
class ScannedFile:
    init: bytes
    fragments: tuple[ScannedFragment, ...]
    valid_size: int  # bytes up to the end of the last complete fragment
    file_size: int


def _boxes(f: BinaryIO, start: int, end: int) -> Iterator[tuple[int, bytes, int]]:
    """(offset, type, size) of the top-level boxes between ``start`` and ``end``; stops at
    the first box that is truncated or malformed."""
    pos = start
    while pos + 8 <= end:
        f.seek(pos)
        size, kind = _HEADER.unpack(f.read(8))
        if size == 1:
            (size,) = struct.unpack(">Q", f.read(8))
        if size < 8 or pos + size > end:
            return
        yield pos, kind, size
        pos += size


def _children(data: bytes, start: int = 0) -> Iterator[tuple[bytes, bytes]]:
    pos = start
    while pos + 8 <= len(data):
        size, kind = _HEADER.unpack_from(data, pos)
        if size < 8 or pos + size > len(data):
            return
        yield kind, data[pos + 8 : pos + size]
        pos += size


def timescales(init: bytes) -> dict[int, int]:
    """track_ID → timescale, from an init segment's ``moov``."""
    result: dict[int, int] = {}
    for kind, body in _children(init):
        if kind != b"moov":
            continue
        for trak_kind, trak in _children(body):
            if trak_kind != b"trak":
                continue
            track_id = timescale = 0
            for sub_kind, sub in _children(trak):
                if sub_kind == b"tkhd":
                    track_id = struct.unpack_from(">I", sub, 12 if sub[0] == 0 else 20)[0]
                elif sub_kind == b"mdia":
                    for m_kind, m in _children(sub):
                        if m_kind == b"mdhd":
                            timescale = struct.unpack_from(">I", m, 12 if m[0] == 0 else 20)[0]
            result[track_id] = timescale
    return result


def moof_times(moof: bytes, scales: dict[int, int]) -> tuple[int, int, bool]:
    """(start µs, end µs, starts with a keyframe) of the first track of a ``moof``."""
    for kind, body in _children(moof):
        if kind != b"traf":
            continue
        track_id = base = duration = 0
        keyframe = False
        for sub_kind, sub in _children(body):
            if sub_kind == b"tfhd":
                track_id = struct.unpack_from(">I", sub, 4)[0]
            elif sub_kind == b"tfdt":
                base = struct.unpack_from(">Q" if sub[0] == 1 else ">I", sub, 4)[0]
            elif sub_kind == b"trun":
                duration, keyframe = _trun_summary(sub)
        scale = scales.get(track_id, 0)
        if scale:
            return base * 1_000_000 // scale, (base + duration) * 1_000_000 // scale, keyframe
    raise CorruptSegment("fragment without a known track")


def _trun_summary(trun: bytes) -> tuple[int, bool]:
    flags = int.from_bytes(trun[1:4], "big")
    (count,) = struct.unpack_from(">I", trun, 4)
    pos = 8 + (4 if flags & 0x1 else 0) + (4 if flags & 0x4 else 0)
    fields = [bit for bit in (0x100, 0x200, 0x400, 0x800) if flags & bit]
    if 0x100 not in fields:
        raise CorruptSegment("trun without sample durations")
    values = struct.unpack_from(">" + "I" * (len(fields) * count), trun, pos)
    duration = sum(values[0 :: len(fields)]) if count else 0
    keyframe = False
    if 0x400 in fields and count:
        keyframe = not values[fields.index(0x400)] & 0x00010000
    return duration, keyframe


def scan(f: BinaryIO) -> ScannedFile:
    """Read a segment file's structure (cheap: box headers and ``moof`` boxes only)."""
    f.seek(0, 2)
    file_size = f.tell()
    init_parts: list[bytes] = []
    for offset, kind, size in _boxes(f, 0, file_size):
        if kind not in (b"ftyp", b"moov"):
            break
        f.seek(offset)
        init_parts.append(f.read(size))
        if kind == b"moov":
            break
    init = b"".join(init_parts)
    if not init_parts or init_parts[-1][4:8] != b"moov":
        raise CorruptSegment("no complete init segment (ftyp + moov)")
    scales = timescales(init)
    if not scales:
        raise CorruptSegment("init segment without tracks")
    fragments, valid = _fragments(f, len(init), file_size, scales)
    return ScannedFile(init, tuple(fragments), valid, file_size)


def _fragments(
    f: BinaryIO, start: int, end: int, scales: dict[int, int]
) -> tuple[list[ScannedFragment], int]:
    found: list[ScannedFragment] = []
    valid = start
    moof: tuple[int, bytes] | None = None
    for offset, kind, size in _boxes(f, start, end):
        if kind == b"moof":
            f.seek(offset + 8)
            moof = (offset, f.read(size - 8))
        elif kind == b"mdat" and moof is not None:
            first, last, key = moof_times(moof[1], scales)
            found.append(ScannedFragment(moof[0], offset + size - moof[0], first, last, key))
            valid, moof = offset + size, None
        else:
            moof = None
    return found, valid


def rebase(fragment: bytes, bases: dict[int, int]) -> bytes:
    """Subtract a per-track base from every ``tfdt`` of a ``moof``+``mdat`` fragment.

    ``bases`` maps track_ID → base; a track seen for the first time takes its own
    ``tfdt`` as base (so the first fragment starts at 0).
    """
    out = bytearray(fragment)
    size, kind = _HEADER.unpack_from(out, 0)
    if kind != b"moof":
        return fragment
    pos = 8
    while pos + 8 <= size:
        child_size, child = _HEADER.unpack_from(out, pos)
        if child == b"traf":
            _rebase_traf(out, pos + 8, pos + child_size, bases)
        pos += max(child_size, 8)
    return bytes(out)


def _rebase_traf(out: bytearray, start: int, end: int, bases: dict[int, int]) -> None:
    track_id, pos = 0, start
    while pos + 8 <= end:
        size, kind = _HEADER.unpack_from(out, pos)
        if kind == b"tfhd":
            (track_id,) = struct.unpack_from(">I", out, pos + 12)
        elif kind == b"tfdt":
            version = out[pos + 8]
            fmt = ">Q" if version == 1 else ">I"
            (value,) = struct.unpack_from(fmt, out, pos + 12)
            base = bases.setdefault(track_id, value)
            struct.pack_into(fmt, out, pos + 12, value - base)
        pos += max(size, 8)
