"""Storage benchmarks of the segments backend, each against a reference in the same run.

Seek  — time to the first playable bytes (init segment + the fragment holding the
        keyframe at or before a random time) over an index of >= 30 camera-days,
        divided by a raw pread of the same bytes from the same files. Goal <= 2 at p50.
Export — 1 h x 16 cameras exported to MP4 with SHA-256 manifest (the node's export
        code) versus `cp` of the same segment files. Goal >= 0.5 of cp's throughput.

The segment files are hard links of one real 60 s 1080p25 segment (made with the
sim driver and the SDK muxer) under the names and index rows a real recording
of that many camera-days would have; the index is the real SQLite index.

    python bench/bench_storage.py [--cameras 30] [--days 1] [--seeks 300]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from argus.node.export import export
from argus_driver_sim.device import open_camera
from argus_driver_sim.settings import SimCameraSettings
from argus_sdk import PluginContext, StreamKey, TimeRange
from argus_sdk.fmp4 import Fragment, Muxer, scan
from argus_sdk.testing import ManualClock
from argus_storage_segments.backend import INDEX_FILE, SegmentsBackend
from argus_storage_segments.layout import segment_path
from argus_storage_segments.settings import SegmentsSettings

SEGMENT_US = 60_000_000
BASE_US = 1_760_000_000_000_000  # the recording starts here (UTC µs)


def make_template(work: Path, profile: str) -> Path:
    """One 60 s segment file of the sim camera, written by the SDK muxer."""
    clock = ManualClock(start=BASE_US / 1e6)
    settings = SimCameraSettings(
        name="Bench",
        main_profile=profile,
        sub_profile=None,
        loop_seconds=10,
        inputs=[],
        outputs=[],
    )
    camera = open_camera(settings, PluginContext("bench", clock=clock, cache_dir=work / "cache"))
    source = camera.open_stream(0, "main")
    muxer = Muxer(source.description)
    fragments: list[Fragment] = []
    while len(fragments) < 30:  # 30 GOPs of 2 s
        packet = source.read(1.0)
        if packet is not None and (fragment := muxer.push(packet)) is not None:
            fragments.append(fragment)
    camera.close()
    assert muxer.init is not None
    path = work / "template.mp4"
    path.write_bytes(muxer.init + b"".join(f.data for f in fragments))
    return path


def build_recordings(work: Path, template: Path, cameras: int, days: float) -> tuple[Path, Path]:
    """Hard links and index rows for ``cameras`` x ``days`` of one-minute segments."""
    disk, data = work / "disk", work / "data"
    disk.mkdir()
    with template.open("rb") as f:
        scanned = scan(f)
    size = template.stat().st_size
    settings = SegmentsSettings.model_validate(
        {"disks": [{"path": str(disk), "min_free_mb": 0}], "check_seconds": 60}
    )
    SegmentsBackend(settings, PluginContext("b", data_dir=data)).close()  # schema, disk row
    minutes = int(days * 1440)
    with sqlite3.connect(data / INDEX_FILE) as db:
        (disk_id,) = db.execute("SELECT id FROM disk").fetchone()
        for c in range(cameras):
            segs, frags = [], []
            for m in range(minutes):
                start = BASE_US + m * SEGMENT_US
                rel = segment_path(f"cam{c:02d}", "main", start)
                link = disk / rel
                link.parent.mkdir(parents=True, exist_ok=True)
                os.link(template, link)
                segs.append((disk_id, f"cam{c:02d}", "main", rel, start, start + SEGMENT_US, size))
            db.executemany(
                "INSERT INTO segment (disk_id, camera, stream, path, start_us, end_us,"
                " bytes) VALUES (?,?,?,?,?,?,?)",
                segs,
            )
            first = db.execute(
                "SELECT min(id) FROM segment WHERE camera=?", (f"cam{c:02d}",)
            ).fetchone()[0]
            for m in range(minutes):
                start = BASE_US + m * SEGMENT_US
                base = scanned.fragments[0].start_us
                frags += [
                    (
                        first + m,
                        i,
                        start + f.start_us - base,
                        start + f.end_us - base,
                        f.offset,
                        f.size,
                        f.keyframe,
                    )
                    for i, f in enumerate(scanned.fragments)
                ]
            db.executemany(
                "INSERT INTO fragment (segment_id, seq, start_us, end_us, offset, size,"
                " keyframe) VALUES (?,?,?,?,?,?,?)",
                frags,
            )
    return disk, data


def open_backend(disk: Path, data: Path) -> SegmentsBackend:
    settings = SegmentsSettings.model_validate(
        {
            "disks": [{"path": str(disk), "min_free_mb": 0}],
            "check_seconds": 60,
            "retention_seconds": 3600,
            "max_age_days": None,
        }
    )
    return SegmentsBackend(settings, PluginContext("b", data_dir=data))


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def bench_seek(backend: SegmentsBackend, disk: Path, cameras: int, days: float, seeks: int) -> None:
    import random

    rng = random.Random(7)
    span_us = int(days * 86_400e6) - SEGMENT_US
    argus_t, raw_t, sizes = [], [], []
    for _ in range(seeks):
        camera = f"cam{rng.randrange(cameras):02d}"
        at = (BASE_US + rng.randrange(span_us)) / 1e6
        t0 = time.perf_counter()
        chunks = backend.fmp4(StreamKey(camera, "main"), TimeRange(at, at + 60))
        init, first = next(chunks), next(chunks)
        t1 = time.perf_counter()
        argus_t.append(t1 - t0)
        sizes.append(len(init) + len(first))
        seg = backend.index.segment_before(camera, "main", int(at * 1e6))
        assert seg is not None
        frag = next(f for f in reversed(backend.index.fragments(seg.id)) if f.start_us <= at * 1e6)
        t0 = time.perf_counter()
        fd = os.open(disk / seg.path, os.O_RDONLY)
        raw = os.pread(fd, len(init), 0) + os.pread(fd, frag.size, frag.offset)
        os.close(fd)
        raw_t.append(time.perf_counter() - t0)
        assert len(raw) == sizes[-1]
    a50, r50 = statistics.median(argus_t), statistics.median(raw_t)
    print(
        f"== seek: {seeks} random seeks over {cameras} cameras x {days:g} days "
        f"({cameras * days:g} camera-days) =="
    )
    print(f"first playable bytes per seek: median {statistics.median(sizes) / 1e3:.0f} kB")
    print(f"argus  p50 {a50 * 1e3:.3f} ms  p99 {pct(argus_t, 99) * 1e3:.3f} ms")
    print(f"raw    p50 {r50 * 1e3:.3f} ms  p99 {pct(raw_t, 99) * 1e3:.3f} ms")
    print(f"ratio  p50 {a50 / r50:.2f} (goal <= 2)  p99 {pct(argus_t, 99) / pct(raw_t, 99):.2f}")


def bench_export(backend: SegmentsBackend, disk: Path, work: Path, cameras: int) -> None:
    keys = [StreamKey(f"cam{c:02d}", "main") for c in range(cameras)]
    span = TimeRange(BASE_US / 1e6 + 3600, BASE_US / 1e6 + 7200)
    files = [
        disk / s.path
        for k in keys
        for s in backend.index.segments(
            k.camera, k.stream, int(span.start * 1e6), int(span.end * 1e6)
        )
    ]
    total = sum(f.stat().st_size for f in files)
    out_cp = work / "cp-out"
    out_cp.mkdir()
    t0 = time.perf_counter()
    rel = [str(f.relative_to(disk)) for f in files]
    subprocess.run(["cp", "--parents", *rel, str(out_cp)], check=True, cwd=disk)
    subprocess.run(["sync"], check=True)
    cp_s = time.perf_counter() - t0
    shutil.rmtree(out_cp)
    t0 = time.perf_counter()
    manifest = export(backend, keys, span, work / "exports", "bench")
    subprocess.run(["sync"], check=True)
    ex_s = time.perf_counter() - t0
    exported = sum(f.bytes for f in manifest.files)
    print(
        f"== export: 1 h x {cameras} cameras ({len(files)} segment files, {total / 1e6:.0f} MB) =="
    )
    print(f"cp      {cp_s:.2f} s  {total / cp_s / 1e6:.0f} MB/s")
    print(
        f"argus   {ex_s:.2f} s  {exported / ex_s / 1e6:.0f} MB/s  ({exported / 1e6:.0f} MB "
        f"written, SHA-256 of every file)"
    )
    print(f"ratio   {exported / ex_s / (total / cp_s):.2f} of cp's throughput (goal >= 0.5)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", type=int, default=30)
    parser.add_argument("--days", type=float, default=1.0)
    parser.add_argument("--seeks", type=int, default=300)
    parser.add_argument("--export-cameras", type=int, default=16)
    parser.add_argument("--profile", default="1080p", choices=["1080p", "720p", "360p"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="argus-bench-storage-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        template = make_template(work, args.profile)
        disk, data = build_recordings(work, template, args.cameras, args.days)
        print(
            f"setup: {args.cameras * args.days * 1440:.0f} segments of "
            f"{template.stat().st_size / 1e6:.1f} MB ({args.profile}) indexed in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        backend = open_backend(disk, data)
        try:
            bench_seek(backend, disk, args.cameras, args.days, args.seeks)
            if args.export_cameras > 0:
                bench_export(backend, disk, work, min(args.export_cameras, args.cameras))
        finally:
            backend.close()


if __name__ == "__main__":
    main()
