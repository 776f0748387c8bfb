"""Rollout of a 5 MB plugin package to 150 and to 500 node agents on loopback: total time
against the pure transfer time of the same bytes, and the master's CPU.

    python bench/bench_rollout.py [--agents 150 500] [--interval 5] [--package-mb 5]
                                  [--max-downloads 16] [--agent-processes 3] [--canary 1]

For each ``--agents`` count, from scratch: a real ``argus master run`` (SQLite, its data
directory in a temporary folder, loopback only); a real wheel of ``--package-mb`` MB of
incompressible data files (``argus_sdk.testing.make_wheel``) admitted with
``POST /api/v1/packages``; then every agent is added (``POST /api/v1/nodes``) and enrols
with its one-time token (``POST /api/v1/nodes/enrol``, reporting its wheel tags).

The agents are stand-ins for nodes, not recording nodes: threads in
``--agent-processes`` worker processes. Each heartbeats every ``--interval`` s as
``argus.node.uplink.Uplink`` does (its platform API, its wheel tags once, its plugin
reports; no streams, no disks). When a heartbeat reply names a package, the agent does
what ``argus.node.updates.PluginUpdates`` does for the bytes, in a thread of its own: a
real ``argus.repository.PackageUpdater`` (its own trusted-metadata folder, the node's
credential headers) refreshes the signed TUF metadata and downloads the target, which
is kept only if its length and SHA-256 verify; the agent reports ``installing`` from
then on and ``active`` once the file verified, in its next heartbeats. It does not
unpack, import or health-check the package (a real node does, after the download).

Measured, in this order:

Heartbeats alone — the master's CPU while the agents only heartbeat (``--idle`` s).
Rollout — ``POST /api/v1/rollouts`` (``percentage=100``, ``canary_count=--canary``,
  ``max_failures=0``) until the rollout's state is ``completed``: its total time, its
  phases from the master's own timestamps (canary asked → its result; the advance tick;
  the other agents asked → their last result → completed), the agents' downloads, and
  the master's CPU, sampled from /proc/<pid>/stat every 0.1 s. The bench polls the
  rollout once a second (``GET /api/v1/rollouts/{id}``); what one poll costs the master is
  measured afterwards and printed.
Pure transfer — every agent fetches the same target file with plain httpx GETs (the
  node's credential headers, which the master requires; no TUF, no rollout, the bytes
  counted and dropped), all at once, from the same threads in the same processes.

Downloads are capped at ``--max-downloads`` at once across all processes (one
multiprocessing semaphore), in the rollout and in the pure transfer alike, so that the
ratio compares like with like. The agents keep heartbeating during both.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import multiprocessing.synchronize
import os
import random
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

import httpx
from benchlib import cpu_seconds, quantile, workdir

from argus import __version__
from argus.master.runtime import ADMIN_PASSWORD_ENV
from argus.protocol import (
    DesiredPlugin,
    EnrolReply,
    EnrolRequest,
    Heartbeat,
    HeartbeatReply,
    PluginReport,
    PluginState,
)
from argus.repository import PackageUpdater, RepositoryError
from argus.repository.updater import CONNECT_TIMEOUT, READ_TIMEOUT
from argus.testing import ArgusProcess, free_port, wait_for
from argus_sdk import API_VERSION
from argus_sdk.testing import make_wheel

PASSWORD = "bench-Password-4711"
PROJECT = "argus-bench-payload"
MODULE = "argus_bench_payload"
VERSION = "1.0"
WHEEL_TAGS = ("cp311-cp311-manylinux_2_36_x86_64", "py3-none-any")
HEARTBEAT = "/api/v1/nodes/heartbeat"
REPOSITORY = "/api/v1/repository"
#: As the node's uplink: a heartbeat not answered in 10 s is an error.
HEARTBEAT_TIMEOUT = 10.0
#: Bytes read at a time, as the node's TUF fetcher reads them.
CHUNK = 64 * 1024
#: Where the agents "listen": a closed port, so the master's clock measurement of each
#: fails at once instead of waiting for a timeout.
NODE_ADDRESS = "http://127.0.0.1:9"
BLOB = 250_000  # bytes of one data file of the payload wheel


# --- Measuring --------------------------------------------------------------------------


class CpuSampler:
    """The CPU seconds of some processes, sampled every ``period`` s in a thread, so that
    any window afterwards (phases known only later) can be read off."""

    def __init__(self, pids: Sequence[int], period: float = 0.1) -> None:
        self._pids, self._period = list(pids), period
        self._samples: list[tuple[float, list[float]]] = []
        self._stop = threading.Event()
        self._sample()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        last = self._samples[-1][1] if self._samples else [0.0] * len(self._pids)
        values = []
        for pid, before in zip(self._pids, last, strict=True):
            try:
                values.append(cpu_seconds(pid))
            except OSError:  # ended: its last reading stands
                values.append(before)
        self._samples.append((time.monotonic(), values))

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            self._sample()

    def between(self, start: float, end: float, which: int = 0) -> float:
        """CPU seconds of process ``which`` from ``start`` to ``end`` (monotonic), from the
        samples nearest to them."""
        self._sample()
        samples = list(self._samples)

        def at(t: float) -> float:
            return min(samples, key=lambda s: abs(s[0] - t))[1][which]

        return at(end) - at(start)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


# --- Agents (threads in worker processes) -------------------------------------------------


@dataclass(frozen=True)
class AgentSpec:
    """One stand-in node: its id and credential, the repository root it got at enrolment,
    and when (s after its process starts the agents) it sends its first heartbeat."""

    node_id: str
    credential: str
    root: str
    phase: float


@dataclass
class AgentLog:
    """What one agent did during the rollout; times are ``time.monotonic()`` (the same
    clock in every process of the machine)."""

    node_id: str
    heartbeats: int = 0
    heartbeat_errors: int = 0
    asked: float | None = None  # the first heartbeat reply naming the target arrived
    refreshed: float | None = None  # the TUF metadata verified
    download_start: float | None = None  # the download cap was acquired
    download_end: float | None = None  # the file verified
    reported_installing: bool = False
    reported_active: float | None = None  # a heartbeat carrying ``active`` was answered
    error: str = ""
    metadata_bytes: int = 0
    package_bytes: int = 0
    beats: list[tuple[float, float]] = field(default_factory=list)  # (sent, latency)
    metadata_latencies: list[float] = field(default_factory=list)  # request → headers


@dataclass(frozen=True)
class FetchLog:
    """One plain GET of the target (the pure transfer)."""

    start: float
    end: float
    size: int
    error: str


@dataclass
class ByteCounter:
    """Counts the bytes of the repository's answers by kind (httpx event hooks: every
    answer the master serves here carries a Content-Length), and how long each metadata
    request waited for its answer's headers."""

    metadata: int = 0
    package: int = 0
    latencies: list[float] = field(default_factory=list)

    def sent(self, request: httpx.Request) -> None:
        request.extensions["bench_sent"] = time.monotonic()

    def answered(self, response: httpx.Response) -> None:
        size = int(response.headers.get("content-length", 0))
        if "/targets/" in response.request.url.path:
            self.package += size
        else:
            self.metadata += size
            self.latencies.append(time.monotonic() - response.request.extensions["bench_sent"])


class Agent:
    """One stand-in node: heartbeats in its own thread as ``argus.node.uplink.Uplink`` does;
    when a reply names a package it fetches it with a real :class:`PackageUpdater` in
    another thread, as ``argus.node.updates.PluginUpdates`` does (no unpacking, no import,
    no health check)."""

    def __init__(
        self,
        spec: AgentSpec,
        base_url: str,
        folder: Path,
        interval: float,
        cap: multiprocessing.synchronize.Semaphore,
        stop: threading.Event,
    ) -> None:
        self.spec, self.log = spec, AgentLog(spec.node_id)
        self._base_url, self._folder, self._interval = base_url, folder, interval
        self._cap, self._stop = cap, stop
        self._http = httpx.Client(
            base_url=base_url,
            timeout=HEARTBEAT_TIMEOUT,
            limits=httpx.Limits(keepalive_expiry=2.0),
        )
        self._lock = threading.Lock()
        self._report: PluginReport | None = None
        self._attempt: tuple[object, ...] | None = None
        self._applied: int | None = None
        self._tags_sent = False
        self.beating = threading.Event()  # one heartbeat was answered
        self._nudged = threading.Event()  # a result is known: beat now (as Uplink.nudge)
        self.threads: list[threading.Thread] = []

    def headers(self) -> dict[str, str]:
        """The node's credential headers, as the repository requires them."""
        return {
            "Authorization": f"Bearer {self.spec.credential}",
            "X-Argus-Node": self.spec.node_id,
        }

    def start(self) -> None:
        self._spawn(self._run, "heartbeat")

    def _spawn(self, target: Callable[..., None], name: str, *args: object) -> None:
        thread = threading.Thread(
            target=target, args=args, name=f"{self.spec.node_id}-{name}", daemon=True
        )
        self.threads.append(thread)
        thread.start()

    def _run(self) -> None:
        """As ``Uplink._run``: beat, wait the interval (or a result), again (first at the
        agent's phase)."""
        if self._stop.wait(self.spec.phase):
            return
        while not self._stop.is_set():
            self.beat()
            self._nudged.wait(self._interval)
            self._nudged.clear()

    def beat(self) -> None:
        with self._lock:
            report = self._report
        body = Heartbeat(
            node_id=self.spec.node_id,
            sent=time.time(),
            platform_version=__version__,
            applied_config_version=self._applied,
            api_version=API_VERSION,
            wheel_tags=None if self._tags_sent else list(WHEEL_TAGS),
            plugins=[report] if report is not None else [],
        )
        sent = time.monotonic()
        try:
            response = self._http.post(
                HEARTBEAT,
                json=body.model_dump(mode="json"),
                headers={"Authorization": f"Bearer {self.spec.credential}"},
            )
            response.raise_for_status()
        except httpx.HTTPError:
            self.log.heartbeat_errors += 1
            return
        self.log.beats.append((sent, time.monotonic() - sent))
        reply = HeartbeatReply.model_validate(response.json())
        self.log.heartbeats += 1
        self._tags_sent = True
        # A stand-in has no devices: it takes the desired configuration as applied.
        self._applied = reply.desired_config_version
        if report is not None and report.state is PluginState.INSTALLING:
            self.log.reported_installing = True
        if report is not None and report.state is PluginState.ACTIVE:
            self.log.reported_active = self.log.reported_active or time.monotonic()
        for wanted in reply.plugins or []:
            attempt = (wanted.rollout, wanted.target, *wanted.dependencies)
            if attempt != self._attempt:  # a new request, as PluginUpdates tells them apart
                self._attempt = attempt
                self.log.asked = time.monotonic()
                self._set(wanted, None, PluginState.INSTALLING)
                self._spawn(self.install, "install", wanted)
        self.beating.set()

    def _set(self, wanted: DesiredPlugin, version: str | None, state: PluginState) -> None:
        report = PluginReport(
            project=wanted.project,
            version=version,
            target=wanted.target,
            rollout=wanted.rollout,
            state=state,
            detail=self.log.error[:2048],
        )
        with self._lock:
            self._report = report
        if state is not PluginState.INSTALLING:
            self._nudged.set()

    def install(self, wanted: DesiredPlugin) -> None:
        """What ``PluginUpdates.install`` does for the bytes: refresh, download, verify."""
        downloads = self._folder / "downloads"
        counter = ByteCounter()
        client = httpx.Client(
            timeout=httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT),
            event_hooks={"request": [counter.sent], "response": [counter.answered]},
        )
        updater = PackageUpdater(
            self._folder / "repository",
            f"{self._base_url}{REPOSITORY}",
            headers=self.headers,
            client=client,
            bootstrap_root=self.spec.root.encode(),
        )
        try:
            with client, updater:
                updater.refresh()
                self.log.refreshed = time.monotonic()
                with self._cap:
                    self.log.download_start = time.monotonic()
                    for target in (wanted.target, *wanted.dependencies):
                        updater.download(target, downloads)
                    self.log.download_end = time.monotonic()
        except RepositoryError as exc:
            self.log.error = str(exc)
            self._set(wanted, None, PluginState.FAILED)
            return
        finally:
            shutil.rmtree(downloads, ignore_errors=True)
            self.log.metadata_bytes += counter.metadata
            self.log.package_bytes += counter.package
            self.log.metadata_latencies += counter.latencies
        self._set(wanted, wanted.version, PluginState.ACTIVE)

    def fetch(self, url_path: str) -> FetchLog:
        """The pure transfer: one plain GET of the target, under the same cap."""
        url = f"{self._base_url}{REPOSITORY}/targets/{url_path}"
        with self._cap:
            start, size, error = time.monotonic(), 0, ""
            try:
                timeout = httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)
                with (
                    httpx.Client(timeout=timeout) as client,
                    client.stream("GET", url, headers=self.headers()) as response,
                ):
                    response.raise_for_status()
                    for chunk in response.iter_bytes(CHUNK):
                        size += len(chunk)
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            return FetchLog(start, time.monotonic(), size, error)

    def close(self) -> None:
        for thread in self.threads:
            thread.join(timeout=READ_TIMEOUT + 5)
        self._http.close()


def fetch_all(agents: Sequence[Agent], url_path: str) -> list[FetchLog]:
    """Every agent fetches the target at once, each in a thread of its own (as it
    downloads in the rollout)."""
    logs: list[FetchLog] = []
    lock = threading.Lock()

    def one(agent: Agent) -> None:
        log = agent.fetch(url_path)
        with lock:
            logs.append(log)

    threads = [threading.Thread(target=one, args=(a,), daemon=True) for a in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return logs


def agent_process(
    base_url: str,
    specs: list[AgentSpec],
    work: Path,
    interval: float,
    cap: multiprocessing.synchronize.Semaphore,
    ready: Queue[tuple[int, int]],
    commands: Queue[str | None],
    fetched: Queue[list[FetchLog]],
    done: Queue[list[AgentLog]],
) -> None:
    """Worker process: run the agents; for each target path sent, the pure transfer; at
    ``None``, stop the agents and send their logs."""
    stop = threading.Event()
    agents = [Agent(s, base_url, work / s.node_id, interval, cap, stop) for s in specs]
    for agent in agents:
        agent.start()
    deadline = time.monotonic() + interval + 60
    for agent in agents:
        agent.beating.wait(max(0.0, deadline - time.monotonic()))
    ready.put((os.getpid(), sum(a.beating.is_set() for a in agents)))
    while (url_path := commands.get()) is not None:
        fetched.put(fetch_all(agents, url_path))
    stop.set()
    for agent in agents:
        agent.close()
    done.put([a.log for a in agents])


class AgentPool:
    """``processes`` worker processes sharing the agents and one download cap."""

    def __init__(
        self,
        base_url: str,
        specs: list[AgentSpec],
        work: Path,
        interval: float,
        args: argparse.Namespace,
    ) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._cap = ctx.BoundedSemaphore(args.max_downloads)
        self._ready: Queue[tuple[int, int]] = ctx.Queue()
        self._fetched: Queue[list[FetchLog]] = ctx.Queue()
        self._done: Queue[list[AgentLog]] = ctx.Queue()
        processes = args.agent_processes
        self._commands: list[Queue[str | None]] = [ctx.Queue() for _ in range(processes)]
        self._procs = [
            ctx.Process(
                target=agent_process,
                args=(
                    base_url,
                    specs[n::processes],
                    work,
                    interval,
                    self._cap,
                    self._ready,
                    q,
                    self._fetched,
                    self._done,
                ),
                daemon=True,
            )
            for n, q in enumerate(self._commands)
        ]
        for proc in self._procs:
            proc.start()
        t0 = time.monotonic()
        answers = [self._ready.get(timeout=interval + 120) for _ in self._procs]
        self.pids = [pid for pid, _ in answers]
        beating = sum(n for _, n in answers)
        print(
            f"{beating} of {len(specs)} agents heartbeating in {len(self._procs)} processes "
            f"({time.monotonic() - t0:.1f} s)"
        )
        if beating != len(specs):
            raise RuntimeError("not every agent's first heartbeat was answered")
        self._logs: list[AgentLog] | None = None

    def fetch(self, url_path: str, timeout: float) -> list[FetchLog]:
        for queue in self._commands:
            queue.put(url_path)
        return [log for _ in self._procs for log in self._fetched.get(timeout=timeout)]

    def close(self) -> list[AgentLog]:
        """Stop the agents (by their processes' PIDs if they do not end); their logs."""
        if self._logs is not None:
            return self._logs
        for queue in self._commands:
            queue.put(None)
        logs: list[AgentLog] = []
        try:
            for _ in self._procs:
                logs += self._done.get(timeout=READ_TIMEOUT + 60)
        finally:
            for proc in self._procs:
                proc.join(timeout=30)
                if proc.is_alive():
                    proc.kill()
                    proc.join()
        self._logs = logs
        return logs


# --- The master ---------------------------------------------------------------------------


@dataclass
class RunningMaster:
    proc: ArgusProcess
    base_url: str
    api: httpx.Client  # logged in as the administrator


@contextmanager
def running_master(work: Path) -> Iterator[RunningMaster]:
    """``argus master run`` on a new SQLite database in ``work``, loopback only, its
    administrator logged in; stopped by PID at the end."""
    listen = f"127.0.0.1:{free_port()}"
    toml = work / "argus-master.toml"
    toml.write_text(f'[master]\nid = "bench"\ndata_dir = "{work / "data"}"\nlisten = "{listen}"\n')
    proc = ArgusProcess(
        ["master", "run", "-c", str(toml)], work / "master.log", env={ADMIN_PASSWORD_ENV: PASSWORD}
    )
    base_url = f"http://{listen}"
    try:
        wait_for(
            lambda: httpx.get(f"{base_url}/docs", timeout=2).status_code == 200,
            "the master API",
            [proc],
            ignore=(httpx.HTTPError,),
        )
        with httpx.Client(base_url=f"{base_url}/api/v1", timeout=120) as api:
            login = {"username": "admin", "password": PASSWORD}
            session = api.post("/login", json=login).raise_for_status().json()["session"]
            api.headers["Authorization"] = f"Bearer {session}"
            yield RunningMaster(proc, base_url, api)
    except BaseException:
        print(f"master log (end):\n{proc.output()[-4000:]}")
        raise
    finally:
        proc.stop(timeout=10)


def payload_wheel(folder: Path, megabytes: float) -> Path:
    """A real plugin wheel of ``megabytes`` MB of incompressible data files."""
    folder.mkdir(parents=True, exist_ok=True)
    noise = random.Random(4711)
    blobs = max(1, round(megabytes * 1e6 / BLOB))
    files = {f"{MODULE}/data/blob{i:03}.bin": noise.randbytes(BLOB) for i in range(blobs)}
    return make_wheel(
        folder / f"{MODULE}-{VERSION}-py3-none-any.whl",
        name=PROJECT,
        version=VERSION,
        files=files,
        entry_points=f"[argus.camera_drivers]\nbenchcam = {MODULE}.plugin\n",
    )


def admit(master: RunningMaster, wheel: Path) -> dict[str, Any]:
    """``POST /api/v1/packages``: the admitted package."""
    response = master.api.post(
        "/packages",
        params={"filename": wheel.name},
        content=wheel.read_bytes(),
        headers={"Content-Type": "application/octet-stream"},
    )
    response.raise_for_status()
    package: dict[str, Any] = response.json()
    return package


def enrol(master: RunningMaster, count: int, interval: float) -> list[AgentSpec]:
    """Add ``count`` nodes and enrol each with its one-time token, as ``argus node`` does."""
    t0 = time.monotonic()
    specs = []
    for n in range(count):
        name = f"agent-{n:04d}"
        created = master.api.post("/nodes", json={"name": name}).raise_for_status().json()
        request = EnrolRequest(
            token=created["token"],
            node_id=name,
            platform_version=__version__,
            architecture="x86_64",
            os="Linux 6.1",
            wheel_tags=list(WHEEL_TAGS),
            listen_address=NODE_ADDRESS,
        )
        response = master.api.post("/nodes/enrol", json=request.model_dump(mode="json"))
        reply = EnrolReply.model_validate(response.raise_for_status().json())
        assert reply.repository_root is not None, "the master gave no repository root"
        specs.append(AgentSpec(name, reply.credential, reply.repository_root, 0.0))
    print(f"added and enrolled {count} nodes over HTTP in {time.monotonic() - t0:.1f} s")
    # Phases spread over one interval, in the order the processes take their agents.
    return [
        AgentSpec(s.node_id, s.credential, s.root, interval * n / count)
        for n, s in enumerate(specs)
    ]


# --- The runs ------------------------------------------------------------------------------


def epoch(text: str | None) -> float | None:
    """A timestamp of the master's answers as epoch seconds (UTC when naive)."""
    if text is None:
        return None
    when = dt.datetime.fromisoformat(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()


@dataclass
class RolloutRun:
    """The rollout as the bench saw it and as the master recorded it."""

    posted: float  # monotonic
    observed: float  # monotonic: the poll that saw it finished (or gave up)
    body: dict[str, Any]
    to_monotonic: float  # add to an epoch time of the master to get a monotonic one
    polls: int = 0
    phases: dict[str, tuple[float, float]] = field(default_factory=dict)

    def total(self) -> float | None:
        created, finished = epoch(self.body["created"]), epoch(self.body["finished"])
        return finished - created if created and finished else None


def run_rollout(master: RunningMaster, args: argparse.Namespace) -> RolloutRun:
    """``POST /rollouts`` and poll once a second until it is no longer running."""
    to_monotonic = time.monotonic() - time.time()
    body = {
        "package": f"{PROJECT}=={VERSION}",
        "percentage": 100,
        "canary_count": args.canary,
        "max_failures": 0,
        "node_timeout": int(args.timeout),
    }
    posted = time.monotonic()
    started = master.api.post("/rollouts", json=body).raise_for_status().json()
    run = RolloutRun(posted, posted, started, to_monotonic)
    deadline = posted + args.timeout
    while run.body["state"] == "running" and time.monotonic() < deadline:
        time.sleep(1.0)
        run.body = master.api.get(f"/rollouts/{started['id']}").raise_for_status().json()
        run.observed, run.polls = time.monotonic(), run.polls + 1
    run.phases = phase_windows(run)
    return run


def phase_windows(run: RolloutRun) -> dict[str, tuple[float, float]]:
    """The rollout's steps as monotonic windows, from the master's timestamps."""

    def times(phase: int, key: str) -> list[float]:
        found = [epoch(m[key]) for m in run.body["nodes"] if m["phase"] == phase]
        return [t + run.to_monotonic for t in found if t is not None]

    created = epoch(run.body["created"])
    finished = epoch(run.body["finished"])
    start = created + run.to_monotonic if created else run.posted
    end = finished + run.to_monotonic if finished else run.observed
    windows: dict[str, tuple[float, float]] = {}
    asked1, done1 = times(1, "started"), times(1, "finished")
    asked2, done2 = times(2, "started"), times(2, "finished")
    if asked1 and done1:
        windows["phase 1 (canary): asked → result"] = (min(asked1), max(done1))
    if done1 and asked2:
        windows["advance tick: canary result → phase 2 asked"] = (max(done1), min(asked2))
    if asked2 and done2:
        windows["phase 2: asked → last result"] = (min(asked2), max(done2))
        windows["last result → completed (phase 3 empty)"] = (max(done2), end)
    windows["total: created → completed"] = (start, end)
    return windows


def poll_cost(master: RunningMaster, rollout_id: int, idle: float, calls: int = 10) -> float:
    """The master's CPU seconds for one ``GET /rollouts/{id}`` (mean of ``calls``), less
    what the heartbeats going on meanwhile take (``idle``: their share of a core)."""
    cpu0, t0 = cpu_seconds(master.proc.pid), time.monotonic()
    for _ in range(calls):
        master.api.get(f"/rollouts/{rollout_id}").raise_for_status()
    cpu = cpu_seconds(master.proc.pid) - cpu0 - idle * (time.monotonic() - t0)
    return max(0.0, cpu) / calls


@dataclass
class Result:
    """Everything measured for one agent count; windows are monotonic (start, end)."""

    agents: int
    package_size: int
    cap: int
    idle: tuple[float, float]
    idle_cpu: float
    rollout: RolloutRun
    rollout_cpu: float
    phase_cpu: dict[str, float]
    agents_cpu_rollout: float
    logs: list[AgentLog]
    transfer: list[FetchLog]
    transfer_window: tuple[float, float]
    transfer_cpu: float
    agents_cpu_transfer: float
    poll_cpu: float

    def idle_share(self) -> float:
        """The master's CPU while the agents only heartbeat, as a share of one core."""
        return self.idle_cpu / (self.idle[1] - self.idle[0])

    def above_idle(self, cpu: float, wall: float) -> float:
        """The master's CPU seconds beyond what the heartbeats alone take in ``wall`` s."""
        return cpu - self.idle_share() * wall

    def rollout_wall(self) -> float:
        return self.rollout.observed - self.rollout.posted

    def transfer_wall(self) -> float:
        return max(f.end for f in self.transfer) - min(f.start for f in self.transfer)

    def downloads_busy(self) -> float | None:
        """Seconds during which at least one agent was downloading in the rollout (the
        union of the download intervals): the rollout's own transfer time."""
        spans = sorted(
            (g.download_start, g.download_end)
            for g in self.logs
            if g.download_start is not None and g.download_end is not None
        )
        if not spans:
            return None
        busy, (start, end) = 0.0, spans[0]
        for a, b in spans[1:]:
            if a > end:
                busy, start = busy + end - start, a
            end = max(end, b)
        return busy + end - start

    def beat_latencies(self, window: tuple[float, float]) -> list[float]:
        return [lat for g in self.logs for sent, lat in g.beats if window[0] <= sent < window[1]]

    def gaps(self, start: str, end: str) -> list[float]:
        """Per agent, ``end - start`` of two :class:`AgentLog` times (where both are set)."""
        found = []
        for log in self.logs:
            a, b = getattr(log, start), getattr(log, end)
            if a is not None and b is not None:
                found.append(b - a)
        return found


def load_average() -> str:
    """The machine's 1-minute load average: other work shares these cores."""
    return Path("/proc/loadavg").read_text().split()[0]


def bench(agents: int, args: argparse.Namespace) -> Result:
    print(f"\n==== {agents} agents (load average {load_average()}) ====")
    with workdir("argus-bench-rollout-", args.keep) as work, running_master(work) as master:
        wheel = payload_wheel(work / "wheel", args.package_mb)
        package = admit(master, wheel)
        print(f"admitted {wheel.name}: {package['size']:,} bytes (POST /api/v1/packages)")
        specs = enrol(master, agents, args.interval)
        pool = AgentPool(master.base_url, specs, work / "agents", args.interval, args)
        sampler = CpuSampler([master.proc.pid, *pool.pids])
        try:
            return measure(master, pool, sampler, agents, package, args)
        finally:
            sampler.stop()
            pool.close()


def measure(
    master: RunningMaster,
    pool: AgentPool,
    sampler: CpuSampler,
    agents: int,
    package: dict[str, Any],
    args: argparse.Namespace,
) -> Result:
    def agents_cpu(start: float, end: float) -> float:
        return sum(sampler.between(start, end, n + 1) for n in range(len(pool.pids)))

    t0 = time.monotonic()
    time.sleep(args.idle)
    idle = (t0, time.monotonic())

    rollout = run_rollout(master, args)
    print(f"rollout {rollout.body['state']}: {rollout.body['counts']} {rollout.body['reason']}")
    phase_cpu = {name: sampler.between(a, b) for name, (a, b) in rollout.phases.items()}
    rollout_cpu = sampler.between(rollout.posted, rollout.observed)
    agents_rollout = agents_cpu(rollout.posted, rollout.observed)
    time.sleep(args.interval)  # the last reports are in; the agents idle again

    path = f"{package['name']}/{package['version']}/{package['sha256']}.{package['filename']}"
    t1 = time.monotonic()
    transfer = pool.fetch(path, timeout=args.timeout)
    t2 = time.monotonic()
    transfer_cpu, agents_transfer = sampler.between(t1, t2), agents_cpu(t1, t2)
    idle_cpu = sampler.between(*idle)
    poll_cpu = poll_cost(master, int(rollout.body["id"]), idle_cpu / (idle[1] - idle[0]))
    print(f"(load average {load_average()} at the end)")
    return Result(
        agents=agents,
        package_size=int(package["size"]),
        cap=args.max_downloads,
        idle=idle,
        idle_cpu=idle_cpu,
        rollout=rollout,
        rollout_cpu=rollout_cpu,
        phase_cpu=phase_cpu,
        agents_cpu_rollout=agents_rollout,
        logs=pool.close(),
        transfer=transfer,
        transfer_window=(t1, t2),
        transfer_cpu=transfer_cpu,
        agents_cpu_transfer=agents_transfer,
        poll_cpu=poll_cpu,
    )


# --- Reporting ----------------------------------------------------------------------------


def mb(size: float) -> str:
    return f"{size / 1e6:,.1f} MB" if size >= 1e6 else f"{size / 1e3:,.0f} kB"


def secs(value: float | None) -> str:
    return f"{value:.1f} s" if value is not None else "-"


def spread(values: Sequence[float]) -> str:
    """p50 / p99 / max in seconds."""
    if not values:
        return "none"
    return (
        f"p50 {quantile(values, 0.5):.2f} s, p99 {quantile(values, 0.99):.2f} s, "
        f"max {max(values):.2f} s"
    )


def share(cpu: float, wall: float) -> str:
    return f"{cpu:.1f} s ({100 * cpu / wall:.0f} % of a core)"


def report(r: Result) -> None:
    run = r.rollout
    total = run.total()
    print(f"-- {r.agents} agents: rollout of one {mb(r.package_size)} package --")
    print(
        f"state {run.body['state']} {run.body['counts']}; created → completed "
        f"{secs(total)} (master's timestamps); POST → completed seen by the bench "
        f"{r.rollout_wall():.1f} s"
    )
    for name, (a, b) in run.phases.items():
        print(f"  {name}: {b - a:.1f} s, master CPU {r.phase_cpu[name]:.2f} s")
    report_agents(r)
    print(
        f"  master CPU {share(r.rollout_cpu, r.rollout_wall())}; heartbeats alone "
        f"{100 * r.idle_share():.0f} %; the bench's {run.polls} polls × "
        f"{1e3 * r.poll_cpu:.0f} ms; agents' processes {r.agents_cpu_rollout:.1f} s"
    )
    report_transfer(r)
    busy = r.downloads_busy()
    above = r.above_idle(r.rollout_cpu, r.rollout_wall())
    above_transfer = r.above_idle(r.transfer_cpu, r.transfer_wall())
    print(
        f"rollout / pure transfer: total {(total or float('nan')) / r.transfer_wall():.1f}, "
        f"downloads running {(busy or float('nan')) / r.transfer_wall():.2f}; master CPU "
        f"{r.rollout_cpu / max(r.transfer_cpu, 1e-9):.1f}, above heartbeats alone "
        f"{above:.1f} s / {above_transfer:.1f} s = {above / max(above_transfer, 1e-9):.1f}"
    )


def report_agents(r: Result) -> None:
    logs = r.logs
    failed = [g for g in logs if g.error]
    print(
        f"agents: {sum(g.asked is not None for g in logs)} asked, "
        f"{sum(g.download_end is not None for g in logs)} downloaded and verified, "
        f"{len(failed)} failed{': ' + failed[0].error if failed else ''}; "
        f"{sum(g.reported_installing for g in logs)} reported 'installing' before 'active'"
    )
    print(f"  asked → TUF metadata verified: {spread(r.gaps('asked', 'refreshed'))}")
    print(f"    one metadata request: {spread([x for g in logs for x in g.metadata_latencies])}")
    print(f"  then waiting for the cap: {spread(r.gaps('refreshed', 'download_start'))}")
    each = spread(r.gaps("download_start", "download_end"))
    print(
        f"  downloading (cap held, TUF-verified): {each}; some download running for "
        f"{secs(r.downloads_busy())}"
    )
    print(f"  verified → 'active' answered: {spread(r.gaps('download_end', 'reported_active'))}")
    window = (r.rollout.posted, r.rollout.observed)
    print(
        f"  heartbeat latency: heartbeats alone {spread(r.beat_latencies(r.idle))}; during the "
        f"rollout {spread(r.beat_latencies(window))}; "
        f"{sum(g.heartbeat_errors for g in logs)} failed (whole run)"
    )
    print(
        f"  bytes: packages {mb(sum(g.package_bytes for g in logs))}, TUF metadata "
        f"{mb(sum(g.metadata_bytes for g in logs))}"
    )


def report_transfer(r: Result) -> None:
    errors = [f.error for f in r.transfer if f.error]
    moved, wall = sum(f.size for f in r.transfer), r.transfer_wall()
    print(f"-- pure transfer: {len(r.transfer)} plain GETs of the same file, cap {r.cap} --")
    print(
        f"{mb(moved)} in {wall:.1f} s ({moved / wall / 1e6:.0f} MB/s); each "
        f"{spread([f.end - f.start for f in r.transfer])}; errors {len(errors)}"
        f"{': ' + errors[0] if errors else ''}"
    )
    print(
        f"  master CPU {share(r.transfer_cpu, wall)}; agents' processes "
        f"{r.agents_cpu_transfer:.1f} s; heartbeat latency "
        f"{spread(r.beat_latencies(r.transfer_window))}"
    )


def table(results: Sequence[Result]) -> None:
    """The summary, one column per agent count."""
    rows: list[tuple[str, list[str]]] = [
        ("package", [mb(r.package_size) for r in results]),
        ("rollout state", [str(r.rollout.body["state"]) for r in results]),
        ("rollout: created → completed", [secs(r.rollout.total()) for r in results]),
    ]
    for name in results[0].rollout.phases:
        if not name.startswith("total"):
            windows = [r.rollout.phases.get(name) for r in results]
            rows.append((f"  {name}", [secs(w[1] - w[0] if w else None) for w in windows]))
    rows += [
        ("  some download running", [secs(r.downloads_busy()) for r in results]),
        ("pure transfer, same cap", [secs(r.transfer_wall()) for r in results]),
        (
            "rollout / pure transfer",
            [f"{(r.rollout.total() or float('nan')) / r.transfer_wall():.1f}" for r in results],
        ),
        ("master CPU: rollout", [share(r.rollout_cpu, r.rollout_wall()) for r in results]),
        ("master CPU: pure transfer", [share(r.transfer_cpu, r.transfer_wall()) for r in results]),
        ("master CPU: heartbeats alone", [f"{100 * r.idle_share():.0f} %" for r in results]),
        (
            "master CPU above heartbeats: rollout",
            [f"{r.above_idle(r.rollout_cpu, r.rollout_wall()):.1f} s" for r in results],
        ),
        (
            "master CPU above heartbeats: transfer",
            [f"{r.above_idle(r.transfer_cpu, r.transfer_wall()):.1f} s" for r in results],
        ),
        (
            "bytes: rollout (packages + metadata)",
            [
                f"{mb(sum(g.package_bytes for g in r.logs))} + "
                f"{mb(sum(g.metadata_bytes for g in r.logs))}"
                for r in results
            ],
        ),
        ("bytes: pure transfer", [mb(sum(f.size for f in r.transfer)) for r in results]),
    ]
    cols = [f"{r.agents} agents" for r in results]
    width = max(len(name) for name, _ in rows)
    cell = max(len(c) for _, cells in rows for c in cells + cols)
    print(f"\n==== summary (download cap {results[0].cap}) ====")
    print(" " * width + " | " + " | ".join(c.rjust(cell) for c in cols))
    for name, cells in rows:
        print(name.ljust(width) + " | " + " | ".join(c.rjust(cell) for c in cells))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--agents", type=int, nargs="+", default=[150, 500])
    parser.add_argument(
        "--interval", type=float, default=5.0, help="heartbeat period, s (a node's default: 5)"
    )
    parser.add_argument("--package-mb", type=float, default=5.0)
    parser.add_argument(
        "--max-downloads",
        type=int,
        default=16,
        help="package downloads at once, all agents together (rollout and pure transfer)",
    )
    parser.add_argument("--agent-processes", type=int, default=3)
    parser.add_argument("--canary", type=int, default=1, help="canary_count of the rollout")
    parser.add_argument("--idle", type=float, default=10.0, help="s of heartbeats alone")
    parser.add_argument(
        "--timeout", type=float, default=900.0, help="s a rollout or transfer may take"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = parser.parse_args(argv)
    print(
        f"{os.cpu_count()} CPUs; Argus {__version__}; Python {sys.version.split()[0]}\n"
        "Agents are stand-ins for nodes, not recording nodes: they heartbeat (no streams, no "
        "disks) and download and verify packages with a real TUF PackageUpdater; they do "
        "not unpack, import or health-check them."
    )
    results = []
    for agents in args.agents:
        result = bench(agents, args)
        report(result)
        results.append(result)
    table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
