"""Fixtures: the master API in-process (FastAPI TestClient) on the module's ``migrated`` engine.

Each test module gets one :class:`Master` with a manual clock on a fresh database of the
module's engine (SQLite, PostgreSQL, MariaDB), bootstrapped with the administrator
``admin`` / :data:`ADMIN_PASSWORD`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from argus import __version__
from argus.master.api import create_app
from argus.master.config import MasterConfig, MasterSection
from argus.master.runtime import ADMIN_PASSWORD_ENV, Master
from argus_sdk.testing import ManualClock

ADMIN_PASSWORD = "correct horse battery"
USER_PASSWORD = "operator password 1"
Login = Callable[[str, str], dict[str, Any]]
Headers = dict[str, str]
_names = itertools.count()


@pytest.fixture(scope="module")
def master(migrated: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Master]:
    data: Path = tmp_path_factory.mktemp("master")
    config = MasterConfig(master=MasterSection(id="master-test", data_dir=data))
    master = Master(config, engine=migrated, clock=ManualClock(1_800_000_000.0))
    master.start({ADMIN_PASSWORD_ENV: ADMIN_PASSWORD})
    yield master
    master.close()


@pytest.fixture(scope="module")
def client(master: Master) -> Iterator[TestClient]:
    with TestClient(create_app(master)) as client:
        yield client


@pytest.fixture(scope="module")
def login(client: TestClient) -> Login:
    """Log in (asserting success); the login reply."""

    def log_in(username: str, password: str) -> dict[str, Any]:
        reply = client.post("/api/v1/login", json={"username": username, "password": password})
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()
        return body

    return log_in


def bearer(secret: str) -> Headers:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def admin(login: Login) -> Headers:
    """Headers of a fresh administrator session."""
    return bearer(login("admin", ADMIN_PASSWORD)["session"])


@pytest.fixture
def new_user(client: TestClient, admin: Headers) -> Callable[[], dict[str, Any]]:
    """Makes a user (profile ``Viewers``, no administer) with :data:`USER_PASSWORD`."""

    def make() -> dict[str, Any]:
        profiles = client.get("/api/v1/profiles", headers=admin).json()
        viewers = [p for p in profiles if p["name"] == "Viewers"]
        if viewers:
            profile = viewers[0]
        else:
            body = {"name": "Viewers", "grants": [{"scope": "all", "right": "live"}]}
            profile = client.post("/api/v1/profiles", json=body, headers=admin).json()
        body = {
            "username": f"user{next(_names)}",
            "password": USER_PASSWORD,
            "profile_id": profile["id"],
        }
        reply = client.post("/api/v1/users", json=body, headers=admin)
        assert reply.status_code == 201, reply.text
        user: dict[str, Any] = reply.json()
        return user

    return make


def enrol_request(token: str, node_id: str, version: str = __version__) -> dict[str, Any]:
    return {
        "token": token,
        "node_id": node_id,
        "platform_version": version,
        "architecture": "x86_64",
        "os": "Linux 6.1",
        "wheel_tags": ["py3-none-any"],
        "listen_address": f"http://127.0.0.1:5009/{node_id}",
    }


def heartbeat_body(node_id: str, version: str = __version__) -> dict[str, Any]:
    return {"node_id": node_id, "sent": 1_800_000_000.0, "platform_version": version}


@pytest.fixture(scope="module")
def helpers() -> Any:
    """Module-level helpers for tests (test modules are not importable packages)."""

    class Helpers:
        bearer = staticmethod(bearer)
        enrol_request = staticmethod(enrol_request)
        heartbeat_body = staticmethod(heartbeat_body)

    return Helpers
