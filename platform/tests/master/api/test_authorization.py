"""The authorization matrix: every route refuses a caller without a valid session, admin
routes refuse a user without the administer right, and every admin change is audited."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from argus.master.api import create_app
from argus.master.config import MasterConfig, MasterSection
from argus.master.runtime import ADMIN_PASSWORD_ENV, Master
from argus_sdk.testing import ManualClock

USER_PASSWORD = "operator password 1"
#: A well-formed backup body (what it restores does not matter to the matrix).
EMPTY_SERVER_BACKUP = {"format": "argus-backup", "version": 1, "kind": "server", "tables": {}}

#: Every route that needs a session: (method, path, JSON body); ids need not exist.
ADMIN_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/v1/users", None),
    ("POST", "/api/v1/users", {"username": "x1", "password": None, "profile_id": 1}),
    ("GET", "/api/v1/users/1", None),
    ("PATCH", "/api/v1/users/1", {"display_name": "X"}),
    ("PUT", "/api/v1/users/1/password", {"new_password": "another password"}),
    ("DELETE", "/api/v1/users/1", None),
    ("GET", "/api/v1/profiles", None),
    ("POST", "/api/v1/profiles", {"name": "P"}),
    ("PATCH", "/api/v1/profiles/1", {"name": "P2"}),
    ("PUT", "/api/v1/profiles/1/grants", {"grants": []}),
    ("DELETE", "/api/v1/profiles/1", None),
    ("GET", "/api/v1/nodes", None),
    ("POST", "/api/v1/nodes", {"name": "n-denied"}),
    ("POST", "/api/v1/nodes/n-denied/enrolment-token", {}),
    ("GET", "/api/v1/watchdog/events", None),
    ("GET", "/api/v1/audit", None),
    ("GET", "/api/v1/audit.csv", None),
    ("GET", "/api/v1/nodes/n-denied/devices", None),
    ("POST", "/api/v1/nodes/n-denied/devices", {"ident": "d-denied", "driver": "sim"}),
    ("GET", "/api/v1/devices/{ident}", None),
    ("PATCH", "/api/v1/devices/{ident}", {"enabled": False}),
    ("DELETE", "/api/v1/devices/{ident}", None),
    ("PATCH", "/api/v1/cameras/{ident}", {"enabled": False}),
    ("POST", "/api/v1/walls", {"name": "W-denied"}),
    ("GET", "/api/v1/drivers", None),
    ("GET", "/api/v1/packages", None),
    ("POST", "/api/v1/packages?filename=acme-1.0-py3-none-any.whl", None),
    ("GET", "/api/v1/packages/installed", None),
    ("POST", "/api/v1/packages/pin", {"package": "acme==1.0"}),
    ("POST", "/api/v1/packages/unpin", {"project": "acme"}),
    ("POST", "/api/v1/packages/remove", {"project": "acme"}),
    ("GET", "/api/v1/rollouts", None),
    ("POST", "/api/v1/rollouts", {"package": "acme==1.0"}),
    ("GET", "/api/v1/rollouts/1", None),
    ("POST", "/api/v1/rollouts/1/halt", {}),
    ("POST", "/api/v1/rollouts/1/resume", {}),
    ("POST", "/api/v1/rollouts/1/cancel", None),
    ("DELETE", "/api/v1/walls/n-denied", None),
    ("GET", "/api/v1/nodes/n-denied/storage", None),
    ("PUT", "/api/v1/nodes/n-denied/storage", {"backend": "segments"}),
    ("GET", "/api/v1/camera-groups", None),
    ("POST", "/api/v1/camera-groups", {"name": "G-denied"}),
    ("PATCH", "/api/v1/camera-groups/n-denied", {"name": "G2-denied"}),
    ("PUT", "/api/v1/camera-groups/n-denied/members", {"cameras": []}),
    ("DELETE", "/api/v1/camera-groups/n-denied", None),
    ("GET", "/api/v1/system/version-policy", None),
    ("PUT", "/api/v1/system/version-policy", {"spec": ">=0.1"}),
    ("GET", "/api/v1/system/backup", None),
    ("POST", "/api/v1/system/restore", EMPTY_SERVER_BACKUP),
]
USER_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/api/v1/logout", None),
    ("GET", "/api/v1/me/tokens", None),
    ("GET", "/api/v1/spotter/plugins", None),
    ("GET", "/api/v1/walls", None),
    ("GET", "/api/v1/walls/n-denied", None),
    ("PUT", "/api/v1/walls/n-denied", {"layout": 1, "cameras": []}),
    # Node-facing: a session (or nothing) is not a node credential.
    ("GET", "/api/v1/nodes/config", None),
]
ALL_ROUTES = ADMIN_ROUTES + USER_ROUTES


def _id(route: tuple[str, str, Any]) -> str:
    return f"{route[0]} {route[1]}"


@pytest.fixture(scope="module")
def ended_session(login: Callable[[str, str], dict[str, Any]], client: TestClient) -> str:
    secret: str = login("admin", "correct horse battery")["session"]
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.post("/api/v1/logout", headers=headers).status_code == 204
    return secret


@pytest.fixture(scope="module")
def expired_session(login: Callable[[str, str], dict[str, Any]], master: Master) -> str:
    """A session left idle past the idle timeout (12 h by default)."""
    secret: str = login("admin", "correct horse battery")["session"]
    master.clock.advance(master.login_policy.idle_timeout.total_seconds() + 1)  # type: ignore[attr-defined]
    return secret


def test_the_matrix_covers_every_route(client: TestClient) -> None:
    """A route added without a row here fails this test."""
    paths = client.get("/openapi.json").json()["paths"]
    routes = {(m.upper(), p) for p, ops in paths.items() for m in ops}
    public = {
        ("POST", "/api/v1/login"),
        ("POST", "/api/v1/nodes/enrol"),
        ("POST", "/api/v1/nodes/heartbeat"),
        # Node credentials (test_rollouts.py: test_the_repository_serves_enrolled_nodes_only).
        ("GET", "/api/v1/repository/metadata/{name}"),
        ("GET", "/api/v1/repository/targets/{path}"),
    }
    templated = {
        (m, p.replace("/1", "/{user_id}", 1) if "/users/" in p else p.split("?")[0])
        for m, p, _ in ALL_ROUTES
    }
    templated = {
        (
            m,
            p.replace("/profiles/1", "/profiles/{profile_id}")
            .replace("/rollouts/1", "/rollouts/{rollout_id}")
            .replace("n-denied", "{name}"),
        )
        for m, p in templated
    }
    assert routes == templated | public


@pytest.mark.parametrize("route", ALL_ROUTES, ids=_id)
@pytest.mark.parametrize("credential", ["none", "garbage", "ended", "expired", "basic"])
def test_without_a_valid_session_every_route_is_refused(
    client: TestClient,
    ended_session: str,
    expired_session: str,
    route: tuple[str, str, Any],
    credential: str,
) -> None:
    headers = {
        "none": {},
        "garbage": {"Authorization": "Bearer not-a-session-secret"},
        "ended": {"Authorization": f"Bearer {ended_session}"},
        "expired": {"Authorization": f"Bearer {expired_session}"},
        "basic": {"Authorization": "Basic YWRtaW46eA=="},
    }[credential]
    method, path, body = route
    reply = client.request(method, path, json=body, headers=headers)
    assert reply.status_code == 401, reply.text
    assert reply.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=_id)
def test_admin_routes_refuse_a_user_without_administer(
    client: TestClient,
    new_user: Callable[[], dict[str, Any]],
    login: Callable[[str, str], dict[str, Any]],
    admin: dict[str, str],
    route: tuple[str, str, Any],
) -> None:
    user = new_user()
    headers = {"Authorization": f"Bearer {login(user['username'], USER_PASSWORD)['session']}"}
    method, path, body = route
    reply = client.request(method, path, json=body, headers=headers)
    assert reply.status_code == 403, reply.text
    assert "administer" in reply.json()["detail"]
    # The refusal was committed with the error: the trail shows it as denied.
    denied = client.get(
        "/api/v1/audit", params={"actor": user["username"], "result": "denied"}, headers=admin
    ).json()["entries"]
    assert len(denied) == 1 and denied[0]["client_address"] == "testclient"


def test_node_routes_refuse_bad_node_credentials(client: TestClient, helpers: Any) -> None:
    body = helpers.heartbeat_body("ghost")
    assert client.post("/api/v1/nodes/heartbeat", json=body).status_code == 401
    wrong = client.post("/api/v1/nodes/heartbeat", json=body, headers=helpers.bearer("forged"))
    assert wrong.status_code == 401
    enrol = client.post("/api/v1/nodes/enrol", json=helpers.enrol_request("forged", "ghost"))
    assert enrol.status_code == 403 and "enrolment token" in enrol.json()["detail"]


def test_every_admin_change_appears_in_the_audit_trail(
    client: TestClient, master: Master, admin: dict[str, str]
) -> None:
    def call(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        reply = client.request(method, "/api/v1" + path, json=body, headers=admin)
        assert reply.status_code < 300, reply.text
        return reply.json() if reply.content else None

    profile = call("POST", "/profiles", {"name": "Guards", "description": "night shift"})
    call("PATCH", f"/profiles/{profile['id']}", {"description": "day and night"})
    grants = {"grants": [{"scope": "all", "right": "playback"}]}
    assert call("PUT", f"/profiles/{profile['id']}/grants", grants)["grants"] == [
        {"scope": "all", "right": "playback", "target": ""}
    ]
    body = {"username": "Guard.One", "password": "guard password 1", "profile_id": profile["id"]}
    user = call("POST", "/users", body)
    assert user["username"] == "guard.one"
    call("PATCH", f"/users/{user['id']}", {"display_name": "Guard One", "enabled": False})
    call("PUT", f"/users/{user['id']}/password", {"new_password": "guard password 2"})
    call("DELETE", f"/users/{user['id']}")
    call("DELETE", f"/profiles/{profile['id']}")
    call("POST", "/nodes", {"name": "audited-node"})
    call("POST", "/nodes/audited-node/enrolment-token", {"ttl_hours": 1})

    entries = call("GET", "/audit?actor=admin&limit=50")["entries"]
    actions = [e["action"] for e in entries if e["result"] == "ok"]
    for action in (
        "profile.create",
        "profile.update",
        "profile.grants",
        "user.create",
        "user.display_name",
        "user.disable",
        "user.password",
        "user.delete",
        "profile.delete",
        "node.create",
        "node.enrolment_token",
    ):
        assert action in actions, action
    by_action = {e["action"]: e for e in entries}
    assert by_action["user.display_name"]["after"]["display_name"] == "Guard One"
    assert by_action["user.password"]["after"]["password_hash"] == "[redacted]"
    assert by_action["profile.grants"]["before"]["grants"] == []
    assert "token" not in str(by_action["node.create"]["after"]).replace("enrolment", "")

    page = call("GET", "/audit?actor=admin&action=user.*&limit=2&offset=1")["entries"]
    assert [e["action"] for e in page] == ["user.password", "user.disable"]


def test_service_errors_map_to_statuses(client: TestClient, admin: dict[str, str]) -> None:
    missing = client.get("/api/v1/users/999999", headers=admin)
    assert missing.status_code == 404 and "does not exist" in missing.json()["detail"]
    taken = client.post("/api/v1/profiles", json={"name": "administrators"}, headers=admin)
    assert taken.status_code == 409
    invalid = client.post("/api/v1/nodes", json={"name": "bad name!"}, headers=admin)
    assert invalid.status_code == 422 and "not a valid node id" in invalid.json()["detail"]
    naive = client.get("/api/v1/audit", params={"since": "2024-01-01T00:00:00"}, headers=admin)
    assert naive.status_code == 422 and "time zone" in naive.json()["detail"]
    me = client.get("/api/v1/users", headers=admin).json()
    admin_id = next(u["id"] for u in me if u["username"] == "admin")
    last = client.delete(f"/api/v1/users/{admin_id}", headers=admin)
    assert last.status_code == 409 and "no enabled administrator" in last.json()["detail"]


def test_a_failed_request_leaves_no_change(
    client: TestClient, admin: dict[str, str], new_user: Callable[[], dict[str, Any]]
) -> None:
    user = new_user()
    path = f"/api/v1/users/{user['id']}"
    reply = client.patch(
        path, json={"display_name": "Half Done", "profile_id": 999999}, headers=admin
    )
    assert reply.status_code == 404
    assert client.get(path, headers=admin).json()["display_name"] == ""
    trail = client.get(
        "/api/v1/audit",
        params={"target_id": str(user["id"]), "action": "user.display_name"},
        headers=admin,
    )
    # Row ids of deleted users come back on SQLite: only this user's entries count.
    names = [e["target_name"] for e in trail.json()["entries"]]
    assert user["username"] not in names


def test_system_changes_appear_in_the_audit_trail(
    client: TestClient, master: Master, admin: dict[str, str]
) -> None:
    def call(method: str, path: str, body: Any = None, **params: str) -> Any:
        reply = client.request(method, "/api/v1" + path, json=body, params=params, headers=admin)
        assert reply.status_code < 300, reply.text
        return reply.json() if reply.content else None

    before = call("GET", "/system/version-policy")["spec"]
    assert call("PUT", "/system/version-policy", {"spec": "~=0.1"})["spec"] == "~=0.1"
    call("PUT", "/system/version-policy", {"spec": before})
    call("POST", "/nodes", {"name": "backed-up"})
    call("POST", "/nodes/backed-up/devices", {"ident": "backed-up-gate", "driver": "sim"})
    document = call("GET", "/system/backup", server="backed-up")
    assert [d["ident"] for d in document["tables"]["device"]] == ["backed-up-gate"]
    call("DELETE", "/devices/backed-up-gate")
    restored = call("POST", "/system/restore", document, server="backed-up")
    assert restored["rows"]["device"] == 1
    assert call("GET", "/devices/backed-up-gate")["node"] == "backed-up"
    system = call("GET", "/system/backup")
    assert system["kind"] == "system" and system["tables"]["node"]

    entries = call("GET", "/audit", actor="admin", limit="20")["entries"]
    by_action = {e["action"]: e for e in reversed(entries) if e["result"] == "ok"}  # newest
    assert by_action["system.version_policy"]["before"] == {"spec": "~=0.1"}
    assert by_action["system.version_policy"]["after"] == {"spec": before}
    for action in ("backup.server", "restore.server", "backup.system"):
        assert action in by_action, action
    assert by_action["restore.server"]["target_id"] == "backed-up"
    assert "1 device" in by_action["restore.server"]["detail"]


def test_system_errors_say_what_to_do(client: TestClient, admin: dict[str, str]) -> None:
    bad = client.put("/api/v1/system/version-policy", json={"spec": "0.1+"}, headers=admin)
    assert bad.status_code == 422 and "not a valid version policy" in bad.json()["detail"]
    client.post("/api/v1/nodes", json={"name": "not-fresh"}, headers=admin)
    system = client.get("/api/v1/system/backup", headers=admin).json()
    taken = client.post("/api/v1/system/restore", json=system, headers=admin)
    assert taken.status_code == 409 and "fresh master" in taken.json()["detail"], taken.text
    other_kind = client.post(
        "/api/v1/system/restore", json=system, params={"server": "n1"}, headers=admin
    )
    assert other_kind.status_code == 422 and "system backup" in other_kind.json()["detail"]
    nowhere = client.post(
        "/api/v1/system/restore",
        json=EMPTY_SERVER_BACKUP,
        params={"server": "nowhere"},
        headers=admin,
    )
    assert nowhere.status_code == 404 and "no node named 'nowhere'" in nowhere.json()["detail"]
    junk = dict(EMPTY_SERVER_BACKUP, format="zip")
    refused = client.post("/api/v1/system/restore", json=junk, headers=admin)
    assert refused.status_code == 422 and "not an Argus backup" in refused.json()["detail"]
    missing = client.get("/api/v1/system/backup", params={"server": "nowhere"}, headers=admin)
    assert missing.status_code == 404


def test_a_system_backup_restores_onto_a_fresh_running_master(
    client: TestClient,
    admin: dict[str, str],
    engine: Engine,
    tmp_path: Path,
    helpers: Any,
) -> None:
    """On each engine: what the first start created is replaced, ids and sequences line
    up (a row added afterwards gets a new id), every session ends, and the restore is
    audited on the target."""
    client.post("/api/v1/nodes", json={"name": "copied-node"}, headers=admin)
    device = {"ident": "copied-gate", "driver": "sim", "credentials": {"password": "pw"}}
    client.post("/api/v1/nodes/copied-node/devices", json=device, headers=admin)
    document = client.get("/api/v1/system/backup", headers=admin).json()
    config = MasterConfig(master=MasterSection(id="fresh", data_dir=tmp_path))
    fresh = Master(config, engine=engine, clock=ManualClock(1_800_000_000.0))
    fresh.start({ADMIN_PASSWORD_ENV: "another admin password"})
    with TestClient(create_app(fresh)) as other:
        login = {"username": "admin", "password": "another admin password"}
        headers = helpers.bearer(other.post("/api/v1/login", json=login).json()["session"])
        restored = other.post("/api/v1/system/restore", json=document, headers=headers)
        assert restored.status_code == 200, restored.text
        assert restored.json()["rows"]["node"] == len(document["tables"]["node"])
        assert other.get("/api/v1/users", headers=headers).status_code == 401
        # The backup's administrator password now opens the fresh master.
        login["password"] = "correct horse battery"
        reply = other.post("/api/v1/login", json=login)
        assert reply.status_code == 200, reply.text
        headers = helpers.bearer(reply.json()["session"])
        nodes = [n["name"] for n in other.get("/api/v1/nodes", headers=headers).json()]
        assert nodes == sorted(r["name"] for r in document["tables"]["node"])
        added = other.post("/api/v1/profiles", json={"name": "After restore"}, headers=headers)
        assert added.status_code == 201, added.text
        ids = [p["id"] for p in document["tables"]["profile"]]
        assert added.json()["id"] > max(ids)
        copied = other.get("/api/v1/devices/copied-gate", headers=headers).json()
        assert copied["has_credentials"] is True
        trail = other.get("/api/v1/audit", params={"action": "restore.*"}, headers=headers)
        assert [e["action"] for e in trail.json()["entries"]] == ["restore.system"]
    fresh.close()
