"""``argus`` commands run as real processes for tests: a log file each, stopped by PID.

Nothing here imports pytest; a failed wait raises ``AssertionError`` with the
logs of the processes involved, which pytest reports like any assertion.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx

from argus.testing.databases import free_port

T = TypeVar("T")


class ArgusProcess:
    """``python -m argus <args>`` with stdout and stderr in ``log``.

    :param append: add to an existing log (a restarted node keeps one log).
    :param env: variables added to this process's environment.
    """

    def __init__(
        self, args: list[str], log: Path, *, env: dict[str, str] | None = None, append: bool = False
    ) -> None:
        self.log = log
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "argus", *args],
            stdout=log.open("ab" if append else "wb"),
            stderr=subprocess.STDOUT,
            env=dict(os.environ, **(env or {})),
        )

    @property
    def pid(self) -> int:
        return self._proc.pid

    def exited(self) -> int | None:
        """The exit status if the process has ended, else ``None``."""
        return self._proc.poll()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send ``sig`` to the PID, wait, and SIGKILL after ``timeout``; the exit status."""
        if self._proc.poll() is None:
            os.kill(self._proc.pid, sig)
        try:
            return self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(self._proc.pid, signal.SIGKILL)
            return self._proc.wait()


def wait_for(
    ok: Callable[[], T],
    what: str,
    processes: Iterable[ArgusProcess],
    *,
    timeout: float = 90.0,
    interval: float = 0.2,
    ignore: tuple[type[BaseException], ...] = (),
) -> T:
    """Poll ``ok()`` until it returns something true and return that.

    Exceptions of the ``ignore`` types count as "not yet" (a server still starting).

    :raises AssertionError: a process ended meanwhile, or ``timeout`` passed.
    """
    watched = list(processes)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if result := ok():
                return result
        except ignore:
            pass
        for proc in watched:
            status = proc.exited()
            assert status is None, f"{proc.log.name} exited ({status}): {proc.output()}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(interval)


@dataclass(frozen=True)
class RunningMaster:
    """A master a :class:`Cluster` started: where it listens, an API client on
    ``<url>/api/v1``, and an administrator's session headers."""

    url: str
    port: int
    api: httpx.Client
    admin: dict[str, str]


class Cluster:
    """The ``argus`` processes of one test: each with its log in ``root``; a wait fails at
    once when any of them has exited (unless it was stopped through :meth:`stop`)."""

    def __init__(self, root: Path, *, ignore: tuple[type[BaseException], ...] = ()) -> None:
        self.root = root
        self.procs: list[ArgusProcess] = []
        self._ignore = ignore

    def run(self, name: str, args: list[str], *, append: bool = False, **env: str) -> ArgusProcess:
        """Start ``argus <args>`` logging to ``<root>/<name>.log`` (appending if asked)."""
        proc = ArgusProcess(args, self.root / f"{name}.log", env=env, append=append)
        self.procs.append(proc)
        return proc

    def master(self, password: str, *, master_id: str = "m1", extra: str = "") -> RunningMaster:
        """Start ``argus master run`` on a free loopback port with its data in
        ``<root>/master`` (``extra``: more ``[master]`` TOML lines) and log in as ``admin``
        with ``password``."""
        port = free_port()
        config = self.root / "master.toml"
        config.write_text(
            f'[master]\nid = "{master_id}"\ndata_dir = "{self.root / "master"}"\n'
            f'listen = "127.0.0.1:{port}"\n{extra}'
        )
        self.run("master", ["master", "run", "-c", str(config)], ARGUS_ADMIN_PASSWORD=password)
        url = f"http://127.0.0.1:{port}"
        api = httpx.Client(base_url=f"{url}/api/v1", timeout=30)
        login = {"username": "admin", "password": password}
        session: str = wait_for(
            lambda: api.post("/login", json=login).json()["session"],
            "the master",
            self.procs,
            timeout=90,
            interval=0.3,
            ignore=(httpx.TransportError, KeyError),
        )
        return RunningMaster(url, port, api, {"Authorization": f"Bearer {session}"})

    def stop(self, proc: ArgusProcess, sig: int = signal.SIGTERM) -> int:
        """Stop one process by PID (SIGKILL to simulate a crash); its exit status."""
        self.procs.remove(proc)
        return proc.stop(sig)

    def wait(self, ok: Callable[[], T], what: str, timeout: float = 90) -> T:
        return wait_for(ok, what, self.procs, timeout=timeout, interval=0.3, ignore=self._ignore)

    def stop_all(self) -> list[str]:
        """Stop every process, newest first; the logs of those that did not exit with 0."""
        failed = []
        for proc in reversed(self.procs):
            if proc.stop() != 0:
                failed.append(proc.output())
        self.procs.clear()
        return failed
