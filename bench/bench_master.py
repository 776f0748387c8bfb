"""The master under 500 heartbeating nodes, and the profile download of a 5,000-camera user.

    python bench/bench_master.py [--nodes 500] [--interval 5 1] [--seconds 30] [--warmup 10]
                                 [--database sqlite|postgresql|both] [--logins 200]

For each database (SQLite in a temporary directory; a private PostgreSQL from
``argus.testing.databases``) a fresh master database is seeded through the master's
services: ``--nodes`` nodes, each with ``--cameras-per-node`` one-camera devices, the
cameras in camera groups of ten nodes each ("sites"); a profile granting live, playback
and export on every group (5,000 cameras with the defaults) and its user ``operator``;
and a reference user ``nobody`` whose profile grants nothing. Then a real
``argus master run`` serves the API, every node enrols over HTTP with its one-time
token, and the measurements run one after the other (for each ``--interval``, the
reference and then the heartbeats):

Heartbeats — the nodes are simulated by asyncio agents in ``--agent-processes``
  processes (one keep-alive HTTP/1.1 connection per node). Each agent sends a full
  ``argus.protocol.Heartbeat`` (its cameras' streams recording, its disks online) every
  ``--interval`` s at its own phase; a slot missed because the previous reply came late is
  skipped, as counted. After ``--warmup`` s, for ``--seconds`` s: heartbeats offered and
  answered per second, latency p50/p99/max, errors, and the CPU of the master process,
  of the agents and (PostgreSQL) of the database server, from /proc/<pid>/stat. A master
  that does not answer again within 60 s after a run is restarted (and the report says so).
Reference — the same agents at the same rate call ``GET /api/v1/me/tokens`` without a
  session on the same server: the same FastAPI stack (routing, the request's database
  session dependency in the thread pool, the error handler) answering 401 without a
  single SQL statement. Heartbeat / reference is printed for latency and master CPU.
Profile download — ``--logins`` sequential ``POST /api/v1/login`` of ``operator`` (the
  answer carries the profile with every camera and one signed token per node), and as many
  ``GET /api/v1/me/tokens``; the same for ``nobody`` as the reference. A login costs one
  Argon2id verification (t=3, 64 MiB) whatever the profile: the reference shows it.

The agents speak HTTP/1.1 over asyncio streams (:class:`Connection`): an httpx client
costs the agents more CPU than the master. The two cores of the bench machine are still
shared by the master, the agents and the database server: read the master's CPU figures
with the agents' beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import multiprocessing.synchronize
import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

import httpx
from benchlib import cpu_seconds, quantile, workdir

from argus import __version__
from argus.master.config import MasterConfig, MasterSection
from argus.master.db.enums import Right, Scope
from argus.master.runtime import ADMIN_PASSWORD_ENV, Master
from argus.master.services import accounts, configuration, profiles, registry
from argus.master.services.audit import SYSTEM
from argus.master.services.configuration import CameraSpec
from argus.master.services.secrets import CredentialVault
from argus.testing import ArgusProcess, free_port, wait_for
from argus.testing.databases import PostgresServer, postgres_missing

PASSWORD = "bench-Password-4711"
NODES_PER_SITE = 10
SITE_RIGHTS = (Right.LIVE, Right.PLAYBACK, Right.EXPORT)
HEARTBEAT = "/api/v1/nodes/heartbeat"
REFERENCE = "/api/v1/me/tokens"
TB = 1_000_000_000_000
#: As the node's uplink: a heartbeat not answered in 10 s is an error.
AGENT_TIMEOUT = 10.0
#: Where the simulated nodes "listen": a closed port, so the master's clock measurement
#: of each node fails at once (logged once per node) instead of waiting for a timeout.
NODE_ADDRESS = "http://127.0.0.1:9"


# --- Measuring --------------------------------------------------------------------------


def tree_cpu_seconds(root: int) -> float:
    """CPU of ``root``, of its children that have exited (and were waited for) and of its
    living children: a PostgreSQL postmaster and its backends, also those that end
    meanwhile."""
    total = cpu_seconds(root, children=True)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == root:
                total += cpu_seconds(int(entry.name))
        except (OSError, ValueError):  # ended meanwhile
            continue
    return total


def ms(values: Sequence[float]) -> str:
    if not values:
        return "none answered"
    return (
        f"p50 {1e3 * quantile(values, 0.5):.1f} ms, p99 {1e3 * quantile(values, 0.99):.1f} ms, "
        f"max {1e3 * max(values, default=float('nan')):.1f} ms"
    )


# --- Agents (in worker processes) -------------------------------------------------------


@dataclass(frozen=True)
class AgentSpec:
    """One simulated node: its id, credential, cameras and when in the period it beats."""

    node_id: str
    credential: str
    cameras: tuple[str, ...]
    disks: int
    phase: float  # when in each period it beats, as a fraction of the period


@dataclass(frozen=True)
class Window:
    """When the agents run: slots from ``t0`` (monotonic), measured from ``t0 + warmup``."""

    t0: float
    warmup: float
    seconds: float
    interval: float
    reference: bool

    @property
    def start(self) -> float:
        return self.t0 + self.warmup

    @property
    def end(self) -> float:
        return self.t0 + self.warmup + self.seconds


@dataclass
class AgentStats:
    """What the agents of one process saw inside the measured window."""

    latencies: list[float] = field(default_factory=list)
    ok: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    missed: int = 0
    cpu: float = 0.0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def merge(self, other: AgentStats) -> None:
        self.latencies += other.latencies
        self.ok += other.ok
        self.missed += other.missed
        self.cpu += other.cpu
        for kind, count in other.errors.items():
            self.errors[kind] = self.errors.get(kind, 0) + count


def heartbeat_body(spec: AgentSpec, now: float, applied: int | None) -> dict[str, Any]:
    """A full heartbeat as ``argus.node.uplink`` sends it: every stream recording, disks up."""
    streams = [
        {
            "camera": camera,
            "stream": "main",
            "state": "recording",
            "writing": True,
            "recording_expected": True,
            "last_packet": now - 0.02,
            "last_error": "",
        }
        for camera in spec.cameras
    ]
    disks = [
        {
            "id": f"disk-{n}",
            "path": f"/srv/recordings/{n}",
            "online": True,
            "reason": "",
            "total_bytes": 8 * TB,
            "free_bytes": 3 * TB,
        }
        for n in range(spec.disks)
    ]
    return {
        "node_id": spec.node_id,
        "sent": now,
        "platform_version": __version__,
        "streams": streams,
        "disks": disks,
        "applied_config_version": applied,
        "audit": [],
    }


class Connection:
    """One keep-alive HTTP/1.1 connection with just what the agents need (a few times
    cheaper per request than an httpx client, so that the agents leave the CPU to the
    master). Reconnects after an error."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, path: str, headers: str, body: bytes) -> tuple[int, bytes]:
        """(status, body); raises OSError, TimeoutError or IncompleteReadError.

        A kept-alive connection the server closed meanwhile (uvicorn closes idle ones after
        5 s) is replaced and the request sent again, as HTTP clients do.
        """
        reused = self._streams is not None
        try:
            return await self._exchange(method, path, headers, body)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            partial = isinstance(exc, asyncio.IncompleteReadError) and exc.partial
            if not reused or partial:
                raise
        return await self._exchange(method, path, headers, body)

    async def _exchange(
        self, method: str, path: str, headers: str, body: bytes
    ) -> tuple[int, bytes]:
        try:
            async with asyncio.timeout(AGENT_TIMEOUT):
                if self._streams is None:
                    self._streams = await asyncio.open_connection(self._host, self._port)
                reader, writer = self._streams
                head = f"{method} {path} HTTP/1.1\r\nHost: {self._host}\r\n{headers}"
                writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
                block = (await reader.readuntil(b"\r\n\r\n")).lower()
                at = block.find(b"content-length:")
                length = int(block[at + 15 : block.index(b"\r\n", at)]) if at >= 0 else 0
                return int(block[9:12]), await reader.readexactly(length)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def agent(base_url: str, spec: AgentSpec, window: Window, stats: AgentStats) -> None:
    """Beat once per interval at the agent's phase until the window ends."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    connection = Connection(host, int(port))
    headers = f"Authorization: Bearer {spec.credential}\r\nContent-Type: application/json\r\n"
    applied: int | None = None
    first = window.t0 + spec.phase * window.interval
    slot = 0
    while (due := first + slot * window.interval) < window.end:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        measured = due >= window.start
        sent = time.monotonic()
        try:
            if window.reference:
                status, body = await connection.request("GET", REFERENCE, "", b"")
            else:
                beat = json.dumps(heartbeat_body(spec, time.time(), applied)).encode()
                status, body = await connection.request("POST", HEARTBEAT, headers, beat)
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
            if measured:
                stats.error(type(exc).__name__)
        else:
            latency = time.monotonic() - sent
            expected = 401 if window.reference else 200
            if status == 200 and not window.reference:
                applied = json.loads(body)["desired_config_version"]
            if measured and status == expected:
                stats.ok += 1
                stats.latencies.append(latency)
            elif measured:
                stats.error(f"HTTP {status}")
        behind = int((time.monotonic() - first) / window.interval)  # the slot due now
        if measured:
            stats.missed += max(0, behind - slot - 1)
        slot = max(slot + 1, behind)
    connection.close()


async def run_agents(base_url: str, specs: list[AgentSpec], window: Window) -> AgentStats:
    stats = AgentStats()

    async def cpu_window() -> None:
        await asyncio.sleep(max(0.0, window.start - time.monotonic()))
        before = time.process_time()
        await asyncio.sleep(max(0.0, window.end - time.monotonic()))
        stats.cpu = time.process_time() - before

    await asyncio.gather(cpu_window(), *(agent(base_url, s, window, stats) for s in specs))
    return stats


def agent_process(
    base_url: str,
    specs: list[AgentSpec],
    ready: Queue[int],
    go: multiprocessing.synchronize.Event,
    windows: Queue[Window | None],
    results: Queue[AgentStats],
) -> None:
    """Worker process: for each window sent by the parent, run the agents and report."""
    ready.put(os.getpid())
    go.wait()
    while (window := windows.get()) is not None:
        results.put(asyncio.run(run_agents(base_url, specs, window)))


class AgentPool:
    """``processes`` worker processes sharing the agents; each window runs in all of them."""

    def __init__(self, base_url: str, specs: list[AgentSpec], processes: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._ready: Queue[int] = ctx.Queue()
        self._results: Queue[AgentStats] = ctx.Queue()
        self._windows: list[Queue[Window | None]] = [ctx.Queue() for _ in range(processes)]
        self._go = ctx.Event()
        self._procs = [
            ctx.Process(
                target=agent_process,
                args=(base_url, specs[n::processes], self._ready, self._go, q, self._results),
                daemon=True,
            )
            for n, q in enumerate(self._windows)
        ]
        for proc in self._procs:
            proc.start()
        self.pids = [self._ready.get(timeout=60) for _ in self._procs]
        self._go.set()

    def run(self, window: Window) -> AgentStats:
        for queue in self._windows:
            queue.put(window)
        total = AgentStats()
        for _ in self._procs:
            total.merge(self._results.get(timeout=window.warmup + window.seconds + 300))
        return total

    def close(self) -> None:
        for queue in self._windows:
            queue.put(None)
        for proc in self._procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
                proc.join()


# --- The master, seeded ------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    nodes: int
    cameras_per_node: int
    disks_per_node: int

    def node(self, n: int) -> str:
        return f"node-{n:04d}"

    def cameras(self, n: int) -> tuple[str, ...]:
        return tuple(f"cam-{n:04d}-{c:02d}" for c in range(self.cameras_per_node))


def seed(config: MasterConfig, shape: Shape) -> dict[str, str]:
    """Create the database, the nodes, their cameras, the sites, both users; the enrolment
    token of each node."""
    master = Master(config)
    try:
        master.start(environ={ADMIN_PASSWORD_ENV: PASSWORD})
        clock, vault = master.clock, CredentialVault.in_directory(master.data_dir)
        tokens: dict[str, str] = {}
        with master.session() as db:
            for n in range(shape.nodes):
                name = shape.node(n)
                tokens[name] = registry.create_node(db, clock, name).token
                for c, ident in enumerate(shape.cameras(n)):
                    settings = {"address": f"10.{n // 250}.{n % 250}.{c + 10}"}
                    configuration.add_device(
                        db,
                        clock,
                        SYSTEM,
                        vault,
                        node=name,
                        ident=ident,
                        driver="onvif",
                        settings=settings,
                        cameras=[CameraSpec(0, name=f"Camera {ident}")],
                    )
            grants = []
            for site, first in enumerate(range(0, shape.nodes, NODES_PER_SITE)):
                group = f"site-{site:03d}"
                configuration.create_group(db, clock, SYSTEM, group)
                members = [
                    c
                    for n in range(first, min(first + NODES_PER_SITE, shape.nodes))
                    for c in shape.cameras(n)
                ]
                configuration.set_group_members(db, clock, SYSTEM, group, members)
                grants += [profiles.GrantSpec(Scope.GROUP, r, group) for r in SITE_RIGHTS]
            for user, given in (("operator", grants), ("nobody", [])):
                profile = profiles.create_profile(
                    db, clock, SYSTEM, name=f"{user} profile", grants=given
                )
                accounts.create_user(
                    db, clock, SYSTEM, username=user, password=PASSWORD, profile=profile
                )
            db.commit()
        return tokens
    finally:
        master.close()


class RunningMaster:
    """``argus master run`` on a seeded database; restartable (same database, same port)."""

    def __init__(self, work: Path, toml: Path, base_url: str) -> None:
        self._args, self._log = ["master", "run", "-c", str(toml)], work / "master.log"
        self.base_url = base_url
        self.agents: list[AgentSpec] = []
        self._proc = self._start(append=False)

    @property
    def pid(self) -> int:
        return self._proc.pid

    def _start(self, *, append: bool) -> ArgusProcess:
        proc = ArgusProcess(self._args, self._log, append=append)
        wait_for(
            lambda: httpx.get(f"{self.base_url}/docs", timeout=2).status_code == 200,
            "the master API",
            [proc],
            ignore=(httpx.HTTPError,),
        )
        return proc

    def restart(self) -> None:
        self._proc.stop(timeout=10)
        self._proc = self._start(append=True)

    def stop(self) -> None:
        self._proc.stop(timeout=10)

    def log_tail(self) -> str:
        return self._proc.output()[-4000:]


@contextmanager
def running_master(work: Path, database: str | None, shape: Shape) -> Iterator[RunningMaster]:
    """A seeded master database served by ``argus master run``, its nodes enrolled; stopped
    by PID at the end."""
    listen = f"127.0.0.1:{free_port()}"
    section = MasterSection(id="bench", data_dir=work / "data", listen=listen, database=database)
    t0 = time.monotonic()
    tokens = seed(MasterConfig(master=section), shape)
    print(
        f"seeded {shape.nodes} nodes, {len(tokens) * shape.cameras_per_node} cameras, "
        f"2 users in {time.monotonic() - t0:.1f} s"
    )
    toml = work / "argus-master.toml"
    lines = ["[master]", 'id = "bench"', f'data_dir = "{section.data_dir}"', f'listen = "{listen}"']
    lines += [f'database = "{database}"'] if database else []
    toml.write_text("\n".join(lines) + "\n")
    master = RunningMaster(work, toml, f"http://{listen}")
    try:
        master.agents = enrol(master.base_url, tokens, shape)
        yield master
    except BaseException:
        print(f"master log (end):\n{master.log_tail()}")
        raise
    finally:
        master.stop()


def enrol(base_url: str, tokens: dict[str, str], shape: Shape) -> list[AgentSpec]:
    """Enrol every node over HTTP, as ``argus node`` does; the agents that will play them."""
    t0 = time.monotonic()
    specs = []
    with httpx.Client(base_url=base_url, timeout=60) as client:
        for n, (name, token) in enumerate(tokens.items()):
            body = {
                "token": token,
                "node_id": name,
                "platform_version": __version__,
                "architecture": "x86_64",
                "os": "Linux 6.1",
                "wheel_tags": ["cp311-cp311-manylinux_2_36_x86_64", "py3-none-any"],
                "listen_address": NODE_ADDRESS,
            }
            response = client.post("/api/v1/nodes/enrol", json=body)
            response.raise_for_status()
            credential = response.json()["credential"]
            phase = n / len(tokens)
            cameras = shape.cameras(n)
            specs.append(AgentSpec(name, credential, cameras, shape.disks_per_node, phase))
    print(f"enrolled {len(specs)} nodes over HTTP in {time.monotonic() - t0:.1f} s")
    return specs


# --- The runs ----------------------------------------------------------------------------


@dataclass
class LoadResult:
    offered: int
    stats: AgentStats
    window: float
    master_cpu: float
    db_cpu: float | None

    def rate(self) -> float:
        return self.stats.ok / self.window

    def master_percent(self) -> float:
        return 100.0 * self.master_cpu / self.window

    def cpu_per_request_ms(self) -> float:
        return 1e3 * self.master_cpu / self.stats.ok if self.stats.ok else float("nan")


def load(
    master: RunningMaster, pool: AgentPool, args: argparse.Namespace, reference: bool, db: int
) -> LoadResult:
    t0 = time.monotonic() + 1.0
    window = Window(t0, args.warmup, args.seconds, args.interval, reference)
    pids = [master.pid]
    result: list[AgentStats] = []
    runner = threading.Thread(target=lambda: result.append(pool.run(window)))
    runner.start()
    time.sleep(max(0.0, window.start - time.monotonic()))
    cpu0 = [cpu_seconds(p) for p in pids]
    db0 = tree_cpu_seconds(db) if db else 0.0
    wall0 = time.monotonic()
    time.sleep(max(0.0, window.end - time.monotonic()))
    cpu1 = [cpu_seconds(p) for p in pids]
    db1 = tree_cpu_seconds(db) if db else 0.0
    wall = time.monotonic() - wall0
    runner.join()
    offered = len(master.agents) * round(args.seconds / args.interval)
    return LoadResult(offered, result[0], wall, sum(cpu1) - sum(cpu0), (db1 - db0) if db else None)


def report_load(what: str, result: LoadResult, agents: int) -> None:
    s = result.stats
    errors = ", ".join(f"{k} x{v}" for k, v in sorted(s.errors.items())) or "none"
    print(f"-- {what} --")
    print(
        f"offered {result.offered} in {result.window:.1f} s ({result.offered / result.window:.0f}"
        f"/s); answered {s.ok} ({result.rate():.1f}/s); slots missed {s.missed}; "
        f"errors {errors}"
    )
    print(f"latency {ms(s.latencies)}")
    print(
        f"master CPU {result.master_cpu:.2f} s = {result.master_percent():.1f} % of one core "
        f"({result.cpu_per_request_ms():.2f} ms per request); agents ({agents} processes) "
        f"{100 * s.cpu / result.window:.1f} %"
        + (f"; PostgreSQL {100 * result.db_cpu / result.window:.1f} %" if result.db_cpu else "")
    )


@dataclass
class Timed:
    latencies: list[float]
    master_cpu: float
    size: int
    detail: str


def timed_calls(master: RunningMaster, count: int, call: str, user: str) -> Timed:
    """``count`` sequential logins of ``user``, or token fetches in one session of ``user``."""
    latencies, size, detail = [], 0, ""
    with httpx.Client(base_url=master.base_url, timeout=60) as client:
        login = {"username": user, "password": PASSWORD}
        secret = client.post("/api/v1/login", json=login).raise_for_status().json()["session"]
        headers = {"Authorization": f"Bearer {secret}"}
        cpu0 = cpu_seconds(master.pid)
        for _ in range(count):
            t = time.perf_counter()
            if call == "login":
                response = client.post("/api/v1/login", json=login)
            else:
                response = client.get(REFERENCE, headers=headers)
            latencies.append(time.perf_counter() - t)
            response.raise_for_status()
        cpu = cpu_seconds(master.pid) - cpu0
        size, body = len(response.content), response.json()
    if "profile" in body:
        cams = sum(len(n["cameras"]) for n in body["profile"]["nodes"])
        detail = f"{len(body['profile']['nodes'])} nodes, {cams} cameras, "
    detail += f"{len(body['tokens'])} tokens"
    return Timed(latencies, cpu, size, detail)


def report_timed(what: str, timed: Timed, reference: Timed | None) -> None:
    n = len(timed.latencies)
    line = (
        f"{what}: {ms(timed.latencies)}; master CPU {1e3 * timed.master_cpu / n:.1f} ms per "
        f"call; answer {timed.size / 1e3:.0f} kB ({timed.detail})"
    )
    if reference is not None:
        p50 = quantile(timed.latencies, 0.5) / quantile(reference.latencies, 0.5)
        p99 = quantile(timed.latencies, 0.99) / quantile(reference.latencies, 0.99)
        cpu = timed.master_cpu / reference.master_cpu if reference.master_cpu else float("nan")
        line += f"\n  / reference: p50 {p50:.2f}, p99 {p99:.2f}, master CPU {cpu:.2f}"
    print(line)


def drain(master: RunningMaster, timeout: float = 60.0) -> str:
    """Wait until a request that needs a worker thread is answered within a second again
    (after an overload, requests queued in the master finish or time out); restart the
    master when that takes longer than ``timeout``. What happened, for the report."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            httpx.get(master.base_url + REFERENCE, timeout=1.0)
            return f"master answering again after {time.monotonic() - t0:.1f} s"
        except httpx.HTTPError:
            time.sleep(1.0)
    master.restart()
    return f"master still not answering after {timeout:.0f} s: restarted it"


def heartbeat_runs(
    master: RunningMaster, shape: Shape, db_pid: int, args: argparse.Namespace
) -> None:
    """For each interval: the reference at that rate, then the heartbeats."""
    pool = AgentPool(master.base_url, master.agents, args.agent_processes)
    try:
        for interval in args.interval:
            at = replace_interval(args, interval)
            rate = len(master.agents) / interval
            ref = load(master, pool, at, reference=True, db=db_pid)
            report_load(
                f"reference at {rate:.0f}/s: GET {REFERENCE} without a session (401, no SQL)",
                ref,
                args.agent_processes,
            )
            beats = load(master, pool, at, reference=False, db=db_pid)
            report_load(
                f"{shape.nodes} nodes heartbeating every {interval:g} s ({rate:.0f}/s), "
                f"{shape.cameras_per_node} streams and {shape.disks_per_node} disks "
                "each",
                beats,
                args.agent_processes,
            )
            if beats.stats.ok and ref.stats.ok:
                p99 = quantile(beats.stats.latencies, 0.99) / quantile(ref.stats.latencies, 0.99)
                cpu = beats.cpu_per_request_ms() / ref.cpu_per_request_ms()
                print(
                    f"heartbeat / reference: latency p99 {p99:.2f}, "
                    f"master CPU per request {cpu:.2f}"
                )
            print(f"({drain(master)})")
    finally:
        pool.close()


def replace_interval(args: argparse.Namespace, interval: float) -> argparse.Namespace:
    return argparse.Namespace(**{**vars(args), "interval": interval})


def login_runs(master: RunningMaster, count: int) -> None:
    print(f"-- profile download: {count} sequential calls each --")
    runs = {
        (call, user): timed_calls(master, count, call, user)
        for call in ("login", "tokens")
        for user in ("operator", "nobody")
    }
    for call, path in (("login", "POST /api/v1/login"), ("tokens", "GET " + REFERENCE)):
        report_timed(f"{path} nobody (reference)", runs[call, "nobody"], None)
        report_timed(f"{path} operator", runs[call, "operator"], runs[call, "nobody"])


def bench(name: str, database: str | None, db_pid: int, args: argparse.Namespace) -> None:
    shape = Shape(args.nodes, args.cameras_per_node, args.disks_per_node)
    print(f"\n==== master on {name} ====")
    with (
        workdir("argus-bench-master-", args.keep) as work,
        running_master(work, database, shape) as master,
    ):
        if args.seconds > 0:
            heartbeat_runs(master, shape, db_pid, args)
        if args.logins > 0:
            login_runs(master, args.logins)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--cameras-per-node", type=int, default=10)
    parser.add_argument("--disks-per-node", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument(
        "--interval",
        type=float,
        nargs="+",
        default=[5.0, 1.0],
        help="heartbeat periods to run, one after the other, s (a node's default is 5)",
    )
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--logins", type=int, default=200)
    parser.add_argument("--agent-processes", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} CPUs; Argus {__version__}; Python {sys.version.split()[0]}")
    if args.database in ("sqlite", "both"):
        bench("SQLite", None, 0, args)
    if args.database in ("postgresql", "both"):
        missing = postgres_missing()
        if missing:
            print(f"PostgreSQL skipped: {missing}")
            return 1
        with PostgresServer() as server:
            bench("PostgreSQL", server.create_database("argus_bench"), server.pid, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
