"""Recorder workers against the real sim driver plugin, on a manual clock."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from argus.kernel import Kernel
from argus.node.drivers import DriverTable
from argus.node.recorder import StreamState, StreamWorker
from argus_sdk import (
    AuthenticationFailed,
    ChannelKind,
    Event,
    EventPhase,
    PacketSource,
    PluginContext,
    StreamDescription,
    StreamPacket,
    TrackDescription,
)
from argus_sdk.testing import ManualClock

SIM = {
    "name": "Rec",
    "main_profile": "360p",
    "sub_profile": None,
    "loop_seconds": 2,
    "inputs": [],
    "outputs": [],
}


class ListWriter:
    """A StorageWriter keeping packets in memory, one per recording session."""

    def __init__(self, on_write: Any = None) -> None:
        self.packets: list[StreamPacket] = []
        self.closed = False
        self._on_write = on_write

    def write(self, packet: StreamPacket) -> None:
        self.packets.append(packet)
        if self._on_write is not None:
            self._on_write(self)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def sim_device(tmp_path: Path) -> Any:
    kernel = Kernel(enabled={"sim"})
    kernel.load()
    clock = ManualClock()
    events: list[Event] = []
    context = PluginContext("cam", clock=clock, publish=events.append, cache_dir=tmp_path)
    device = DriverTable(kernel).open("sim", SIM, context)
    yield device, clock
    device.close()


def test_worker_starts_at_keyframe_and_reconnects_after_a_drop(sim_device: Any) -> None:
    device, clock = sim_device
    writers: list[ListWriter] = []
    events: list[Event] = []
    total = 0

    def written(writer: ListWriter) -> None:
        nonlocal total
        total += 1
        if total == 30:
            device.disconnect(offline_seconds=3.0)
        if total == 80:
            worker.stop()

    def open_writer(_description: StreamDescription) -> ListWriter:
        writers.append(ListWriter(written))
        return writers[-1]

    worker = StreamWorker(
        "cam",
        "main",
        lambda: device.open_stream(0, "main"),
        open_writer,
        events.append,
        clock=clock,
    )
    worker.run()

    assert len(writers) == 2 and all(w.closed for w in writers)
    for writer in writers:
        assert writer.packets[0].keyframe
        dts = [p.dts for p in writer.packets]
        assert dts == sorted(dts) and len(set(dts)) == len(dts)
    assert [(e.topic, e.phase) for e in events] == [
        ("argus.camera.offline", EventPhase.START),
        ("argus.camera.offline", EventPhase.END),
    ]
    assert events[0].id == events[1].id
    assert events[0].data["stream"] == "main"
    assert worker.stats.connects == 2
    assert worker.stats.packets == 80
    assert worker.stats.state is StreamState.STOPPED


class SilentSource:
    """A connection that stays open and delivers nothing (a frozen camera)."""

    def __init__(self, clock: ManualClock) -> None:
        self._clock = clock
        self.description = StreamDescription(
            "main", (TrackDescription(0, ChannelKind.VIDEO, "h264", Fraction(1, 90000)),)
        )
        self.closed = False

    def read(self, timeout: float) -> StreamPacket | None:
        self._clock.sleep(timeout)
        return None

    def close(self) -> None:
        self.closed = True


def test_stalled_stream_is_reopened() -> None:
    clock = ManualClock()
    sources: list[SilentSource] = []
    events: list[Event] = []

    def open_source() -> PacketSource:
        sources.append(SilentSource(clock))
        if len(sources) == 2:
            worker.stop()
        return sources[-1]

    worker = StreamWorker(
        "cam",
        "main",
        open_source,
        lambda _d: ListWriter(),
        events.append,
        clock=clock,
        stall_timeout=5.0,
    )
    worker.run()
    assert len(sources) == 2 and sources[0].closed
    assert events[0].phase is EventPhase.START
    assert events[0].data["reason"] == "no packet for 5 s"
    assert worker.stats.last_error == "no packet for 5 s"


def test_refused_credentials_are_reported_not_hammered() -> None:
    clock = ManualClock()
    attempts: list[float] = []
    events: list[Event] = []

    states: list[StreamState] = []

    def open_source() -> PacketSource:
        attempts.append(clock.monotonic())
        states.append(worker.stats.state)
        if len(attempts) == 3:
            worker.stop()
        raise AuthenticationFailed("401 Unauthorized")

    worker = StreamWorker(
        "cam", "main", open_source, lambda _d: ListWriter(), events.append, clock=clock
    )
    worker.run()
    assert states[1:] == [StreamState.NEEDS_CREDENTIALS] * 2
    assert len(events) == 1  # one offline event for the whole outage
    assert events[0].data["reason"] == "401 Unauthorized"
    assert attempts[1] - attempts[0] >= 30.0  # waits the backoff cap between tries
    assert worker.stats.last_error == "401 Unauthorized"


def test_a_failing_live_tap_is_removed_and_recording_goes_on(sim_device: Any) -> None:
    device, clock = sim_device
    writer = ListWriter()
    calls = 0

    def bad_tap(_packet: StreamPacket) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("Event loop is closed")

    def written(w: ListWriter) -> None:
        if len(w.packets) == 50:
            worker.stop()

    writer = ListWriter(written)
    worker = StreamWorker(
        "cam",
        "main",
        lambda: device.open_stream(0, "main"),
        lambda _d: writer,
        lambda _e: None,
        clock=clock,
    )
    worker.add_tap(bad_tap)
    worker.run()
    assert calls == 1 and len(writer.packets) == 50


def test_reanchor_reopens_the_stream_at_the_next_keyframe(sim_device: Any) -> None:
    device, clock = sim_device
    writers: list[ListWriter] = []
    events: list[Event] = []
    total = 0

    def written(writer: ListWriter) -> None:
        nonlocal total
        total += 1
        if total == 5:
            worker.reanchor()
        if len(writers) == 2 and len(writer.packets) == 10:
            worker.stop()

    def open_writer(_description: StreamDescription) -> ListWriter:
        writers.append(ListWriter(written))
        return writers[-1]

    worker = StreamWorker(
        "cam",
        "main",
        lambda: device.open_stream(0, "main"),
        open_writer,
        events.append,
        clock=clock,
    )
    worker.run()

    first, second = writers
    assert first.closed and second.closed
    assert len(first.packets) > 5  # the rest of the GOP, up to the next keyframe
    assert not any(p.keyframe for p in first.packets[1:])
    assert second.packets[0].keyframe
    assert worker.stats.connects == 2
    assert events == []  # reopened on purpose: the camera was never offline


def test_a_tap_given_as_a_bound_method_is_removed() -> None:
    """Each ``obj.method`` is a new object: removal must compare, not test identity."""

    class Viewer:
        def tap(self, packet: StreamPacket) -> None:
            pass

    viewer = Viewer()
    worker = StreamWorker("cam", "main", lambda: None, lambda d: ListWriter(), lambda e: None)
    worker.add_tap(viewer.tap)
    worker.remove_tap(viewer.tap)
    assert worker._taps == []
