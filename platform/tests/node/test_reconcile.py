"""Applying a new device list to a running node touches only what changed."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from argus.kernel import Kernel
from argus.node.config import DeviceSection, NodeConfig
from argus.node.runtime import Node
from argus.protocol import StreamState


def sim(device: str, name: str, **extra: Any) -> DeviceSection:
    return DeviceSection.model_validate(
        {
            "id": device,
            "driver": "sim",
            "settings": {
                "name": name,
                "main_profile": "360p",
                "sub_profile": None,
                "loop_seconds": 2,
                **extra,
            },
        }
    )


def wait_for(ok: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not ok():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def node(tmp_path: Path) -> Any:
    config = NodeConfig.model_validate(
        {"node": {"id": "n1", "data_dir": str(tmp_path)}, "storage": None}
    )
    kernel = Kernel(enabled={"sim"})
    kernel.load()
    node = Node(kernel, config)
    node.apply_devices([sim("gate", "Gate"), sim("dock", "Dock")])
    node.start()
    yield node
    node.stop()


def recording(node: Node) -> bool:
    return all(w.stats.state is StreamState.RECORDING for w in node.workers)


def test_unchanged_devices_keep_running_changed_ones_restart(node: Node) -> None:
    wait_for(lambda: recording(node), "both cameras")
    gate = node.worker("gate", "main")
    dock = node.worker("dock", "main")
    assert gate is not None and dock is not None
    packets_before = gate.stats.packets

    counts = node.apply_devices([sim("gate", "Gate"), sim("dock", "Dock 2"), sim("yard", "Yard")])
    assert counts == (1, 1, 0)
    assert node.worker("gate", "main") is gate  # same worker, never stopped
    assert node.worker("dock", "main") is not dock  # reopened with its new settings
    assert dock.stats.state is StreamState.STOPPED
    wait_for(lambda: recording(node) and len(node.workers) == 3, "three cameras")
    assert gate.stats.connects == 1 and gate.stats.packets > packets_before

    assert node.apply_devices([sim("gate", "Gate")]) == (0, 0, 2)
    assert set(node.cameras) == {"gate"} and [w.camera for w in node.workers] == ["gate"]
    assert gate.stats.state is StreamState.RECORDING


def test_a_device_that_cannot_open_is_left_out_and_the_rest_applies(node: Node) -> None:
    bad = DeviceSection.model_validate({"id": "bad", "driver": "no-such-driver"})
    assert node.apply_devices([sim("gate", "Gate"), sim("dock", "Dock"), bad]) == (1, 0, 0)
    assert set(node.cameras) == {"gate", "dock"}


def test_configured_cameras_choose_channels_ids_and_names(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = NodeConfig.model_validate(
        {"node": {"id": "n2", "data_dir": str(tmp_path)}, "storage": None}
    )
    kernel = Kernel(enabled={"sim", "sim-encoder"})
    kernel.load()
    node = Node(kernel, config)
    encoder = DeviceSection.model_validate(
        {
            "id": "yard",
            "driver": "sim-encoder",
            "settings": {"name": "Yard", "channel_count": 4, "channel": {"main_profile": "360p"}},
            "cameras": [
                {"channel": 0, "id": "yard-gate", "name": "Yard gate"},
                {"channel": 2, "id": "yard-ch3", "enabled": False},
                {"channel": 3, "id": "yard-ch4"},
                {"channel": 7, "id": "yard-ch8"},
            ],
        }
    )
    try:
        node.apply_devices([encoder])
        assert {c.id: c.channel for c in node.cameras.values()} == {"yard-gate": 0, "yard-ch4": 3}
        assert node.cameras["yard-gate"].name == "Yard gate"
        assert node.cameras["yard-ch4"].name not in ("", "yard-ch4")  # the driver's own name
        assert {w.camera for w in node.workers} == {"yard-gate", "yard-ch4"}
        assert "has no channel 7" in caplog.text
    finally:
        node.stop()
