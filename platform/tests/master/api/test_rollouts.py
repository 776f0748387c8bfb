"""Rollouts through the API, on every engine: an admitted package is published in the
repository, a node verifies and downloads it with the TUF updater, reports it active,
and the rollout completes; pins, removals and the node-only repository routes."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from argus.master.runtime import Master
from argus.repository import PackageUpdater, RepositoryError
from argus_sdk import API_VERSION
from argus_sdk.testing import make_wheel


def enrolled(client: TestClient, admin: dict[str, str], helpers: Any, name: str) -> str:
    token = client.post("/api/v1/nodes", json={"name": name}, headers=admin).json()["token"]
    reply = client.post("/api/v1/nodes/enrol", json=helpers.enrol_request(token, name))
    assert reply.status_code == 200, reply.text
    credential: str = reply.json()["credential"]
    return credential


def beat(
    client: TestClient, helpers: Any, name: str, credential: str, plugins: list[dict[str, Any]]
) -> dict[str, Any]:
    body = {**helpers.heartbeat_body(name), "api_version": API_VERSION, "plugins": plugins}
    reply = client.post("/api/v1/nodes/heartbeat", json=body, headers=helpers.bearer(credential))
    assert reply.status_code == 200, reply.text
    answer: dict[str, Any] = reply.json()
    return answer


def updater(client: TestClient, folder: Path, name: str, credential: str) -> PackageUpdater:
    return PackageUpdater(
        folder,
        "http://testserver/api/v1/repository",
        client=client,
        headers=lambda: {"Authorization": f"Bearer {credential}", "X-Argus-Node": name},
    )


def test_a_rollout_reaches_a_node_through_the_verified_repository(
    client: TestClient, admin: dict[str, str], helpers: Any, master: Master, tmp_path: Path
) -> None:
    wheel = make_wheel(
        tmp_path / "rolled_driver-2.0.0-py3-none-any.whl", name="rolled-driver", version="2.0.0"
    )
    reply = client.post(
        "/api/v1/packages",
        params={"filename": wheel.name},
        content=wheel.read_bytes(),
        headers={**admin, "Content-Type": "application/octet-stream"},
    )
    assert reply.status_code == 201, reply.text
    credential = enrolled(client, admin, helpers, "roll-1")
    beat(client, helpers, "roll-1", credential, [])

    started = client.post(
        "/api/v1/rollouts", json={"package": "rolled-driver==2.0.0"}, headers=admin
    )
    assert started.status_code == 201, started.text
    rollout = started.json()
    assert rollout["state"] == "running" and rollout["nodes"][0]["state"] == "sent"
    [desired] = beat(client, helpers, "roll-1", credential, [])["plugins"]
    target = "rolled-driver/2.0.0/rolled_driver-2.0.0-py3-none-any.whl"
    assert desired == {
        "project": "rolled-driver",
        "version": "2.0.0",
        "target": target,
        "dependencies": [],
        "rollout": rollout["id"],
    }

    # The node's updater verifies the signed metadata and the file against it.
    with updater(client, tmp_path / "trusted", "roll-1", credential) as node_updater:
        info = node_updater.target(target)
        assert info.custom["kinds"] == ["camera-driver"]
        assert info.custom["argus_sdk"] == "<2,>=1.0"
        got = node_updater.download(target, tmp_path / "downloads")
    assert hashlib.sha256(got.read_bytes()).digest() == hashlib.sha256(wheel.read_bytes()).digest()

    report = {
        "project": "rolled-driver",
        "version": "2.0.0",
        "target": target,
        "state": "active",
        "rollout": rollout["id"],
    }
    beat(client, helpers, "roll-1", credential, [report])
    master.advance_rollouts()
    done = client.get(f"/api/v1/rollouts/{rollout['id']}", headers=admin).json()
    assert done["state"] == "completed" and done["counts"] == {"succeeded": 1}
    installed = client.get("/api/v1/packages/installed", headers=admin).json()
    assert {
        "node": "roll-1",
        "project": "rolled-driver",
        "desired_version": "2.0.0",
        "installed_version": "2.0.0",
        "state": "active",
    }.items() <= next(r for r in installed if r["node"] == "roll-1").items()

    removed = client.post(
        "/api/v1/packages/remove",
        json={"project": "rolled-driver", "nodes": ["roll-1"]},
        headers=admin,
    )
    assert removed.status_code == 200 and removed.json()[0]["desired_version"] is None
    assert beat(client, helpers, "roll-1", credential, [report])["plugins"] == []
    audit = client.get("/api/v1/audit?action=package.*", headers=admin).json()["entries"]
    assert {"package.rollout", "package.remove", "package.admit"} <= {e["action"] for e in audit}


def test_the_repository_serves_enrolled_nodes_only(
    client: TestClient, admin: dict[str, str], helpers: Any, tmp_path: Path
) -> None:
    credential = enrolled(client, admin, helpers, "repo-reader")
    ok = {"Authorization": f"Bearer {credential}", "X-Argus-Node": "repo-reader"}
    assert client.get("/api/v1/repository/metadata/1.root.json", headers=ok).status_code == 200
    for headers in (
        {},
        {"X-Argus-Node": "repo-reader"},
        {"Authorization": "Bearer forged", "X-Argus-Node": "repo-reader"},
        admin | {"X-Argus-Node": "repo-reader"},
    ):
        reply = client.get("/api/v1/repository/metadata/1.root.json", headers=headers)
        assert reply.status_code in (401, 422), reply.text
    for name in ("..%2F..%2Fmaster.toml", "7.root.json", "keys"):
        assert client.get(f"/api/v1/repository/metadata/{name}", headers=ok).status_code == 404
    assert client.get("/api/v1/repository/targets/a/1/00.x.whl", headers=ok).status_code == 404

    # A forged credential gets the updater nowhere: its refusal says so.
    with updater(client, tmp_path / "trusted", "repo-reader", "forged") as forged:
        try:
            forged.refresh()
        except RepositoryError as exc:
            assert "401" in str(exc) or "refused" in str(exc)
        else:
            raise AssertionError("a forged credential refreshed the repository")


def test_rollout_refusals_are_clear(
    client: TestClient, admin: dict[str, str], helpers: Any
) -> None:
    unknown = client.post("/api/v1/rollouts", json={"package": "nothing-here==1"}, headers=admin)
    assert unknown.status_code == 422
    assert "no package 'nothing-here' was admitted" in unknown.json()["detail"]
    bad = client.post("/api/v1/rollouts", json={"package": "not a spec"}, headers=admin)
    assert bad.status_code == 422
    missing = client.get("/api/v1/rollouts/999999", headers=admin)
    assert missing.status_code == 404 and "no rollout 999999" in missing.json()["detail"]
