"""The init segment: ``ftyp`` + ``moov`` describing every track, with no samples."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from argus_sdk.fmp4.boxes import MATRIX, box, full_box, u16, u32
from argus_sdk.fmp4.codecs import AudioConfig, VideoConfig, audio_entry, visual_entry

_LANGUAGE_UND = 0x55C4  # ISO 639-2 "und", packed 5 bits per letter
_HANDLER_NAME = b"Argus\x00"


@dataclass(frozen=True, slots=True)
class Track:
    """One track of a segment file. ``id`` is the 1-based ``track_ID``."""

    id: int
    timescale: int
    config: VideoConfig | AudioConfig

    @property
    def is_video(self) -> bool:
        return isinstance(self.config, VideoConfig)


def ftyp() -> bytes:
    brands = b"isom" + b"iso2" + b"iso6" + b"avc1" + b"mp41"
    return box(b"ftyp", b"iso6", u32(0), brands)


def init_segment(tracks: Sequence[Track]) -> bytes:
    mvhd = full_box(
        b"mvhd",
        0,
        0,
        u32(0),
        u32(0),
        u32(1000),
        u32(0),  # creation, modification, timescale, duration
        u32(0x00010000),
        u16(0x0100),
        bytes(10),  # rate 1.0, volume 1.0, reserved
        MATRIX,
        bytes(24),
        u32(max(t.id for t in tracks) + 1),
    )
    mvex = box(
        b"mvex",
        *(full_box(b"trex", 0, 0, u32(t.id), u32(1), u32(0), u32(0), u32(0)) for t in tracks),
    )
    return ftyp() + box(b"moov", mvhd, *(_trak(t) for t in tracks), mvex)


def _trak(track: Track) -> bytes:
    cfg = track.config
    video = isinstance(cfg, VideoConfig)
    width, height = (cfg.width, cfg.height) if isinstance(cfg, VideoConfig) else (0, 0)
    tkhd = full_box(
        b"tkhd",
        0,
        0x3,  # enabled, in movie
        u32(0),
        u32(0),
        u32(track.id),
        u32(0),
        u32(0),  # times, track_ID, reserved, duration
        bytes(8),
        u16(0),
        u16(0),
        u16(0 if video else 0x0100),
        u16(0),
        MATRIX,
        u32(width << 16),
        u32(height << 16),
    )
    mdhd = full_box(
        b"mdhd", 0, 0, u32(0), u32(0), u32(track.timescale), u32(0), u16(_LANGUAGE_UND), u16(0)
    )
    hdlr = full_box(b"hdlr", 0, 0, u32(0), b"vide" if video else b"soun", bytes(12), _HANDLER_NAME)
    header = full_box(b"vmhd", 0, 1, bytes(8)) if video else full_box(b"smhd", 0, 0, bytes(4))
    dinf = box(b"dinf", full_box(b"dref", 0, 0, u32(1), full_box(b"url ", 0, 1)))
    entry = visual_entry(cfg) if isinstance(cfg, VideoConfig) else audio_entry(cfg)
    stbl = box(
        b"stbl",
        full_box(b"stsd", 0, 0, u32(1), entry),
        full_box(b"stts", 0, 0, u32(0)),
        full_box(b"stsc", 0, 0, u32(0)),
        full_box(b"stsz", 0, 0, u32(0), u32(0)),
        full_box(b"stco", 0, 0, u32(0)),
    )
    minf = box(b"minf", header, dinf, stbl)
    return box(b"trak", tkhd, box(b"mdia", mdhd, hdlr, minf))
