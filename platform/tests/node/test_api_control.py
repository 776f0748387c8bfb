"""PTZ and digital I/O through the node API, on a real node with a simulated PTZ camera
(its default door input and siren output), with tokens signed by a real key."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from argus.kernel import Kernel
from argus.node.api import NodeAuth, create_app
from argus.node.config import NodeConfig
from argus.node.runtime import Node
from argus.node.status import RateSampler
from argus.protocol import Right
from argus.security.tokens import TokenIssuer, TokenVerifier
from argus_sdk import Event

KEY = Ed25519PrivateKey.generate()
SIM = {"main_profile": "360p", "sub_profile": None, "loop_seconds": 2}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Node]]:
    root: Path = tmp_path_factory.mktemp("control")
    config = NodeConfig.model_validate(
        {
            "node": {"id": "n1", "data_dir": str(root)},
            "storage": None,
            "devices": [
                {"id": "dome", "driver": "sim", "settings": {"name": "Dome", "ptz": True, **SIM}},
                {"id": "fixed", "driver": "sim", "settings": {"name": "Fixed", **SIM}},
            ],
        }
    )
    kernel = Kernel(enabled={"sim"})
    kernel.load()
    node = Node(kernel, config)
    app = create_app(
        node, NodeAuth("local", TokenVerifier(KEY.public_key(), "n1")), RateSampler([])
    )
    node.start()  # the event bus delivers the audit reports
    try:
        with TestClient(app) as client:
            yield client, node
    finally:
        node.stop()


def bearer(rights: dict[str, list[Right]]) -> dict[str, str]:
    token = TokenIssuer(KEY, "master").issue(
        user_id="3", user_name="piet", node_id="n1", rights=rights
    )
    return {"Authorization": f"Bearer {token}"}


def test_cameras_say_which_have_ptz_and_io(api: Any) -> None:
    client, _ = api
    headers = bearer({"dome": [Right.LIVE], "fixed": [Right.LIVE]})
    cameras = {c["id"]: c for c in client.get("/api/v1/cameras", headers=headers).json()}
    assert cameras["dome"]["ptz"] is True and cameras["fixed"]["ptz"] is False
    assert cameras["dome"]["io"] is True


def test_ptz_moves_the_camera_and_is_reported(api: Any) -> None:
    client, node = api
    events: list[Event] = []
    node.events.subscribe(events.append)
    headers = bearer({"dome": [Right.PTZ]})
    before = client.get("/api/v1/cameras/dome/ptz", headers=headers).json()
    assert before["capabilities"]["absolute"] and before["position"] is None
    moved = client.post(
        "/api/v1/cameras/dome/ptz",
        json={"action": "absolute", "pan": 0.5, "tilt": -0.25, "zoom": 0.5},
        headers=headers,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["position"] == {"pan": 0.5, "tilt": -0.25, "zoom": 0.5}
    nudged = client.post(
        "/api/v1/cameras/dome/ptz", json={"action": "relative", "pan": 0.25}, headers=headers
    ).json()
    assert nudged["position"]["pan"] == pytest.approx(0.75)
    saved = client.post(
        "/api/v1/cameras/dome/ptz",
        json={"action": "set_preset", "preset": "gate", "name": "Gate"},
        headers=headers,
    ).json()
    assert "gate" in saved["presets"]
    home = client.post("/api/v1/cameras/dome/ptz", json={"action": "home"}, headers=headers)
    assert home.json()["position"]["pan"] != pytest.approx(0.75)
    back = client.post(
        "/api/v1/cameras/dome/ptz",
        json={"action": "goto_preset", "preset": "gate"},
        headers=headers,
    )
    assert back.json()["position"]["pan"] == pytest.approx(0.75)
    state = client.get("/api/v1/cameras/dome/ptz", headers=headers).json()
    assert state["position"]["pan"] == pytest.approx(0.75)
    cleared = client.post(
        "/api/v1/cameras/dome/ptz",
        json={"action": "clear_preset", "preset": "gate"},
        headers=headers,
    )
    assert cleared.status_code == 200 and "gate" not in cleared.json()["presets"]
    gone = client.post(
        "/api/v1/cameras/dome/ptz",
        json={"action": "goto_preset", "preset": "gate"},
        headers=headers,
    )
    assert gone.status_code == 422 and "no PTZ preset 'gate'" in gone.json()["detail"]
    lens = client.post(  # the simulated dome has a fixed lens
        "/api/v1/cameras/dome/ptz", json={"action": "lens", "focus": 0.5}, headers=headers
    )
    assert lens.status_code in (409, 422, 501), lens.text
    assert "not supported" in lens.json()["detail"]
    deadline = time.monotonic() + 10
    while len(reported := [e for e in events if e.topic == "argus.audit.ptz"]) < 6:
        assert time.monotonic() < deadline, reported
        time.sleep(0.05)
    assert [e.data["command"] for e in reported] == [
        "absolute",
        "relative",
        "set_preset",
        "home",
        "goto_preset",
        "clear_preset",
    ]
    assert reported[0].source.id == "piet" and reported[0].data["camera"] == "dome"


def test_ptz_is_refused_without_the_right_and_on_a_fixed_camera(api: Any) -> None:
    client, _ = api
    live_only = bearer({"dome": [Right.LIVE, Right.PLAYBACK, Right.EXPORT, Right.IO]})
    body = {"action": "continuous", "pan": 1}
    refused = client.post("/api/v1/cameras/dome/ptz", json=body, headers=live_only)
    assert refused.status_code == 403 and "ptz" in refused.json()["detail"]
    assert client.get("/api/v1/cameras/dome/ptz", headers=live_only).status_code == 403
    fixed = client.post(
        "/api/v1/cameras/fixed/ptz", json=body, headers=bearer({"fixed": [Right.PTZ]})
    )
    assert fixed.status_code == 404 and "no PTZ" in fixed.json()["detail"]
    bad = client.post(
        "/api/v1/cameras/dome/ptz",
        json={"action": "goto_preset"},
        headers=bearer({"dome": [Right.PTZ]}),
    )
    assert bad.status_code == 422 and "needs a preset" in bad.json()["detail"]
    wild = client.post(
        "/api/v1/cameras/dome/ptz",
        json={"action": "absolute", "pan": 3},
        headers=bearer({"dome": [Right.PTZ]}),
    )
    assert wild.status_code == 422


def test_outputs_switch_and_inputs_read_with_the_io_right(api: Any) -> None:
    client, node = api
    headers = bearer({"dome": [Right.IO]})
    state = client.get("/api/v1/devices/dome/io", headers=headers)
    assert state.status_code == 200, state.text
    body = state.json()
    assert body["inputs"] and body["outputs"]
    output = body["outputs"][0]["id"]
    assert body["outputs"][0]["active"] is None
    on = client.put(
        f"/api/v1/devices/dome/outputs/{output}", json={"active": True}, headers=headers
    )
    assert on.status_code == 200, on.text
    assert on.json()["outputs"][0]["active"] is True
    assert node.device("dome").output_states()[output] is True  # the device really switched
    off = client.put(
        f"/api/v1/devices/dome/outputs/{output}", json={"active": False}, headers=headers
    )
    assert off.json()["outputs"][0]["active"] is False

    live_only = bearer({"dome": [Right.LIVE, Right.PTZ]})
    refused = client.put(
        f"/api/v1/devices/dome/outputs/{output}", json={"active": True}, headers=live_only
    )
    assert refused.status_code == 403 and "io" in refused.json()["detail"]
    assert node.device("dome").output_states()[output] is False
    missing = client.put(
        "/api/v1/devices/dome/outputs/nope", json={"active": True}, headers=headers
    )
    assert missing.status_code == 404
