"""Rolling a driver package's versions through a running node: only that driver's cameras
restart, with the new code; a sim camera of another plugin never stops recording."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from argus.cli import node as cli_node
from argus.kernel import Kernel, PluginStatus
from argus.node.config import DeviceSection, NodeConfig
from argus.node.plugins import PluginStore
from argus.node.runtime import Node
from argus.protocol import StreamState
from argus.testing.plugins import camera_driver_wheel
from argus_sdk import StreamPacket
from argus_sdk.testing import make_wheel

PROJECT = "argus-driver-rcam"
PACKAGE = "argus_driver_rcam"


def rcam_wheel(folder: Path, version: str, *, broken: bool = False) -> Path:
    """The ``rcam`` driver's wheel: its packets and device model name the version."""
    return camera_driver_wheel(folder, version, driver="rcam", mode="broken" if broken else "ok")


def section(device: str, driver: str, **settings: Any) -> DeviceSection:
    return DeviceSection.model_validate({"id": device, "driver": driver, "settings": settings})


def sim_gate() -> DeviceSection:
    return section(
        "gate", "sim", name="Gate", main_profile="360p", sub_profile=None, loop_seconds=2
    )


def wait_for(ok: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not ok():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


class Packets:
    """A live tap: what reached a worker, and the longest silence between two packets."""

    def __init__(self) -> None:
        self.data: list[bytes] = []
        self.times: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, packet: StreamPacket) -> None:
        with self._lock:
            self.data.append(packet.data)
            self.times.append(time.monotonic())

    def longest_gap(self) -> float:
        with self._lock:
            return max((b - a for a, b in zip(self.times, self.times[1:], strict=False)), default=0)


@pytest.fixture
def store(node: Node, tmp_path: Path) -> PluginStore:
    store = node.plugin_store
    assert store.root == tmp_path / "data" / "plugin-store"
    for version in ("1.0.0", "2.0.0"):
        store.install(PROJECT, version, [rcam_wheel(tmp_path / "wheels", version)])
    store.install(PROJECT, "3.0.0", [rcam_wheel(tmp_path / "wheels", "3.0.0", broken=True)])
    return store


@pytest.fixture
def isolated(tmp_path: Path) -> Iterator[None]:
    """Whatever the test leaves on sys.path or in sys.modules from ``tmp_path`` goes."""
    yield
    sys.path[:] = [p for p in sys.path if not p.startswith(str(tmp_path))]
    for name, module in list(sys.modules.items()):
        if (getattr(module, "__file__", None) or "").startswith(str(tmp_path)):
            del sys.modules[name]


@pytest.fixture
def node(tmp_path: Path, isolated: None) -> Iterator[Node]:
    config = NodeConfig.model_validate(
        {"node": {"id": "n1", "data_dir": str(tmp_path / "data")}, "storage": None}
    )
    kernel = Kernel(enabled={"sim", "rcam", "fakestore"})
    kernel.load()
    node = Node(kernel, config)
    node.start()
    try:
        yield node
    finally:
        node.stop()


def door_packets(node: Node) -> Packets:
    worker = node.worker("door", "main")
    assert worker is not None
    tap = Packets()
    worker.add_tap(tap)
    return tap


def runs(node: Node, version: str) -> None:
    tap = door_packets(node)
    wait_for(lambda: len(tap.data) >= 3, f"the door camera running {version}")
    assert set(tap.data) == {f"rcam {version}".encode()}
    assert node.descriptions["door"].model == f"rcam {version}"
    module = sys.modules[f"{PACKAGE}.plugin"]
    assert module.__file__ is not None
    assert Path(module.__file__).is_relative_to(
        node.host.data_dir / "plugin-store" / PROJECT / version
    )


def test_a_driver_rolls_forward_fails_rolls_back_and_goes(node: Node, store: PluginStore) -> None:
    assert node.apply_devices([sim_gate(), section("door", "rcam")]) == (2, 0, 0)
    assert set(node.cameras) == {"gate"}  # no rcam driver yet: the door waits for it
    gate = node.worker("gate", "main")
    assert gate is not None
    wait_for(lambda: gate.stats.state is StreamState.RECORDING, "the sim camera")
    gate_packets = Packets()
    gate.add_tap(gate_packets)

    report = node.activate_plugin(PROJECT, "1.0.0")
    assert [(p.name, p.version, p.status) for p in report.plugins] == [
        ("rcam", "1.0.0", PluginStatus.LOADED)
    ]
    assert (report.restarted, report.failed, report.deferred) == (("door",), {}, False)
    runs(node, "1.0.0")

    report = node.activate_plugin(PROJECT, "2.0.0")
    assert [(p.name, p.version, p.status) for p in report.plugins] == [
        ("rcam", "2.0.0", PluginStatus.LOADED)
    ]
    assert report.restarted == ("door",)
    runs(node, "2.0.0")
    assert str(store.path(PROJECT, "1.0.0")) not in sys.path

    report = node.activate_plugin(PROJECT, "3.0.0")  # raises at import
    [plugin] = report.plugins
    assert (plugin.version, plugin.status) == ("3.0.0", PluginStatus.QUARANTINED)
    assert plugin.reason == "import failed: RuntimeError: vendor SDK missing"
    assert report.restarted == () and "no driver named 'rcam'" in report.failed["door"]
    assert "door" not in node.cameras and node.worker("door", "main") is None
    assert node.kernel.plugin("sim").status is PluginStatus.LOADED

    previous = store.previous(PROJECT)
    assert previous == "2.0.0"
    report = node.activate_plugin(PROJECT, previous)  # roll back
    assert report.plugins[0].status is PluginStatus.LOADED and report.restarted == ("door",)
    runs(node, "2.0.0")

    report = node.activate_plugin(PROJECT, None)
    assert report.plugins == () and report.restarted == () and set(report.failed) == {"door"}
    assert "rcam" not in node.drivers.names() and set(node.cameras) == {"gate"}
    assert not any(p.startswith(str(store.root)) for p in sys.path)
    assert f"{PACKAGE}.plugin" not in sys.modules

    # The sim camera of another plugin recorded throughout, on the same worker.
    assert node.worker("gate", "main") is gate
    assert gate.stats.state is StreamState.RECORDING and gate.stats.connects == 1
    assert len(gate_packets.data) > 10 and gate_packets.longest_gap() < 1.0
    assert node.apply_devices([sim_gate()]) == (0, 0, 0)  # the door is no longer wanted


def test_a_storage_backend_applies_at_the_next_start(
    node: Node, store: PluginStore, tmp_path: Path
) -> None:
    wheel = make_wheel(
        tmp_path / "argus_storage_fake-1.0.0-py3-none-any.whl",
        name="argus-storage-fake",
        version="1.0.0",
        entry_points="[argus.storage]\nfakestore = argus_storage_fake.plugin\n",
        files={"argus_storage_fake/plugin.py": b"raise AssertionError('imported')\n"},
    )
    store.install("argus-storage-fake", "1.0.0", [wheel])
    report = node.activate_plugin("argus-storage-fake", "1.0.0")
    assert report.deferred and "next start" in report.reason and report.plugins == ()
    assert "fakestore" not in {r.name for r in node.kernel.plugins()}
    assert str(store.path("argus-storage-fake", "1.0.0")) not in sys.path
    assert store.sys_path_entries() == [store.path("argus-storage-fake", "1.0.0")]


def test_a_device_of_a_driver_that_fails_to_open_is_reported(
    node: Node, store: PluginStore
) -> None:
    node.activate_plugin(PROJECT, "1.0.0")
    node.apply_devices([section("door", "rcam", name=5)])  # invalid settings
    report = node.reload_plugin(
        PROJECT, old=store.path(PROJECT, "1.0.0"), new=store.path(PROJECT, "1.0.0")
    )
    assert report.restarted == () and "invalid settings" in report.failed["door"]
    node.apply_devices([section("door", "rcam")])
    runs(node, "1.0.0")


def test_a_node_starts_with_the_active_versions_after_recovering_the_store(
    tmp_path: Path, isolated: None
) -> None:
    data = tmp_path / "data"
    store = PluginStore(data / "plugin-store")
    for version in ("1.0.0", "2.0.0"):
        store.install(PROJECT, version, [rcam_wheel(tmp_path / "wheels", version)])
    store.activate(PROJECT, "2.0.0")
    store.activate(PROJECT, "1.0.0")
    partial = store.root / PROJECT / ".3.0.0.partial-abcdef"  # a crash mid-install
    partial.mkdir()
    config, disk = tmp_path / "node.toml", tmp_path / "recordings"
    config.write_text(
        f'[node]\nid = "n1"\ndata_dir = "{data}"\n\n'
        f'[storage]\nsettings = {{ disks = [{{ path = "{disk}" }}] }}\n\n'
        '[[devices]]\nid = "door"\ndriver = "rcam"\n'
    )
    node = cli_node._build(config)
    try:
        node.start()
        assert not partial.exists()
        assert node.kernel.plugin("rcam").version == "1.0.0"
        runs(node, "1.0.0")
    finally:
        node.stop()
