"""Retention by age and by free-space floor: oldest first, never more than needed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from argus_sdk import Event, PluginContext, StreamKey, TimeRange
from argus_sdk.testing import ManualClock
from argus_storage_segments.backend import SegmentsBackend
from argus_storage_segments.settings import SegmentsSettings

KEY = StreamKey("gate", "main")
DAY = 86_400.0


def backend_at(
    disk: Path, root: Path, clock: ManualClock, events: list[Event], **settings: Any
) -> SegmentsBackend:
    disk.mkdir(parents=True, exist_ok=True)
    config = {
        "disks": [{"path": str(disk), "min_free_mb": settings.pop("floor_mb", 0)}],
        "segment_seconds": 4,
        "check_seconds": 60,
        "retention_seconds": 3600,
        **settings,
    }
    context = PluginContext("segments", clock=clock, publish=events.append, data_dir=root / "data")
    return SegmentsBackend(SegmentsSettings.model_validate(config), context)


def test_recordings_older_than_the_camera_limit_are_deleted(
    tmp_path: Path, clock: ManualClock, sim_packets: Any
) -> None:
    source, packets = sim_packets(13.0)
    backend = backend_at(
        tmp_path / "disk", tmp_path, clock, [], max_age_days=1, camera_max_age_days={"other": 3}
    )
    writer = backend.open_writer(KEY, source.description)
    for p in packets:
        writer.write(p)
    writer.close()
    files = list((tmp_path / "disk").rglob("*.mp4"))
    assert len(files) >= 3
    span = TimeRange(packets[0].wall_time - 1, packets[-1].wall_time + 1)

    assert backend.enforce_retention() == 0  # all younger than a day
    clock.advance(DAY + 60)
    assert backend.enforce_retention() == len(files)
    assert not list((tmp_path / "disk").rglob("*.mp4"))
    assert backend.timeline(KEY, span) == []
    assert backend.index.garbage() == []
    backend.close()


def test_a_longer_limit_for_one_camera_keeps_its_recordings(
    tmp_path: Path, clock: ManualClock, sim_packets: Any
) -> None:
    source, packets = sim_packets(9.0)
    backend = backend_at(
        tmp_path / "disk", tmp_path, clock, [], max_age_days=1, camera_max_age_days={KEY.camera: 3}
    )
    writer = backend.open_writer(KEY, source.description)
    for p in packets:
        writer.write(p)
    writer.close()
    clock.advance(2 * DAY)
    assert backend.enforce_retention() == 0
    clock.advance(2 * DAY)
    assert backend.enforce_retention() > 0
    backend.close()


def test_free_space_floor_deletes_the_oldest_and_no_more(
    tmp_path: Path, clock: ManualClock, sim_packets: Any, mounts: Any
) -> None:
    disk = mounts.tmpfs(tmp_path / "disk", 4)
    events: list[Event] = []
    backend = backend_at(disk, tmp_path, clock, events, floor_mb=2, max_age_days=None)
    source, packets = sim_packets(48.0)
    writer = backend.open_writer(KEY, source.description)
    deleted = 0
    for i, p in enumerate(packets):
        writer.write(p)
        if i % 100 == 0:  # as the maintenance thread would, every few seconds
            deleted += backend.enforce_retention()
    writer.close()
    deleted += backend.enforce_retention()

    floor = 2 * 1024 * 1024
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    segments = backend.index.segments(KEY.camera, KEY.stream, 0, 2**62)
    assert deleted > 0
    assert free >= floor
    biggest = max(s.bytes for s in segments)
    assert free < floor + 2 * biggest + 64 * 1024, "deleted more than needed"
    kept = TimeRange(packets[0].wall_time - 1, packets[-1].wall_time + 1)
    timeline = backend.timeline(KEY, kept)
    assert len(timeline) == 1  # what is left is the newest, contiguous
    assert timeline[0].end >= packets[-1].wall_time - 0.1
    assert timeline[0].start > packets[0].wall_time + 5
    backend.close()
