"""Clips: what is encoded once, how it is keyed, cached on disk and shared in memory.

A clip is one looped track (H.264 video or AAC audio). Its *key* holds every
parameter that changes its bytes; for video that includes the channel name drawn
into the picture and the PTZ view, so 200 cameras with the same profile, frame
rate, loop length and name share one clip, while cameras with different names
each get their own. Clips live on disk under ``<cache_dir>/sim/`` and, while any
stream uses them, once in memory for the whole process.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from weakref import WeakValueDictionary

from argus_driver_sim import cachefile, const
from argus_driver_sim.encode import EncodedTrack, encode_audio, encode_video
from argus_driver_sim.pattern import Pattern, View


@dataclass(frozen=True, slots=True)
class VideoKey:
    """Everything that determines the bytes of a video clip."""

    name: str
    width: int
    height: int
    fps: int
    loop_seconds: int
    bit_rate: int
    view: View | None = None

    @property
    def frames(self) -> int:
        return self.fps * self.loop_seconds


@dataclass(frozen=True, slots=True)
class AudioKey:
    """Everything that determines the bytes of an audio clip."""

    sample_rate: int = const.AUDIO_SAMPLE_RATE
    bit_rate: int = const.AUDIO_BIT_RATE
    loop_frames: int = const.AUDIO_LOOP_FRAMES


ClipKey = VideoKey | AudioKey


def key_token(key: ClipKey) -> str:
    """A canonical string of the key and the clip format version."""
    kind = "video" if isinstance(key, VideoKey) else "audio"
    fields = {"kind": kind, "version": const.CLIP_FORMAT_VERSION, **asdict(key)}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"))


def cache_path(cache_dir: Path, key: ClipKey) -> Path:
    """Where the clip of ``key`` is cached under a plugin's ``cache_dir``."""
    digest = hashlib.sha256(key_token(key).encode()).hexdigest()[:32]
    if isinstance(key, VideoKey):
        return cache_dir / const.CACHE_SUBDIR / f"video-{key.height}p{key.fps}-{digest}.clip"
    return cache_dir / const.CACHE_SUBDIR / f"audio-{digest}.clip"


@dataclass(frozen=True, eq=False)
class Clip:
    """One encoded loop, shared read-only by every stream replaying it."""

    key: ClipKey
    track: EncodedTrack

    def __len__(self) -> int:
        return len(self.track.packets)


def generate(key: ClipKey) -> EncodedTrack:
    """Encode the clip of ``key`` (seconds of CPU for long 1080p loops)."""
    if isinstance(key, AudioKey):
        return encode_audio(key.loop_frames, key.sample_rate, key.bit_rate)
    pattern = Pattern(
        key.width,
        key.height,
        fps=key.fps,
        loop_frames=key.frames,
        name=key.name,
        view=key.view,
    )
    return encode_video(pattern, key.bit_rate)


@dataclass
class _Memory:
    """Process-wide clips in use (weak) plus a few recently built ones (strong)."""

    recent_size: int = 8
    lock: threading.Lock = field(default_factory=threading.Lock)
    clips: WeakValueDictionary[str, Clip] = field(default_factory=WeakValueDictionary)
    recent: OrderedDict[str, Clip] = field(default_factory=OrderedDict)
    building: dict[str, threading.Lock] = field(default_factory=dict)

    def peek(self, token: str) -> Clip | None:
        with self.lock:
            return self.clips.get(token)

    def put(self, token: str, clip: Clip) -> None:
        with self.lock:
            self.clips[token] = clip
            self.recent[token] = clip
            self.recent.move_to_end(token)
            while len(self.recent) > self.recent_size:
                self.recent.popitem(last=False)

    def build_lock(self, token: str) -> threading.Lock:
        with self.lock:
            return self.building.setdefault(token, threading.Lock())

    def clear(self) -> None:
        with self.lock:
            self.clips.clear()
            self.recent.clear()


_MEMORY = _Memory()


def forget_shared_clips() -> None:
    """Drop the process-wide in-memory clips (tests use it to force a disk read)."""
    _MEMORY.clear()


class ClipStore:
    """Finds a clip in memory, else on disk, else encodes it; concurrent callers share one."""

    def __init__(self, cache_dir: Path, log: logging.Logger) -> None:
        self.cache_dir = cache_dir
        self._log = log

    def peek(self, key: ClipKey) -> Clip | None:
        """The clip if it is already in memory; never blocks on encoding."""
        return _MEMORY.peek(key_token(key))

    def get(self, key: ClipKey) -> Clip:
        """The clip of ``key``; may take seconds the first time a key is used."""
        token = key_token(key)
        clip = _MEMORY.peek(token)
        if clip is not None:
            return clip
        with _MEMORY.build_lock(token):
            clip = _MEMORY.peek(token)
            if clip is None:
                clip = Clip(key, self._load_or_generate(key, token))
                _MEMORY.put(token, clip)
            return clip

    def _load_or_generate(self, key: ClipKey, token: str) -> EncodedTrack:
        path = cache_path(self.cache_dir, key)
        try:
            track = cachefile.read(path, token)
        except cachefile.CorruptCacheFile as exc:
            self._log.warning("regenerating damaged clip cache %s: %s", path, exc)
            track = None
        except OSError as exc:
            self._log.warning("cannot read clip cache %s: %s", path, exc)
            track = None
        if track is not None:
            return track
        track = generate(key)
        try:
            cachefile.write(path, token, track)
        except OSError as exc:
            self._log.warning("cannot write clip cache %s (kept in memory only): %s", path, exc)
        return track
