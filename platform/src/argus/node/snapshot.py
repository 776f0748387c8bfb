"""JPEG snapshots of recorded video at a timestamp (decoded from the keyframe before it)."""

from __future__ import annotations

import io
from fractions import Fraction

import av

from argus_sdk import FragmentReader, StreamKey, TimeRange


class NothingRecorded(LookupError):
    """No video was recorded at the requested time."""


def jpeg_at(reader: FragmentReader, key: StreamKey, at: float, quality: int = 85) -> bytes:
    """The frame shown at ``at`` (the last frame starting at or before it), as JPEG.

    :raises NothingRecorded: no recording covers ``at``.
    """
    data = b"".join(reader.fmp4(key, TimeRange(at, at + 0.001)))
    if not data:
        raise NothingRecorded(f"nothing recorded for {key.camera}/{key.stream} at {at}")
    chosen = None
    with av.open(io.BytesIO(data), mode="r", format="mp4") as container:
        stream = container.streams.video[0]
        time_base = stream.time_base or Fraction(1, 90000)
        for frame in container.decode(stream):
            if frame.pts is not None and frame.pts * time_base > at:
                break
            chosen = frame
    if chosen is None:
        raise NothingRecorded(f"no frame of {key.camera}/{key.stream} at or before {at}")
    return _encode_jpeg(chosen, quality)


def _encode_jpeg(frame: av.VideoFrame, quality: int) -> bytes:
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height = frame.width, frame.height
    encoder.pix_fmt = "yuvj420p"
    encoder.time_base = Fraction(1, 25)
    encoder.options = {"qmin": "1", "qmax": str(max(2, 31 - quality * 29 // 100))}
    packets = encoder.encode(frame.reformat(format="yuvj420p"))
    packets += encoder.encode(None)
    return b"".join(bytes(p) for p in packets)
