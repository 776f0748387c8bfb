"""A real node process killed with SIGKILL mid-recording: what survives, and the rebuild.

The node runs as ``argus node run`` with two simulated cameras recording to
the segments backend; it is killed, restarted (recovery), stopped, and the
index is rebuilt from the files with ``argus node reindex``.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

from argus.testing import ArgusProcess, wait_for
from argus_sdk import PluginContext, StreamKey, TimeRange
from argus_storage_segments.backend import INDEX_FILE, SegmentsBackend
from argus_storage_segments.settings import SegmentsSettings

GOP_SECONDS = 2.0  # the sim driver's keyframe interval

CONFIG = """
[node]
id = "crash-test"
data_dir = "{data}"

[storage]
backend = "segments"
settings = {{ disks = [{{ path = "{disk}", min_free_mb = 0 }}], segment_seconds = 6 }}

[[devices]]
id = "cam-a"
driver = "sim"
settings = {{ name = "Crash A", main_profile = "360p", sub_profile = "360p", loop_seconds = 4 }}
record = ["main", "sub"]

[[devices]]
id = "cam-b"
driver = "sim"
settings = {{ name = "Crash B", main_profile = "360p", sub_profile = "360p", audio = true }}
"""


def indexed_segments(index: Path) -> int:
    if not index.exists():
        return 0
    with sqlite3.connect(index) as db:
        try:
            return int(db.execute("SELECT count(*) FROM segment").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def open_backend(data: Path, disk: Path) -> SegmentsBackend:
    settings = SegmentsSettings.model_validate(
        {"disks": [{"path": str(disk), "min_free_mb": 0}], "check_seconds": 60}
    )
    return SegmentsBackend(settings, PluginContext("t", data_dir=data / "storage" / "segments"))


@pytest.mark.slow
def test_sigkill_loses_at_most_one_gop_and_reindex_matches(tmp_path: Path) -> None:
    data, disk = tmp_path / "data", tmp_path / "disk1"
    disk.mkdir()
    config = tmp_path / "node.toml"
    config.write_text(CONFIG.format(data=data, disk=disk))
    index = data / "storage" / "segments" / INDEX_FILE
    log = tmp_path / "node.log"
    run = ["node", "run", "-c", str(config)]

    node = ArgusProcess(run, log)
    try:
        wait_for(lambda: indexed_segments(index) >= 4, "closed segments of every stream", [node])
        time.sleep(3.1)  # land the kill somewhere inside a GOP
        killed_at = time.time()
        node.stop(signal.SIGKILL)
    finally:
        node.stop(signal.SIGKILL)

    before = indexed_segments(index)
    node = ArgusProcess(run, log, append=True)  # recovery happens as the storage opens
    try:
        wait_for(lambda: indexed_segments(index) > before + 3, "recovered and new segments", [node])
    finally:
        status = node.stop(signal.SIGTERM)
    assert status == 0, log.read_text()

    backend = open_backend(data, disk)
    try:
        for camera, stream in [("cam-a", "main"), ("cam-a", "sub"), ("cam-b", "main")]:
            ranges = backend.timeline(
                StreamKey(camera, stream), TimeRange(killed_at - 600, time.time() + 60)
            )
            assert len(ranges) == 2, (camera, stream, ranges)  # the outage is a gap
            lost = killed_at - ranges[0].end
            print(f"SIGKILL lost {camera}/{stream}: {lost:.2f} s of video")
            assert lost <= GOP_SECONDS + 1.0, f"{camera}/{stream} lost {lost:.2f} s"
        live = [(s.path, s.bytes, f) for s, f in backend.index.all_segments()]
        for seg, _ in backend.index.all_segments():
            with av.open(str(disk / seg.path)) as container:
                assert sum(1 for _ in container.decode(video=0)) > 0
    finally:
        backend.close()

    proc = subprocess.run(
        [sys.executable, "-m", "argus", "node", "reindex", "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    backend = open_backend(data, disk)
    try:
        assert [(s.path, s.bytes, f) for s, f in backend.index.all_segments()] == live
    finally:
        backend.close()
