"""Reading a driver's streams for the checks: first keyframe, a run of packets, decoding."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from argus_sdk._device import DeviceDescription
from argus_sdk._media import ChannelKind, PacketSource, StreamPacket, TrackDescription
from argus_sdk.conformance._failures import fail, healthy_read, require, sdk_call

ANNEX_B = (b"\x00\x00\x01", b"\x00\x00\x00\x01")


def streams_of(description: DeviceDescription) -> list[tuple[int, str]]:
    """Every (channel index, stream name) the device declares."""
    return [(c.index, s.name) for c in description.channels for s in c.streams]


@contextmanager
def opened(driver: Any, channel: int, stream: str) -> Iterator[PacketSource]:
    where = f"open_stream({channel}, {stream!r})"
    source = sdk_call(where, lambda: driver.open_stream(channel, stream))
    require(
        isinstance(source, PacketSource),
        f"{where} returned a {type(source).__name__}, not a PacketSource "
        "(description, read(timeout), close())",
    )
    try:
        yield source
    finally:
        source.close()


def next_packet(source: PacketSource, deadline: float, where: str) -> StreamPacket | None:
    """The next packet, or ``None`` when ``deadline`` (``time.monotonic``) passes first."""
    while (left := deadline - time.monotonic()) > 0:
        packet = healthy_read(source, min(left, 1.0), where)
        if packet is not None:
            require(
                isinstance(packet, StreamPacket),
                f"{where}: read() returned a {type(packet).__name__}, not a StreamPacket",
            )
            return packet
    return None


def first_keyframe(source: PacketSource, timeout: float, where: str) -> list[StreamPacket]:
    """Packets up to and including the first video keyframe, within ``timeout`` seconds.

    Fails when the first packet of the video track is not a keyframe.
    """
    video = source.description.video
    require(video is not None, f"{where}: the stream's description has no video track")
    assert video is not None
    deadline = time.monotonic() + timeout
    packets: list[StreamPacket] = []
    while True:
        packet = next_packet(source, deadline, where)
        if packet is None:
            fail(
                f"{where}: no video keyframe within {timeout:g} s of opening the stream "
                f"({len(packets)} packet(s) of other tracks came)"
            )
        packets.append(packet)
        if packet.track == video.index:
            require(
                packet.keyframe,
                f"{where}: the first video packet (pts {packet.pts}) is not a keyframe; the "
                "first packet of every video track must be one (drop what comes before it)",
            )
            return packets


def read_run(source: PacketSource, count: int, timeout: float, where: str) -> list[StreamPacket]:
    """The first keyframe and what precedes it, then packets up to ``count`` in all."""
    packets = first_keyframe(source, timeout, where)
    video = source.description.video
    rate = float(video.frame_rate) if video is not None and video.frame_rate else 1.0
    deadline = time.monotonic() + timeout + 2 * count / max(rate, 0.1)
    while len(packets) < count:
        packet = next_packet(source, deadline, where)
        if packet is None:
            fail(f"{where}: only {len(packets)} of {count} packets came in time")
        packets.append(packet)
    return packets


def decode(track: TrackDescription, packets: list[StreamPacket]) -> list[Any]:
    """Decode ``track``'s packets with FFmpeg (PyAV), configured only by the description."""
    import av  # an optional dependency of the SDK: the kit says so when it is missing

    decoder: Any = av.CodecContext.create(track.codec, "r")
    if track.extradata:
        decoder.extradata = track.extradata
    if track.kind is ChannelKind.AUDIO and track.sample_rate:
        decoder.sample_rate = track.sample_rate
        decoder.layout = "mono" if track.audio_channels == 1 else "stereo"
    frames: list[Any] = []
    for p in packets:
        if p.track == track.index:
            packet = av.Packet(p.data)
            packet.pts, packet.dts, packet.time_base = p.pts, p.dts, p.time_base
            frames += decoder.decode(packet)
    frames += decoder.decode(None)
    return frames


def pyav_missing() -> str | None:
    """Why packets cannot be decoded here, or ``None`` when PyAV is installed."""
    try:
        import av  # noqa: F401
    except ImportError:
        return (
            "PyAV is not installed, so the kit cannot decode the first keyframe: "
            "pip install 'argus-sdk[test]' (or pip install av); CI must have it"
        )
    return None
