"""The node's heartbeat report, and a master that cannot be reached."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from argus.kernel import Kernel
from argus.node.config import NodeConfig
from argus.node.runtime import Node
from argus.node.uplink import Uplink
from argus.protocol import StreamState
from argus.testing import free_port


@pytest.fixture
def node(tmp_path: Path) -> Node:
    (tmp_path / "disk").mkdir()
    config = NodeConfig.model_validate(
        {
            "node": {"id": "n7", "data_dir": str(tmp_path / "data")},
            "storage": {
                "backend": "segments",
                "settings": {"disks": [{"path": str(tmp_path / "disk"), "min_free_mb": 0}]},
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
                    "id": "dock",
                    "driver": "sim",
                    "settings": {
                        "name": "Dock",
                        "main_profile": "360p",
                        "sub_profile": None,
                        "loop_seconds": 2,
                    },
                    "recording": {"mode": "event"},
                },
            ],
        }
    )
    kernel = Kernel(enabled={"sim", "segments"})
    kernel.load()
    return Node(kernel, config)


def test_the_report_holds_every_stream_and_disk(node: Node) -> None:
    node.start()
    try:
        deadline = time.monotonic() + 30
        while any(w.stats.state is not StreamState.RECORDING for w in node.workers):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        report = Uplink(node, "http://127.0.0.1:9").report()
    finally:
        node.stop()
    streams = {s.camera: s for s in report.streams}
    assert report.node_id == "n7" and set(streams) == {"gate", "dock"}
    assert streams["gate"].recording_expected and streams["gate"].state is StreamState.RECORDING
    assert not streams["dock"].recording_expected  # event mode, no event
    [disk] = report.disks
    assert disk.online and disk.free_bytes > 0 and len(disk.id) == 36


def test_an_unreachable_master_is_logged_once_and_changes_nothing(
    node: Node, caplog: pytest.LogCaptureFixture
) -> None:
    (node.host.data_dir / "master-credential").write_text("secret")
    uplink = Uplink(node, f"http://127.0.0.1:{free_port()}", interval=0.05)
    with caplog.at_level(logging.WARNING, logger="argus.node.uplink"):
        uplink.start()
        time.sleep(0.5)
        uplink.stop()
    warnings = [r for r in caplog.records if "master unreachable" in r.getMessage()]
    assert len(warnings) == 1
    assert uplink.last_reply is None
    node.stop()


def test_the_masters_clock_offset_corrects_the_node_clock_and_is_kept(tmp_path: Path) -> None:
    from argus.clocksync import CorrectedClock
    from argus.node.uplink import load_clock_offset
    from argus_sdk.testing import ManualClock

    base = ManualClock(start=1_800_000_000.0)
    clock = CorrectedClock(base)
    config = NodeConfig.model_validate(
        {"node": {"id": "n8", "data_dir": str(tmp_path)}, "storage": None}
    )
    node = Node(Kernel(enabled=set()), config, clock=clock)
    reanchored: list[bool] = []
    node.reanchor_streams = lambda: reanchored.append(True)  # type: ignore[method-assign]
    uplink = Uplink(node, "http://127.0.0.1:9")
    try:
        assert load_clock_offset(tmp_path) == 0.0
        uplink.correct_clock(0.2)  # small: applies at the next connection
        assert clock.now() == pytest.approx(1_800_000_000.0 - 0.2)
        assert reanchored == []
        uplink.correct_clock(4.0)  # large: every stream reopens now
        assert clock.now() == pytest.approx(1_800_000_000.0 - 4.0)
        assert base.now() == 1_800_000_000.0
        assert reanchored == [True]
        assert load_clock_offset(tmp_path) == 4.0
        uplink.correct_clock(4.0)
        assert reanchored == [True]
    finally:
        uplink.stop()
        node.stop()


def test_a_node_without_a_correctable_clock_ignores_offsets(node: Node) -> None:
    uplink = Uplink(node, "http://127.0.0.1:9")
    uplink.correct_clock(3.0)
    uplink.stop()
    assert not (node.host.data_dir / "clock-offset").exists()
