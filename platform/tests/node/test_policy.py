"""Recording policies: weekly schedules in a time zone, event triggers with post time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from argus.node.config import RecordingSection, ScheduleWindow
from argus.node.policy import Continuous, EventTriggered, Scheduled, policy_for
from argus_sdk import Event, EventPhase, EventSource

HELSINKI = ZoneInfo("Europe/Helsinki")


def at(year: int, month: int, day: int, hour: int, minute: int) -> float:
    return dt.datetime(year, month, day, hour, minute, tzinfo=HELSINKI).timestamp()


def test_schedule_windows_follow_local_time_and_days() -> None:
    policy = Scheduled(
        [
            ScheduleWindow(days=["mon", "tue", "wed", "thu", "fri"], start="08:00", end="18:00"),
            ScheduleWindow(days=["sat"], start="22:00", end="24:00"),
        ],
        "Europe/Helsinki",
    )
    assert policy.active(at(2026, 11, 23, 8, 0))  # Monday 08:00
    assert not policy.active(at(2026, 11, 23, 7, 59))
    assert not policy.active(at(2026, 11, 23, 18, 0))  # the end is exclusive
    assert not policy.active(at(2026, 11, 22, 12, 0))  # Sunday
    assert policy.active(at(2026, 11, 28, 23, 59))  # Saturday night window
    # Across the DST change on 29 March 2026 (03:00 → 04:00 local): local time decides.
    assert policy.active(at(2026, 3, 30, 8, 30))


def trigger(phase: EventPhase, when: float, source: str = "dock:door", **kw: object) -> Event:
    return Event("argus.io.input", EventSource("input", source), phase, device_time=when, **kw)  # type: ignore[arg-type]


def test_event_recording_lasts_while_active_and_post_time_after() -> None:
    policy = EventTriggered("dock", ["argus.io.input"], pre=4.0, post=5.0)
    assert not policy.active(100.0)
    start = trigger(EventPhase.START, 100.0)
    policy.on_event(start)
    assert policy.active(1000.0)  # still open, however long
    policy.on_event(
        Event("argus.io.input", start.source, EventPhase.END, device_time=200.0, id=start.id)
    )
    assert policy.active(204.9) and not policy.active(205.1)


def test_other_devices_other_topics_and_state_syncs_do_not_trigger() -> None:
    policy = EventTriggered("dock", ["argus.io.input"], pre=0, post=5.0)
    policy.on_event(trigger(EventPhase.PULSE, 100.0, source="dockyard:door"))
    policy.on_event(trigger(EventPhase.START, 100.0, state_sync=True))
    policy.on_event(
        Event(
            "argus.camera.offline",
            EventSource("camera", "dock"),
            EventPhase.START,
            device_time=100.0,
        )
    )
    assert not policy.active(101.0)
    policy.on_event(trigger(EventPhase.PULSE, 100.0))
    assert policy.active(101.0) and not policy.active(106.0)


def test_policy_for_maps_modes() -> None:
    assert isinstance(policy_for("x", RecordingSection()), Continuous)
    event = policy_for("x", RecordingSection(mode="event", pre_seconds=3))
    assert isinstance(event, EventTriggered) and event.pre_seconds == 3
