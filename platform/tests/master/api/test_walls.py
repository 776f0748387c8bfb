"""Video walls through the API, on every engine: admins create them, users drive them with
the cameras they may watch, every change is audited and raises the version."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient

_n = itertools.count()


def test_a_wall_is_created_driven_and_removed(
    client: TestClient,
    admin: dict[str, str],
    login: Any,
    helpers: Any,
) -> None:
    name = f"Lobby wall {next(_n)}"
    created = client.post("/api/v1/walls", json={"name": name, "layout": 4}, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["cameras"] == [] and created.json()["version"] == 1
    again = client.post("/api/v1/walls", json={"name": name}, headers=admin)
    assert again.status_code == 409

    shown = client.put(
        f"/api/v1/walls/{name}", json={"layout": 1, "cameras": ["cam-x"]}, headers=admin
    )
    assert shown.status_code == 200, shown.text
    assert shown.json()["layout"] == 1 and shown.json()["version"] == 2
    assert shown.json()["changed_by"] == "admin"
    assert client.get(f"/api/v1/walls/{name}", headers=admin).json()["cameras"] == ["cam-x"]
    too_many = client.put(
        f"/api/v1/walls/{name}", json={"layout": 1, "cameras": ["a", "b"]}, headers=admin
    )
    assert too_many.status_code == 422
    odd = client.put(f"/api/v1/walls/{name}", json={"layout": 3, "cameras": []}, headers=admin)
    assert odd.status_code == 422 and "1, 4, 9 or 16" in odd.json()["detail"]

    trail = client.get("/api/v1/audit", params={"action": "wall.*"}, headers=admin).json()
    actions = [(e["action"], e["target_id"]) for e in trail["entries"] if e["target_id"] == name]
    assert ("wall.create", name) in actions and ("wall.show", name) in actions
    entry = next(e for e in trail["entries"] if e["action"] == "wall.show")
    assert entry["before"]["cameras"] == [] and entry["after"]["cameras"] == ["cam-x"]

    assert client.delete(f"/api/v1/walls/{name}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/walls/{name}", headers=admin).status_code == 404


def test_a_user_puts_only_cameras_they_may_watch_live(
    client: TestClient,
    admin: dict[str, str],
    login: Any,
    new_user: Any,
) -> None:
    name = f"Control room {next(_n)}"
    assert client.post("/api/v1/walls", json={"name": name}, headers=admin).status_code == 201
    user = new_user()  # may watch every camera live (the conftest's "Viewers")
    session = login(user["username"], "operator password 1")["session"]
    headers = {"Authorization": f"Bearer {session}"}
    assert client.get("/api/v1/walls", headers=headers).status_code == 200
    empty = client.put(f"/api/v1/walls/{name}", json={"layout": 4, "cameras": []}, headers=headers)
    assert empty.status_code == 200
    # No such camera exists, so no profile grants it: refused and recorded as denied.
    refused = client.put(
        f"/api/v1/walls/{name}", json={"layout": 4, "cameras": ["not-mine"]}, headers=headers
    )
    assert refused.status_code == 403 and "not-mine" in refused.json()["detail"]
    denied = client.get(
        "/api/v1/audit",
        params={"actor": user["username"], "result": "denied"},
        headers=admin,
    ).json()["entries"]
    assert [e["action"] for e in denied] == ["wall.show"]
    creating = client.post("/api/v1/walls", json={"name": "mine"}, headers=headers)
    assert creating.status_code == 403
