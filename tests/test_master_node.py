"""A master and a node as separate processes on loopback: enrolment, heartbeats, tokens.

The administrator logs in at the master and creates the node, which gives a
one-time enrolment token; the node enrols with it at its first start, then
heartbeats. A token from the master's login opens the node's recordings; the
node's own local token is not needed, and a token signed by another key is
refused.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from argus.security.tokens import TokenIssuer
from argus.testing import ArgusProcess, free_port, wait_for

PASSWORD = "admin-password-for-tests"


# The master's and the node's APIs refuse connections until they listen.
wait = functools.partial(wait_for, ignore=(httpx.TransportError,), interval=0.3)


@pytest.mark.slow
def test_a_node_enrols_heartbeats_and_accepts_the_masters_tokens(tmp_path: Path) -> None:
    master_port, node_port = free_port(), free_port()
    (tmp_path / "master.toml").write_text(
        f'[master]\nid = "m1"\ndata_dir = "{tmp_path / "master"}"\n'
        f'listen = "127.0.0.1:{master_port}"\n'
    )
    master = ArgusProcess(
        ["master", "run", "-c", str(tmp_path / "master.toml")],
        tmp_path / "master.log",
        env={"ARGUS_ADMIN_PASSWORD": PASSWORD},
    )
    node: ArgusProcess | None = None
    try:
        api = httpx.Client(base_url=f"http://127.0.0.1:{master_port}/api/v1", timeout=30)
        login: dict[str, object] = {}

        def logged_in() -> bool:
            r = api.post("/login", json={"username": "admin", "password": PASSWORD})
            login.update(r.json())
            return r.status_code == 200

        wait(logged_in, "the master", [master])
        admin = {"Authorization": f"Bearer {login['session']}"}
        created = api.post("/nodes", json={"name": "node-a"}, headers=admin)
        assert created.status_code == 201, created.text
        (tmp_path / "enrolment-token").write_text(created.json()["token"])

        (tmp_path / "disk").mkdir()
        (tmp_path / "node.toml").write_text(
            f'[node]\nid = "node-a"\ndata_dir = "{tmp_path / "node"}"\n'
            f'listen = "127.0.0.1:{node_port}"\n'
            f'master_url = "http://127.0.0.1:{master_port}"\n'
            f'enrolment_token_file = "{tmp_path / "enrolment-token"}"\nheartbeat_seconds = 1\n\n'
            f'[storage]\nbackend = "segments"\n'
            f'settings = {{ disks = [{{ path = "{tmp_path / "disk"}", min_free_mb = 0 }}] }}\n'
        )
        camera = api.post(
            "/nodes/node-a/devices",
            headers=admin,
            json={
                "ident": "gate",
                "driver": "sim",
                "settings": {"name": "Gate", "main_profile": "360p", "sub_profile": None},
            },
        )
        assert camera.status_code == 201, camera.text
        node = ArgusProcess(
            ["node", "run", "-c", str(tmp_path / "node.toml")], tmp_path / "node.log"
        )
        procs = [master, node]

        def enrolled_and_beating() -> bool:
            nodes = {n["name"]: n for n in api.get("/nodes", headers=admin).json()}
            return nodes["node-a"]["state"] == "enrolled" and nodes["node-a"]["last_heartbeat"]

        wait(enrolled_and_beating, "enrolment and a heartbeat", procs)
        info = {n["name"]: n for n in api.get("/nodes", headers=admin).json()}["node-a"]
        assert info["platform_version"] and info["architecture"]

        tokens = api.get("/me/tokens", headers=admin).json()["tokens"]
        node_api = httpx.Client(base_url=f"http://127.0.0.1:{node_port}/api/v1", timeout=30)
        with_token = {"Authorization": f"Bearer {tokens['node-a']}"}
        wait(
            lambda: node_api.get("/status", headers=with_token).status_code == 200,
            "the node API",
            procs,
        )
        now = time.time()
        timeline = node_api.get(
            "/cameras/gate/streams/main/timeline",
            params={"start": now - 60, "end": now},
            headers=with_token,
        )
        assert timeline.status_code == 200, timeline.text

        foreign = TokenIssuer(Ed25519PrivateKey.generate(), "m1").issue(
            user_id="1", user_name="admin", node_id="node-a", rights={}, admin=True
        )
        refused = node_api.get("/status", headers={"Authorization": f"Bearer {foreign}"})
        assert refused.status_code == 401

        def played() -> bool:
            r = node_api.get(
                "/cameras/gate/streams/main/playback",
                params={"start": time.time() - 3},
                headers=with_token,
            )
            return r.status_code == 200

        wait(played, "a recorded playback", procs)

        def use_reported() -> bool:
            uses = api.get("/audit", params={"action": "video.*"}, headers=admin).json()
            return any(
                e["action"] == "video.playback"
                and e["actor_name"] == "admin"
                and e["node"] == "node-a"
                and "gate" in (e["target_id"] or "")
                for e in uses["entries"]
            )

        wait(use_reported, "the node to report the playback to the master", procs)
        audit = api.get("/audit", params={"action": "node.*"}, headers=admin).json()
        assert {"node.create", "node.enrol"} <= {e["action"] for e in audit["entries"]}
    finally:
        if node is not None:
            assert node.stop() == 0, node.output()
        assert master.stop() == 0, master.output()
