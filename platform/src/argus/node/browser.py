"""Recordings as a browser can play them: H.264 video, AAC or no audio.

The stored fragmented MP4 is sent as it is whenever the browser can play it. When it
cannot — H.265 video (no HEVC decoder in the browsers here), G.711 audio (not
playable from MP4), or the client asked for video only — the recording is read back
with FFmpeg's demuxer and muxed again: H.264 video is copied (no quality lost), H.265
is transcoded to H.264 at most :data:`argus.node.rendition.MAX_HEIGHT` lines; audio
is left out. The stored files are never touched. Media time stays UTC seconds, as
in the recording.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from fractions import Fraction
from typing import Any

import av
from av.bitstream import BitStreamFilterContext
from av.video.codeccontext import VideoCodecContext

from argus.node.rendition import h264_description, h264_encoder
from argus_sdk import ChannelKind, StreamDescription, StreamPacket, TrackDescription
from argus_sdk.fmp4 import Muxer

#: Audio sample entries a browser cannot play from MP4 (G.711).
UNPLAYABLE_AUDIO = (b"ulaw", b"alaw")


def playable(init: bytes, codecs: frozenset[str], video_only: bool) -> bool:
    """Whether the stored stream whose init segment is ``init`` can go out unchanged."""
    if video_only and b"soun" in init:
        return False
    if codecs and b"hvcC" in init and "hevc" not in codecs:
        return False
    return not (codecs and any(kind in init for kind in UNPLAYABLE_AUDIO))


class _Chunks(io.RawIOBase):
    """A non-seekable file over an iterator of byte chunks (for FFmpeg's demuxer)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: memoryview) -> int:  # type: ignore[override]
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


def for_browser(chunks: Iterable[bytes], stream_name: str) -> Iterator[bytes]:
    """The recording as H.264-only fragmented MP4 (copied, or transcoded from H.265)."""
    with av.open(_Chunks(chunks), format="mp4", mode="r") as container:
        if not container.streams.video:
            return
        source = container.streams.video[0]
        time_base = source.time_base or Fraction(1, 90000)
        codec = source.codec_context.name
        if codec == "h264":
            yield from _copied(container, source, time_base, stream_name)
        else:
            yield from _transcoded(container, source, time_base, stream_name)


def _description(name: str, time_base: Fraction, width: int, height: int) -> StreamDescription:
    return StreamDescription(
        name,
        (TrackDescription(0, ChannelKind.VIDEO, "h264", time_base, width=width, height=height),),
    )


def _emit(muxer: Muxer, packet: StreamPacket, sent_init: list[bool]) -> Iterator[bytes]:
    fragment = muxer.push(packet)
    if not sent_init[0] and muxer.init is not None:
        sent_init[0] = True
        yield muxer.init
    if fragment is not None:
        yield fragment.data


def _copied(
    container: av.container.InputContainer,
    source: av.video.stream.VideoStream,
    time_base: Fraction,
    name: str,
) -> Iterator[bytes]:
    """H.264 copied packet by packet (to Annex B for the muxer), audio left out."""
    annexb = BitStreamFilterContext("h264_mp4toannexb", source)
    ctx = source.codec_context
    muxer = Muxer(_description(name, time_base, ctx.width, ctx.height))
    sent: list[bool] = [False]
    for packet in container.demux(source):
        for out in annexb.filter(packet if packet.size else None):
            yield from _emit(muxer, _packet(out, time_base), sent)
    yield from _tail(muxer, sent)


def _transcoded(
    container: av.container.InputContainer,
    source: av.video.stream.VideoStream,
    time_base: Fraction,
    name: str,
) -> Iterator[bytes]:
    """H.265 (or another codec) decoded and encoded as H.264 for the browser."""
    encoder: VideoCodecContext | None = None
    muxer: Muxer | None = None
    sent: list[bool] = [False]
    rate = source.average_rate or Fraction(25)
    for frame in container.decode(source):
        if frame.pts is None:
            continue
        if encoder is None:
            encoder = h264_encoder(frame, time_base, rate)
            muxer = Muxer(h264_description(name, encoder, time_base))
        assert muxer is not None
        image = frame.reformat(encoder.width, encoder.height, "yuv420p")
        image.pts, image.time_base = frame.pts, time_base
        for out in encoder.encode(image):
            yield from _emit(muxer, _packet(out, time_base), sent)
    if encoder is not None and muxer is not None:
        for out in encoder.encode(None):
            yield from _emit(muxer, _packet(out, time_base), sent)
        yield from _tail(muxer, sent)


def _tail(muxer: Muxer, sent: list[bool]) -> Iterator[bytes]:
    """The last fragment (the GOP still open when the recording ended)."""
    fragment = muxer.flush()
    if fragment is not None and sent[0]:
        yield fragment.data


def _packet(packet: av.Packet[Any], time_base: Fraction) -> StreamPacket:
    pts = packet.pts if packet.pts is not None else 0
    return StreamPacket(
        track=0,
        data=bytes(packet),
        pts=pts,
        dts=packet.dts if packet.dts is not None else pts,
        time_base=time_base,
        keyframe=packet.is_keyframe,
        wall_time=float(pts * time_base),
        duration=packet.duration or 0,
    )
