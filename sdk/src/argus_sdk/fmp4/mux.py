"""From driver packets to fragments: one per GOP, timed in wall-clock track time.

Each track is anchored once, at its first packet: ``tfdt`` units = wall time ×
timescale, then advanced by the packets' own timestamps (which the SDK
guarantees monotonic). Video is stored as length-prefixed NAL units with the
parameter sets moved into the init segment; a keyframe carrying different
parameter sets (the camera changed resolution) switches to a new init segment.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction

from argus_sdk import ChannelKind, StreamDescription, StreamPacket, TrackDescription
from argus_sdk.fmp4.codecs import (
    AUDIO_CODECS,
    VIDEO_CODECS,
    AudioConfig,
    UnsupportedCodec,
    VideoConfig,
)
from argus_sdk.fmp4.fragment import Sample, TrackRun, fragment
from argus_sdk.fmp4.init import Track, init_segment
from argus_sdk.fmp4.nal import length_prefixed, split_annexb, split_params

log = logging.getLogger("argus_sdk.fmp4")

VIDEO_TIMESCALE = 90_000
AUDIO_ONLY_FRAGMENT = 2.0  # seconds per fragment when a stream has no video


@dataclass(frozen=True, slots=True)
class Fragment:
    """A finished ``moof`` + ``mdat`` and the span it covers (µs since the epoch)."""

    data: bytes
    start_us: int
    end_us: int
    keyframe: bool


@dataclass(slots=True)
class _Pending:
    dts: int  # decode time in track timescale units (wall-anchored)
    cts: int
    data: bytes
    keyframe: bool
    duration: int  # 0 until known


class _TrackState:
    def __init__(self, track: Track, source: TrackDescription) -> None:
        self.track = track
        self.source_index = source.index
        self.codec = source.codec
        self.audio_channels = max(1, source.audio_channels)
        self.anchor: int | None = None
        self.pending: list[_Pending] = []

    def time(self, packet: StreamPacket) -> tuple[int, int]:
        """(dts, cts) of ``packet`` in this track's timescale, wall-anchored."""
        ts = self.track.timescale
        pts = _rescale(packet.pts, packet.time_base, ts)
        dts = _rescale(packet.dts, packet.time_base, ts)
        if self.anchor is None:
            self.anchor = round(packet.wall_time * ts) - pts
        return self.anchor + dts, pts - dts

    def known_duration(self, packet: StreamPacket, data: bytes) -> int:
        if packet.duration > 0:
            return _rescale(packet.duration, packet.time_base, self.track.timescale)
        if self.codec in ("pcm_alaw", "pcm_mulaw"):
            return len(data) // self.audio_channels
        return 0


def _rescale(value: int, time_base: Fraction, timescale: int) -> int:
    return value * time_base.numerator * timescale // time_base.denominator


class Muxer:
    """Turns one stream's packets into fragments. Not thread-safe: one writer thread.

    :raises UnsupportedCodec: no track of the stream can be stored.
    """

    def __init__(self, description: StreamDescription, *, per_frame: bool = False) -> None:
        """:param per_frame: one fragment per video frame (live view latency) instead of per GOP."""
        self._per_frame = per_frame
        self._states: dict[int, _TrackState] = {}
        self._video: _TrackState | None = None
        self._sequence = 0
        self._params: dict[int, tuple[bytes, ...]] = {}
        for source in description.tracks:
            self._add_track(source)
        if not self._states:
            raise UnsupportedCodec(
                "no recordable track: " + ", ".join(t.codec for t in description.tracks)
            )
        self.init: bytes | None = None
        self._refresh_init()

    def _add_track(self, source: TrackDescription) -> None:
        track_id = len(self._states) + 1
        if source.kind is ChannelKind.VIDEO and source.codec in VIDEO_CODECS:
            if self._video is not None:
                return  # one video track per segment file
            params, _ = split_params(source.codec, source.extradata)
            config: VideoConfig | AudioConfig = VideoConfig(
                source.codec, source.width, source.height, tuple(params)
            )
            state = _TrackState(Track(track_id, VIDEO_TIMESCALE, config), source)
            self._video = state
        elif source.kind is ChannelKind.AUDIO and source.codec in AUDIO_CODECS:
            config = AudioConfig(
                source.codec, source.sample_rate, max(1, source.audio_channels), source.extradata
            )
            state = _TrackState(Track(track_id, source.sample_rate, config), source)
        else:
            log.warning(
                "track %d (%s %s) is not recorded", source.index, source.kind.value, source.codec
            )
            return
        self._states[source.index] = state

    @property
    def tracks(self) -> list[Track]:
        return [s.track for s in self._states.values()]

    def _refresh_init(self) -> None:
        video = self._video
        if video is not None:
            cfg = video.track.config
            assert isinstance(cfg, VideoConfig)
            if not cfg.params:
                self.init = None  # known at the first keyframe carrying parameter sets
                return
        self.init = init_segment(self.tracks)

    def push(self, packet: StreamPacket) -> Fragment | None:
        """Add a packet; return the fragment it completed, if any.

        A video keyframe completes the GOP before it. :attr:`init` may change
        with a keyframe that carries new parameter sets; the fragment returned
        still belongs to the previous init.
        """
        state = self._states.get(packet.track)
        if state is None:
            return None
        params: list[bytes] = []
        if state is self._video:
            data, params = self._video_payload(state, packet)
        else:
            data = packet.data
        dts, cts = state.time(packet)
        if state.pending and state.pending[-1].duration == 0:
            state.pending[-1].duration = max(1, dts - state.pending[-1].dts)
        done: Fragment | None = None
        if state is self._video and (packet.keyframe or self._per_frame):
            done = self._cut()
            if params:
                self._update_params(state, params)
        elif self._video is None and self._buffered_seconds() >= AUDIO_ONLY_FRAGMENT:
            done = self._cut()
        state.pending.append(
            _Pending(dts, cts, data, packet.keyframe, state.known_duration(packet, data))
        )
        return done

    def flush(self) -> Fragment | None:
        """Finish the buffered GOP (when closing); unknown last durations are estimated."""
        for state in self._states.values():
            _estimate_last_duration(state)
        return self._cut(final=True)

    def _video_payload(self, state: _TrackState, packet: StreamPacket) -> tuple[bytes, list[bytes]]:
        params, nals = split_params(state.codec, packet.data)
        if not nals and not params:
            nals = list(split_annexb(packet.data))
        return length_prefixed(nals), params

    def _update_params(self, state: _TrackState, params: list[bytes]) -> None:
        cfg = state.track.config
        assert isinstance(cfg, VideoConfig)
        if tuple(params) == cfg.params:
            return
        new_cfg = VideoConfig(cfg.codec, cfg.width, cfg.height, tuple(params))
        state.track = Track(state.track.id, state.track.timescale, new_cfg)
        self._refresh_init()

    def _buffered_seconds(self) -> float:
        spans = [
            (s.pending[-1].dts - s.pending[0].dts) / s.track.timescale
            for s in self._states.values()
            if s.pending
        ]
        return max(spans, default=0.0)

    def _cut(self, *, final: bool = False) -> Fragment | None:
        """Make a fragment of the buffered video GOP and the audio up to its end."""
        video = self._video
        if video is not None and not video.pending:
            return None
        if self.init is None:
            for state in self._states.values():
                state.pending.clear()  # nothing can be written before the parameter sets
            return None
        end_time = self._end_seconds(video, final)
        runs: list[TrackRun] = []
        for state in self._states.values():
            taken = _take(state, end_time, final)
            if taken:
                runs.append(
                    TrackRun(
                        state.track.id,
                        taken[0].dts,
                        [Sample(p.data, p.duration, p.keyframe, p.cts) for p in taken],
                    )
                )
        if not runs:
            return None
        self._sequence += 1
        main = runs[0]
        scale = self._states_by_id(main.track_id).track.timescale
        start_us = main.base_time * 1_000_000 // scale
        end_us = (main.base_time + main.duration) * 1_000_000 // scale
        keyframe = main.samples[0].keyframe
        return Fragment(fragment(self._sequence, runs), start_us, end_us, keyframe)

    def _end_seconds(self, video: _TrackState | None, final: bool) -> float | None:
        if final or video is None:
            return None
        last = video.pending[-1]
        return (last.dts + last.duration) / video.track.timescale

    def _states_by_id(self, track_id: int) -> _TrackState:
        return next(s for s in self._states.values() if s.track.id == track_id)


def _take(state: _TrackState, end_time: float | None, final: bool) -> list[_Pending]:
    """Remove and return the samples ready for this fragment."""
    ts = state.track.timescale
    count = 0
    for p in state.pending:
        if p.duration == 0 and not final:
            break
        if end_time is not None and p.dts / ts >= end_time:
            break
        count += 1
    taken, state.pending[:count] = state.pending[:count], []
    return taken


def _estimate_last_duration(state: _TrackState) -> None:
    if state.pending and state.pending[-1].duration == 0:
        previous = state.pending[-2].duration if len(state.pending) > 1 else 0
        state.pending[-1].duration = max(1, previous)
