"""The segments backend end to end: write, rotate, index, read, recover, rebuild."""

from __future__ import annotations

import io
import itertools
import sqlite3
from pathlib import Path
from typing import Any

import av
import pytest

from argus_sdk import Event, PluginContext, StreamKey, StreamPacket, TimeRange
from argus_sdk.testing import ManualClock
from argus_storage_segments.backend import INDEX_FILE, SegmentsBackend
from argus_storage_segments.settings import SegmentsSettings

KEY = StreamKey("front door", "main")


def make_backend(
    root: Path, clock: ManualClock, events: list[Event] | None = None, **overrides: Any
) -> SegmentsBackend:
    disks = overrides.pop("disks", [{"path": str(root / "disk1"), "min_free_mb": 0}])
    for d in disks:
        Path(d["path"]).mkdir(parents=True, exist_ok=True)
    settings = SegmentsSettings.model_validate(
        {"disks": disks, "segment_seconds": 4, "check_seconds": 60, **overrides}
    )
    sink: list[Event] = events if events is not None else []
    context = PluginContext("segments", clock=clock, publish=sink.append, data_dir=root / "data")
    return SegmentsBackend(settings, context)


def record(backend: SegmentsBackend, packets: list[StreamPacket], *, close: bool = True) -> Any:
    writer = backend.open_writer(KEY, DESCRIPTION[0])
    for p in packets:
        writer.write(p)
    if close:
        writer.close()
    return writer


DESCRIPTION: list[Any] = []


@pytest.fixture
def recorded(sim_packets: Any) -> list[StreamPacket]:
    source, packets = sim_packets(13.0, audio=True)
    DESCRIPTION[:] = [source.description]
    return packets


def span_of(packets: list[StreamPacket]) -> TimeRange:
    return TimeRange(packets[0].wall_time - 1, packets[-1].wall_time + 1)


def test_recording_rotates_and_the_timeline_has_no_gaps(
    tmp_path: Path, clock: ManualClock, recorded: list[StreamPacket]
) -> None:
    backend = make_backend(tmp_path, clock)
    record(backend, recorded)
    segments = backend.index.segments(KEY.camera, KEY.stream, 0, 2**62)
    assert len(segments) >= 3  # 13 s in segments of about 4 s (the first shorter)
    for before, after in itertools.pairwise(segments):
        assert before.end_us == after.start_us  # rotation at a keyframe loses nothing
    timeline = backend.timeline(KEY, span_of(recorded))
    assert len(timeline) == 1
    assert timeline[0].start == pytest.approx(recorded[0].wall_time, abs=1e-3)
    backend.close()


def test_playback_starts_at_the_keyframe_before_the_requested_time(
    tmp_path: Path, clock: ManualClock, recorded: list[StreamPacket]
) -> None:
    backend = make_backend(tmp_path, clock)
    record(backend, recorded)
    start = recorded[0].wall_time
    wanted = TimeRange(start + 5.3, start + 7.0)
    data = b"".join(backend.fmp4(KEY, wanted))
    with av.open(io.BytesIO(data), format="mp4") as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
    first = float(frames[0].pts * stream.time_base)
    assert frames[0].key_frame
    assert start + 4.0 - 1e-3 <= first <= start + 5.3  # the GOP starting at 4 s
    assert float(frames[-1].pts * stream.time_base) >= start + 6.9
    backend.close()


def test_read_gives_annexb_packets_that_decode(
    tmp_path: Path, clock: ManualClock, recorded: list[StreamPacket]
) -> None:
    backend = make_backend(tmp_path, clock)
    record(backend, recorded)
    start = recorded[0].wall_time
    packets = list(backend.read(KEY, TimeRange(start + 2.0, start + 4.0)))
    video = [p for p in packets if p.track == 0]
    assert video[0].keyframe and video[0].data.startswith((b"\x00\x00\x00\x01", b"\x00\x00\x01"))
    assert video[0].wall_time == pytest.approx(start + 2.0, abs=1e-3)
    decoder = av.CodecContext.create("h264", "r")
    frames = [f for p in video for f in decoder.decode(av.Packet(p.data))]
    frames += decoder.decode(None)
    assert len(frames) == len(video)
    backend.close()


def test_reindex_from_files_equals_the_live_index(
    tmp_path: Path, clock: ManualClock, recorded: list[StreamPacket]
) -> None:
    backend = make_backend(tmp_path, clock)
    record(backend, recorded)
    live = [(s.path, s.start_us, s.end_us, s.bytes, f) for s, f in backend.index.all_segments()]
    report = backend.reindex()
    rebuilt = [(s.path, s.start_us, s.end_us, s.bytes, f) for s, f in backend.index.all_segments()]
    assert report.indexed == len(live) and report.truncated == 0
    assert rebuilt == live
    backend.close()


def test_a_crashed_segment_is_recovered_at_start(
    tmp_path: Path, clock: ManualClock, recorded: list[StreamPacket]
) -> None:
    backend = make_backend(tmp_path, clock)
    writer = record(backend, recorded, close=False)  # the process "dies" here
    open_segment = writer._segment
    assert open_segment is not None and len(open_segment.fragments) >= 1
    kept = list(open_segment.fragments)
    with open_segment.file.open("r+b") as f:  # and the last write was torn
        f.truncate(open_segment.size - 777)
    backend.close()

    restarted = make_backend(tmp_path, clock)
    segments = restarted.index.segments(KEY.camera, KEY.stream, 0, 2**62)
    last = segments[-1]
    assert last.path == open_segment.path
    assert restarted.index.fragments(last.id) == kept[:-1]  # only the torn GOP is lost
    assert last.bytes == open_segment.file.stat().st_size == kept[-1].offset
    restarted.close()


def test_an_index_of_another_schema_is_rebuilt_from_the_files(
    tmp_path: Path, clock: ManualClock, recorded: list[StreamPacket]
) -> None:
    backend = make_backend(tmp_path, clock)
    record(backend, recorded)
    before = [(s.path, f) for s, f in backend.index.all_segments()]
    backend.close()
    with sqlite3.connect(tmp_path / "data" / INDEX_FILE) as db:
        db.execute("PRAGMA user_version = 999")
    restarted = make_backend(tmp_path, clock)
    assert [(s.path, f) for s, f in restarted.index.all_segments()] == before
    restarted.close()


def test_a_file_that_is_not_a_segment_is_reported_and_left_alone(
    tmp_path: Path, clock: ManualClock, recorded: list[StreamPacket]
) -> None:
    backend = make_backend(tmp_path, clock)
    record(backend, recorded)
    backend.close()
    day = next((tmp_path / "disk1").glob("*/*/*"))
    stray = day / "1000000.mp4"
    stray.write_bytes(b"not an mp4 at all")
    restarted = make_backend(tmp_path, clock)
    assert stray.exists()
    assert restarted.timeline(KEY, span_of(recorded))  # the rest is still served
    restarted.close()


def test_exports_can_count_time_from_zero_and_still_play(
    tmp_path: Path, clock: ManualClock, recorded: list[StreamPacket]
) -> None:
    backend = make_backend(tmp_path, clock)
    record(backend, recorded)
    start = recorded[0].wall_time
    data = b"".join(backend.fmp4(KEY, TimeRange(start + 4.0, start + 9.0), relative=True))
    with av.open(io.BytesIO(data), format="mp4") as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
    assert frames[0].pts == 0
    assert float(frames[-1].pts * stream.time_base) == pytest.approx(5.96, abs=0.05)
    backend.close()


def test_the_backend_fulfils_the_sdk_contract(tmp_path: Path, clock: ManualClock) -> None:
    from argus_sdk import FragmentReader, StorageBackend

    backend = make_backend(tmp_path, clock)
    assert isinstance(backend, StorageBackend) and isinstance(backend, FragmentReader)
    [disk] = backend.disks()
    assert disk.online and disk.path == str(tmp_path / "disk1")
    assert disk.total_bytes > disk.free_bytes > 0 and len(disk.id) == 36
    backend.close()
