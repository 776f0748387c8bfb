"""Disks that vanish, turn read-only or fill up, with real mounts."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from argus_sdk import Event, EventPhase, PluginContext, StreamKey, StreamPacket
from argus_sdk.testing import ManualClock
from argus_storage_segments.backend import SegmentsBackend
from argus_storage_segments.settings import SegmentsSettings

KEY = StreamKey("yard", "main")


def backend_for(
    disks: list[Path], root: Path, clock: ManualClock, events: list[Event], **settings: Any
) -> SegmentsBackend:
    config = {
        "disks": [{"path": str(d), "min_free_mb": 0} for d in disks],
        "segment_seconds": 4,
        "check_seconds": 0.1,
        **settings,
    }
    context = PluginContext("segments", clock=clock, publish=events.append, data_dir=root / "data")
    return SegmentsBackend(SegmentsSettings.model_validate(config), context)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def disk_events(events: list[Event], topic: str = "argus.disk.offline") -> list[Event]:
    return [e for e in list(events) if e.topic == topic]


def on_disk(backend: SegmentsBackend, disk: Path) -> list[str]:
    d = next(x for x in backend.disk_set.disks if x.path == disk)
    return [s.path for s in backend.index.disk_segments(d.id or -1)]


def test_a_vanished_disk_is_dropped_and_used_again_when_it_returns(
    tmp_path: Path, clock: ManualClock, sim_packets: Any, mounts: Any
) -> None:
    backing = mounts.tmpfs(tmp_path / "backing", 64)
    (backing / "a").mkdir()
    disk_a = mounts.bind(backing / "a", tmp_path / "disk_a")
    disk_b = mounts.tmpfs(tmp_path / "disk_b", 32)  # less free space: used second
    source, packets = sim_packets(18.0)
    events: list[Event] = []
    backend = backend_for([disk_a, disk_b], tmp_path, clock, events)
    writer = backend.open_writer(KEY, source.description)
    thirds = [
        packets[: len(packets) // 3],
        packets[len(packets) // 3 : 2 * len(packets) // 3],
        packets[2 * len(packets) // 3 :],
    ]

    for p in thirds[0]:
        writer.write(p)
    mounts.unmount(disk_a)  # pulled out while a segment is open on it
    wait_for(lambda: len(disk_events(events)) == 1, "disk offline")
    assert disk_events(events)[0].phase is EventPhase.START
    for p in thirds[1]:
        writer.write(p)
    kept_a = on_disk(backend, disk_a)
    assert kept_a, "segments of the missing disk stay in the index"
    assert on_disk(backend, disk_b), "recording went on on the other disk"

    mounts.bind(backing / "a", disk_a)
    wait_for(lambda: len(disk_events(events)) == 2, "disk online")
    end = disk_events(events)[1]
    assert (end.phase, end.id) == (EventPhase.END, disk_events(events)[0].id)
    for p in thirds[2]:
        writer.write(p)
    writer.close()
    assert set(kept_a) < set(on_disk(backend, disk_a)), "the returned disk is written again"
    span = backend.timeline(KEY, _span(packets))
    assert len(span) == 1, f"no gap expected: {span}"
    backend.close()


def test_a_read_only_disk_is_dropped_until_writable(
    tmp_path: Path, clock: ManualClock, mounts: Any
) -> None:
    backing = mounts.tmpfs(tmp_path / "backing", 16)
    (backing / "a").mkdir()
    disk_a = mounts.bind(backing / "a", tmp_path / "disk_a")
    events: list[Event] = []
    backend = backend_for([disk_a], tmp_path, clock, events)
    assert backend.disk_set.disks[0].usable
    mounts.read_only(disk_a)
    wait_for(lambda: not backend.disk_set.disks[0].usable, "read-only disk dropped")
    assert "read-only" in backend.disk_set.disks[0].reason
    mounts.read_only(disk_a, ro=False)
    wait_for(lambda: backend.disk_set.disks[0].usable, "disk back")
    backend.close()


def test_a_full_disk_hands_recording_to_another(
    tmp_path: Path, clock: ManualClock, sim_packets: Any, mounts: Any
) -> None:
    small = mounts.tmpfs(tmp_path / "small", 1)
    big_backing = mounts.tmpfs(tmp_path / "big_backing", 32)
    (big_backing / "b").mkdir()
    big = mounts.bind(big_backing / "b", tmp_path / "big")
    events: list[Event] = []
    backend = backend_for([small, big], tmp_path, clock, events)
    mounts.unmount(big)  # the big disk is away: only the small one can take recordings
    wait_for(lambda: not backend.disk_set.disks[1].usable, "big disk offline")
    source, packets = sim_packets(30.0)
    writer = backend.open_writer(KEY, source.description)
    half = len(packets) * 7 // 10
    for p in packets[:half]:
        writer.write(p)  # about 1.5 MB: the 1 MB disk fills
    stopped = [e for e in events if e.topic == "argus.recording.stopped"]
    assert stopped and stopped[0].phase is EventPhase.START

    mounts.bind(big_backing / "b", big)
    wait_for(lambda: backend.disk_set.disks[1].usable, "big disk back")
    for p in packets[half:]:
        writer.write(p)
    writer.close()
    resumed = [e for e in events if e.topic == "argus.recording.stopped"]
    assert resumed[-1].phase is EventPhase.END and resumed[-1].id == stopped[0].id
    assert on_disk(backend, big)
    backend.close()


def _span(packets: list[StreamPacket]) -> Any:
    from argus_sdk import TimeRange

    return TimeRange(packets[0].wall_time - 1, packets[-1].wall_time + 1)
