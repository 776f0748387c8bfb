"""The on-disk form of an encoded clip: self-checking, written atomically.

Layout: ``MAGIC``, a 4-byte big-endian header length, a JSON header (the cache
key, codec parameters, packet sizes and keyframe flags), the packets back to
back, and a SHA-256 of everything before it. A file that is short, has another
key, or fails its digest is reported as :class:`CorruptCacheFile`.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

from argus_driver_sim.encode import EncodedTrack

MAGIC = b"ARGUS-SIM-CLIP\x00\x01"
_LENGTH_BYTES = 4
_DIGEST_BYTES = 32


class CorruptCacheFile(Exception):
    """A cache file exists but cannot be trusted; the caller regenerates it."""


def dumps(token: str, track: EncodedTrack) -> bytes:
    """Serialise ``track`` under cache key ``token``."""
    header = {
        "key": token,
        "codec": track.codec,
        "extradata": track.extradata.hex(),
        "width": track.width,
        "height": track.height,
        "sample_rate": track.sample_rate,
        "channels": track.channels,
        "sizes": [len(p) for p in track.packets],
        "keyframes": "".join("1" if k else "0" for k in track.keyframes),
    }
    head = json.dumps(header, separators=(",", ":")).encode()
    body = b"".join((MAGIC, len(head).to_bytes(_LENGTH_BYTES, "big"), head, *track.packets))
    return body + hashlib.sha256(body).digest()


def loads(token: str, data: bytes) -> EncodedTrack:
    """Parse and verify a cache file's bytes; the packets become separate ``bytes`` objects."""
    body, digest = data[:-_DIGEST_BYTES], data[-_DIGEST_BYTES:]
    if len(data) < len(MAGIC) + _LENGTH_BYTES + _DIGEST_BYTES or not body.startswith(MAGIC):
        raise CorruptCacheFile("not a simulated clip (bad magic or too short)")
    if hashlib.sha256(body).digest() != digest:
        raise CorruptCacheFile("digest mismatch (truncated or damaged)")
    start = len(MAGIC) + _LENGTH_BYTES
    head_len = int.from_bytes(body[len(MAGIC) : start], "big")
    try:
        header = json.loads(body[start : start + head_len])
        return _track(token, header, body, start + head_len)
    except (ValueError, KeyError, TypeError) as exc:
        raise CorruptCacheFile(f"bad header: {exc}") from exc


def _track(token: str, header: dict[str, Any], body: bytes, offset: int) -> EncodedTrack:
    if header["key"] != token:
        raise CorruptCacheFile("the file holds another clip")
    sizes = [int(s) for s in header["sizes"]]
    if offset + sum(sizes) != len(body) or len(header["keyframes"]) != len(sizes) or not sizes:
        raise CorruptCacheFile("packet table does not match the payload")
    packets = []
    for size in sizes:
        packets.append(body[offset : offset + size])
        offset += size
    return EncodedTrack(
        codec=str(header["codec"]),
        extradata=bytes.fromhex(header["extradata"]),
        packets=tuple(packets),
        keyframes=tuple(flag == "1" for flag in header["keyframes"]),
        width=int(header["width"]),
        height=int(header["height"]),
        sample_rate=int(header["sample_rate"]),
        channels=int(header["channels"]),
    )


def read(path: Path, token: str) -> EncodedTrack | None:
    """The clip at ``path``, or ``None`` if there is no such file.

    :raises CorruptCacheFile: the file exists but is damaged or holds another clip.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return loads(token, data)


def write(path: Path, token: str, track: EncodedTrack) -> None:
    """Write atomically: a temporary file in the same directory, fsync, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with temp.open("wb") as file:
            file.write(dumps(token, track))
            file.flush()
            os.fsync(file.fileno())
        temp.replace(path)
    finally:
        temp.unlink(missing_ok=True)
