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


@dataclass(frozen=True, slots=True)
class DiskStatus:
    """One place a backend writes to, as status pages show it."""

    id: str
    path: str
    online: bool
    reason: str
    total_bytes: int
    free_bytes: int


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

    def disks(self) -> Sequence[DiskStatus]:
        """Where recordings are written and how each place is doing."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class FragmentReader(Protocol):
    """Optional capability of a storage backend that keeps recordings as fragmented MP4.

    The node serves playback and export from it byte for byte, without re-muxing.
    """

    def fmp4(self, key: StreamKey, span: TimeRange, *, relative: bool = False) -> Iterator[bytes]:
        """An init segment, then ``moof``+``mdat`` fragments covering ``span`` from the
        keyframe at or before its start; a new init segment whenever codec parameters
        change. Fragment times (``tfdt``) are wall-clock UTC in each track's timescale,
        or, with ``relative``, counted from the first fragment (for files given to
        ordinary players)."""
        ...


@dataclass(frozen=True, slots=True)
class StorageBackendType:
    """A storage backend a plugin provides."""

    name: str
    title: str
    settings: type[BaseModel]
    open: Callable[[BaseModel, PluginContext], StorageBackend]
