"""``argus demo`` as a real process for tests, and a node configured to join a master."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from argus.testing.databases import free_port
from argus.testing.processes import ArgusProcess, Cluster


class RunningDemo:
    """A running ``argus demo``: its master's URL, the admin password, an API client."""

    def __init__(self, master: str, password: str, process: ArgusProcess) -> None:
        self.master, self.password, self.process = master, password, process
        self.api = httpx.Client(base_url=f"{master}/api/v1", timeout=30)

    def login(self, username: str, password: str) -> dict[str, Any]:
        """The login reply (session, profile download, node tokens); asserts it succeeded."""
        reply = self.api.post("/login", json={"username": username, "password": password})
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()
        return body

    def admin(self) -> dict[str, str]:
        """Headers of a fresh administrator session."""
        return {"Authorization": f"Bearer {self.login('admin', self.password)['session']}"}


@contextmanager
def running_demo(root: Path, **env: str) -> Iterator[RunningDemo]:
    """Run ``argus demo`` with its data in ``root`` on free ports until the block ends; it
    must then stop cleanly on SIGINT (Ctrl-C). ``env`` adds environment variables."""
    mport, nport = free_port(), free_port()
    cluster = Cluster(root, ignore=(httpx.TransportError, FileNotFoundError))
    ports = ["--master-port", str(mport), "--node-port", str(nport)]
    env = {"ARGUS_ADMIN_PASSWORD": "", **env}
    proc = cluster.run("demo", ["demo", "--data", str(root / "data"), *ports], append=False, **env)
    try:
        password = cluster.wait(
            lambda: (root / "data" / "admin-password").read_text().strip(), "the demo"
        )
        cluster.wait(lambda: "open Spotter at" in proc.output(), "the demo's welcome")
        yield RunningDemo(f"http://127.0.0.1:{mport}", password, proc)
    finally:
        status = cluster.stop(proc, signal.SIGINT)
        assert status == 0, proc.output()


def joining_node_config(
    root: Path, name: str, port: int, master_port: int, node_extra: str = ""
) -> Path:
    """``<root>/<name>.toml``: node ``name`` on ``port`` joining the master on
    ``master_port`` with the token in ``<root>/<name>-token``, heartbeating every 0.5 s,
    recording to ``<root>/<name>-disk`` (made here). ``node_extra``: more TOML lines
    for the ``[node]`` section."""
    (root / f"{name}-disk").mkdir()
    path = root / f"{name}.toml"
    path.write_text(
        f'[node]\nid = "{name}"\ndata_dir = "{root / name}"\nlisten = "127.0.0.1:{port}"\n'
        f'master_url = "http://127.0.0.1:{master_port}"\n'
        f'enrolment_token_file = "{root / f"{name}-token"}"\nheartbeat_seconds = 0.5\n'
        f"{node_extra}\n"
        f'[storage]\nbackend = "segments"\n'
        f'settings = {{ disks = [{{ path = "{root / f"{name}-disk"}", min_free_mb = 0 }}] }}\n'
    )
    return path
