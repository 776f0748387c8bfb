"""Storage backend contract: writes and reads recordings. Never touches drivers."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from pydantic import BaseModel

from argus_sdk._context import PluginContext
from argus_sdk._media import StreamDescription, StreamPacket, TimeRange


@dataclass(frozen=True, slots=True)
class StreamKey:
    """Which recording: camera id and stream name."""

    camera: str
    stream: str


@runtime_checkable
class StorageWriter(Protocol):
    """Writes one stream's packets; one writer per recording worker thread."""

    def write(self, packet: StreamPacket) -> None:
        """Append a packet. Called from the recorder's worker thread, in dts order per track."""
        ...

    def close(self) -> None:
        """Finish the current segment durably. Idempotent."""
        ...


@runtime_checkable
class StorageBackend(Protocol):
    """A place recordings live (``segments`` is the default)."""

    def open_writer(self, key: StreamKey, description: StreamDescription) -> StorageWriter: ...

    def timeline(self, key: StreamKey, span: TimeRange) -> Sequence[TimeRange]:
        """Recorded ranges of ``key`` overlapping ``span``, in order; gaps are what is missing."""
        ...

    def read(self, key: StreamKey, span: TimeRange) -> Iterator[StreamPacket]:
        """Packets of ``span``, starting at the keyframe at or before ``span.start``."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class StorageBackendType:
    """A storage backend a plugin provides."""

    name: str
    title: str
    settings: type[BaseModel]
    open: Callable[[BaseModel, PluginContext], StorageBackend]
