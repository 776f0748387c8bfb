"""A real node runs the driver: a dome is a camera with PTZ and no streams, moved and
its aux outputs switched through the node API, with the emulator on the bus."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from argus.kernel import Kernel
from argus.node.api import NodeAuth, create_app
from argus.node.config import NodeConfig
from argus.node.runtime import Node
from argus.node.status import RateSampler
from argus.protocol import Right
from argus.security.tokens import TokenIssuer, TokenVerifier
from argus_driver_pelco import const
from argus_driver_pelco.emulator import Emulator
from argus_driver_pelco.protocol import Extended, Motion, Protocol
from argus_driver_pelco.testing import Pty

KEY = Ed25519PrivateKey.generate()
MakeEmulator = Callable[..., Emulator]


def test_the_node_drives_a_dome_as_a_ptz_only_camera(
    pty: Pty, make_emulator: MakeEmulator, tmp_path: Path
) -> None:
    emulator = make_emulator(pty, Protocol.D, (1,))
    config = NodeConfig.model_validate(
        {
            "node": {"id": "n1", "data_dir": str(tmp_path)},
            "storage": None,
            "devices": [
                {
                    "id": "dome",
                    "driver": "pelco",
                    "settings": {
                        "port": pty.path,
                        "domes": [{"address": 1, "aux_outputs": 1, "home_preset": 1}],
                    },
                }
            ],
        }
    )
    kernel = Kernel(enabled={"pelco"})
    kernel.load()
    node = Node(kernel, config)
    try:
        camera = node.cameras["dome"]
        assert camera.streams == () and camera.ptz is not None and node.workers == []
        app = create_app(
            node, NodeAuth("local", TokenVerifier(KEY.public_key(), "n1")), RateSampler([])
        )
        token = TokenIssuer(KEY, "master").issue(
            user_id="3", user_name="piet", node_id="n1", rights={"dome": [Right.PTZ, Right.IO]}
        )
        headers = {"Authorization": f"Bearer {token}"}
        with TestClient(app) as client:
            moved = client.post(
                "/api/v1/cameras/dome/ptz",
                json={"action": "continuous", "pan": -1.0},
                headers=headers,
            )
            assert moved.status_code == 200, moved.text
            assert moved.json()["moving"] is True
            home = client.post("/api/v1/cameras/dome/ptz", json={"action": "home"}, headers=headers)
            assert home.status_code == 200, home.text
            refused = client.post(
                "/api/v1/cameras/dome/ptz",
                json={"action": "absolute", "pan": 0.5},
                headers=headers,
            )
            assert refused.status_code == 422 and "positioning" in refused.text
            switched = client.put(
                "/api/v1/devices/dome/outputs/aux1", json={"active": True}, headers=headers
            )
            assert switched.status_code == 200, switched.text
        assert emulator.wait_for(lambda e: e.dome(1).aux == {1})
        assert emulator.dome(1).commands == [
            Motion(pan=-1, pan_speed=0x3F),
            Extended(const.OP_GOTO_PRESET, 0, 1),
            Extended(const.OP_SET_AUX, 0, 1),
        ]
    finally:
        node.stop()
