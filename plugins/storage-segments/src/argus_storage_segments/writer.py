"""Writing one stream: fragments into segment files, rotated at keyframes, then indexed.

Order of durability (as the best recorders do it): write the fragment, make the
file durable (per the fsync setting), and index a segment only once it is
closed and flushed, so an index row always points at a complete file. A crash
loses at most the GOP being buffered; the open file is recovered at the next
start by scanning it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from argus_sdk import Event, EventPhase, EventSource, StreamDescription, StreamKey, StreamPacket
from argus_sdk.fmp4.mux import Fragment, Muxer
from argus_storage_segments.disks import Disk, NoDiskAvailable, fsync_dir
from argus_storage_segments.index import FragmentInfo
from argus_storage_segments.layout import segment_path

if TYPE_CHECKING:
    from argus_storage_segments.backend import SegmentsBackend

log = logging.getLogger("argus.storage.segments")


@dataclass
class OpenSegment:
    """A segment file being written. Read by the backend for the live part of a timeline."""

    disk: Disk
    path: str  # relative to the disk root
    init: bytes
    fd: int
    size: int = 0
    fragments: list[FragmentInfo] = field(default_factory=list)
    last_sync_us: int = 0

    @property
    def file(self) -> Path:
        return self.disk.path / self.path

    def append(self, data: bytes) -> int:
        """Write ``data`` at the end; return its offset."""
        offset = self.size
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]
        self.size += len(data)
        return offset


class SegmentWriter:
    """The ``StorageWriter`` of one stream; used by one recorder worker thread only."""

    def __init__(
        self, backend: SegmentsBackend, key: StreamKey, description: StreamDescription
    ) -> None:
        self._backend = backend
        self.key = key
        self._muxer = Muxer(description)
        self._segment: OpenSegment | None = None
        settings = backend.settings
        self._segment_us = int(settings.segment_seconds * 1_000_000)
        self._fsync_us = int(settings.fsync_seconds * 1_000_000)
        # Stagger: the first segment of each stream is cut short by a stable share of
        # the segment length, so streams do not all rotate in the same second.
        spread = zlib.crc32(f"{key.camera}/{key.stream}".encode()) % 1000 / 1000
        self._first_segment_us = int(self._segment_us * (0.5 + spread / 2))
        self._rotated = False
        self._stopped_event: Event | None = None

    def write(self, packet: StreamPacket) -> None:
        init = self._muxer.init
        fragment = self._muxer.push(packet)
        if fragment is not None and init is not None:
            self._store(fragment, init)
        if self._segment is not None and self._muxer.init != self._segment.init:
            self._close_segment()  # new parameter sets: the next fragment opens a new file

    def close(self) -> None:
        init = self._muxer.init
        fragment = self._muxer.flush()
        if fragment is not None and init is not None:
            self._store(fragment, init)
        self._close_segment()

    # -- internals ----------------------------------------------------------

    def _store(self, fragment: Fragment, init: bytes) -> None:
        """Write a fragment, failing over to another disk once if the write fails."""
        for _attempt in range(2):
            segment = self._segment_for(fragment, init)
            if segment is None:
                return
            try:
                self._append(segment, fragment)
                self._recording_resumed()
                return
            except OSError as exc:
                log.error("%s: write to %s failed: %s", self.key, segment.file, exc)
                self._backend.disk_set.fail(segment.disk, exc)
                self._abandon_segment()
        self._recording_stopped(f"writes failed on every disk tried for {self.key.camera}")

    def _segment_for(self, fragment: Fragment, init: bytes) -> OpenSegment | None:
        segment = self._segment
        if segment is not None and (not segment.disk.online or self._due(segment, fragment)):
            self._close_segment()
            segment = None
        if segment is None:
            try:
                segment = self._open_segment(fragment.start_us, init)
            except NoDiskAvailable as exc:
                self._recording_stopped(str(exc))
                return None
            except OSError as exc:
                self._recording_stopped(f"cannot create a segment file: {exc}")
                return None
        return segment

    def _due(self, segment: OpenSegment, fragment: Fragment) -> bool:
        length = fragment.start_us - segment.fragments[0].start_us if segment.fragments else 0
        limit = self._segment_us if self._rotated else self._first_segment_us
        return length >= limit

    def _open_segment(self, start_us: int, init: bytes) -> OpenSegment:
        disk = self._backend.disk_set.choose()
        rel = segment_path(self.key.camera, self.key.stream, start_us)
        file = disk.path / rel
        file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        segment = OpenSegment(disk, rel, init, fd)
        try:
            segment.append(init)
            fsync_dir(file.parent)
        except OSError:
            os.close(fd)
            raise
        self._segment = segment
        self._backend.live_opened(self.key, segment)
        return segment

    def _append(self, segment: OpenSegment, fragment: Fragment) -> None:
        offset = segment.append(fragment.data)
        segment.fragments.append(
            FragmentInfo(
                offset, len(fragment.data), fragment.start_us, fragment.end_us, fragment.keyframe
            )
        )
        if fragment.end_us - segment.last_sync_us >= self._fsync_us:
            os.fsync(segment.fd)
            segment.last_sync_us = fragment.end_us

    def _close_segment(self) -> None:
        segment, self._segment = self._segment, None
        if segment is None:
            return
        self._rotated = True
        try:
            os.fsync(segment.fd)
        except OSError as exc:
            log.error("%s: fsync of %s failed: %s", self.key, segment.file, exc)
            self._backend.disk_set.fail(segment.disk, exc)
        finally:
            os.close(segment.fd)
        self._backend.live_closed(self.key, segment)

    def _abandon_segment(self) -> None:
        """Stop using the current file after a failed write; recovery indexes what it holds."""
        segment, self._segment = self._segment, None
        if segment is not None:
            with contextlib.suppress(OSError):
                os.close(segment.fd)
            self._backend.live_abandoned(self.key, segment)

    def _recording_stopped(self, reason: str) -> None:
        if self._stopped_event is None:
            log.error("%s: recording stopped: %s", self.key, reason)
            self._stopped_event = Event(
                "argus.recording.stopped",
                EventSource("camera", self.key.camera),
                EventPhase.START,
                {"stream": self.key.stream, "reason": reason},
            )
            self._backend.publish(self._stopped_event)

    def _recording_resumed(self) -> None:
        if self._stopped_event is not None:
            self._backend.publish(
                Event(
                    "argus.recording.stopped",
                    EventSource("camera", self.key.camera),
                    EventPhase.END,
                    {"stream": self.key.stream},
                    id=self._stopped_event.id,
                )
            )
            self._stopped_event = None
