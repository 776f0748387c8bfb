from __future__ import annotations

import logging
import time

import pytest

from argus_driver_sim.ioports import IoPorts
from argus_driver_sim.settings import InputScript, InputSettings, OutputSettings
from argus_sdk import Event, EventPhase, EventSource, InvalidRequest, IoDirection
from argus_sdk.testing import ManualClock

LOG = logging.getLogger("test")


def ports(clock: ManualClock, events: list[Event], script: InputScript | None = None) -> IoPorts:
    return IoPorts(
        "dev",
        [InputSettings(id="door", name="Door", script=script), InputSettings(id="pir")],
        [OutputSettings(id="siren", name="Siren")],
        clock,
        events.append,
        LOG,
    )


def test_ports_are_described(clock: ManualClock, events: list[Event]) -> None:
    io = ports(clock, events)
    assert [(p.id, p.direction, p.name) for p in io.ports] == [
        ("door", IoDirection.INPUT, "Door"),
        ("pir", IoDirection.INPUT, ""),
        ("siren", IoDirection.OUTPUT, "Siren"),
    ]


def test_input_script_fires_start_and_end_with_one_id(
    clock: ManualClock, events: list[Event]
) -> None:
    opened = clock.now()
    io = ports(clock, events, InputScript(active_seconds=2, period_seconds=5, offset_seconds=1))
    io.poll()
    assert events == []
    clock.advance(1.5)
    assert io.input_states() == {"door": True, "pir": False}
    clock.advance(2.0)
    io.poll()
    start, end = events
    assert (start.topic, start.phase, end.phase) == ("argus.io.input", "start", "end")
    assert start.source == end.source == EventSource("input", "dev:door")
    assert start.id == end.id
    assert start.data["active"] is True and end.data["active"] is False
    assert start.device_time == pytest.approx(opened + 1.0)
    assert end.device_time == pytest.approx(opened + 3.0)
    assert io.input_states()["door"] is False


def test_missed_transitions_are_published_in_order(clock: ManualClock, events: list[Event]) -> None:
    opened = clock.now()
    io = ports(clock, events, InputScript(active_seconds=1, period_seconds=2))
    clock.advance(6.5)
    io.poll()
    phases = [e.phase for e in events]
    assert phases == [EventPhase.START, EventPhase.END] * 3 + [EventPhase.START]
    assert [e.device_time for e in events] == pytest.approx(
        [opened + t for t in (0, 1, 2, 3, 4, 5, 6)]
    )
    ids = [e.id for e in events]
    assert ids[0] == ids[1] != ids[2] == ids[3] != ids[4]


def test_set_input_and_output_publish_only_changes(clock: ManualClock, events: list[Event]) -> None:
    io = ports(clock, events)
    io.set_input("pir", True)
    io.set_input("pir", True)
    io.set_output("siren", True)
    io.set_output("siren", False)
    io.set_input("pir", False)
    assert [(e.topic, e.source.id, e.phase) for e in events] == [
        ("argus.io.input", "dev:pir", "start"),
        ("argus.io.output", "dev:siren", "start"),
        ("argus.io.output", "dev:siren", "end"),
        ("argus.io.input", "dev:pir", "end"),
    ]
    assert events[0].id == events[3].id and events[1].id == events[2].id
    assert events[1].source.kind == "output"
    assert io.output_states() == {"siren": False}


def test_unknown_port_is_an_invalid_request(clock: ManualClock, events: list[Event]) -> None:
    io = ports(clock, events)
    with pytest.raises(InvalidRequest):
        io.set_output("door", True)  # an input, not an output
    with pytest.raises(InvalidRequest):
        io.set_input("nope", True)


def test_script_thread_publishes_without_polling_and_stops(
    events: list[Event],
) -> None:
    clock = ManualClock()
    io = ports(clock, events, InputScript(active_seconds=1, period_seconds=2))
    io.start()
    try:
        clock.advance(1.5)
        deadline = 200
        while len(events) < 2 and deadline:
            time.sleep(0.01)
            deadline -= 1
        assert [e.phase for e in events] == [EventPhase.START, EventPhase.END]
    finally:
        io.close()
        io.close()
