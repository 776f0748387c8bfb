from __future__ import annotations

import dataclasses

import pytest

from argus_sdk import Event, EventPhase, EventSource


def test_event_data_is_a_frozen_copy() -> None:
    data = {"state": True}
    event = Event("argus.io.input", EventSource("input", "cam1:in1"), EventPhase.START, data)
    data["state"] = False
    assert event.data["state"] is True
    with pytest.raises(TypeError):
        event.data["state"] = False  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.topic = "other"  # type: ignore[misc]


def test_events_get_distinct_ids_and_default_to_pulse() -> None:
    a = Event("argus.test", EventSource("node", "n1"))
    b = Event("argus.test", EventSource("node", "n1"))
    assert a.id != b.id
    assert a.phase is EventPhase.PULSE
    assert not a.state_sync
