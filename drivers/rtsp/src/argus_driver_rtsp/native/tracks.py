"""Tracks of a native session: from the SDP to the SDK's descriptions and a depacketizer each.

The descriptions are the ones the ffmpeg engine gives for the same stream
(:mod:`argus_driver_rtsp.tracks`): Annex B parameter sets as extradata, the
RTP clock as time base, AAC's AudioSpecificConfig from ``config``, the picture
size from the SPS and the frame rate from ``a=framerate`` (else the H.264 VUI).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import logging
from dataclasses import dataclass
from fractions import Fraction

from argus_driver_rtsp import bitstream
from argus_driver_rtsp.native import params
from argus_driver_rtsp.native.depacketize import G711, H264, H265, Aac, Depacketizer, Unit
from argus_driver_rtsp.native.sdp import Media
from argus_driver_rtsp.timestamps import TrackTimeline, log_rebase
from argus_sdk import ChannelKind, TrackDescription, Unsupported

_VIDEO = {"H264": "h264", "H265": "hevc"}
_AUDIO = {"MPEG4-GENERIC": "aac", "PCMA": "pcm_alaw", "PCMU": "pcm_mulaw"}
_ASSUMED_FPS = 25
_AAC_FRAME = 1024
_G711_PACKET_SECONDS = Fraction(1, 50)


@dataclass(slots=True)
class NativeTrack:
    """One delivered track: what the SDK sees, how its RTP becomes access units, its timeline."""

    description: TrackDescription
    media: Media
    depacketizer: Depacketizer
    timeline: TrackTimeline
    rebases: int = 0

    @property
    def is_video(self) -> bool:
        return self.description.kind is ChannelKind.VIDEO

    def needs_keyframe(self) -> bool:
        """Whether the SDP left out the parameter sets or the picture size."""
        d = self.description
        return self.is_video and not (d.extradata and d.width and d.height)

    def note_rebase(self, log: logging.Logger, where: str) -> None:
        self.rebases += 1
        log_rebase(log, where, self.description.codec, self.rebases)


def select_tracks(
    media: list[Media], out: list[Unit], where: str, log: logging.Logger
) -> list[NativeTrack]:
    """The first H.264/H.265 video and the first AAC/G.711 audio, video first.

    :raises Unsupported: the video is another codec, or nothing is usable.
    """
    video = audio = None
    for m in media:
        if m.kind == "video" and video is None:
            if m.encoding not in _VIDEO:
                codec = m.encoding or f"payload type {m.payload_type}"
                raise Unsupported(f"{where}: {codec} video is not supported (H.264 and H.265 are)")
            video = m
        elif m.kind == "audio" and audio is None and _usable_audio(m):
            audio = m
        else:
            log.debug("%s: ignoring %s track (%s)", where, m.kind, m.encoding or m.payload_type)
    tracks: list[NativeTrack] = []
    if video is not None:
        tracks.append(_video_track(len(tracks), video, out, where))
    if audio is not None:
        tracks.append(_audio_track(len(tracks), audio, out))
    if not tracks:
        raise Unsupported(f"{where}: no H.264/H.265 video nor AAC/G.711 audio in the stream")
    return tracks


def _usable_audio(media: Media) -> bool:
    codec = _AUDIO.get(media.encoding)
    if codec is None or media.clock_rate <= 0:
        return False
    if codec == "aac":
        return media.fmtp.get("mode", "").lower() in ("aac-hbr", "aac-lbr") or (
            "sizelength" in media.fmtp
        )
    return True


def _video_track(index: int, media: Media, out: list[Unit], where: str) -> NativeTrack:
    codec = _VIDEO[media.encoding]
    extradata = _parameter_sets(codec, media)
    width, height, sps_rate = picture_of(codec, extradata)
    rate = media.frame_rate or sps_rate
    time_base = Fraction(1, media.clock_rate or 90_000)
    description = TrackDescription(
        index=index,
        kind=ChannelKind.VIDEO,
        codec=codec,
        time_base=time_base,
        extradata=extradata,
        width=width,
        height=height,
        frame_rate=rate,
        bit_rate=0,
    )
    step = round(1 / (rate or _ASSUMED_FPS) / time_base)
    duration = step if rate else 0
    depacketizer: Depacketizer
    if codec == "h264":
        if media.fmtp.get("packetization-mode", "0") not in ("0", "1"):
            raise Unsupported(f"{where}: H.264 interleaved packetization is not supported")
        depacketizer = H264(index, out, duration)
    else:
        donl = media.fmtp.get("sprop-max-don-diff", "0").strip() not in ("", "0")
        depacketizer = H265(index, out, duration, donl=donl)
    return NativeTrack(description, media, depacketizer, TrackTimeline(time_base, step))


def _parameter_sets(codec: str, media: Media) -> bytes:
    """Annex B parameter sets from ``sprop-parameter-sets`` (H.264) or ``sprop-vps``,
    ``-sps``, ``-sei``, ``-pps`` (H.265), in FFmpeg's order; empty if absent or unreadable."""
    if codec == "h264":
        values = media.fmtp.get("sprop-parameter-sets", "").split(",")
    else:
        values = [
            part
            for key in ("sprop-vps", "sprop-sps", "sprop-sei", "sprop-pps")
            for part in media.fmtp.get(key, "").split(",")
        ]
    units = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        try:
            units.append(base64.b64decode(value + "=" * (-len(value) % 4), validate=False))
        except (binascii.Error, ValueError):
            return b""
    return bitstream.annexb([u for u in units if u])


def picture_of(codec: str, extradata: bytes) -> tuple[int, int, Fraction | None]:
    """``(width, height, frame rate)`` from the SPS in Annex B ``extradata``; zeros if none."""
    for unit in bitstream.nal_units(extradata):
        try:
            if codec == "h264" and unit[0] & 0x1F == 7:
                return params.h264_sps(unit)
            if codec == "hevc" and (unit[0] >> 1) & 0x3F == 33:
                return (*params.h265_sps(unit), None)
        except (ValueError, IndexError):
            continue
    return 0, 0, None


def complete_video(track: NativeTrack, keyframe: bytes, where: str) -> NativeTrack:
    """``track`` with the parameter sets and size taken from its first keyframe, for
    cameras whose SDP lacks them.

    :raises Unsupported: the keyframe carries no parameter sets either.
    """
    d = track.description
    extradata = d.extradata or bitstream.parameter_sets(d.codec, keyframe)
    if not extradata:
        raise Unsupported(f"{where}: the camera sends no {d.codec} parameter sets")
    width, height, rate = picture_of(d.codec, extradata)
    if not (width and height):
        raise Unsupported(f"{where}: the {d.codec} parameter sets give no picture size")
    description = dataclasses.replace(
        d, extradata=extradata, width=width, height=height, frame_rate=d.frame_rate or rate
    )
    return dataclasses.replace(track, description=description)


def _audio_track(index: int, media: Media, out: list[Unit]) -> NativeTrack:
    codec, rate, channels = _AUDIO[media.encoding], media.clock_rate, media.channels
    time_base = Fraction(1, rate)
    depacketizer: Depacketizer
    if codec == "aac":
        extradata = _hex(media.fmtp.get("config", "")) or _aac_config(rate, channels)
        frame = _number(media, "constantduration", _AAC_FRAME) or _AAC_FRAME
        depacketizer = Aac(
            index,
            out,
            size_length=_number(media, "sizelength", 13),
            index_length=_number(media, "indexlength", 3),
            delta_length=_number(media, "indexdeltalength", 3),
            frame=frame,
        )
        step, bit_rate = frame, 0
    else:
        extradata = b""
        depacketizer = G711(index, out, channels)
        step, bit_rate = round(_G711_PACKET_SECONDS / time_base), 8 * rate * channels
    description = TrackDescription(
        index=index,
        kind=ChannelKind.AUDIO,
        codec=codec,
        time_base=time_base,
        extradata=extradata,
        sample_rate=rate,
        audio_channels=channels,
        bit_rate=bit_rate,
    )
    return NativeTrack(description, media, depacketizer, TrackTimeline(time_base, step))


def _number(media: Media, name: str, default: int) -> int:
    """A small non-negative integer format parameter; ``default`` if absent or not one."""
    text = media.fmtp.get(name, "").strip()
    return int(text) if text.isdigit() and len(text) < 6 else default


def _hex(text: str) -> bytes:
    try:
        return bytes.fromhex(text.strip())
    except ValueError:
        return b""


def _aac_config(rate: int, channels: int) -> bytes:
    try:
        return bitstream.aac_config(rate, channels)
    except ValueError:
        return b""
