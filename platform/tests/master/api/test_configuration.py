"""The configuration API: admins edit devices, groups and storage; a node fetches its own
desired configuration with its credential, and only its own. On every engine."""

from __future__ import annotations

import itertools
import stat
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from argus.master.runtime import Master
from argus.master.services.secrets import KEY_FILE
from argus.protocol import NodeDesiredConfig

PASSWORD = "api-Pa55word-plugh"
_n = itertools.count()


@pytest.fixture
def nodes(client: TestClient, admin: dict[str, str], helpers: Any) -> tuple[str, str, str, str]:
    """Two enrolled nodes: (name a, credential a, name b, credential b)."""
    out: list[str] = []
    for _ in range(2):
        name = f"cfg-node-{next(_n)}"
        token = client.post("/api/v1/nodes", json={"name": name}, headers=admin).json()["token"]
        reply = client.post("/api/v1/nodes/enrol", json=helpers.enrol_request(token, name))
        assert reply.status_code == 200, reply.text
        out += [name, reply.json()["credential"]]
    return out[0], out[1], out[2], out[3]


def version_of(client: TestClient, admin: dict[str, str], name: str) -> int:
    nodes = client.get("/api/v1/nodes", headers=admin).json()
    version: int = next(n["desired_config_version"] for n in nodes if n["name"] == name)
    return version


def fetch(client: TestClient, helpers: Any, node: str, credential: str | None) -> Any:
    headers = helpers.bearer(credential) if credential is not None else {}
    return client.get("/api/v1/nodes/config", params={"node_id": node}, headers=headers)


def device_body(ident: str, **extra: Any) -> dict[str, Any]:
    return {
        "ident": ident,
        "driver": "onvif",
        "settings": {"address": "10.0.0.9"},
        "credentials": {"username": "viewer", "password": PASSWORD},
        **extra,
    }


def test_a_device_reaches_its_node_only_with_its_credentials(
    client: TestClient, admin: dict[str, str], helpers: Any, nodes: tuple[str, str, str, str]
) -> None:
    node_a, cred_a, node_b, cred_b = nodes
    ident = f"dev-{next(_n)}"
    before = version_of(client, admin, node_a)
    reply = client.post(f"/api/v1/nodes/{node_a}/devices", json=device_body(ident), headers=admin)
    assert reply.status_code == 201, reply.text
    assert PASSWORD not in reply.text and "viewer" not in reply.text
    assert reply.json()["has_credentials"] is True
    assert reply.json()["cameras"] == [
        {"channel": 0, "ident": ident, "name": ident, "enabled": True}
    ]
    version = version_of(client, admin, node_a)
    assert version == before + 1

    # The heartbeat reply names the new version.
    beat = client.post(
        "/api/v1/nodes/heartbeat",
        json=helpers.heartbeat_body(node_a),
        headers=helpers.bearer(cred_a),
    )
    assert beat.status_code == 200 and beat.json()["desired_config_version"] == version

    mine = fetch(client, helpers, node_a, cred_a)
    assert mine.status_code == 200, mine.text
    config = NodeDesiredConfig.model_validate(mine.json())
    assert config.version == version
    [device] = config.devices
    assert device.id == ident and device.record == ["main"]
    assert device.settings == {"address": "10.0.0.9", "username": "viewer", "password": PASSWORD}

    # Node b: its own configuration has none of a's; a's needs a's credential.
    theirs = fetch(client, helpers, node_b, cred_b)
    assert theirs.status_code == 200 and PASSWORD not in theirs.text
    assert theirs.json()["devices"] == []
    stolen = fetch(client, helpers, node_a, cred_b)
    assert stolen.status_code == 401 and PASSWORD not in stolen.text
    for refused in (
        fetch(client, helpers, node_a, None),
        fetch(client, helpers, node_a, "forged"),
        client.get("/api/v1/nodes/config", headers=helpers.bearer(cred_a)),
        client.get("/api/v1/nodes/config", params={"node_id": node_a}, headers=admin),
    ):
        assert refused.status_code == 401, refused.text
        assert PASSWORD not in refused.text

    got = client.get(f"/api/v1/devices/{ident}", headers=admin)
    assert got.status_code == 200 and PASSWORD not in got.text
    listed = client.get(f"/api/v1/nodes/{node_a}/devices", headers=admin)
    assert [d["ident"] for d in listed.json()] == [ident] and PASSWORD not in listed.text


def test_the_trail_never_holds_the_password(
    client: TestClient, admin: dict[str, str], master: Master, nodes: tuple[str, str, str, str]
) -> None:
    node_a = nodes[0]
    ident = f"dev-{next(_n)}"
    client.post(f"/api/v1/nodes/{node_a}/devices", json=device_body(ident), headers=admin)
    change = {"credentials": {"username": "viewer", "password": PASSWORD + "2"}}
    assert client.patch(f"/api/v1/devices/{ident}", json=change, headers=admin).status_code == 200
    trail = client.get("/api/v1/audit", params={"target_id": ident}, headers=admin)
    actions = [e["action"] for e in trail.json()["entries"]]
    assert actions == ["device.update", "device.create"]
    assert PASSWORD not in trail.text
    assert PASSWORD not in client.get("/api/v1/audit.csv", headers=admin).text
    with master.session() as session:
        rows = session.execute(text("SELECT * FROM audit_entry")).all()
    assert PASSWORD not in "\n".join(repr(tuple(r)) for r in rows)
    key = master.data_dir / KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_disable_and_remove_bump_the_version(
    client: TestClient, admin: dict[str, str], helpers: Any, nodes: tuple[str, str, str, str]
) -> None:
    node_a, cred_a = nodes[0], nodes[1]
    keep, other = f"dev-{next(_n)}", f"dev-{next(_n)}"
    for ident in (keep, other):
        reply = client.post(
            f"/api/v1/nodes/{node_a}/devices", json=device_body(ident), headers=admin
        )
        assert reply.status_code == 201, reply.text
    version = version_of(client, admin, node_a)
    reply = client.patch(f"/api/v1/devices/{other}", json={"enabled": False}, headers=admin)
    assert reply.status_code == 200 and reply.json()["enabled"] is False
    assert version_of(client, admin, node_a) == version + 1
    assert [d["id"] for d in fetch(client, helpers, node_a, cred_a).json()["devices"]] == [keep]

    assert client.delete(f"/api/v1/devices/{keep}", headers=admin).status_code == 204
    assert version_of(client, admin, node_a) == version + 2
    config = fetch(client, helpers, node_a, cred_a).json()
    assert config["devices"] == [] and config["version"] == version + 2
    assert client.get(f"/api/v1/devices/{keep}", headers=admin).status_code == 404


def test_storage_and_groups(
    client: TestClient, admin: dict[str, str], helpers: Any, nodes: tuple[str, str, str, str]
) -> None:
    node_a, cred_a = nodes[0], nodes[1]
    empty = client.get(f"/api/v1/nodes/{node_a}/storage", headers=admin).json()
    assert empty["backend"] is None
    body = {"backend": "segments", "settings": {"disks": ["/srv/a"]}}
    reply = client.put(f"/api/v1/nodes/{node_a}/storage", json=body, headers=admin)
    assert reply.status_code == 200, reply.text
    assert reply.json()["desired_config_version"] == empty["desired_config_version"] + 1
    storage = fetch(client, helpers, node_a, cred_a).json()["storage"]
    assert storage == {"backend": "segments", "settings": {"disks": ["/srv/a"]}}

    ident = f"dev-{next(_n)}"
    client.post(f"/api/v1/nodes/{node_a}/devices", json=device_body(ident), headers=admin)
    group = f"Group {next(_n)}"
    created = client.post("/api/v1/camera-groups", json={"name": group}, headers=admin)
    assert created.status_code == 201, created.text
    taken = client.post("/api/v1/camera-groups", json={"name": group.upper()}, headers=admin)
    assert taken.status_code == 409
    renamed = client.patch(
        f"/api/v1/camera-groups/{group}", json={"name": group + "b"}, headers=admin
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == group + "b"
    members = client.put(
        f"/api/v1/camera-groups/{group}b/members", json={"cameras": [ident]}, headers=admin
    )
    assert members.status_code == 200 and members.json()["cameras"] == [ident]
    missing = client.put(
        f"/api/v1/camera-groups/{group}b/members", json={"cameras": ["ghost"]}, headers=admin
    )
    assert missing.status_code == 404
    listed = client.get("/api/v1/camera-groups", headers=admin).json()
    assert {"name": group + "b", "cameras": [ident]}.items() <= next(
        g for g in listed if g["name"] == group + "b"
    ).items()
    assert client.delete(f"/api/v1/camera-groups/{group}b", headers=admin).status_code == 204


def test_bad_requests_are_refused_with_their_reason(
    client: TestClient, admin: dict[str, str], nodes: tuple[str, str, str, str]
) -> None:
    node_a = nodes[0]
    secret = device_body(f"dev-{next(_n)}", settings={"password": PASSWORD})
    reply = client.post(f"/api/v1/nodes/{node_a}/devices", json=secret, headers=admin)
    assert reply.status_code == 422 and "credentials" in reply.json()["detail"]
    ghost = client.post("/api/v1/nodes/ghost-node/devices", json=device_body("x1"), headers=admin)
    assert ghost.status_code == 404
    ident = f"dev-{next(_n)}"
    assert (
        client.post(
            f"/api/v1/nodes/{node_a}/devices", json=device_body(ident), headers=admin
        ).status_code
        == 201
    )
    again = client.post(f"/api/v1/nodes/{node_a}/devices", json=device_body(ident), headers=admin)
    assert again.status_code == 409


def test_cameras_are_edited_and_reach_the_node(
    client: TestClient, admin: dict[str, str], helpers: Any, nodes: tuple[str, str, str, str]
) -> None:
    node_a, cred_a = nodes[0], nodes[1]
    ident = f"enc-{next(_n)}"
    cameras = [{"channel": c} for c in range(3)]
    reply = client.post(
        f"/api/v1/nodes/{node_a}/devices",
        json=device_body(ident, cameras=cameras),
        headers=admin,
    )
    assert reply.status_code == 201, reply.text
    assert [c["ident"] for c in reply.json()["cameras"]] == [f"{ident}-ch{c}" for c in (1, 2, 3)]

    # One camera renamed and disabled on its own; the version moves each time.
    before = version_of(client, admin, node_a)
    change = {"name": "Back door", "enabled": False}
    edited = client.patch(f"/api/v1/cameras/{ident}-ch2", json=change, headers=admin)
    assert edited.status_code == 200, edited.text
    assert edited.json()["cameras"][1] == {
        "channel": 1,
        "ident": f"{ident}-ch2",
        "name": "Back door",
        "enabled": False,
    }
    assert version_of(client, admin, node_a) == before + 1

    # The whole list: channel 0 stays (its id too), 2 goes, 5 comes.
    body = {"cameras": [{"channel": 0, "name": "Front"}, {"channel": 1}, {"channel": 5}]}
    replaced = client.patch(f"/api/v1/devices/{ident}", json=body, headers=admin)
    assert replaced.status_code == 200, replaced.text
    assert [(c["channel"], c["ident"], c["name"]) for c in replaced.json()["cameras"]] == [
        (0, f"{ident}-ch1", "Front"),
        (1, f"{ident}-ch2", f"{ident}-ch2"),
        (5, f"{ident}-ch6", f"{ident}-ch6"),
    ]
    renamed = {"cameras": [{"channel": 0, "ident": "elsewhere"}]}
    refused = client.patch(f"/api/v1/devices/{ident}", json=renamed, headers=admin)
    assert refused.status_code == 422 and "keeps its id" in refused.json()["detail"]

    config = NodeDesiredConfig.model_validate(fetch(client, helpers, node_a, cred_a).json())
    [device] = [d for d in config.devices if d.id == ident]
    assert [(c.channel, c.id, c.enabled) for c in device.cameras] == [
        (0, f"{ident}-ch1", True),
        (1, f"{ident}-ch2", True),
        (5, f"{ident}-ch6", True),
    ]

    trail = client.get("/api/v1/audit", params={"action": "camera.update"}, headers=admin)
    [entry] = [e for e in trail.json()["entries"] if e["target_id"] == f"{ident}-ch2"]
    assert entry["before"]["enabled"] is True and entry["after"]["enabled"] is False
    missing = client.patch("/api/v1/cameras/no-such-camera", json=change, headers=admin)
    assert missing.status_code == 404


def test_a_granted_camera_cannot_be_dropped_from_its_device(
    client: TestClient, admin: dict[str, str], nodes: tuple[str, str, str, str]
) -> None:
    ident = f"enc-{next(_n)}"
    body = device_body(ident, cameras=[{"channel": 0}, {"channel": 1}])
    assert client.post(f"/api/v1/nodes/{nodes[0]}/devices", json=body, headers=admin).is_success
    grant = {"scope": "camera", "right": "live", "target": f"{ident}-ch2"}
    profile = client.post(
        "/api/v1/profiles", json={"name": f"P-{ident}", "grants": [grant]}, headers=admin
    )
    assert profile.status_code == 201, profile.text
    drop = client.patch(
        f"/api/v1/devices/{ident}", json={"cameras": [{"channel": 0}]}, headers=admin
    )
    assert drop.status_code == 409 and f"P-{ident}" in drop.json()["detail"]
    cameras = client.get(f"/api/v1/devices/{ident}", headers=admin).json()["cameras"]
    assert len(cameras) == 2
