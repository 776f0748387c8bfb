"""Watchdog events opened and ended by sweeps and heartbeats, on every engine."""

from __future__ import annotations

import datetime as dt
import functools

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from argus import __version__
from argus.master.db.enums import WatchdogKind
from argus.master.db.models import Node, WatchdogEvent
from argus.master.services import registry, watchdog
from argus.master.services.watchdog import instant
from argus.protocol import DiskReport, EnrolRequest, Heartbeat, StreamReport, StreamState
from argus.security.tokens import public_pem
from argus_sdk.testing import ManualClock

PEM = public_pem(Ed25519PrivateKey.generate())
TIMEOUT = 30.0
KIND = WatchdogKind


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


class EnrolledNode:
    """A node enrolled with the master, sending heartbeats through the registry."""

    def __init__(self, session: Session, clock: ManualClock, name: str = "node-1") -> None:
        self.session, self.clock, self.name = session, clock, name
        token = registry.create_node(session, clock, name).token
        enrol = EnrolRequest(
            token=token,
            node_id=name,
            platform_version=__version__,
            architecture="x86_64",
            os="Linux",
            listen_address="http://127.0.0.1:5009",
        )
        self.credential = registry.enrol(session, clock, enrol, PEM, "master").credential

    @property
    def row(self) -> Node:
        return self.session.scalars(select(Node).where(Node.name == self.name)).one()

    def beat(self, *streams: StreamReport, disks: tuple[DiskReport, ...] = ()) -> None:
        heartbeat = Heartbeat(
            node_id=self.name,
            sent=self.clock.now(),
            platform_version=__version__,
            streams=list(streams),
            disks=list(disks),
        )
        registry.heartbeat(self.session, self.clock, self.credential, heartbeat)


def stream(
    camera: str = "entrance",
    name: str = "main",
    state: StreamState = StreamState.RECORDING,
    *,
    writing: bool = True,
    expected: bool = True,
    error: str = "",
) -> StreamReport:
    return StreamReport(
        camera=camera,
        stream=name,
        state=state,
        writing=writing,
        recording_expected=expected,
        last_packet=None,
        last_error=error,
    )


def disk(path: str = "/srv/rec1", online: bool = True, reason: str = "") -> DiskReport:
    return DiskReport(
        id="uuid-1", path=path, online=online, reason=reason, total_bytes=10**12, free_bytes=10**11
    )


def events(session: Session, kind: WatchdogKind | None = None) -> list[WatchdogEvent]:
    """Every event of ``kind`` as stored, oldest first."""
    session.expire_all()
    found = watchdog.list_events(session, kind=kind, limit=None)
    return sorted(found, key=lambda event: event.id)


# --- conditions ----------------------------------------------------------------------------


def test_a_condition_is_opened_once_and_ended_once(session: Session, clock: ManualClock) -> None:
    node = EnrolledNode(session, clock).row

    first = watchdog.raise_condition(session, clock, KIND.DISK_FAILED, node, "/a", {"x": 1})
    clock.advance(5)
    second = watchdog.raise_condition(session, clock, KIND.DISK_FAILED, node, "/a", {"x": 2})

    assert first is not None and second is None
    [event] = events(session)
    assert (event.kind, event.node_id, event.source) == (KIND.DISK_FAILED, node.id, "/a")
    assert event.details == {"x": 1}
    assert event.started == instant(clock) - dt.timedelta(seconds=5)
    assert event.ended is None

    clock.advance(5)
    assert watchdog.clear_condition(session, clock, KIND.DISK_FAILED, node, "/a") is not None
    assert watchdog.clear_condition(session, clock, KIND.DISK_FAILED, node, "/a") is None
    [event] = events(session)
    assert event.ended == instant(clock)

    assert watchdog.raise_condition(session, clock, KIND.DISK_FAILED, node, "/a") is not None
    assert [e.ended is None for e in events(session)] == [False, True]


def test_conditions_are_told_apart_by_kind_node_and_source(
    session: Session, clock: ManualClock
) -> None:
    one, two = EnrolledNode(session, clock).row, EnrolledNode(session, clock, "node-2").row

    for kind, node, source in [
        (KIND.DISK_FAILED, one, "/a"),
        (KIND.DISK_FAILED, one, "/b"),
        (KIND.DISK_FAILED, two, "/a"),
        (KIND.RECORDING_STOPPED, one, "/a"),
        (KIND.DISK_FAILED, None, "/a"),
    ]:
        assert watchdog.raise_condition(session, clock, kind, node, source) is not None

    assert len(events(session)) == 5
    assert watchdog.clear_condition(session, clock, KIND.DISK_FAILED, None, "/a") is not None
    still_open = watchdog.list_events(session, open_only=True, limit=None)
    assert sorted((e.kind, e.node_id, e.source) for e in still_open) == [
        (KIND.DISK_FAILED, one.id, "/a"),
        (KIND.DISK_FAILED, one.id, "/b"),
        (KIND.DISK_FAILED, two.id, "/a"),
        (KIND.RECORDING_STOPPED, one.id, "/a"),
    ]


# --- nodes going silent --------------------------------------------------------------------


def test_a_silent_node_gets_exactly_one_offline_event_ended_by_its_heartbeat(
    session: Session, clock: ManualClock
) -> None:
    node = EnrolledNode(session, clock)
    last = instant(clock)

    clock.advance(TIMEOUT)
    assert watchdog.sweep_offline(session, clock, TIMEOUT) == []
    clock.advance(1)
    opened = watchdog.sweep_offline(session, clock, TIMEOUT)
    clock.advance(TIMEOUT)
    again = watchdog.sweep_offline(session, clock, TIMEOUT)

    assert len(opened) == 1 and again == []
    [event] = events(session)
    assert (event.kind, event.source, event.node_id) == (KIND.NODE_OFFLINE, "node-1", node.row.id)
    assert event.started == last + dt.timedelta(seconds=TIMEOUT + 1)
    assert event.details == {"last_heartbeat": last.isoformat(), "timeout": TIMEOUT}

    clock.advance(3)
    node.beat()
    [event] = events(session)
    assert event.ended == instant(clock)
    assert watchdog.sweep_offline(session, clock, TIMEOUT) == []


def test_only_enrolled_nodes_are_swept(session: Session, clock: ManualClock) -> None:
    registry.create_node(session, clock, "pending")
    EnrolledNode(session, clock, "live")
    clock.advance(TIMEOUT - 1)
    EnrolledNode(session, clock).beat()
    clock.advance(2)

    opened = watchdog.sweep_offline(session, clock, TIMEOUT)

    assert [event.source for event in opened] == ["live"]
    with pytest.raises(ValueError, match="positive"):
        watchdog.sweep_offline(session, clock, 0)


# --- heartbeat contents --------------------------------------------------------------------


def test_a_camera_that_reconnects_is_offline_until_it_records_again(
    session: Session, clock: ManualClock
) -> None:
    node = EnrolledNode(session, clock)
    node.beat(stream(), stream(name="sub"))
    assert events(session) == []

    clock.advance(5)
    lost = "no packet for 10 s"
    reconnecting = stream("entrance", "sub", StreamState.RECONNECTING, writing=False, error=lost)
    node.beat(stream(), reconnecting)
    started = instant(clock)
    clock.advance(5)
    node.beat(stream(state=StreamState.NEEDS_CREDENTIALS, writing=False, error="401"), reconnecting)
    clock.advance(5)
    starting = StreamState.STARTING
    node.beat(stream(state=starting, writing=False), stream("sub", state=starting, writing=False))
    [event] = events(session)
    assert (event.kind, event.source, event.ended) == (KIND.CAMERA_OFFLINE, "entrance", None)
    assert event.started == started
    assert event.details == {"streams": {"sub": "reconnecting"}, "error": lost}

    clock.advance(5)
    node.beat(stream(), stream(name="sub"))
    [event] = events(session)
    assert event.ended == instant(clock)


def test_needs_credentials_is_a_camera_offline(session: Session, clock: ManualClock) -> None:
    node = EnrolledNode(session, clock)

    node.beat(stream(state=StreamState.NEEDS_CREDENTIALS, writing=False, error="401"))

    [event] = events(session)
    assert event.kind == KIND.CAMERA_OFFLINE
    assert event.details == {"streams": {"main": "needs-credentials"}, "error": "401"}


def test_recording_expected_but_not_writing_is_recording_stopped(
    session: Session, clock: ManualClock
) -> None:
    node = EnrolledNode(session, clock)
    node.beat(stream(writing=False, expected=False))
    assert events(session) == []

    clock.advance(5)
    node.beat(stream(writing=False))
    clock.advance(5)
    node.beat(stream(writing=False))
    [event] = events(session)
    assert (event.kind, event.source) == (KIND.RECORDING_STOPPED, "entrance/main")
    assert event.details == {"state": "recording", "last_packet": None}
    assert event.ended is None

    clock.advance(5)
    node.beat(stream())
    [event] = events(session)
    assert event.ended == instant(clock)


def test_a_stream_still_starting_is_not_recording_stopped(
    session: Session, clock: ManualClock
) -> None:
    node = EnrolledNode(session, clock)

    node.beat(stream(state=StreamState.STARTING, writing=False))

    assert events(session) == []


def test_a_failed_disk_is_reported_until_it_is_back(session: Session, clock: ManualClock) -> None:
    node = EnrolledNode(session, clock)
    node.beat(disks=(disk(), disk("/srv/rec2")))

    clock.advance(5)
    node.beat(disks=(disk(), disk("/srv/rec2", online=False, reason="not mounted")))
    clock.advance(5)
    node.beat(disks=(disk(), disk("/srv/rec2", online=False, reason="not mounted")))
    [event] = events(session)
    assert (event.kind, event.source, event.ended) == (KIND.DISK_FAILED, "/srv/rec2", None)
    assert event.details == {
        "id": "uuid-1",
        "reason": "not mounted",
        "total_bytes": 10**12,
        "free_bytes": 10**11,
    }

    clock.advance(5)
    node.beat(disks=(disk(), disk("/srv/rec2")))
    [event] = events(session)
    assert event.ended == instant(clock)


def test_what_the_node_no_longer_reports_ends_its_events(
    session: Session, clock: ManualClock
) -> None:
    node = EnrolledNode(session, clock)
    node.beat(
        stream(state=StreamState.RECONNECTING, writing=False),
        stream("yard", writing=False),
        disks=(disk(online=False),),
    )
    assert {e.kind for e in events(session)} == {
        KIND.CAMERA_OFFLINE,
        KIND.RECORDING_STOPPED,
        KIND.DISK_FAILED,
    }

    clock.advance(5)
    node.beat()

    assert all(event.ended == instant(clock) for event in events(session))


def test_heartbeats_of_one_node_leave_another_nodes_events_alone(
    session: Session, clock: ManualClock
) -> None:
    one, two = EnrolledNode(session, clock), EnrolledNode(session, clock, "node-2")
    one.beat(stream(state=StreamState.RECONNECTING, writing=False))

    two.beat()

    [event] = events(session)
    assert event.ended is None


# --- listing -------------------------------------------------------------------------------


def test_list_events_filters_and_orders_newest_first(session: Session, clock: ManualClock) -> None:
    one, two = EnrolledNode(session, clock).row, EnrolledNode(session, clock, "node-2").row
    t0 = instant(clock)
    watchdog.raise_condition(session, clock, KIND.DISK_FAILED, one, "/old")
    clock.advance(10)
    watchdog.clear_condition(session, clock, KIND.DISK_FAILED, one, "/old")
    clock.advance(10)
    watchdog.raise_condition(session, clock, KIND.CAMERA_OFFLINE, one, "cam")
    clock.advance(10)
    watchdog.raise_condition(session, clock, KIND.DISK_FAILED, two, "/new")
    session.expire_all()

    def sources(found: list[WatchdogEvent]) -> list[str]:
        return [event.source for event in found]

    listed = functools.partial(watchdog.list_events, session)
    assert sources(listed()) == ["/new", "cam", "/old"]
    assert sources(listed(open_only=True)) == ["/new", "cam"]
    assert sources(listed(node="node-1")) == ["cam", "/old"]
    assert sources(listed(kind=KIND.DISK_FAILED)) == ["/new", "/old"]
    assert sources(listed(since=t0 + dt.timedelta(seconds=10))) == ["/new", "cam", "/old"]
    assert sources(listed(since=t0 + dt.timedelta(seconds=11))) == ["/new", "cam"]
    assert sources(listed(limit=1)) == ["/new"]
    assert sources(listed(node="node-2", open_only=True)) == ["/new"]
    assert sources(listed(node="node-9")) == []
    with pytest.raises(ValueError, match="limit"):
        watchdog.list_events(session, limit=0)
    with pytest.raises(ValueError, match="timezone-aware"):
        watchdog.list_events(session, since=dt.datetime(2024, 1, 1))
