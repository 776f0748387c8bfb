"""A master and two node processes: a camera added and removed on one node through the
master while the other node records untouched (issue: configuration is pushed, applied
without restarting unaffected cameras)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from argus.testing import Cluster, free_port
from argus.testing.demo import joining_node_config

PASSWORD = "admin-password-for-tests"
SIM = {"main_profile": "360p", "sub_profile": None, "loop_seconds": 2}


@pytest.mark.slow
def test_configuration_reaches_one_node_and_leaves_the_other_untouched(tmp_path: Path) -> None:
    mport, aport, bport = free_port(), free_port(), free_port()
    (tmp_path / "master.toml").write_text(
        f'[master]\nid = "m1"\ndata_dir = "{tmp_path / "master"}"\nlisten = "127.0.0.1:{mport}"\n'
    )
    cluster = Cluster(tmp_path, ignore=(httpx.TransportError, KeyError))
    cluster.run(
        "master",
        ["master", "run", "-c", str(tmp_path / "master.toml")],
        ARGUS_ADMIN_PASSWORD=PASSWORD,
    )
    try:
        api = httpx.Client(base_url=f"http://127.0.0.1:{mport}/api/v1", timeout=30)
        session = cluster.wait(
            lambda: api.post("/login", json={"username": "admin", "password": PASSWORD}).json()[
                "session"
            ],
            "the master",
        )
        admin = {"Authorization": f"Bearer {session}"}
        for name, port in (("node-a", aport), ("node-b", bport)):
            token = api.post("/nodes", json={"name": name}, headers=admin).json()["token"]
            joining_node_config(tmp_path, name, port, mport)
            (tmp_path / f"{name}-token").write_text(token)
        add = api.post(
            "/nodes/node-b/devices",
            headers=admin,
            json={"ident": "b-gate", "driver": "sim", "settings": {"name": "B gate", **SIM}},
        )
        assert add.status_code == 201, add.text
        cluster.run("node-a", ["node", "run", "-c", str(tmp_path / "node-a.toml")])
        cluster.run("node-b", ["node", "run", "-c", str(tmp_path / "node-b.toml")])

        tokens = cluster.wait(
            lambda: len(t := api.get("/me/tokens", headers=admin).json()["tokens"]) == 2 and t,
            "both nodes",
        )

        def streams(node: str, port: int) -> dict[str, dict[str, Any]]:
            r = httpx.get(
                f"http://127.0.0.1:{port}/api/v1/status",
                timeout=10,
                headers={"Authorization": f"Bearer {tokens[node]}"},
            )
            return {s["camera"]: s for s in r.json()["streams"]}

        b_before = cluster.wait(
            lambda: (s := streams("node-b", bport)).get("b-gate", {}).get("packets", 0) > 25 and s,
            "node-b recording",
        )
        assert streams("node-a", aport) == {}

        added = api.post(
            "/nodes/node-a/devices",
            headers=admin,
            json={"ident": "a-dock", "driver": "sim", "settings": {"name": "A dock", **SIM}},
        )
        assert added.status_code == 201, added.text
        cluster.wait(
            lambda: streams("node-a", aport).get("a-dock", {}).get("state") == "recording",
            "node-a to record its new camera",
        )

        removed = api.delete("/devices/a-dock", headers=admin)
        assert removed.status_code in (200, 204), removed.text
        cluster.wait(lambda: "a-dock" not in streams("node-a", aport), "the camera removed")

        b_after = streams("node-b", bport)["b-gate"]
        assert b_after["reconnects"] == 0 and b_after["state"] == "recording"
        assert b_after["packets"] > b_before["b-gate"]["packets"]  # never restarted
        nodes = {n["name"]: n for n in api.get("/nodes", headers=admin).json()}
        assert all(n["state"] == "enrolled" for n in nodes.values())
    finally:
        failed = cluster.stop_all()
        assert not failed, failed
