"""Benchmark: many simulated cameras replayed in real time, against ffmpeg doing the same.

    python bench/bench_sim.py [--streams 200] [--seconds 20] [--reference 10]

Phase 1 opens ``--streams`` simulated cameras (25 fps 360p, the real SystemClock)
with one consumer thread per stream calling ``read()`` as the recorder does, and
reports delivered vs expected packets, lateness, and the process CPU time over
wall time (as % of one core). Phase 2, if ``ffmpeg`` is on PATH, replays the same
clip as a raw .h264 file with ``ffmpeg -re -stream_loop -1 … -c copy -f null -``
in ``--reference`` processes and reports their CPU from ``/proc/<pid>/stat``.
The two phases run one after the other so they do not compete for the CPU.
"""

from __future__ import annotations

import argparse
import logging
import math
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchlib import cpu_seconds

from argus_driver_sim.clip import ClipStore, VideoKey
from argus_driver_sim.const import PROFILES, ProfileName
from argus_driver_sim.device import SimCamera, open_camera
from argus_driver_sim.settings import SimCameraSettings
from argus_sdk import DeviceUnavailable, PluginContext, SystemClock

FPS = 25
PROFILE: ProfileName = "360p"
LOOP_SECONDS = 10
CPU_BUDGET_PERCENT = 30.0
WARMUP_SECONDS = 2.0


@dataclass
class StreamStats:
    """What one consumer thread saw."""

    packets: int = 0
    lateness: list[float] = field(default_factory=list)
    errors: int = 0


def consume(camera: SimCamera, stop: threading.Event, stats: StreamStats) -> None:
    """The recorder's worker: open the stream, read, note how late each packet came."""
    source = camera.open_stream(0, "main")
    while not stop.is_set():
        try:
            packet = source.read(0.5)
        except DeviceUnavailable:
            stats.errors += 1
            return
        if packet is None:
            continue
        stats.lateness.append(time.time() - packet.wall_time)
        stats.packets += 1
    source.close()


def settings() -> SimCameraSettings:
    return SimCameraSettings(
        name="Bench",
        main_profile=PROFILE,
        sub_profile=None,
        fps=FPS,
        loop_seconds=LOOP_SECONDS,
        inputs=[],
        outputs=[],
    )


def run_sim(streams: int, seconds: float, cache_dir: Path) -> dict[str, float]:
    cameras: list[SimCamera] = []
    for n in range(streams):
        context = PluginContext(owner=f"bench-{n}", clock=SystemClock(), cache_dir=cache_dir)
        cameras.append(open_camera(settings(), context))
    cameras[0].open_stream(0, "main").close()  # the clip is in memory before the clock starts
    stop = threading.Event()
    stats = [StreamStats() for _ in cameras]
    threads = [
        threading.Thread(target=consume, args=(c, stop, st), daemon=True)
        for c, st in zip(cameras, stats, strict=True)
    ]
    wall0, cpu0 = time.monotonic(), time.process_time()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    wall1, cpu1 = time.monotonic(), time.process_time()
    stop.set()
    for thread in threads:
        thread.join(timeout=5)
    for camera in cameras:
        camera.close()
    return report_sim(stats, streams, wall1 - wall0, cpu1 - cpu0)


def report_sim(stats: list[StreamStats], streams: int, wall: float, cpu: float) -> dict[str, float]:
    delivered = sum(s.packets for s in stats)
    # Each stream delivers its first packet at once, then one every 1/FPS s.
    expected = streams * (FPS * wall + 1)
    late = sorted(x for s in stats for x in s.lateness)
    cpu_percent = 100.0 * cpu / wall
    verdict = "OK" if cpu_percent < CPU_BUDGET_PERCENT else "OVER"
    print(f"== simulated driver: {streams} streams, {PROFILE} {FPS} fps, {wall:.2f} s wall ==")
    print(
        f"packets delivered {delivered}, expected {expected:.0f} "
        f"({streams} x ({FPS} x {wall:.2f} + 1)); ratio {delivered / expected:.4f}"
    )
    print(f"packets/s delivered {delivered / wall:.1f}, expected {expected / wall:.1f}")
    print(f"consumer errors {sum(s.errors for s in stats)}")
    if late:
        print(
            "lateness ms: median {:.2f}, p99 {:.2f}, p99.9 {:.2f}, max {:.2f}; "
            "> 5 ms {}, > 20 ms {}, > 100 ms {} ({:.3f} %, {:.3f} %, {:.3f} %)".format(
                1e3 * statistics.median(late),
                1e3 * late[int(0.99 * (len(late) - 1))],
                1e3 * late[int(0.999 * (len(late) - 1))],
                1e3 * late[-1],
                *(sum(1 for x in late if x > t) for t in (0.005, 0.02, 0.1)),
                *(100.0 * sum(1 for x in late if x > t) / len(late) for t in (0.005, 0.02, 0.1)),
            )
        )
    print(
        f"process CPU {cpu:.2f} s over {wall:.2f} s wall = {cpu_percent:.1f} % of one core "
        f"(budget {CPU_BUDGET_PERCENT:.0f} %: {verdict})"
    )
    print(f"per stream {cpu_percent / streams:.4f} % of one core")
    return {"cpu_percent": cpu_percent, "per_stream": cpu_percent / streams}


def write_annexb(cache_dir: Path, path: Path, seconds: float) -> int:
    """The bench clip as a raw H.264 elementary stream, repeated to last ``seconds``.

    ffmpeg 5.1 cannot seek back in a raw .h264 input ("Operation not permitted"),
    so ``-stream_loop -1`` stops after one pass; the file holds enough passes instead.
    Returns the packet count of one pass.
    """
    p = PROFILES[PROFILE]
    key = VideoKey("Bench", p.width, p.height, FPS, LOOP_SECONDS, p.bit_rate)
    clip = ClipStore(cache_dir, logging.getLogger("bench")).get(key)
    passes = math.ceil(seconds / LOOP_SECONDS) + 1
    path.write_bytes(b"".join(clip.track.packets) * passes)
    return len(clip)


def run_reference(count: int, seconds: float, clip: Path, workdir: Path) -> dict[str, float]:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        print("== reference skipped: ffmpeg is not on PATH (Debian package 'ffmpeg') ==")
        return {}
    cmd = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-stats", "-re"]
    cmd += ["-stream_loop", "-1", "-framerate", str(FPS), "-i", str(clip)]
    cmd += ["-c", "copy", "-f", "null", "-"]
    logs = [workdir / f"ffmpeg-{n}.log" for n in range(count)]
    procs = []
    for log in logs:
        with log.open("wb") as err:
            procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err))
    try:
        time.sleep(WARMUP_SECONDS)
        start = [cpu_seconds(p.pid) for p in procs]
        wall0 = time.monotonic()
        time.sleep(seconds)
        end = [cpu_seconds(p.pid) for p in procs]
        wall = time.monotonic() - wall0
    finally:
        stop_all(procs)
    return report_reference(count, wall, sum(end) - sum(start), logs, seconds + WARMUP_SECONDS)


def stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def report_reference(
    count: int, wall: float, cpu: float, logs: list[Path], run_seconds: float
) -> dict[str, float]:
    frames = []
    for log in logs:
        found = re.findall(r"frame=\s*(\d+)", log.read_text(errors="replace"))
        frames.append(int(found[-1]) if found else 0)
    cpu_percent = 100.0 * cpu / wall
    print(f"== reference: {count} x ffmpeg -re -stream_loop -1 -c copy -f null, {wall:.2f} s ==")
    print(
        f"frames reported (last stats line, whole run of ~{run_seconds:.0f} s): "
        f"total {sum(frames)}, expected about {count * FPS * run_seconds:.0f}"
    )
    print(f"ffmpeg CPU {cpu:.2f} s over {wall:.2f} s wall = {cpu_percent:.1f} % of one core")
    print(f"per stream {cpu_percent / count:.4f} % of one core")
    return {"cpu_percent": cpu_percent, "per_stream": cpu_percent / count}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--reference", type=int, default=10, help="ffmpeg processes (0: none)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="argus-bench-sim-") as tmp:
        workdir = Path(tmp)
        clip = workdir / "bench.h264"
        t0 = time.monotonic()
        packets = write_annexb(workdir, clip, args.seconds + WARMUP_SECONDS + 5)
        print(
            f"clip: {packets} packets, {clip.stat().st_size} bytes, made in "
            f"{time.monotonic() - t0:.2f} s ({clip})"
        )
        sim = run_sim(args.streams, args.seconds, workdir)
        ref = run_reference(args.reference, args.seconds, clip, workdir) if args.reference else {}
    if ref:
        ratio = ref["per_stream"] / sim["per_stream"]
        print("== comparison (CPU per stream, % of one core) ==")
        print(
            f"sim {sim['per_stream']:.4f} vs ffmpeg {ref['per_stream']:.4f}: ffmpeg / sim = "
            f"{ref['per_stream']:.4f} / {sim['per_stream']:.4f} = {ratio:.1f}x"
        )
    return 0 if sim["cpu_percent"] < CPU_BUDGET_PERCENT else 1


if __name__ == "__main__":
    sys.exit(main())
