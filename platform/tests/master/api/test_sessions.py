"""Logins through the API: the reply, one answer for every failure, lockout, tokens, logout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from argus.master.runtime import Master
from argus.master.services.login import LOGIN_FAILED, SESSION_ENDED
from argus.protocol import Right
from argus.security.tokens import TokenVerifier, load_public_key

ADMIN_PASSWORD = "correct horse battery"
USER_PASSWORD = "operator password 1"


def test_login_returns_session_profile_and_tokens(
    client: TestClient, login: Callable[[str, str], dict[str, Any]], helpers: Any
) -> None:
    reply = login("Admin", ADMIN_PASSWORD)  # user names ignore case
    assert reply["session"] and reply["expires"]
    assert reply["profile"]["username"] == "admin" and reply["profile"]["admin"] is True
    assert reply["profile"]["profile"] == "Administrators"
    me = client.get("/api/v1/me/tokens", headers=helpers.bearer(reply["session"]))
    assert me.status_code == 200 and me.json() == {"tokens": reply["tokens"]}


def test_every_failure_gets_the_same_answer_and_lockout_holds(
    client: TestClient, new_user: Callable[[], dict[str, Any]], admin: dict[str, str]
) -> None:
    user = new_user()["username"]

    def attempt(username: str, password: str) -> tuple[int, str]:
        reply = client.post("/api/v1/login", json={"username": username, "password": password})
        return reply.status_code, reply.json()["detail"]

    refused = (401, LOGIN_FAILED)
    assert attempt("nobody-at-all", "whatever password") == refused
    for _ in range(5):  # the default policy locks at the fifth failure
        assert attempt(user, "wrong password!") == refused
    assert attempt(user, USER_PASSWORD) == refused  # locked: the right password too

    # The failures were committed although the request failed: the trail has them.
    entries = client.get(
        "/api/v1/audit", params={"action": "login", "actor": user}, headers=admin
    ).json()["entries"]
    details = [e["detail"] for e in entries if e["result"] == "denied"]
    assert len(details) == 6
    assert details[0].startswith("account locked until")
    assert "locked until" in details[1]  # the fifth failure locked the account
    unknown = client.get("/api/v1/audit", params={"actor": "nobody-at-all"}, headers=admin).json()[
        "entries"
    ]
    assert [e["detail"] for e in unknown] == ["unknown user"]


def test_a_login_token_verifies_on_its_node(
    client: TestClient,
    master: Master,
    login: Callable[[str, str], dict[str, Any]],
    admin: dict[str, str],
    helpers: Any,
) -> None:
    issued = client.post("/api/v1/nodes", json={"name": "token-node"}, headers=admin).json()
    enrolled = client.post(
        "/api/v1/nodes/enrol", json=helpers.enrol_request(issued["token"], "token-node")
    )
    assert enrolled.status_code == 200, enrolled.text
    key = load_public_key(enrolled.json()["master_public_key"])

    reply = login("admin", ADMIN_PASSWORD)
    token = reply["tokens"]["token-node"]
    claims = TokenVerifier(key, "token-node", master.clock).verify(token)
    assert claims.admin and claims.name == "admin" and claims.iss == "master-test"
    assert claims.may("any-camera", Right.PTZ)
    node = next(n for n in reply["profile"]["nodes"] if n["name"] == "token-node")
    assert node["address"] == "http://127.0.0.1:5009/token-node"

    fresh = client.get("/api/v1/me/tokens", headers=helpers.bearer(reply["session"])).json()
    assert TokenVerifier(key, "token-node", master.clock).verify(fresh["tokens"]["token-node"])


def test_a_user_without_rights_gets_no_node_token(
    client: TestClient,
    login: Callable[[str, str], dict[str, Any]],
    new_user: Callable[[], dict[str, Any]],
) -> None:
    user = new_user()
    reply = login(user["username"], USER_PASSWORD)
    assert reply["profile"]["admin"] is False
    assert reply["tokens"] == {}  # no camera on any node: nothing to sign


def test_logout_ends_the_session(
    client: TestClient, login: Callable[[str, str], dict[str, Any]], helpers: Any
) -> None:
    headers = helpers.bearer(login("admin", ADMIN_PASSWORD)["session"])
    assert client.post("/api/v1/logout", headers=headers).status_code == 204
    after = client.get("/api/v1/me/tokens", headers=headers)
    assert after.status_code == 401 and after.json()["detail"] == SESSION_ENDED
    assert after.headers["www-authenticate"] == "Bearer"
    assert client.post("/api/v1/logout", headers=headers).status_code == 401


def test_an_idle_session_expires(
    client: TestClient, master: Master, login: Callable[[str, str], dict[str, Any]], helpers: Any
) -> None:
    headers = helpers.bearer(login("admin", ADMIN_PASSWORD)["session"])
    assert client.get("/api/v1/me/tokens", headers=headers).status_code == 200
    master.clock.advance(13 * 3600)  # type: ignore[attr-defined]  # ManualClock
    assert client.get("/api/v1/me/tokens", headers=headers).status_code == 401


def test_changing_ones_own_password_needs_the_current_one(
    client: TestClient,
    login: Callable[[str, str], dict[str, Any]],
    new_user: Callable[[], dict[str, Any]],
    helpers: Any,
) -> None:
    user = new_user()
    headers = helpers.bearer(login(user["username"], USER_PASSWORD)["session"])
    path = f"/api/v1/users/{user['id']}/password"
    missing = client.put(path, json={"new_password": "a new password 2"}, headers=headers)
    assert missing.status_code == 403
    changed = client.put(
        path,
        json={"new_password": "a new password 2", "old_password": USER_PASSWORD},
        headers=headers,
    )
    assert changed.status_code == 204, changed.text
    assert login(user["username"], "a new password 2")["profile"]["username"] == user["username"]


def test_a_login_makes_the_profile_once(
    client: TestClient, login: Callable[[str, str], dict[str, Any]], monkeypatch: Any
) -> None:
    from argus.master.services import access

    made: list[str] = []
    real = access.profile_for

    def counted(session: Any, user: Any) -> access.UserProfile:
        made.append(user.username)
        return real(session, user)

    monkeypatch.setattr(access, "profile_for", counted)
    reply = login("admin", ADMIN_PASSWORD)
    assert made == ["admin"]  # for the download and the tokens alike
    assert sorted(reply["tokens"]) == sorted(n["name"] for n in reply["profile"]["nodes"])
