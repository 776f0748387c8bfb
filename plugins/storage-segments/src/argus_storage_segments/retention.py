"""Deleting old recordings: by age per camera, and to keep each disk's free-space floor.

Oldest first, one segment at a time against the floor (free space is measured
again after each), never a segment being written, never on an offline disk.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence

from argus_sdk import Event, EventPhase, EventSource
from argus_storage_segments.disks import Disk, DiskSet
from argus_storage_segments.index import RecordingIndex, SegmentInfo
from argus_storage_segments.settings import SegmentsSettings

log = logging.getLogger("argus.storage.segments")

DAY_US = 86_400 * 1_000_000
_BATCH = 50


class Retention:
    def __init__(
        self,
        index: RecordingIndex,
        disks: DiskSet,
        settings: SegmentsSettings,
        publish: Callable[[Event], None],
    ) -> None:
        self._index, self._disks, self._settings = index, disks, settings
        self._publish = publish
        self._full: dict[int, Event] = {}

    def run(self, now_us: int, live: frozenset[tuple[int, str]]) -> int:
        """Apply retention once; ``live`` holds (disk id, path) of files being written.

        :returns: the number of segments deleted.
        """
        deleted = self._by_age(now_us, live)
        for disk in self._disks.disks:
            if disk.usable and disk.id is not None:
                deleted += self._by_space(disk, live)
        return deleted

    def _by_age(self, now_us: int, live: frozenset[tuple[int, str]]) -> int:
        deleted = 0
        for camera in self._index.cameras():
            days = self._settings.camera_max_age_days.get(camera, self._settings.max_age_days)
            if days is None:
                continue
            cutoff = now_us - int(days * DAY_US)
            while batch := [
                s
                for s in self._index.ended_before(camera, cutoff, _BATCH)
                if (s.disk_id, s.path) not in live
            ]:
                deleted += self.delete(batch)
                if len(batch) < _BATCH:
                    break
        return deleted

    def _by_space(self, disk: Disk, live: frozenset[tuple[int, str]]) -> int:
        assert disk.id is not None
        deleted = 0
        while _free(disk) < disk.min_free_bytes:
            candidates = [
                s for s in self._index.oldest_on_disk(disk.id, 8) if (s.disk_id, s.path) not in live
            ]
            if not candidates:
                self._disk_full(disk)
                return deleted
            deleted += self.delete(candidates[:1])
        self._disk_has_room(disk)
        return deleted

    def delete(self, segments: Sequence[SegmentInfo]) -> int:
        """Forget segments in the index (as garbage), unlink their files, drop the garbage."""
        self._index.forget(segments)
        for seg in segments:
            disk = self._disks.by_id(seg.disk_id)
            if disk is None:
                continue
            try:
                (disk.path / seg.path).unlink(missing_ok=True)
            except OSError as exc:
                log.error("cannot delete %s: %s", disk.path / seg.path, exc)
                continue
            self._index.collected(seg.disk_id, seg.path)
        return len(segments)

    def _disk_full(self, disk: Disk) -> None:
        assert disk.id is not None
        if disk.id not in self._full:
            log.error(
                "disk %s is under its free-space floor with nothing left to delete", disk.path
            )
            event = Event(
                "argus.disk.full",
                EventSource("disk", disk.uuid or str(disk.path)),
                EventPhase.START,
                {"path": str(disk.path), "free_bytes": _free(disk)},
            )
            self._full[disk.id] = event
            self._publish(event)

    def _disk_has_room(self, disk: Disk) -> None:
        assert disk.id is not None
        event = self._full.pop(disk.id, None)
        if event is not None:
            self._publish(
                Event(
                    "argus.disk.full",
                    event.source,
                    EventPhase.END,
                    {"path": str(disk.path)},
                    id=event.id,
                )
            )


def _free(disk: Disk) -> int:
    try:
        stat = os.statvfs(disk.path)
    except OSError:
        return 0
    disk.free_bytes = stat.f_bavail * stat.f_frsize
    return disk.free_bytes
