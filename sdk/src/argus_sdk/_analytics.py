"""Analytics contract: looks at decoded frames and emits events."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from pydantic import BaseModel

from argus_sdk._context import PluginContext
from argus_sdk._events import Event


@dataclass(frozen=True, slots=True)
class VideoFrame:
    """A decoded frame's luminance plane (8-bit, ``height`` rows of ``stride`` bytes)."""

    camera: str
    wall_time: float
    width: int
    height: int
    stride: int
    luma: bytes
    keyframe: bool = False


@dataclass(frozen=True, slots=True)
class FrameRequest:
    """What frames an analyzer wants: which stream, how large, and how often."""

    stream: str = "sub"
    max_width: int = 320
    keyframes_only: bool = False


@runtime_checkable
class Analyzer(Protocol):
    """One analyzer instance bound to one camera."""

    @property
    def request(self) -> FrameRequest: ...

    def process(self, frame: VideoFrame) -> Sequence[Event]:
        """Look at a frame; return the events it caused (often none). Runs in a worker thread."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class AnalyzerType:
    """An analytics kind a plugin provides (e.g. ``motion``)."""

    name: str
    title: str
    settings: type[BaseModel]
    create: Callable[[BaseModel, PluginContext], Analyzer]
