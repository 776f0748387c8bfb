"""CPU per recorded RTSP stream: Argus node vs ffmpeg's segment muxer, same streams, same run.

N cameras all pull GStreamer's shared 1080p25 H.264 mount (4 Mbit/s) over
RTSP/TCP on loopback. First a real ``argus node run`` records them (rtsp
driver -> recorder -> segments backend), once per driver engine (``native``:
Argus's own RTSP reader; ``ffmpeg``: FFmpeg's demuxer through PyAV); then N
``ffmpeg -rtsp_transport tcp -i URL -c copy -f segment -segment_time 60``
processes record the same streams. Each runs alone, after a warm-up; its CPU
time is read from /proc (the RTSP server's own CPU is not counted). Goal:
Argus <= 0.5 of ffmpeg per stream; and how many such streams one core can hold.
Each run prints the megabytes it wrote: one that wrote much less than the others
measured streams that were not recording, and its CPU figure is void.

    python bench/bench_record_rtsp.py [--streams 8] [--seconds 30] [--warmup 8]
        [--engine native --engine ffmpeg]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import cpu_seconds

from argus.testing import free_port
from argus.testing.rtsp import RtspServer, rtsp_peer_missing

MOUNT = "/h264-1080p"


#: Between two runs: GStreamer's shared media is torn down when its last client leaves,
#: and a client that comes meanwhile may be refused (ffmpeg then exits at once).
SETTLE = 5.0


def measure(pids: list[int], warmup: float, seconds: float) -> tuple[float, float]:
    """(CPU seconds used by ``pids`` during the window, window length)."""
    time.sleep(warmup)
    before, t0 = sum(cpu_seconds(p, children=True) for p in pids), time.monotonic()
    time.sleep(seconds)
    return sum(cpu_seconds(p, children=True) for p in pids) - before, time.monotonic() - t0


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            os.kill(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()


def run_argus(
    url: str,
    streams: int,
    work: Path,
    warmup: float,
    seconds: float,
    engine: str,
    extra: str = "",
) -> float:
    """CPU seconds per second of a node recording ``streams`` cameras with ``engine``;
    ``extra``: more driver settings, as TOML inline-table entries (``, key = value``)."""
    work = work / f"argus-{engine}"
    disk = work / "disk"
    disk.mkdir(parents=True)
    devices = "\n".join(
        f'[[devices]]\nid = "cam{i:02d}"\ndriver = "rtsp"\n'
        f'settings = {{ main_url = "{url}", engine = "{engine}"{extra} }}\n'
        for i in range(streams)
    )
    config = work / "node.toml"
    config.write_text(
        f'[node]\nid = "bench"\ndata_dir = "{work / "data"}"\n'
        f'listen = "127.0.0.1:{free_port()}"\n\n[storage]\nbackend = "segments"\n'
        f'settings = {{ disks = [{{ path = "{disk}", min_free_mb = 0 }}] }}\n\n{devices}'
    )
    node = subprocess.Popen(
        [sys.executable, "-m", "argus", "node", "run", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=(work / "node.log").open("wb"),
    )
    try:
        used, window = measure([node.pid], warmup, seconds)
    finally:
        stop([node])
    if node.returncode not in (0, -signal.SIGTERM):
        log = (work / "node.log").read_text(errors="replace")[-3000:]
        sys.exit(f"the node failed (exit status {node.returncode}):\n{log}")
    written = sum(f.stat().st_size for f in disk.rglob("*.mp4"))
    print(
        f"argus node ({engine} engine): {streams} streams, {used:.2f} s CPU over {window:.1f} s, "
        f"{written / 1e6:.0f} MB written in total"
    )
    return used / window


def run_ffmpeg(url: str, streams: int, work: Path, warmup: float, seconds: float) -> float:
    procs = []
    for i in range(streams):
        out = work / f"ffmpeg-{i:02d}"
        out.mkdir()
        procs.append(
            subprocess.Popen(
                [
                    "ffmpeg",
                    "-nostdin",
                    "-loglevel",
                    "error",
                    "-rtsp_transport",
                    "tcp",
                    "-i",
                    url,
                    "-c",
                    "copy",
                    "-f",
                    "segment",
                    "-segment_time",
                    "60",
                    str(out / "seg%05d.mp4"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    try:
        used, window = measure([p.pid for p in procs], warmup, seconds)
        ended = [p.returncode for p in procs if p.poll() is not None]
    finally:
        stop(procs)
    if ended:
        sys.exit(f"{len(ended)} of {streams} ffmpeg processes ended early (exit {ended[0]}): void")
    written = sum(f.stat().st_size for f in work.glob("ffmpeg-*/*.mp4"))
    print(
        f"ffmpeg x {streams}: {used:.2f} s CPU over {window:.1f} s, "
        f"{written / 1e6:.0f} MB written in total"
    )
    return used / window


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=8.0)
    parser.add_argument(
        "--engine",
        action="append",
        choices=("native", "ffmpeg"),
        help="the rtsp driver engine(s) to measure (default: both)",
    )
    parser.add_argument(
        "--receive-interval",
        type=float,
        help="the native engine's receive_interval setting (default: the driver's)",
    )
    args = parser.parse_args()
    engines: list[str] = args.engine or ["native", "ffmpeg"]
    extra = ""
    if args.receive_interval is not None:
        extra = f", receive_interval = {args.receive_interval}"
    missing = rtsp_peer_missing()
    if missing:
        sys.exit(f"cannot run the RTSP peer: {missing}")
    if shutil.which("ffmpeg") is None:
        sys.exit("ffmpeg is not installed (Debian package ffmpeg)")
    with tempfile.TemporaryDirectory(prefix="argus-bench-rtsp-") as tmp, RtspServer() as server:
        work, url = Path(tmp), server.url(MOUNT)
        argus: dict[str, float] = {}
        for engine in engines:
            settings = extra if engine == "native" else ""
            argus[engine] = run_argus(
                url, args.streams, work, args.warmup, args.seconds, engine, settings
            )
            time.sleep(SETTLE)
        ffmpeg = run_ffmpeg(url, args.streams, work, args.warmup, args.seconds)
    f = ffmpeg / args.streams * 100
    print("== CPU per recorded 1080p25 stream (% of one core) ==")
    print(f"ffmpeg segment muxer: {f:.2f} %, one core holds about {100 / f:.0f} streams")
    for engine, used in argus.items():
        a = used / args.streams * 100
        print(
            f"argus, {engine} engine: {a:.2f} %, ratio argus/ffmpeg {a / f:.2f} (goal <= 0.5), "
            f"one core holds about {100 / a:.0f} streams"
        )


if __name__ == "__main__":
    main()
