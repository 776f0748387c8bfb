"""Recording disks: identity, health, and where the next segment goes.

Each disk (a directory, usually a mount point) carries ``.argus-disk.json``
with a uuid. A path the index already knows but whose identity file is gone is
a disk that is not mounted: it is offline, never re-initialised, and its
index rows are kept. A disk that vanishes, turns read-only or fails a write is
dropped within one check interval; when it is healthy again it is used again.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from argus_sdk import Event, EventPhase, EventSource
from argus_storage_segments.index import RecordingIndex

log = logging.getLogger("argus.storage.segments")

IDENTITY = ".argus-disk.json"


@dataclass
class Disk:
    """One configured disk and what the last check found."""

    path: Path
    min_free_bytes: int
    uuid: str | None = None
    id: int | None = None
    online: bool = False
    reason: str = "not checked yet"
    free_bytes: int = 0
    offline_event: Event | None = field(default=None, repr=False)

    @property
    def usable(self) -> bool:
        return self.online and self.id is not None


class NoDiskAvailable(RuntimeError):
    """No configured disk can take a new segment now."""


def _read_identity(path: Path) -> str | None:
    try:
        data = json.loads((path / IDENTITY).read_text())
        return str(uuid.UUID(str(data["uuid"])))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_identity(path: Path) -> str:
    new = str(uuid.uuid4())
    tmp = path / f"{IDENTITY}.tmp"
    with tmp.open("w") as f:
        json.dump({"uuid": new, "format": "argus-segments/1"}, f)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path / IDENTITY)
    fsync_dir(path)
    return new


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DiskSet:
    """The node's recording disks. ``check()`` runs from the backend's maintenance thread;
    ``fail()`` from writer threads; ``choose()`` from writer threads."""

    def __init__(
        self, disks: list[Disk], index: RecordingIndex, publish: Callable[[Event], None]
    ) -> None:
        self.disks = disks
        self._index = index
        self._publish = publish
        self._lock = threading.Lock()

    def check(self) -> None:
        """Re-examine every disk and publish the changes."""
        known = self._index.known_disk_paths()
        for disk in self.disks:
            healthy, reason = self._examine(disk, known)
            with self._lock:
                self._transition(disk, healthy, reason)

    def _examine(self, disk: Disk, known: dict[str, str]) -> tuple[bool, str]:
        path = disk.path
        if not path.is_dir():
            return False, f"{path} does not exist"
        ident = _read_identity(path)
        if ident is None:
            if str(path) in known:
                return False, f"{path} has no {IDENTITY}: the disk is not mounted"
            try:
                ident = _write_identity(path)
            except OSError as exc:
                return False, f"cannot initialise {path}: {exc}"
            log.info("new recording disk %s: %s", path, ident)
        if disk.uuid != ident:
            disk.uuid, disk.id = ident, self._index.disk_id(ident, str(path))
        try:
            stat = os.statvfs(path)
        except OSError as exc:
            return False, f"{path}: {exc}"
        disk.free_bytes = stat.f_bavail * stat.f_frsize
        if stat.f_flag & os.ST_RDONLY or not os.access(path, os.W_OK):
            return False, f"{path} is read-only"
        return True, ""

    def fail(self, disk: Disk, error: OSError) -> None:
        """A write to ``disk`` failed: take it out of service until a check finds it healthy."""
        with self._lock:
            self._transition(disk, False, f"write failed: {error}")

    def _transition(self, disk: Disk, healthy: bool, reason: str) -> None:
        """Called with the lock held."""
        was = disk.online
        disk.online, disk.reason = healthy, reason
        if was == healthy:
            return
        source = EventSource("disk", disk.uuid or str(disk.path))
        if not healthy:
            log.warning("disk %s offline: %s", disk.path, reason)
            disk.offline_event = Event(
                "argus.disk.offline",
                source,
                EventPhase.START,
                {"path": str(disk.path), "reason": reason},
            )
            self._publish(disk.offline_event)
        elif disk.offline_event is not None:
            log.info("disk %s back online", disk.path)
            self._publish(
                Event(
                    "argus.disk.offline",
                    source,
                    EventPhase.END,
                    {"path": str(disk.path)},
                    id=disk.offline_event.id,
                )
            )
            disk.offline_event = None

    def choose(self) -> Disk:
        """The healthy disk with the most free space; disks under their floor come last.

        :raises NoDiskAvailable: every disk is offline.
        """
        with self._lock:
            usable = [d for d in self.disks if d.usable]
        if not usable:
            reasons = "; ".join(d.reason for d in self.disks)
            raise NoDiskAvailable(f"no recording disk is usable: {reasons}")
        return max(usable, key=lambda d: (d.free_bytes > d.min_free_bytes, d.free_bytes))

    def by_id(self, disk_id: int) -> Disk | None:
        return next((d for d in self.disks if d.id == disk_id), None)
