"""``argus demo`` as a newcomer runs it: a real process, stopped by PID.

The demo is a master and a node in one process: the test logs in at the master with
the printed administrator password, finds the node enrolled with its cameras
configured on the master, and reads the node's status with the master's token.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from argus.testing import Cluster, free_port


@pytest.mark.slow
def test_demo_runs_a_master_and_a_node_recording_every_simulated_camera(tmp_path: Path) -> None:
    mport, nport = free_port(), free_port()
    data = tmp_path / "demo"
    cluster = Cluster(tmp_path, ignore=(httpx.TransportError, KeyError, FileNotFoundError))
    demo = cluster.run(
        "demo",
        ["demo", "--data", str(data), "--master-port", str(mport), "--node-port", str(nport)],
        COLUMNS="200",
        ARGUS_ADMIN_PASSWORD="",
    )
    try:
        password = cluster.wait(
            lambda: (data / "admin-password").read_text().strip(), "the demo's admin password"
        )
        cluster.wait(lambda: "open Spotter at" in demo.output(), "the demo's welcome")
        assert f"password {password}" in demo.output()
        assert f"http://127.0.0.1:{mport}/" in demo.output()
        master = httpx.Client(base_url=f"http://127.0.0.1:{mport}/api/v1", timeout=30)
        session = cluster.wait(
            lambda: master.post("/login", json={"username": "admin", "password": password}).json()[
                "session"
            ],
            "a login at the demo's master",
        )
        admin = {"Authorization": f"Bearer {session}"}
        [node] = master.get("/nodes", headers=admin).json()
        assert node["name"] == "demo" and node["state"] == "enrolled"
        devices = {d["ident"] for d in master.get("/nodes/demo/devices", headers=admin).json()}
        assert devices == {"entrance", "lobby", "parking", "dock", "yard"}
        token = master.get("/me/tokens", headers=admin).json()["tokens"]["demo"]

        def streams() -> dict[tuple[str, str], Any]:
            r = httpx.get(
                f"http://127.0.0.1:{nport}/api/v1/status",
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            return {(s["camera"], s["stream"]): s for s in r.json()["streams"]}

        recording = cluster.wait(
            lambda: (
                len(s := streams()) == 9
                and all(x["state"] == "recording" for x in s.values())
                and s
            ),
            "all 9 streams recording",
        )
        assert ("entrance", "sub") in recording and ("yard", "main") not in recording
        cluster.wait(
            lambda: "argus.io.input start dock:door" in demo.output(), "the door contact event"
        )
    finally:
        status = cluster.stop(demo, signal.SIGINT)
    out = demo.output()
    assert status == 0, out
    loaded_line = next(line for line in out.splitlines() if line.startswith("plugins loaded:"))
    assert {"eventlog", "segments", "sim"} <= set(
        loaded_line.split(":")[1].replace(",", " ").split()
    )
    assert "9/9 streams delivered video" in out
    segments = list((data / "disk1").rglob("*.mp4"))
    cameras = {p.relative_to(data / "disk1").parts[0] for p in segments}
    assert {"entrance", "lobby", "parking", "yard-ch1", "yard-ch4"} <= cameras
    assert "Recording to" in out and "written to storage" in out
