"""Nodes through the API: added by an admin, enrolled, heartbeating; watchdog events; the
audit trail as CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient

from argus.master.runtime import Master


def _enrol(client: TestClient, admin: dict[str, str], helpers: Any, name: str) -> str:
    """Add and enrol the node; its credential."""
    created = client.post("/api/v1/nodes", json={"name": name}, headers=admin)
    assert created.status_code == 201, created.text
    reply = client.post(
        "/api/v1/nodes/enrol", json=helpers.enrol_request(created.json()["token"], name)
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["node_id"] == name and body["master_id"] == "master-test"
    assert body["master_public_key"].startswith("-----BEGIN PUBLIC KEY-----")
    credential: str = body["credential"]
    return credential


def _nodes(client: TestClient, admin: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {n["name"]: n for n in client.get("/api/v1/nodes", headers=admin).json()}


def test_enrolment_and_heartbeat(client: TestClient, admin: dict[str, str], helpers: Any) -> None:
    created = client.post(
        "/api/v1/nodes", json={"name": "n1", "description": "hall"}, headers=admin
    ).json()
    assert _nodes(client, admin)["n1"]["state"] == "pending"
    assert _nodes(client, admin)["n1"]["enrolment_pending"] is True
    request = helpers.enrol_request(created["token"], "n1")
    credential = client.post("/api/v1/nodes/enrol", json=request).json()["credential"]
    again = client.post("/api/v1/nodes/enrol", json=request)
    assert again.status_code == 403 and "already used" in again.json()["detail"]

    beat = client.post(
        "/api/v1/nodes/heartbeat",
        json=helpers.heartbeat_body("n1"),
        headers=helpers.bearer(credential),
    )
    assert beat.status_code == 200, beat.text
    assert beat.json()["must_re_enrol"] is False
    node = _nodes(client, admin)["n1"]
    assert node["state"] == "enrolled" and node["architecture"] == "x86_64"
    assert node["last_heartbeat"] is not None and node["enrolment_pending"] is False

    renewed = client.post("/api/v1/nodes/n1/enrolment-token", json={}, headers=admin)
    assert renewed.status_code == 201
    beat = client.post(
        "/api/v1/nodes/heartbeat",
        json=helpers.heartbeat_body("n1"),
        headers=helpers.bearer(credential),
    )
    assert beat.json()["must_re_enrol"] is True
    entries = client.get("/api/v1/audit", params={"action": "node.enrol"}, headers=admin).json()[
        "entries"
    ]
    assert entries[0]["actor_kind"] == "node" and entries[0]["actor_name"] == "n1"


def test_a_refused_version_is_recorded_on_the_node(
    client: TestClient, admin: dict[str, str], helpers: Any
) -> None:
    credential = _enrol(client, admin, helpers, "old-node")
    refused = client.post(
        "/api/v1/nodes/heartbeat",
        json=helpers.heartbeat_body("old-node", version="0.0.1"),
        headers=helpers.bearer(credential),
    )
    assert refused.status_code == 403 and "0.0.1" in refused.json()["detail"]
    node = _nodes(client, admin)["old-node"]  # committed although the request failed
    assert node["state"] == "refused" and "0.0.1" in node["state_reason"]


def test_watchdog_events_open_and_end(
    client: TestClient, master: Master, admin: dict[str, str], helpers: Any
) -> None:
    credential = _enrol(client, admin, helpers, "quiet-node")
    master.clock.advance(master.offline_timeout + 1)  # type: ignore[attr-defined]
    assert master.sweep() >= 1

    def events(**params: Any) -> list[dict[str, Any]]:
        reply = client.get("/api/v1/watchdog/events", params=params, headers=admin)
        assert reply.status_code == 200, reply.text
        found: list[dict[str, Any]] = reply.json()
        return found

    offline = events(open_only=True, node="quiet-node")
    assert [(e["kind"], e["source"], e["ended"]) for e in offline] == [
        ("node-offline", "quiet-node", None)
    ]
    assert offline[0]["node"] == "quiet-node"
    client.post(
        "/api/v1/nodes/heartbeat",
        json=helpers.heartbeat_body("quiet-node"),
        headers=helpers.bearer(credential),
    )
    assert events(open_only=True, node="quiet-node") == []
    ended = events(node="quiet-node", kind="node-offline")
    assert len(ended) == 1 and ended[0]["ended"] is not None
    assert events(node="quiet-node", since="2999-01-01T00:00:00Z") == []


def test_audit_csv_downloads(client: TestClient, admin: dict[str, str]) -> None:
    client.post("/api/v1/profiles", json={"name": "=cmd|' /C calc'!A0"}, headers=admin)
    reply = client.get("/api/v1/audit.csv", params={"action": "profile.*"}, headers=admin)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/csv")
    assert "attachment" in reply.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(reply.text)))
    assert rows[0][:6] == ["id", "at", "actor_kind", "actor_id", "actor_name", "action"]
    created = [r for r in rows[1:] if r[5] == "profile.create"]
    assert created and created[0][8] == "'=cmd|' /C calc'!A0"  # defused formula
    assert reply.text.endswith("\r\n")


def test_the_last_heartbeat_is_kept_as_the_nodes_health(
    client: TestClient, admin: dict[str, str], helpers: Any
) -> None:
    credential = _enrol(client, admin, helpers, "healthy-node")
    assert _nodes(client, admin)["healthy-node"]["health"] is None
    stream = {
        "camera": "gate",
        "stream": "main",
        "state": "recording",
        "writing": True,
        "recording_expected": True,
        "last_packet": 1_800_000_000.0,
    }
    disk = {
        "id": "d1",
        "path": "/srv/rec1",
        "online": True,
        "total_bytes": 1000,
        "free_bytes": 400,
    }
    body = {**helpers.heartbeat_body("healthy-node"), "streams": [stream], "disks": [disk]}
    beat = client.post("/api/v1/nodes/heartbeat", json=body, headers=helpers.bearer(credential))
    assert beat.status_code == 200, beat.text
    health = _nodes(client, admin)["healthy-node"]["health"]
    assert health["streams"][0] | stream == health["streams"][0]
    assert health["disks"][0] | disk == health["disks"][0]
    # A heartbeat without the disk: the node no longer has it.
    body["disks"] = []
    client.post("/api/v1/nodes/heartbeat", json=body, headers=helpers.bearer(credential))
    assert _nodes(client, admin)["healthy-node"]["health"]["disks"] == []
