"""Sample entries (``stsd`` contents) for the codecs Argus records.

H.264 ``avc1`` + ``avcC`` and H.265 ``hvc1`` + ``hvcC`` are built from the
parameter sets; AAC ``mp4a`` + ``esds`` from the AudioSpecificConfig; G.711
uses the QuickTime ``alaw``/``ulaw`` entries (FFmpeg reads them; browsers get
no G.711 anyway).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from argus_sdk.fmp4.boxes import box, u8, u16, u32
from argus_sdk.fmp4.nal import nal_type, unescape

VIDEO_CODECS = frozenset({"h264", "hevc"})
AUDIO_CODECS = frozenset({"aac", "pcm_alaw", "pcm_mulaw"})


class UnsupportedCodec(ValueError):
    """The codec cannot be stored in a segment file."""


@dataclass(frozen=True, slots=True)
class VideoConfig:
    codec: str
    width: int
    height: int
    params: tuple[bytes, ...]  # VPS/SPS/PPS NAL units without start codes


@dataclass(frozen=True, slots=True)
class AudioConfig:
    codec: str
    sample_rate: int
    channels: int
    asc: bytes = b""  # AAC AudioSpecificConfig


def visual_entry(cfg: VideoConfig) -> bytes:
    if cfg.codec == "h264":
        kind, config = b"avc1", avcc(cfg.params)
    elif cfg.codec == "hevc":
        kind, config = b"hvc1", hvcc(cfg.params)
    else:
        raise UnsupportedCodec(f"video codec {cfg.codec!r} cannot be recorded in fMP4")
    return box(
        kind,
        bytes(6),
        u16(1),  # reserved, data_reference_index
        bytes(16),  # pre_defined, reserved
        u16(cfg.width),
        u16(cfg.height),
        u32(0x00480000),
        u32(0x00480000),  # 72 dpi
        u32(0),
        u16(1),  # reserved, frame_count
        bytes(32),  # compressorname
        u16(0x0018),
        struct.pack(">h", -1),  # depth, pre_defined
        config,
    )


def audio_entry(cfg: AudioConfig) -> bytes:
    kinds = {"aac": b"mp4a", "pcm_alaw": b"alaw", "pcm_mulaw": b"ulaw"}
    if cfg.codec not in kinds:
        raise UnsupportedCodec(f"audio codec {cfg.codec!r} cannot be recorded in fMP4")
    head = (
        bytes(6),
        u16(1),
        bytes(8),  # reserved, data_reference_index, reserved
        u16(cfg.channels),
        u16(16 if cfg.codec == "aac" else 8),  # channelcount, samplesize
        u16(0),
        u16(0),
        u32(min(cfg.sample_rate, 0xFFFF) << 16),
    )
    extra = (esds(cfg.asc),) if cfg.codec == "aac" else ()
    return box(kinds[cfg.codec], *head, *extra)


def avcc(params: tuple[bytes, ...]) -> bytes:
    sps = [p for p in params if nal_type("h264", p) == 7]
    pps = [p for p in params if nal_type("h264", p) == 8]
    if not sps or not pps:
        raise UnsupportedCodec("H.264 stream without SPS/PPS: cannot describe it")
    out = [u8(1), sps[0][1:4], u8(0xFF), u8(0xE0 | len(sps))]
    out += [u16(len(s)) + s for s in sps]
    out += [u8(len(pps))] + [u16(len(p)) + p for p in pps]
    return box(b"avcC", *out)


def hvcc(params: tuple[bytes, ...]) -> bytes:
    by_type: dict[int, list[bytes]] = {32: [], 33: [], 34: []}
    for p in params:
        by_type.setdefault(nal_type("hevc", p), []).append(p)
    if not by_type[33] or not by_type[34]:
        raise UnsupportedCodec("H.265 stream without SPS/PPS: cannot describe it")
    ptl = _hevc_profile_tier_level(by_type[33][0])
    header = (
        u8(1)
        + ptl  # configurationVersion, 12 bytes of general profile/tier/level
        + u16(0xF000)  # min_spatial_segmentation_idc
        + u8(0xFC)
        + u8(0xFD)  # parallelismType, chromaFormat 4:2:0
        + u8(0xF8)
        + u8(0xF8)  # bitDepthLuma/Chroma 8
        + u16(0)  # avgFrameRate
        + u8(0x0F)  # constantFrameRate 0, numTemporalLayers 1, temporalIdNested 1, length 4
    )
    arrays = [(t, nals) for t, nals in sorted(by_type.items()) if nals]
    body = [header, u8(len(arrays))]
    for t, nals in arrays:
        body.append(u8(0x80 | t) + u16(len(nals)))
        body += [u16(len(n)) + n for n in nals]
    return box(b"hvcC", *body)


def _hevc_profile_tier_level(sps: bytes) -> bytes:
    """The 12 bytes of general_profile_space … general_level_idc from an SPS."""
    rbsp = unescape(sps[2:])  # skip the 2-byte NAL header
    # sps_video_parameter_set_id(4) max_sub_layers_minus1(3) temporal_id_nesting(1), then PTL
    if len(rbsp) < 13:
        raise UnsupportedCodec("H.265 SPS too short")
    return rbsp[1:13]


def esds(asc: bytes) -> bytes:
    if not asc:
        raise UnsupportedCodec("AAC stream without AudioSpecificConfig")

    def descriptor(tag: int, body: bytes) -> bytes:
        return u8(tag) + _descriptor_size(len(body)) + body

    decoder_specific = descriptor(0x05, asc)
    decoder_config = descriptor(
        0x04, u8(0x40) + u8(0x15) + bytes(3) + u32(0) + u32(0) + decoder_specific
    )
    sl_config = descriptor(0x06, u8(0x02))
    es = descriptor(0x03, u16(0) + u8(0) + decoder_config + sl_config)
    return struct.pack(">I4sI", 12 + len(es), b"esds", 0) + es


def _descriptor_size(n: int) -> bytes:
    if n < 0x80:
        return u8(n)
    return bytes(
        [0x80 | (n >> 21) & 0x7F, 0x80 | (n >> 14) & 0x7F, 0x80 | (n >> 7) & 0x7F, n & 0x7F]
    )
