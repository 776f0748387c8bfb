"""Building ISO BMFF boxes: a box is a 32-bit size, a four-character type and a body."""

from __future__ import annotations

import struct

_HEADER = struct.Struct(">I4s")
_FULL_HEADER = struct.Struct(">I4sI")


def box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return _HEADER.pack(8 + len(body), kind) + body


def full_box(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return _FULL_HEADER.pack(12 + len(body), kind, (version << 24) | flags) + body


def u8(v: int) -> bytes:
    return struct.pack(">B", v)


def u16(v: int) -> bytes:
    return struct.pack(">H", v)


def u32(v: int) -> bytes:
    return struct.pack(">I", v)


def u64(v: int) -> bytes:
    return struct.pack(">Q", v)


# The identity transformation matrix of mvhd/tkhd (16.16 and 2.30 fixed point).
MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
