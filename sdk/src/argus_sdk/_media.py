"""Media data exchanged between drivers, the recorder and storage backends.

Everything here is plain, immutable and serializable, so the driver ↔ recorder
boundary can later cross a process boundary unchanged.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Protocol, runtime_checkable


class ChannelKind(enum.StrEnum):
    """What a track carries (the glossary's *channel*)."""

    VIDEO = "video"
    AUDIO = "audio"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class TrackDescription:
    """Codec parameters of one track of an open stream.

    ``codec`` is the FFmpeg codec name (``h264``, ``hevc``, ``aac``, ``pcm_alaw``,
    ``pcm_mulaw``, ``text``). ``extradata`` is what FFmpeg calls the codec's
    extradata: for H.264/H.265 in Annex B form (start codes, SPS/PPS/VPS), which
    is also the form of the packets; for AAC the AudioSpecificConfig.
    """

    index: int
    kind: ChannelKind
    codec: str
    time_base: Fraction
    extradata: bytes = b""
    width: int = 0
    height: int = 0
    frame_rate: Fraction | None = None
    sample_rate: int = 0
    audio_channels: int = 0
    bit_rate: int = 0


@dataclass(frozen=True, slots=True)
class StreamDescription:
    """An open stream: its name (``main``, ``sub`` …) and its tracks, video first."""

    name: str
    tracks: tuple[TrackDescription, ...]

    @property
    def video(self) -> TrackDescription | None:
        """The first video track, if any."""
        return next((t for t in self.tracks if t.kind is ChannelKind.VIDEO), None)

    @property
    def audio(self) -> TrackDescription | None:
        """The first audio track, if any."""
        return next((t for t in self.tracks if t.kind is ChannelKind.AUDIO), None)


@dataclass(frozen=True, slots=True)
class StreamPacket:
    """One encoded packet of one track, as the device sent it.

    ``pts``/``dts`` are in ``time_base`` units and increase monotonically per
    track for the life of a connection (``dts`` never goes back). ``wall_time``
    is the UTC time (seconds since the epoch) the packet's ``pts`` corresponds
    to: derived once per connection from the device or the host clock and then
    advanced with the media timestamps, so it is monotonic too.
    ``duration`` is in ``time_base`` units, 0 when unknown.
    """

    track: int
    data: bytes
    pts: int
    dts: int
    time_base: Fraction
    keyframe: bool
    wall_time: float
    duration: int = 0


@runtime_checkable
class PacketSource(Protocol):
    """An open stream of one camera, read by one recorder worker thread.

    Blocking: the host calls :meth:`read` from a worker thread, never from the
    event loop. The first packet of every video track is a keyframe.
    """

    @property
    def description(self) -> StreamDescription:
        """Codec parameters of the stream, known once it is open."""
        ...

    def read(self, timeout: float) -> StreamPacket | None:
        """Return the next packet, waiting at most ``timeout`` seconds.

        :returns: the packet, or ``None`` if none arrived in time (the host's
            stall detection decides what a long silence means).
        :raises DeviceUnavailable: the connection dropped; the host reopens.
        :raises AuthenticationFailed: the device refused the credentials.
        """
        ...

    def close(self) -> None:
        """Release the connection and every thread and socket it holds. Idempotent."""
        ...


@dataclass(frozen=True, slots=True)
class StreamProfile:
    """A stream a camera offers, before it is opened."""

    name: str
    codec: str
    width: int
    height: int
    frame_rate: Fraction
    bit_rate: int = 0
    audio_codec: str | None = None


@dataclass(frozen=True, slots=True)
class TimeRange:
    """A half-open span ``[start, end)`` of wall-clock UTC seconds."""

    start: float
    end: float

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"time range ends before it starts: {self.start} > {self.end}")

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class MetadataRecord:
    """A timestamped item of a text channel or a metadata driver (a POS line, a badge read)."""

    source: str
    wall_time: float
    text: str
    tags: tuple[str, ...] = ()
    data: dict[str, str] = field(default_factory=dict)
