"""Replaying clips in real time as a :class:`argus_sdk.PacketSource`.

Each open stream keeps only counters: the packet bytes are the clip's own
``bytes`` objects (never copied), and each :meth:`SimPacketSource.read` makes one
:class:`StreamPacket`. Timestamps are rewritten from the counters, so they grow
monotonically forever while the clip loops; video and audio loop independently
(8 s of audio against any whole number of GOPs of video). A packet is delivered
when its media time, counted from the moment the stream was opened, is reached on
the injected clock; ``wall_time`` is the wall clock read once at open plus that
media time.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from argus_driver_sim import const
from argus_driver_sim.clip import Clip
from argus_sdk import (
    ChannelKind,
    Clock,
    DeviceUnavailable,
    StreamDescription,
    StreamPacket,
    TrackDescription,
)

#: Called at every video keyframe with the clip being replayed; returns the clip
#: to continue with (the same one, or another with the same GOP structure).
ClipSwitch = Callable[[Clip], Clip]

_VIDEO = 0
_AUDIO = 1
_AUDIO_TB = Fraction(1, const.AUDIO_SAMPLE_RATE)


def _bit_rate(clip: Clip, seconds: float) -> int:
    return round(sum(len(p) for p in clip.track.packets) * 8 / seconds)


def describe(name: str, video: Clip, fps: int, audio: Clip | None) -> StreamDescription:
    """The tracks of a replayed stream: video (index 0), then audio (index 1) if any."""
    v = video.track
    tracks = [
        TrackDescription(
            index=_VIDEO,
            kind=ChannelKind.VIDEO,
            codec=v.codec,
            time_base=const.VIDEO_TIME_BASE,
            extradata=v.extradata,
            width=v.width,
            height=v.height,
            frame_rate=Fraction(fps),
            bit_rate=_bit_rate(video, len(video) / fps),
        )
    ]
    if audio is not None:
        a = audio.track
        seconds = len(audio) * const.AUDIO_FRAME_SAMPLES / a.sample_rate
        tracks.append(
            TrackDescription(
                index=_AUDIO,
                kind=ChannelKind.AUDIO,
                codec=a.codec,
                time_base=Fraction(1, a.sample_rate),
                extradata=a.extradata,
                sample_rate=a.sample_rate,
                audio_channels=a.channels,
                bit_rate=_bit_rate(audio, seconds),
            )
        )
    return StreamDescription(name=name, tracks=tuple(tracks))


class SimPacketSource:
    """One open simulated stream. :meth:`read` is called from one worker thread;
    :meth:`close` and :meth:`drop` may be called from any thread."""

    __slots__ = (
        "__weakref__",
        "_a_index",
        "_a_packets",
        "_a_pts",
        "_a_rate",
        "_a_tb",
        "_clock",
        "_closed",
        "_description",
        "_drop_after",
        "_dropped",
        "_fps",
        "_start_mono",
        "_start_wall",
        "_switch",
        "_v_count",
        "_v_index",
        "_v_keys",
        "_v_packets",
        "_v_pts",
        "_video",
    )

    def __init__(
        self,
        name: str,
        video: Clip,
        fps: int,
        audio: Clip | None,
        clock: Clock,
        *,
        switch: ClipSwitch | None = None,
        drop_after: float | None = None,
    ) -> None:
        self._description = describe(name, video, fps, audio)
        self._clock = clock
        self._fps = fps
        self._switch = switch
        self._video = video
        self._v_packets = video.track.packets
        self._v_keys = video.track.keyframes
        self._v_index = self._v_count = self._v_pts = 0
        self._a_packets = audio.track.packets if audio is not None else ()
        self._a_rate = float(audio.track.sample_rate) if audio is not None else 1.0
        self._a_tb = Fraction(1, audio.track.sample_rate) if audio is not None else _AUDIO_TB
        self._a_index = self._a_pts = 0
        self._drop_after = float("inf") if drop_after is None else drop_after
        self._closed = False
        self._dropped: str | None = None
        self._start_mono = clock.monotonic()
        self._start_wall = clock.now()

    @property
    def description(self) -> StreamDescription:
        return self._description

    def read(self, timeout: float) -> StreamPacket | None:
        self._check()
        video_time = self._v_pts / const.VIDEO_CLOCK_RATE
        audio_time = self._a_pts / self._a_rate if self._a_packets else video_time
        media = audio_time if audio_time < video_time else video_time
        if media >= self._drop_after:
            self._dropped = f"simulated disconnect after {self._drop_after:g} s"
            self._check()
        wait = self._start_mono + media - self._clock.monotonic()
        if wait > 0:
            if wait > timeout:
                self._clock.sleep(timeout)
                return None
            self._clock.sleep(wait)
            self._check()
        if audio_time < video_time:
            return self._next_audio(media)
        return self._next_video(media)

    def drop(self, reason: str = "simulated disconnect") -> None:
        """Make the next :meth:`read` (or the current one, after its wait) raise
        ``DeviceUnavailable``, as a dropped connection would."""
        self._dropped = reason

    def close(self) -> None:
        self._closed = True

    def _check(self) -> None:
        if self._closed:
            raise DeviceUnavailable("the simulated stream is closed")
        if self._dropped is not None:
            raise DeviceUnavailable(self._dropped)

    def _next_video(self, media: float) -> StreamPacket:
        index = self._v_index
        if self._switch is not None and self._v_keys[index]:
            index = self._switch_clip(self._switch, index)
        pts = self._v_pts
        count = self._v_count + 1
        next_pts = count * const.VIDEO_CLOCK_RATE // self._fps
        packet = StreamPacket(
            _VIDEO,
            self._v_packets[index],
            pts,
            pts,
            const.VIDEO_TIME_BASE,
            self._v_keys[index],
            self._start_wall + media,
            next_pts - pts,
        )
        self._v_count, self._v_pts = count, next_pts
        index += 1
        self._v_index = 0 if index == len(self._v_packets) else index
        return packet

    def _next_audio(self, media: float) -> StreamPacket:
        index = self._a_index
        pts = self._a_pts
        packet = StreamPacket(
            _AUDIO,
            self._a_packets[index],
            pts,
            pts,
            self._a_tb,
            True,
            self._start_wall + media,
            const.AUDIO_FRAME_SAMPLES,
        )
        self._a_pts = pts + const.AUDIO_FRAME_SAMPLES
        index += 1
        self._a_index = 0 if index == len(self._a_packets) else index
        return packet

    def _switch_clip(self, switch: ClipSwitch, index: int) -> int:
        """Called at a keyframe: continue with the clip ``switch`` picks, at the same
        loop position if it has a keyframe there, else from its start."""
        clip = switch(self._video)
        if clip is self._video:
            return index
        if len(clip) != len(self._video) or not clip.track.keyframes[index]:
            index = 0
        self._video = clip
        self._v_packets = clip.track.packets
        self._v_keys = clip.track.keyframes
        return index
