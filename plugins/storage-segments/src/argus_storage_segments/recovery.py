"""Making the index agree with the disks: after a crash, at start, and from scratch."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from argus_sdk.fmp4.scan import CorruptSegment, scan
from argus_storage_segments.disks import Disk, DiskSet
from argus_storage_segments.index import FragmentInfo, RecordingIndex
from argus_storage_segments.layout import SUFFIX, parse_path

log = logging.getLogger("argus.storage.segments")


@dataclass
class Report:
    indexed: int = 0
    truncated: int = 0
    removed_rows: int = 0
    deleted_files: int = 0
    unreadable: list[str] = field(default_factory=list)


def walk(root: Path) -> Iterator[str]:
    """Relative paths of the segment files under a disk root."""
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            if name.endswith(SUFFIX):
                rel = (Path(dirpath) / name).relative_to(root).as_posix()
                if parse_path(rel) is not None:
                    yield rel


def recover_file(index: RecordingIndex, disk: Disk, rel: str, report: Report) -> None:
    """Index a file found on disk, cutting a torn last fragment; delete it if it holds none."""
    parsed = parse_path(rel)
    if parsed is None or disk.id is None:
        return
    camera, stream, _start = parsed
    file = disk.path / rel
    try:
        with file.open("r+b") as f:
            scanned = scan(f)
            if scanned.valid_size < scanned.file_size:
                f.truncate(scanned.valid_size)
                os.fsync(f.fileno())
                report.truncated += 1
    except CorruptSegment as exc:
        log.error("%s is not a readable segment (%s); left in place", file, exc)
        report.unreadable.append(str(file))
        return
    if not scanned.fragments:
        file.unlink()
        report.deleted_files += 1
        return
    fragments = [
        FragmentInfo(s.offset, s.size, s.start_us, s.end_us, s.keyframe) for s in scanned.fragments
    ]
    index.add_segment(disk.id, camera, stream, rel, scanned.valid_size, fragments)
    report.indexed += 1


def collect_garbage(index: RecordingIndex, disks: DiskSet) -> None:
    """Finish deletions a crash interrupted (only on disks that are present)."""
    for disk_id, rel in index.garbage():
        disk = disks.by_id(disk_id)
        if disk is None or not disk.usable:
            continue
        try:
            (disk.path / rel).unlink(missing_ok=True)
        except OSError as exc:
            log.error("cannot delete %s: %s", disk.path / rel, exc)
            continue
        index.collected(disk_id, rel)


def reconcile_disk(
    index: RecordingIndex, disk: Disk, report: Report, skip: frozenset[str] = frozenset()
) -> None:
    """Index unindexed files, drop rows of vanished files, rescan files of another size.

    Only for a disk that is online with its identity verified: rows of an
    offline disk are never dropped. ``skip`` holds paths being written now.
    """
    if not disk.usable or disk.id is None:
        return
    rows = {s.path: s for s in index.disk_segments(disk.id)}
    files = set(walk(disk.path)) - skip
    stale = [s for p, s in rows.items() if p not in files]
    changed = [
        s for p, s in rows.items() if p in files and (disk.path / p).stat().st_size != s.bytes
    ]
    index.forget(stale + changed)
    for seg in stale + changed:
        index.collected(seg.disk_id, seg.path)  # vanished: nothing to unlink
    report.removed_rows += len(stale)
    for rel in sorted(files - set(rows) | {s.path for s in changed}):
        recover_file(index, disk, rel, report)


def reconcile(index: RecordingIndex, disks: DiskSet, skip: frozenset[str] = frozenset()) -> Report:
    report = Report()
    collect_garbage(index, disks)
    for disk in disks.disks:
        reconcile_disk(index, disk, report, skip)
    return report


def reindex(index: RecordingIndex, disks: DiskSet) -> Report:
    """Rebuild the segment rows from the files of every present disk."""
    index.clear_segments()
    report = Report()
    for disk in disks.disks:
        if disk.usable:
            for rel in sorted(walk(disk.path)):
                recover_file(index, disk, rel, report)
    return report
