"""Encoding the simulated clips with PyAV: H.264 with libx264, AAC with FFmpeg's encoder.

Runs once per set of clip parameters (the result is cached, see ``clip.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
import numpy as np
import numpy.typing as npt
from av.audio.codeccontext import AudioCodecContext
from av.packet import Packet
from av.video.codeccontext import VideoCodecContext

from argus_driver_sim import const
from argus_driver_sim.pattern import Pattern

_NAL_SPS = 7
_NAL_PPS = 8
_START_CODE = b"\x00\x00\x00\x01"


@dataclass(frozen=True, slots=True)
class EncodedTrack:
    """Packets of one looped track, in decoding order, with their codec parameters."""

    codec: str
    extradata: bytes
    packets: tuple[bytes, ...]
    keyframes: tuple[bool, ...]
    width: int = 0
    height: int = 0
    sample_rate: int = 0
    channels: int = 0


def encode_video(pattern: Pattern, bit_rate: int) -> EncodedTrack:
    """Encode one loop of ``pattern`` as Annex B H.264 with SPS/PPS before every IDR."""
    encoder = _video_encoder(pattern.width, pattern.height, pattern.fps, bit_rate)
    packets: list[bytes] = []
    keyframes: list[bool] = []
    for index in range(pattern.loop_frames):
        frame = av.VideoFrame.from_ndarray(pattern.frame(index), format="yuv420p")
        frame.pts = index
        _collect(encoder.encode(frame), packets, keyframes)
    _collect(encoder.encode(None), packets, keyframes)
    if len(packets) != pattern.loop_frames or not keyframes[0]:
        raise RuntimeError(f"libx264 returned {len(packets)} packets for {pattern.loop_frames}")
    return EncodedTrack(
        codec="h264",
        extradata=parameter_sets(packets[0]),
        packets=tuple(packets),
        keyframes=tuple(keyframes),
        width=pattern.width,
        height=pattern.height,
    )


def _video_encoder(width: int, height: int, fps: int, bit_rate: int) -> VideoCodecContext:
    gop = const.GOP_SECONDS * fps
    encoder = av.CodecContext.create("libx264", "w")
    encoder.width = width
    encoder.height = height
    encoder.pix_fmt = "yuv420p"
    encoder.time_base = Fraction(1, fps)
    encoder.framerate = Fraction(fps)
    encoder.bit_rate = bit_rate
    encoder.gop_size = gop
    # zerolatency: no B-frames and no lookahead, so dts == pts and packets come
    # out in order; repeat-headers puts SPS/PPS in-band before every IDR.
    encoder.options = {
        "preset": const.X264_PRESET,
        "tune": "zerolatency",
        "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:repeat-headers=1",
    }
    encoder.open()
    return encoder


def _collect(output: list[Packet[Any]], packets: list[bytes], keyframes: list[bool]) -> None:
    for packet in output:
        packets.append(bytes(packet))
        keyframes.append(bool(packet.is_keyframe))


def nal_units(data: bytes) -> list[bytes]:
    """Split an Annex B byte stream into NAL units (without their start codes)."""
    units: list[bytes] = []
    starts: list[tuple[int, int]] = []
    pos = data.find(b"\x00\x00\x01")
    while pos >= 0:
        begin = pos - 1 if pos > 0 and data[pos - 1] == 0 else pos
        starts.append((begin, pos + 3))
        pos = data.find(b"\x00\x00\x01", pos + 3)
    for i, (_, payload) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(data)
        units.append(data[payload:end])
    return units


def parameter_sets(keyframe: bytes) -> bytes:
    """The SPS and PPS of an Annex B keyframe, each with a 4-byte start code."""
    sets = [n for n in nal_units(keyframe) if n and n[0] & 0x1F in (_NAL_SPS, _NAL_PPS)]
    if not any(n[0] & 0x1F == _NAL_SPS for n in sets):
        raise RuntimeError("the first H.264 keyframe carries no SPS")
    return b"".join(_START_CODE + n for n in sets)


def beep_signal(samples: int, sample_rate: int) -> npt.NDArray[np.float32]:
    """Silence with a short sine beep at the start of every second (with soft edges)."""
    t = np.arange(samples, dtype=np.float64) / sample_rate
    phase = np.mod(t, 1.0)
    envelope = np.clip(np.minimum(phase, const.AUDIO_BEEP_SECONDS - phase) / 0.005, 0.0, 1.0)
    tone = np.sin(2.0 * math.pi * const.AUDIO_BEEP_HZ * t) * envelope * const.AUDIO_BEEP_LEVEL
    return tone.astype(np.float32)


def encode_audio(loop_frames: int, sample_rate: int, bit_rate: int) -> EncodedTrack:
    """Encode one loop of the beep signal as raw AAC-LC (extradata: AudioSpecificConfig).

    Three periods of the (periodic) signal are encoded and the packets of the middle
    one kept, so the encoder's overlap and look-ahead at both ends of the kept loop
    see the same samples they will see when it is replayed end to end.
    """
    period = loop_frames * const.AUDIO_FRAME_SAMPLES
    encoder = _audio_encoder(sample_rate, bit_rate)
    signal = beep_signal(period, sample_rate)
    kept: dict[int, bytes] = {}
    for block in range(3 * loop_frames):
        start = (block % loop_frames) * const.AUDIO_FRAME_SAMPLES
        chunk = signal[start : start + const.AUDIO_FRAME_SAMPLES].reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
        frame.sample_rate = sample_rate
        frame.pts = block * const.AUDIO_FRAME_SAMPLES
        _keep_middle(encoder.encode(frame), kept, period)
    _keep_middle(encoder.encode(None), kept, period)
    packets = tuple(kept[pts] for pts in sorted(kept))
    if len(packets) != loop_frames:
        raise RuntimeError(f"AAC encoder returned {len(packets)} packets for {loop_frames}")
    return EncodedTrack(
        codec="aac",
        extradata=bytes(encoder.extradata or b""),
        packets=packets,
        keyframes=(True,) * len(packets),
        sample_rate=sample_rate,
        channels=const.AUDIO_CHANNELS,
    )


def _audio_encoder(sample_rate: int, bit_rate: int) -> AudioCodecContext:
    encoder = av.CodecContext.create("aac", "w")
    encoder.sample_rate = sample_rate
    encoder.layout = "mono"
    encoder.format = "fltp"
    encoder.bit_rate = bit_rate
    encoder.time_base = Fraction(1, sample_rate)
    encoder.open()
    return encoder


def _keep_middle(output: list[Packet[Any]], kept: dict[int, bytes], period: int) -> None:
    for packet in output:
        if packet.pts is not None and period <= packet.pts < 2 * period:
            kept[int(packet.pts)] = bytes(packet)
