"""Choosing and describing the tracks of an RTSP session: the first H.264/H.265
video and the first AAC/G.711 audio, in the form the SDK documents."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import av
import av.container
from av.audio.stream import AudioStream
from av.video.codeccontext import VideoCodecContext
from av.video.stream import VideoStream

from argus_driver_rtsp import bitstream
from argus_driver_rtsp.const import AUDIO_CODECS, VIDEO_CODECS
from argus_driver_rtsp.timestamps import TrackTimeline, log_rebase
from argus_sdk import (
    ChannelKind,
    DeviceUnavailable,
    StreamDescription,
    TrackDescription,
    Unsupported,
)

_VIDEO_TIME_BASE = Fraction(1, 90_000)
_ASSUMED_FPS = 25
_MAX_FPS = 240
_AAC_FRAME = 1024
_G711_PACKET_SECONDS = Fraction(1, 50)


@dataclass(slots=True)
class Track:
    """One track the driver delivers: its description, timeline and payload form.

    :param length_size: NAL length size of length-prefixed video packets, which
        :meth:`payload` turns into Annex B; 0 when FFmpeg gives Annex B already.
    """

    stream: av.stream.Stream
    description: TrackDescription
    timeline: TrackTimeline
    length_size: int = 0
    rebases: int = 0

    @property
    def is_video(self) -> bool:
        return self.description.kind is ChannelKind.VIDEO

    def needs_keyframe(self) -> bool:
        """Whether the SDP left out the parameter sets or the picture size."""
        d = self.description
        return self.is_video and not (d.extradata and d.width and d.height)

    def payload(self, data: bytes, where: str) -> bytes:
        """The packet bytes in the SDK's form (Annex B for video)."""
        if not self.length_size:
            return data
        try:
            return bitstream.length_prefixed_to_annexb(data, self.length_size)
        except ValueError as exc:
            codec = self.description.codec
            raise DeviceUnavailable(f"{where}: malformed {codec} packet: {exc}") from None

    def note_rebase(self, log: logging.Logger, where: str) -> None:
        self.rebases += 1
        log_rebase(log, where, self.description.codec, self.rebases)


def select_tracks(
    container: av.container.InputContainer, where: str, log: logging.Logger
) -> list[Track]:
    """The tracks to deliver, video first.

    :raises Unsupported: the video is neither H.264 nor H.265, or nothing is usable.
    """
    video = audio = None
    for stream in container.streams:
        name = stream.codec_context.name
        if isinstance(stream, VideoStream) and video is None:
            if name not in VIDEO_CODECS:
                raise Unsupported(f"{where}: {name} video is not supported (H.264 and H.265 are)")
            video = stream
        elif isinstance(stream, AudioStream) and audio is None and _usable_audio(stream):
            audio = stream
        else:
            log.debug("%s: ignoring %s track %d (%s)", where, stream.type, stream.index, name)
    tracks: list[Track] = []
    if video is not None:
        tracks.append(_video_track(len(tracks), video, where))
    if audio is not None:
        tracks.append(_audio_track(len(tracks), audio))
    if not tracks:
        raise Unsupported(f"{where}: no H.264/H.265 video nor AAC/G.711 audio in the stream")
    return tracks


def _usable_audio(stream: AudioStream) -> bool:
    return stream.codec_context.name in AUDIO_CODECS and stream.codec_context.sample_rate > 0


def _frame_rate(stream: VideoStream) -> Fraction | None:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and 0 < rate <= _MAX_FPS:
            return Fraction(rate)
    return None


def _video_track(index: int, stream: VideoStream, where: str) -> Track:
    cc = stream.codec_context
    codec = cc.name
    try:
        extradata, length_size = bitstream.extradata_to_annexb(codec, bytes(cc.extradata or b""))
    except ValueError as exc:
        raise Unsupported(f"{where}: unreadable {codec} configuration: {exc}") from None
    time_base = stream.time_base or _VIDEO_TIME_BASE
    rate = _frame_rate(stream)
    description = TrackDescription(
        index=index,
        kind=ChannelKind.VIDEO,
        codec=codec,
        time_base=time_base,
        extradata=extradata,
        width=cc.width,
        height=cc.height,
        frame_rate=rate,
        bit_rate=cc.bit_rate or 0,
    )
    step = round(1 / (rate or _ASSUMED_FPS) / time_base)
    return Track(stream, description, TrackTimeline(time_base, step), length_size)


def _audio_track(index: int, stream: AudioStream) -> Track:
    cc = stream.codec_context
    codec, rate = cc.name, cc.sample_rate
    channels = len(cc.layout.channels)
    time_base = stream.time_base or Fraction(1, rate)
    if codec == "aac":
        extradata = bytes(cc.extradata or b"") or _aac_config(rate, channels)
        seconds = Fraction(cc.frame_size or _AAC_FRAME, rate)
    else:
        extradata, seconds = b"", _G711_PACKET_SECONDS
    description = TrackDescription(
        index=index,
        kind=ChannelKind.AUDIO,
        codec=codec,
        time_base=time_base,
        extradata=extradata,
        sample_rate=rate,
        audio_channels=channels,
        bit_rate=cc.bit_rate or 0,
    )
    return Track(stream, description, TrackTimeline(time_base, round(seconds / time_base)))


def _aac_config(rate: int, channels: int) -> bytes:
    """An AAC-LC config for an SDP without one; empty if AAC cannot signal the format."""
    try:
        return bitstream.aac_config(rate, channels)
    except ValueError:
        return b""


def complete_video(
    track: Track, preroll: Sequence[av.Packet[av.stream.Stream]], where: str
) -> Track:
    """``track`` with the parameter sets and picture size taken from the packets up to
    its first keyframe (the last of ``preroll``), for cameras whose SDP lacks them.

    :raises Unsupported: the packets carry no parameter sets either.
    """
    d = track.description
    data = [track.payload(bytes(p), where) for p in preroll if p.stream.index == track.stream.index]
    extradata = d.extradata or bitstream.parameter_sets(d.codec, b"".join(data))
    if not extradata:
        raise Unsupported(f"{where}: the camera sends no {d.codec} parameter sets")
    width, height = d.width, d.height
    if not (width and height):
        width, height = _picture_size(d.codec, extradata, data[-1])
    description = dataclasses.replace(d, extradata=extradata, width=width, height=height)
    return dataclasses.replace(track, description=description)


def _picture_size(codec: str, extradata: bytes, keyframe: bytes) -> tuple[int, int]:
    """Decode one keyframe to learn its size; ``(0, 0)`` if it does not decode."""
    decoder = av.CodecContext.create(codec, "r")
    if not isinstance(decoder, VideoCodecContext):
        return 0, 0
    decoder.extradata = extradata
    try:
        frames = [*decoder.decode(av.Packet(keyframe)), *decoder.decode(None)]
    except av.error.FFmpegError:
        return 0, 0
    for frame in frames:
        if isinstance(frame, av.VideoFrame):
            return frame.width, frame.height
    return 0, 0


def summary(description: StreamDescription) -> str:
    """``h264 640x360 25 fps, aac 16000 Hz 1 ch`` — for log lines."""
    parts = []
    for t in description.tracks:
        if t.kind is ChannelKind.VIDEO:
            fps = f" {float(t.frame_rate):g} fps" if t.frame_rate else ""
            parts.append(f"{t.codec} {t.width}x{t.height}{fps}")
        else:
            parts.append(f"{t.codec} {t.sample_rate} Hz {t.audio_channels} ch")
    return ", ".join(parts)
