"""Annex B ⇄ length-prefixed NAL units, and which NAL units are parameter sets."""

from __future__ import annotations

import struct
from collections.abc import Iterator

# NAL unit types by codec: (parameter sets, access unit delimiter)
H264_PARAMS = frozenset({7, 8})  # SPS, PPS
H264_AUD = 9
HEVC_PARAMS = frozenset({32, 33, 34})  # VPS, SPS, PPS
HEVC_AUD = 35


def nal_type(codec: str, nal: bytes) -> int:
    return (nal[0] >> 1) & 0x3F if codec == "hevc" else nal[0] & 0x1F


def split_annexb(data: bytes) -> Iterator[bytes]:
    """The NAL units of an Annex B buffer (3- or 4-byte start codes), without start codes."""
    start = data.find(b"\x00\x00\x01")
    while start >= 0:
        begin = start + 3
        nxt = data.find(b"\x00\x00\x01", begin)
        # A NAL unit ends with its stop bit, never with a zero byte: zeros before the
        # next start code are that code's leading zero or trailing_zero_8bits.
        nal = data[begin : len(data) if nxt < 0 else nxt].rstrip(b"\x00")
        if nal:
            yield nal
        start = nxt


def split_params(codec: str, data: bytes) -> tuple[list[bytes], list[bytes]]:
    """Split an Annex B access unit into (parameter sets, other NAL units); drop delimiters."""
    params_types = HEVC_PARAMS if codec == "hevc" else H264_PARAMS
    aud = HEVC_AUD if codec == "hevc" else H264_AUD
    params: list[bytes] = []
    rest: list[bytes] = []
    for nal in split_annexb(data):
        kind = nal_type(codec, nal)
        if kind in params_types:
            params.append(nal)
        elif kind != aud:
            rest.append(nal)
    return params, rest


def length_prefixed(nals: list[bytes]) -> bytes:
    return b"".join(struct.pack(">I", len(n)) + n for n in nals)


def iter_length_prefixed(data: bytes) -> Iterator[bytes]:
    pos = 0
    while pos + 4 <= len(data):
        (size,) = struct.unpack_from(">I", data, pos)
        yield data[pos + 4 : pos + 4 + size]
        pos += 4 + size


def annexb(nals: list[bytes]) -> bytes:
    return b"".join(b"\x00\x00\x00\x01" + n for n in nals)


def unescape(nal: bytes) -> bytes:
    """Remove emulation-prevention bytes (00 00 03 → 00 00) to read a NAL's RBSP."""
    return nal.replace(b"\x00\x00\x03", b"\x00\x00")
