"""A master watching two node processes: one whose wall clock is 4 s ahead (libfaketime)
and one that is killed and comes back.

- The master measures both clocks over the nodes' APIs: the skewed node gets a
  clock-offset watchdog event with the offset it really has, the true one does not;
  the skewed node corrects its recording timestamps to the master's time.
- ``kill -9`` of a node: after the offline timeout a node-offline event opens; when
  the node runs again the event ends.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from argus.testing import Cluster, free_port
from argus.testing.demo import joining_node_config
from argus.testing.faketime import library, skewed_clock_env

PASSWORD = "admin-password-for-tests"
SKEW = 4.0
SIM = {"main_profile": "360p", "sub_profile": None, "loop_seconds": 2}


@pytest.mark.slow
@pytest.mark.skipif(library() is None, reason="libfaketime is not installed")
def test_clock_offsets_are_measured_and_corrected_and_a_dead_node_is_reported(
    tmp_path: Path,
) -> None:
    mport, aport, bport = free_port(), free_port(), free_port()
    (tmp_path / "master.toml").write_text(
        f'[master]\nid = "m1"\ndata_dir = "{tmp_path / "master"}"\nlisten = "127.0.0.1:{mport}"\n'
        "offline_seconds = 3\nclock_sync_seconds = 2\nclock_offset_threshold = 1.0\n"
    )
    cluster = Cluster(tmp_path, ignore=(httpx.TransportError, KeyError, StopIteration))
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
        for name, port in (("true-node", aport), ("fast-node", bport)):
            token = api.post("/nodes", json={"name": name}, headers=admin).json()["token"]
            (tmp_path / f"{name}-token").write_text(token)
            joining_node_config(tmp_path, name, port, mport)
            device = {"ident": f"{name}-cam", "driver": "sim", "settings": {"name": name, **SIM}}
            added = api.post(f"/nodes/{name}/devices", headers=admin, json=device)
            assert added.status_code == 201, added.text
        true_args = ["node", "run", "-c", str(tmp_path / "true-node.toml")]
        true_node = cluster.run("true-node", true_args)
        cluster.run(
            "fast-node",
            ["node", "run", "-c", str(tmp_path / "fast-node.toml")],
            **skewed_clock_env(SKEW),
        )

        def events(**params: Any) -> list[dict[str, Any]]:
            r = api.get("/watchdog/events", params=params, headers=admin)
            assert r.status_code == 200, r.text
            result: list[dict[str, Any]] = r.json()
            return result

        def nodes() -> dict[str, dict[str, Any]]:
            return {n["name"]: n for n in api.get("/nodes", headers=admin).json()}

        # The master measures both clocks; only the skewed one is reported.
        offset_event = cluster.wait(
            lambda: next(iter(events(kind="clock-offset", open_only=True))),
            "a clock-offset event for the skewed node",
        )
        assert offset_event["node"] == "fast-node"
        assert offset_event["details"]["offset"] == pytest.approx(SKEW, abs=0.5)
        assert offset_event["details"]["error"] < 0.5
        measured = cluster.wait(
            lambda: (n := nodes())["true-node"]["clock_measured"] and n, "the true node measured"
        )
        assert abs(measured["true-node"]["clock_offset_us"]) < 500_000
        assert measured["fast-node"]["clock_offset_us"] == pytest.approx(SKEW * 1e6, abs=5e5)
        assert [e["node"] for e in events(kind="clock-offset")] == ["fast-node"]

        # The skewed node records on the master's time: its packets' wall times are the
        # real time, not its own clock's, and it keeps the offset for its next start.
        tokens = cluster.wait(
            lambda: len(t := api.get("/me/tokens", headers=admin).json()["tokens"]) == 2 and t,
            "tokens for both nodes",
        )

        def last_packet_lag() -> float | None:
            r = httpx.get(
                f"http://127.0.0.1:{bport}/api/v1/status",
                headers={"Authorization": f"Bearer {tokens['fast-node']}"},
                timeout=10,
            )
            streams = r.json()["streams"]
            last = streams[0]["last_packet"] if streams else None
            return None if last is None else time.time() - last

        cluster.wait(
            lambda: (lag := last_packet_lag()) is not None and abs(lag) < 1.5,
            "the skewed node's recording timestamps on the master's time",
        )
        kept = float((tmp_path / "fast-node" / "clock-offset").read_text())
        assert kept == pytest.approx(SKEW, abs=0.5)

        # A node that dies is reported offline after the timeout, and back when it runs.
        assert cluster.stop(true_node, signal.SIGKILL) == -signal.SIGKILL
        offline = cluster.wait(
            lambda: next(iter(events(kind="node-offline", node="true-node", open_only=True))),
            "a node-offline event",
        )
        cluster.run("true-node", true_args, append=True)
        cluster.wait(
            lambda: not events(kind="node-offline", node="true-node", open_only=True),
            "the node-offline event to end",
        )
        ended = next(e for e in events(kind="node-offline") if e["id"] == offline["id"])
        assert ended["ended"] is not None
        assert not events(kind="node-offline", node="fast-node")
    finally:
        failed = cluster.stop_all()
        assert not failed, failed
