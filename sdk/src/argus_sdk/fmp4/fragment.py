"""Media fragments: one ``moof`` + ``mdat`` per GOP, written with a single write."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

from argus_sdk.fmp4.boxes import box, full_box, u32, u64

SYNC_FLAGS = 0x02000000  # sample_depends_on = 2: a sync sample
NON_SYNC_FLAGS = 0x01010000  # depends on others, is_non_sync_sample

_TFHD_DEFAULT_BASE_IS_MOOF = 0x020000
_TRUN_DATA_OFFSET = 0x000001
_TRUN_DURATION = 0x000100
_TRUN_SIZE = 0x000200
_TRUN_FLAGS = 0x000400
_TRUN_CTS = 0x000800


@dataclass(frozen=True, slots=True)
class Sample:
    """One sample in its track's timescale; video data is length-prefixed NAL units."""

    data: bytes
    duration: int
    keyframe: bool
    cts: int = 0


@dataclass(slots=True)
class TrackRun:
    """The samples of one track in one fragment; ``base_time`` becomes its ``tfdt``."""

    track_id: int
    base_time: int
    samples: list[Sample] = field(default_factory=list)

    @property
    def data_size(self) -> int:
        return sum(len(s.data) for s in self.samples)

    @property
    def duration(self) -> int:
        return sum(s.duration for s in self.samples)


def fragment(sequence: int, runs: Sequence[TrackRun]) -> bytes:
    """``moof`` + ``mdat`` for ``runs`` (tracks with no samples are left out)."""
    runs = [r for r in runs if r.samples]
    moof = _moof(sequence, runs, [0] * len(runs))
    offsets, position = [], len(moof) + 8
    for run in runs:
        offsets.append(position)
        position += run.data_size
    moof = _moof(sequence, runs, offsets)
    payload = b"".join(s.data for run in runs for s in run.samples)
    return moof + struct.pack(">I4s", 8 + len(payload), b"mdat") + payload


def _moof(sequence: int, runs: Sequence[TrackRun], offsets: Sequence[int]) -> bytes:
    trafs = (_traf(run, offset) for run, offset in zip(runs, offsets, strict=True))
    return box(b"moof", full_box(b"mfhd", 0, 0, u32(sequence)), *trafs)


def _traf(run: TrackRun, data_offset: int) -> bytes:
    tfhd = full_box(b"tfhd", 0, _TFHD_DEFAULT_BASE_IS_MOOF, u32(run.track_id))
    tfdt = full_box(b"tfdt", 1, 0, u64(run.base_time))
    return box(b"traf", tfhd, tfdt, _trun(run.samples, data_offset))


def _trun(samples: Sequence[Sample], data_offset: int) -> bytes:
    with_cts = any(s.cts for s in samples)
    flags = _TRUN_DATA_OFFSET | _TRUN_DURATION | _TRUN_SIZE | _TRUN_FLAGS
    values: list[int] = []
    if with_cts:
        flags |= _TRUN_CTS
        for s in samples:
            values += (s.duration, len(s.data), SYNC_FLAGS if s.keyframe else NON_SYNC_FLAGS, s.cts)
        table = struct.pack(">" + "IIIi" * len(samples), *values)
    else:
        for s in samples:
            values += (s.duration, len(s.data), SYNC_FLAGS if s.keyframe else NON_SYNC_FLAGS)
        table = struct.pack(">" + "III" * len(samples), *values)
    return full_box(b"trun", 1, flags, u32(len(samples)), struct.pack(">i", data_offset), table)
