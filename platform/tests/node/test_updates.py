"""A node takes rollouts from a real master (in process, over its HTTP API): verified
download, install, live activation, health check, automatic rollback, removal — while a
camera of another plugin records throughout."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from argus.kernel import Kernel
from argus.master.api import create_app
from argus.master.config import MasterConfig, MasterSection
from argus.master.runtime import ADMIN_PASSWORD_ENV, Master
from argus.node.config import NodeConfig, NodeSection
from argus.node.runtime import Node
from argus.node.uplink import Uplink
from argus.protocol import PluginState
from argus.testing.plugins import camera_driver_wheel, library_wheel
from argus_sdk.testing import ManualClock

PASSWORD = "correct horse battery"
PROJECT = "argus-driver-rollcam"


class Rig:
    """A master, its API client logged in as admin, and one enrolled node."""

    def __init__(self, tmp: Path) -> None:
        config = MasterConfig(master=MasterSection(id="m", data_dir=tmp / "master"))
        # The master's clock runs ahead of real time: its metadata stays unexpired.
        self.master = Master(config, clock=ManualClock(1_800_000_000.0))
        self.master.start({ADMIN_PASSWORD_ENV: PASSWORD})
        self.client = TestClient(create_app(self.master))
        login = {"username": "admin", "password": PASSWORD}
        secret = self.client.post("/api/v1/login", json=login).json()["session"]
        self.admin = {"Authorization": f"Bearer {secret}"}
        self.wheels = tmp / "wheels"
        token = self.call("POST", "/nodes", {"name": "n1"})["token"]
        for device in (
            {"ident": "door", "driver": "rollcam", "settings": {"name": "Door"}},
            {
                "ident": "gate",
                "driver": "sim",
                "settings": {"name": "Gate", "main_profile": "360p", "sub_profile": None},
            },
        ):
            self.call("POST", "/nodes/n1/devices", device)
        self.kernel = Kernel()
        self.kernel.load()
        section = NodeSection(id="n1", data_dir=tmp / "node", master_url="http://testserver")
        self.node = Node(self.kernel, NodeConfig(node=section, storage=None))
        self.uplink = Uplink(self.node, "http://testserver", client=self.client)
        self.uplink.enrol(token, "http://127.0.0.1:9")
        self.updates = self.uplink.manage_plugins(health_seconds=3)
        self.node.start()
        self.uplink.heartbeat()  # the configuration: the gate records, the door waits

    def call(self, method: str, path: str, body: Any = None) -> Any:
        reply = self.client.request(method, "/api/v1" + path, json=body, headers=self.admin)
        assert reply.status_code < 300, reply.text
        return reply.json()

    def admit(self, version: str, mode: Any = "ok") -> str:
        wheel = camera_driver_wheel(self.wheels / version, version, mode=mode)
        reply = self.client.post(
            "/api/v1/packages",
            params={"filename": wheel.name},
            content=wheel.read_bytes(),
            headers={**self.admin, "Content-Type": "application/octet-stream"},
        )
        assert reply.status_code == 201, reply.text
        return f"{PROJECT}/{version}/{wheel.name}"

    def roll(self, version: str) -> dict[str, Any]:
        """Roll ``version`` out, let the node work, and return the settled rollout."""
        rollout = self.call("POST", "/rollouts", {"package": f"{PROJECT}=={version}"})
        self.uplink.heartbeat()  # the node learns what the master wants …
        self.updates.reconcile()  # … does it (here in the test's thread) …
        self.uplink.heartbeat()  # … and reports
        self.master.advance_rollouts()
        settled: dict[str, Any] = self.call("GET", f"/rollouts/{rollout['id']}")
        return settled

    def report(self) -> Any:
        [report] = [r for r in self.updates.reports() if r.project == PROJECT]
        return report

    def door_model(self) -> str | None:
        description = self.node.descriptions.get("door")
        return description.model if description is not None else None

    def close(self) -> None:
        self.uplink.stop()
        self.node.stop()
        self.kernel.close()
        self.client.close()
        self.master.close()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    rig = Rig(tmp_path)
    yield rig
    rig.close()


def test_rollouts_install_check_roll_back_and_remove_without_stopping_other_cameras(
    rig: Rig,
) -> None:
    gate = rig.node.worker("gate", "main")
    assert gate is not None and rig.door_model() is None  # no rollcam driver yet
    targets = {v: rig.admit(v) for v in ("1.0", "2.0")}
    broken, silent = rig.admit("3.0", "broken"), rig.admit("4.0", "silent")

    results: list[PluginState] = []
    nudge = rig.updates.on_result
    assert nudge is not None  # the uplink's: a result goes out with a heartbeat at once
    rig.updates.on_result = lambda: (results.append(rig.report().state), nudge())
    done = rig.roll("1.0")
    assert done["state"] == "completed", done
    assert rig.report().state is PluginState.ACTIVE and rig.report().target == targets["1.0"]
    assert results == [PluginState.ACTIVE]  # installing is not a result
    assert rig.door_model() == "rollcam 1.0"
    door = rig.node.worker("door", "main")
    assert door is not None

    # A plugin that raises at import: quarantined, rolled back, the rollout halts.
    halted = rig.roll("3.0")
    assert halted["state"] == "halted", halted
    assert "import failed: RuntimeError: vendor SDK missing" in halted["nodes"][0]["detail"]
    assert rig.report().state is PluginState.ROLLED_BACK and rig.report().target == broken
    assert "rolled back to 1.0" in rig.report().detail
    assert rig.door_model() == "rollcam 1.0"

    # A plugin that loads but whose camera stays silent fails its health check.
    halted = rig.roll("4.0")
    assert halted["state"] == "halted"
    assert "no packets from door/main within 3 s" in halted["nodes"][0]["detail"]
    assert rig.report().target == silent and rig.door_model() == "rollcam 1.0"
    # A failed target is not tried again while the master keeps asking for it.
    rig.uplink.heartbeat()
    rig.updates.reconcile()
    assert rig.report().state is PluginState.ROLLED_BACK

    done = rig.roll("2.0")
    assert done["state"] == "completed", done
    assert rig.door_model() == "rollcam 2.0"
    assert rig.node.plugin_store.active() == {PROJECT: "2.0"}
    installed = rig.call("GET", "/packages/installed")
    assert [(r["node"], r["installed_version"], r["state"]) for r in installed] == [
        ("n1", "2.0", "active")
    ]

    rig.call("POST", "/packages/remove", {"project": PROJECT})
    rig.uplink.heartbeat()
    rig.updates.reconcile()
    assert rig.report().state is PluginState.REMOVED
    assert rig.node.plugin_store.installed() == {}
    assert rig.door_model() is None

    # The sim camera of another plugin recorded through all of it, never restarted.
    assert rig.node.worker("gate", "main") is gate
    last = gate.stats.last_packet_wall
    assert last is not None and time.time() - last < 2


def test_a_package_whose_bytes_changed_on_the_master_is_refused(rig: Rig) -> None:
    target = rig.admit("1.0")
    stored = rig.master.package_store / target
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF
    stored.write_bytes(bytes(data))
    done = rig.roll("1.0")
    assert done["state"] == "halted"
    report = rig.report()
    assert report.state is PluginState.FAILED and report.version is None
    assert "hash" in report.detail or "does not match" in report.detail, report.detail
    assert rig.node.plugin_store.installed() == {}
    assert not (rig.node.host.data_dir / "downloads").exists()


def test_dependencies_come_from_the_master_when_the_node_lacks_them(rig: Rig) -> None:
    needs = {"requires": ["rollcam-helper>=1.1"], "imports": ["rollcam_helper"]}
    wheel = camera_driver_wheel(rig.wheels / "5", "5.0", **needs)  # type: ignore[arg-type]
    reply = rig.client.post(
        "/api/v1/packages",
        params={"filename": wheel.name},
        content=wheel.read_bytes(),
        headers={**rig.admin, "Content-Type": "application/octet-stream"},
    )
    assert reply.status_code == 201, reply.text

    # Nothing serves the dependency yet: refused before anything is installed.
    halted = rig.roll("5.0")
    assert halted["state"] == "halted"
    assert "needs rollcam-helper>=1.1, which this node does not have" in rig.report().detail
    assert rig.node.plugin_store.installed() == {}

    # A dependency wheel is admitted as such (a plugin rollout of it is refused) …
    for version in ("1.0", "1.2"):
        helper = library_wheel(
            rig.wheels / f"h{version}", "rollcam-helper", version, "rollcam_helper"
        )
        reply = rig.client.post(
            "/api/v1/packages",
            params={"filename": helper.name, "dependency": "true"},
            content=helper.read_bytes(),
            headers={**rig.admin, "Content-Type": "application/octet-stream"},
        )
        assert reply.status_code == 201 and reply.json()["kinds"] == [], reply.text
    refused = rig.client.post(
        "/api/v1/rollouts", json={"package": "rollcam-helper"}, headers=rig.admin
    )
    assert refused.status_code == 422 and "is a dependency, not a plugin" in refused.text

    # … and goes with the plugin: the newest fitting one, unpacked beside it.
    done = rig.roll("5.0")
    assert done["state"] == "completed", done
    assert rig.door_model() == "rollcam 5.0"
    folder = rig.node.plugin_store.path(PROJECT, "5.0")
    assert (folder / "rollcam_helper.py").read_text() == 'VERSION = "1.2"\n'
    assert (folder / "rollcam_helper-1.2.dist-info").is_dir()


def test_a_dependency_wheel_with_argus_plugins_is_refused_as_one(rig: Rig) -> None:
    wheel = camera_driver_wheel(rig.wheels / "1", "1.0")
    reply = rig.client.post(
        "/api/v1/packages",
        params={"filename": wheel.name, "dependency": "true"},
        content=wheel.read_bytes(),
        headers={**rig.admin, "Content-Type": "application/octet-stream"},
    )
    assert reply.status_code == 422
    assert "a dependency provides none" in reply.json()["detail"]
