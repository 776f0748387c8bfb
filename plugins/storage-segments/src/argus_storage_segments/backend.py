"""The ``segments`` storage backend: writers, index, disks, recovery, retention, reading."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from argus_sdk import (
    Clock,
    DiskStatus,
    Event,
    PluginContext,
    StreamDescription,
    StreamKey,
    StreamPacket,
    TimeRange,
)
from argus_storage_segments import reader, recovery
from argus_storage_segments.disks import Disk, DiskSet
from argus_storage_segments.index import FragmentInfo, RecordingIndex, SegmentInfo
from argus_storage_segments.retention import Retention
from argus_storage_segments.settings import SegmentsSettings
from argus_storage_segments.writer import OpenSegment, SegmentWriter

log = logging.getLogger("argus.storage.segments")

INDEX_FILE = "segments-index.sqlite"
MB = 1024 * 1024


class SegmentsBackend:
    """One per node. Writers run on recorder threads; maintenance on a thread of its own."""

    def __init__(self, settings: SegmentsSettings, context: PluginContext) -> None:
        self.settings = settings
        self.publish = context.publish
        self._clock: Clock = context.clock
        self.index = RecordingIndex(context.data_dir / INDEX_FILE)
        self.disk_set = DiskSet(
            [Disk(Path(d.path), d.min_free_mb * MB) for d in settings.disks],
            self.index,
            self._publish,
        )
        self.retention = Retention(self.index, self.disk_set, settings, self._publish)
        self._live: dict[StreamKey, OpenSegment] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.disk_set.check()
        if self.index.rebuilt_schema:
            report = recovery.reindex(self.index, self.disk_set)
        else:
            report = recovery.reconcile(self.index, self.disk_set)
        log.info("segments index ready: %s", report)
        self._thread = threading.Thread(target=self._maintain, name="segments-maint", daemon=True)
        self._thread.start()

    def _publish(self, event: Event) -> None:
        self.publish(event)

    # -- StorageBackend -------------------------------------------------------

    def open_writer(self, key: StreamKey, description: StreamDescription) -> SegmentWriter:
        return SegmentWriter(self, key, description)

    def timeline(self, key: StreamKey, span: TimeRange) -> Sequence[TimeRange]:
        lo, hi = int(span.start * 1e6), int(span.end * 1e6)
        spans = [
            (s.start_us, s.end_us) for s in self.index.segments(key.camera, key.stream, lo, hi)
        ]
        live = self._live_fragments(key)
        if live:
            spans.append((live[0].start_us, live[-1].end_us))
        return reader.merge(spans, span)

    def read(self, key: StreamKey, span: TimeRange) -> Iterator[StreamPacket]:
        return reader.packets(self.pieces(key, span))

    def disks(self) -> list[DiskStatus]:
        out = []
        for d in self.disk_set.disks:
            try:
                stat = os.statvfs(d.path)
                total, free = stat.f_blocks * stat.f_frsize, stat.f_bavail * stat.f_frsize
            except OSError:
                total = free = 0
            out.append(DiskStatus(d.uuid or "", str(d.path), d.usable, d.reason, total, free))
        return out

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.index.close()

    # -- serving --------------------------------------------------------------

    def fmp4(self, key: StreamKey, span: TimeRange, *, relative: bool = False) -> Iterator[bytes]:
        """Init segment and stored fragments covering ``span``, from the keyframe at or
        before its start: directly playable by a browser (Media Source Extensions)."""
        return reader.fmp4_bytes(self.pieces(key, span), relative=relative)

    def pieces(self, key: StreamKey, span: TimeRange) -> Iterator[reader.Piece]:
        """The files and fragments covering ``span``, computed lazily: the first piece
        costs one index query, so the first bytes of a seek come quickly."""
        lo, hi = int(span.start * 1e6), int(span.end * 1e6)
        first = self.index.at(key.camera, key.stream, lo)
        after, served = -1, set()
        if first is not None:
            after = first[0].start_us
            if first[0].end_us > lo:
                served.add(first[0].path)
                yield from self._piece(*first, lo, hi)
        for seg, fragments in self.index.after(key.camera, key.stream, after, lo, hi):
            served.add(seg.path)
            yield from self._piece(seg, fragments, lo, hi)
        live = self._live_piece(key, lo, hi)
        # A segment just closed is briefly both indexed and live: serve it once.
        if (
            live is not None
            and live.fragments
            and live.file.name not in {p.rsplit("/", 1)[-1] for p in served}
        ):
            yield live

    def _piece(
        self, seg: SegmentInfo, fragments: list[FragmentInfo], lo: int, hi: int
    ) -> Iterator[reader.Piece]:
        disk = self.disk_set.by_id(seg.disk_id)
        if disk is None or not disk.usable or not fragments:
            return
        chosen = reader.select(fragments, lo, hi)
        if chosen:
            yield reader.Piece(disk.path / seg.path, fragments[0].offset, tuple(chosen))

    def _live_fragments(self, key: StreamKey) -> list[FragmentInfo]:
        with self._lock:
            segment = self._live.get(key)
            return list(segment.fragments) if segment is not None else []

    def _live_piece(self, key: StreamKey, lo: int, hi: int) -> reader.Piece | None:
        with self._lock:
            segment = self._live.get(key)
            if segment is None or not segment.fragments:
                return None
            fragments = list(segment.fragments)
            file, init_size = segment.file, len(segment.init)
        if fragments[-1].end_us <= lo or fragments[0].start_us >= hi:
            return None
        return reader.Piece(file, init_size, tuple(reader.select(fragments, lo, hi)))

    # -- called by writers ------------------------------------------------------

    def live_opened(self, key: StreamKey, segment: OpenSegment) -> None:
        with self._lock:
            self._live[key] = segment

    def live_closed(self, key: StreamKey, segment: OpenSegment) -> None:
        """A segment is closed and flushed: index it (or delete it if it holds nothing)."""
        if segment.fragments and segment.disk.id is not None:
            self.index.add_segment(
                segment.disk.id,
                key.camera,
                key.stream,
                segment.path,
                segment.size,
                segment.fragments,
            )
        else:
            segment.file.unlink(missing_ok=True)
        self._forget_live(key, segment)

    def live_abandoned(self, key: StreamKey, segment: OpenSegment) -> None:
        """A write failed mid-segment; the file is indexed by the next reconcile of its disk."""
        self._forget_live(key, segment)

    def _forget_live(self, key: StreamKey, segment: OpenSegment) -> None:
        with self._lock:
            if self._live.get(key) is segment:
                del self._live[key]

    def live_paths(self) -> frozenset[tuple[int, str]]:
        with self._lock:
            return frozenset((s.disk.id or 0, s.path) for s in self._live.values())

    # -- maintenance -------------------------------------------------------------

    def _maintain(self) -> None:
        next_retention = 0.0
        while not self._stop.wait(self.settings.check_seconds):
            try:
                self._check_disks()
                now = self._clock.monotonic()
                if now >= next_retention:
                    next_retention = now + self.settings.retention_seconds
                    self.enforce_retention()
            except Exception:
                log.exception("segments maintenance failed; retrying at the next interval")

    def _check_disks(self) -> None:
        offline_before = {d.path for d in self.disk_set.disks if not d.usable}
        self.disk_set.check()
        returned = [d for d in self.disk_set.disks if d.usable and d.path in offline_before]
        if returned:
            skip = frozenset(p for _, p in self.live_paths())
            report = recovery.Report()
            for disk in returned:
                recovery.reconcile_disk(self.index, disk, report, skip)
            log.info("disks back online, reconciled: %s", report)

    def enforce_retention(self) -> int:
        recovery.collect_garbage(self.index, self.disk_set)
        return self.retention.run(int(self._clock.now() * 1e6), self.live_paths())

    def reindex(self) -> recovery.Report:
        """Rebuild the index from the files (``argus node reindex``)."""
        return recovery.reindex(self.index, self.disk_set)
