"""Authorization matrix of the node API: every endpoint refuses every bad caller.

The app runs in-process (FastAPI's TestClient) on a real node: sim cameras
recording to the segments backend; tokens are signed by a real master key.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from argus.kernel import Kernel
from argus.node.api import NodeAuth, create_app
from argus.node.config import NodeConfig
from argus.node.runtime import Node
from argus.node.status import RateSampler
from argus.protocol import Right
from argus.security.tokens import TokenIssuer, TokenVerifier
from argus_sdk import Event

LOCAL = "local-secret"
KEY = Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Node]]:
    root = tmp_path_factory.mktemp("auth")
    (root / "disk").mkdir()
    config = NodeConfig.model_validate(
        {
            "node": {"id": "n1", "data_dir": str(root / "data")},
            "storage": {
                "backend": "segments",
                "settings": {
                    "disks": [{"path": str(root / "disk"), "min_free_mb": 0}],
                    "segment_seconds": 2,
                },
            },
            "devices": [
                {
                    "id": "gate",
                    "driver": "sim",
                    "settings": {
                        "name": "Gate",
                        "main_profile": "360p",
                        "sub_profile": None,
                        "loop_seconds": 2,
                    },
                },
                {
                    "id": "vault",
                    "driver": "sim",
                    "settings": {
                        "name": "Vault",
                        "main_profile": "360p",
                        "sub_profile": None,
                        "loop_seconds": 2,
                    },
                },
            ],
        }
    )
    kernel = Kernel(enabled={"sim", "segments"})
    kernel.load()
    node = Node(kernel, config)
    auth = NodeAuth(LOCAL, TokenVerifier(KEY.public_key(), "n1"))
    app = create_app(node, auth, RateSampler(node.workers))
    node.start()
    try:
        deadline = time.monotonic() + 60
        while not node.storage or not node.storage.timeline(*_recent("gate")):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        with TestClient(app) as c:
            yield c, node
    finally:
        node.stop()


def _recent(camera: str) -> Any:
    from argus_sdk import StreamKey, TimeRange

    now = time.time()
    return StreamKey(camera, "main"), TimeRange(now - 600, now + 10)


def token(
    rights: dict[str, list[Right]],
    *,
    node: str = "n1",
    key: Ed25519PrivateKey = KEY,
    ttl: float = 300,
    admin: bool = False,
) -> str:
    return TokenIssuer(key, "master", ttl=ttl).issue(
        user_id="7", user_name="olga", node_id=node, rights=rights, admin=admin
    )


def endpoints() -> list[tuple[str, str, dict[str, Any], Right]]:
    now = time.time()
    return [
        (
            "GET",
            "/api/v1/cameras/gate/streams/main/timeline",
            {"params": {"start": now - 60, "end": now}},
            Right.PLAYBACK,
        ),
        (
            "GET",
            "/api/v1/cameras/gate/streams/main/playback",
            {"params": {"start": now - 3, "end": now}},
            Right.PLAYBACK,
        ),
        ("GET", "/api/v1/cameras/gate/snapshot", {"params": {"at": now - 1}}, Right.PLAYBACK),
        (
            "POST",
            "/api/v1/exports",
            {"json": {"cameras": ["gate"], "start": now - 3, "end": now - 1}},
            Right.EXPORT,
        ),
    ]


def every_route() -> list[tuple[str, str, dict[str, Any], Right | None]]:
    """Every HTTP route of the node API (the live WebSocket is tested on its own)."""
    now = time.time()
    return [
        *endpoints(),
        ("GET", "/api/v1/status", {}, Right.LIVE),
        ("GET", "/api/v1/cameras", {}, Right.LIVE),
        ("GET", "/api/v1/clock", {}, None),
        ("GET", "/api/v1/exports/0123abcd", {}, Right.EXPORT),
        ("GET", "/api/v1/exports/0123abcd/files/gate.mp4", {}, Right.EXPORT),
        (
            "POST",
            "/api/v1/export-jobs",
            {"json": {"cameras": ["gate"], "start": now - 3, "end": now - 1}},
            Right.EXPORT,
        ),
        ("GET", "/api/v1/export-jobs/0123abcd", {}, Right.EXPORT),
        ("GET", "/api/v1/cameras/gate/ptz", {}, Right.PTZ),
        ("POST", "/api/v1/cameras/gate/ptz", {"json": {"action": "stop"}}, Right.PTZ),
        ("GET", "/api/v1/devices/gate/io", {}, Right.IO),
        ("PUT", "/api/v1/devices/gate/outputs/door", {"json": {"active": True}}, Right.IO),
    ]


def test_the_table_covers_every_route(client: Any) -> None:
    """A route added without a row in every_route() fails this test."""
    c, _ = client
    paths = c.get("/openapi.json").json()["paths"]
    routes = {(m.upper(), p) for p, ops in paths.items() for m in ops}
    covered = {
        (m, p.replace("0123abcd", "{export_id}").replace("gate.mp4", "{name}"))
        for m, p, _, _ in every_route()
    }
    covered = {
        (m, p.replace("/export-jobs/{export_id}", "/export-jobs/{job_id}")) for m, p in covered
    }
    covered = {
        (m, p.replace("/devices/gate/", "/devices/{device}/").replace("/door", "/{port}"))
        for m, p in covered
    }
    covered = {(m, p.replace("/cameras/gate/", "/cameras/{camera}/")) for m, p in covered}
    covered = {(m, p.replace("/cameras/gate/ptz", "/cameras/{camera}/ptz")) for m, p in covered}
    covered = {(m, p.replace("/streams/main/", "/streams/{stream}/")) for m, p in covered}
    assert routes == covered


BAD = {
    "no token": None,
    "garbage": "x.y.z",
    "expired": "EXPIRED",
    "forged": "FORGED",
    "other node": "OTHER",
}


def bad_token(kind: str | None) -> str | None:
    return {
        "EXPIRED": lambda: token({"gate": list(Right)}, ttl=-120),
        "FORGED": lambda: token({"gate": list(Right)}, key=Ed25519PrivateKey.generate()),
        "OTHER": lambda: token({"gate": list(Right)}, node="n2"),
    }.get(kind or "", lambda: kind)()


@pytest.mark.parametrize("kind", list(BAD))
def test_every_endpoint_refuses_a_bad_token(client: Any, kind: str) -> None:
    c, _ = client
    presented = bad_token(BAD[kind])
    headers = {"Authorization": f"Bearer {presented}"} if presented else {}
    for method, path, kwargs, _right in every_route():
        r = c.request(method, path, headers=headers, **kwargs)
        assert r.status_code == 401, (kind, path, r.status_code, r.text)
    with pytest.raises(WebSocketDisconnect):
        url = "/api/v1/cameras/gate/streams/main/live" + (
            f"?token={presented}" if presented else ""
        )
        with c.websocket_connect(url) as ws:
            ws.receive_bytes()


def test_each_endpoint_needs_its_right_on_that_camera(client: Any) -> None:
    c, node = client
    audited: list[Event] = []
    node.events.subscribe(audited.append)
    everything_but = {
        right: token({"gate": [r for r in Right if r is not right], "vault": list(Right)})
        for right in Right
    }
    for method, path, kwargs, right in endpoints():
        refused = c.request(
            method, path, **kwargs, headers={"Authorization": f"Bearer {everything_but[right]}"}
        )
        assert refused.status_code == 403, (path, refused.text)
        assert f"no {right.value} right on gate" in refused.json()["detail"]
        allowed = c.request(
            method, path, **kwargs, headers={"Authorization": f"Bearer {token({'gate': [right]})}"}
        )
        assert allowed.status_code in (200, 201), (path, allowed.text)
    with pytest.raises(WebSocketDisconnect):
        url = f"/api/v1/cameras/gate/streams/main/live?token={everything_but[Right.LIVE]}"
        with c.websocket_connect(url) as ws:
            ws.receive_bytes()
    deadline = time.monotonic() + 5
    while len({e.topic for e in audited}) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    topics = {e.topic for e in audited}
    assert {"argus.audit.playback", "argus.audit.snapshot", "argus.audit.export"} <= topics
    assert all(e.source.id == "olga" and e.data["token"] for e in audited)


def test_callers_see_only_their_cameras(client: Any) -> None:
    c, _ = client
    only_gate = {"Authorization": f"Bearer {token({'gate': [Right.LIVE]})}"}
    assert [x["id"] for x in c.get("/api/v1/cameras", headers=only_gate).json()] == ["gate"]
    status = c.get("/api/v1/status", headers=only_gate).json()
    assert [s["camera"] for s in status["streams"]] == ["gate"] and status["disks"] == []
    local = c.get("/api/v1/status", headers={"Authorization": f"Bearer {LOCAL}"}).json()
    assert {s["camera"] for s in local["streams"]} == {"gate", "vault"} and local["disks"]


def test_live_with_the_right_streams_video(client: Any) -> None:
    c, _ = client
    url = f"/api/v1/cameras/gate/streams/main/live?token={token({'gate': [Right.LIVE]})}"
    with c.websocket_connect(url) as ws:
        assert ws.receive_bytes()[4:8] == b"ftyp"
        assert ws.receive_bytes()[4:8] == b"moof"
