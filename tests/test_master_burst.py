"""A burst of heartbeats from many nodes at once never jams the master.

Routes run in a pool of 40 threads; a request holding the database (SQLite's write
lock, a row lock, a pooled connection) must always find a thread to finish, however
many others wait. 150 nodes heartbeat all at the same instant, several times over,
against a real ``argus master run`` on SQLite: every heartbeat is answered.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from argus import __version__
from argus.testing import Cluster, free_port

PASSWORD = "admin-password-for-tests"
NODES = 150
ROUNDS = 4


async def burst(base: str, credentials: dict[str, str]) -> list[int]:
    # A new connection per heartbeat, as nodes make them (their idle connections expire
    # before the server's): one kept alive between rounds could be closed by the
    # server's idle timeout just as it is reused.
    limits = httpx.Limits(max_connections=NODES, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:

        async def beat(name: str, credential: str) -> int:
            body = {"node_id": name, "sent": time.time(), "platform_version": __version__}
            reply = await client.post(
                "/api/v1/nodes/heartbeat",
                json=body,
                headers={"Authorization": f"Bearer {credential}"},
            )
            return reply.status_code

        statuses: list[int] = []
        for _ in range(ROUNDS):
            statuses += await asyncio.gather(*(beat(n, c) for n, c in credentials.items()))
        return statuses


@pytest.mark.slow
def test_simultaneous_heartbeats_of_many_nodes_are_all_answered(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "master.toml").write_text(
        f'[master]\nid = "m1"\ndata_dir = "{tmp_path / "master"}"\nlisten = "127.0.0.1:{port}"\n'
    )
    cluster = Cluster(tmp_path, ignore=(httpx.TransportError, KeyError))
    cluster.run(
        "master",
        ["master", "run", "-c", str(tmp_path / "master.toml")],
        ARGUS_ADMIN_PASSWORD=PASSWORD,
    )
    try:
        api = httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=30)
        session = cluster.wait(
            lambda: api.post("/login", json={"username": "admin", "password": PASSWORD}).json()[
                "session"
            ],
            "the master",
        )
        admin = {"Authorization": f"Bearer {session}"}
        credentials = {}
        for i in range(NODES):
            name = f"n{i:03d}"
            token = api.post("/nodes", json={"name": name}, headers=admin).json()["token"]
            enrolled = api.post(
                "/nodes/enrol",
                json={
                    "token": token,
                    "node_id": name,
                    "platform_version": __version__,
                    "architecture": "x86_64",
                    "os": "Linux",
                    "listen_address": "http://127.0.0.1:9",
                },
            )
            credentials[name] = enrolled.json()["credential"]
        statuses = asyncio.run(burst(f"http://127.0.0.1:{port}", credentials))
        assert statuses.count(200) == NODES * ROUNDS, sorted(set(statuses))
        nodes = api.get("/nodes", headers=admin).json()
        assert all(n["last_heartbeat"] for n in nodes)
    finally:
        failed = cluster.stop_all()
        assert not failed, failed
