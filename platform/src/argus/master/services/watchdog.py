"""Watchdog events: periods when part of the system is unhealthy, from start to end.

A condition is identified by (kind, node, source) — ``node-offline`` of node ``n1``
(source: the node id), ``camera-offline`` of camera ``entrance`` (source: the camera id),
``recording-stopped`` of ``entrance/main`` (source: camera id / stream), ``disk-failed`` of
``/srv/rec1`` (source: the disk path), ``clock-offset`` of ``n1`` (source: the node id).
At most one event per condition is open (``ended`` NULL): raising an open condition
again does nothing, clearing one that is not open does nothing, so callers state what
they observe and need not remember what they said before.

No unique constraint can enforce "one open event" on every database (it would need a
partial index), so two transactions must not raise the same condition at once: the
registry takes the node's row lock (``SELECT … FOR UPDATE``) before it raises or clears
that node's conditions, in heartbeats and in :func:`sweep_offline` alike. Other callers
must do the same.

Times are the master's ``Clock`` (``clock.now()``), so tests drive them with a manual clock.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from argus.master.db.enums import NodeState, WatchdogKind
from argus.master.db.models import Node, WatchdogEvent
from argus.master.db.types import instant
from argus.protocol import DiskReport, Heartbeat, StreamReport, StreamState
from argus_sdk import Clock

__all__ = [
    "DEFAULT_LIST_LIMIT",
    "clear_condition",
    "instant",
    "list_events",
    "observe_heartbeat",
    "open_event",
    "raise_condition",
    "sweep_offline",
]

DEFAULT_LIST_LIMIT = 100
#: Stream states in which the camera is unreachable: the camera is offline.
OFFLINE_STATES = frozenset({StreamState.RECONNECTING, StreamState.NEEDS_CREDENTIALS})
#: Stream states in which "expected to record but not writing" means recording stopped
#: (offline streams are camera-offline instead; a starting one waits for a keyframe).
STOPPED_RECORDING_STATES = frozenset({StreamState.RECORDING, StreamState.STOPPED})


def open_event(
    session: Session, kind: WatchdogKind, node: Node | None, source: str
) -> WatchdogEvent | None:
    """The open event of the condition (kind, node, source), or None."""
    query = select(WatchdogEvent).where(
        WatchdogEvent.kind == kind,
        _node_is(node),
        WatchdogEvent.source == source,
        WatchdogEvent.ended.is_(None),
    )
    return session.scalars(query.order_by(WatchdogEvent.id).limit(1)).first()


def raise_condition(
    session: Session,
    clock: Clock,
    kind: WatchdogKind,
    node: Node | None,
    source: str,
    details: Mapping[str, Any] | None = None,
) -> WatchdogEvent | None:
    """Open an event for the condition unless one is open already.

    :param node: the node concerned; None for the master itself.
    :param details: kind-specific facts, JSON-serializable; kept as they were when the
        event opened (a later raise of the open condition does not change them).
    :returns: the event opened (flushed, with its id), or None when one was open.
    """
    if open_event(session, kind, node, source) is not None:
        return None
    event = _open(session, kind, node, source, details, instant(clock))
    session.flush()
    return event


def clear_condition(
    session: Session, clock: Clock, kind: WatchdogKind, node: Node | None, source: str
) -> WatchdogEvent | None:
    """End the open event of the condition, if there is one.

    :returns: the event ended, or None when none was open.
    """
    event = open_event(session, kind, node, source)
    if event is None:
        return None
    event.ended = instant(clock)
    session.flush()
    return event


def sweep_offline(session: Session, clock: Clock, timeout: float) -> list[WatchdogEvent]:
    """Open ``node-offline`` for every enrolled node silent for longer than ``timeout``.

    Run periodically by the master (say every ``timeout / 3`` seconds). A node's next
    heartbeat ends the event (:func:`observe_heartbeat`). Takes the row locks of the
    silent nodes, so a heartbeat committing meanwhile is waited for and counted.

    :param timeout: seconds without a heartbeat after which a node is offline.
    :returns: the events opened by this sweep.
    :raises ValueError: ``timeout`` is not positive.
    """
    if timeout <= 0:
        raise ValueError(f"the offline timeout must be positive, not {timeout}")
    cutoff = instant(clock) - dt.timedelta(seconds=timeout)
    silent = session.scalars(
        select(Node)
        .where(
            Node.state == NodeState.ENROLLED,
            or_(Node.last_heartbeat.is_(None), Node.last_heartbeat < cutoff),
        )
        .order_by(Node.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    opened = []
    for node in silent:
        last = node.last_heartbeat.isoformat() if node.last_heartbeat is not None else None
        details = {"last_heartbeat": last, "timeout": timeout}
        event = raise_condition(session, clock, WatchdogKind.NODE_OFFLINE, node, node.name, details)
        if event is not None:
            opened.append(event)
    return opened


def observe_heartbeat(
    session: Session, clock: Clock, node: Node, heartbeat: Heartbeat
) -> list[WatchdogEvent]:
    """Bring the node's conditions in line with an accepted heartbeat.

    The node is online (``node-offline`` ends). Per camera: a stream reconnecting or
    needing credentials opens ``camera-offline``, which ends when the camera's streams are
    recording again. Per stream: expected to record, connected (or stopped) and not
    writing opens ``recording-stopped``, which ends once it writes or is no longer
    expected to. Per disk: offline opens ``disk-failed``, online ends it. A camera, stream
    or disk the heartbeat no longer lists has left the node: its events end. Clock-offset
    events are left alone (:func:`argus.master.services.registry.record_clock_offset`).

    One query reads the node's open events; rows are written only for changes. Called by
    the registry with the node's row lock held.

    :returns: the events opened or ended.
    """
    now = instant(clock)
    open_now = _open_events(session, node)

    def reconcile(kind: WatchdogKind, verdicts: _Verdicts) -> list[WatchdogEvent]:
        return _reconcile(session, node, now, kind, open_now[kind], verdicts)

    online = _Verdicts(healthy={node.name}, reported={node.name})
    changes = reconcile(WatchdogKind.NODE_OFFLINE, online)
    changes += reconcile(WatchdogKind.CAMERA_OFFLINE, _camera_verdicts(heartbeat.streams))
    changes += reconcile(WatchdogKind.RECORDING_STOPPED, _recording_verdicts(heartbeat.streams))
    changes += reconcile(WatchdogKind.DISK_FAILED, _disk_verdicts(heartbeat.disks))
    session.flush()
    return changes


@dataclass
class _Verdicts:
    """What a heartbeat says about the sources of one kind of condition.

    ``failing``: source → details, the condition holds; ``healthy``: it does not;
    ``reported``: every source the heartbeat mentions (an open event of a source not
    among them ends: the camera, stream or disk has gone). A source reported but neither
    failing nor healthy (a stream still starting) keeps its event as it is.
    """

    failing: dict[str, dict[str, Any]] = field(default_factory=dict)
    healthy: set[str] = field(default_factory=set)
    reported: set[str] = field(default_factory=set)


def _camera_verdicts(streams: Iterable[StreamReport]) -> _Verdicts:
    by_camera: dict[str, list[StreamReport]] = defaultdict(list)
    for stream in streams:
        by_camera[stream.camera].append(stream)
    verdicts = _Verdicts(reported=set(by_camera))
    for camera, reports in by_camera.items():
        offline = [r for r in reports if r.state in OFFLINE_STATES]
        if offline:
            verdicts.failing[camera] = {
                "streams": {r.stream: r.state.value for r in offline},
                "error": offline[0].last_error,
            }
        elif any(r.state is StreamState.RECORDING for r in reports):
            verdicts.healthy.add(camera)
    return verdicts


def _recording_verdicts(streams: Iterable[StreamReport]) -> _Verdicts:
    verdicts = _Verdicts()
    for report in streams:
        source = f"{report.camera}/{report.stream}"
        verdicts.reported.add(source)
        if report.writing or not report.recording_expected:
            verdicts.healthy.add(source)
        elif report.state in STOPPED_RECORDING_STATES:
            verdicts.failing[source] = {
                "state": report.state.value,
                "last_packet": report.last_packet,
            }
    return verdicts


def _disk_verdicts(disks: Iterable[DiskReport]) -> _Verdicts:
    verdicts = _Verdicts()
    for disk in disks:
        verdicts.reported.add(disk.path)
        if disk.online:
            verdicts.healthy.add(disk.path)
        else:
            verdicts.failing[disk.path] = disk.model_dump(
                include={"id", "reason", "total_bytes", "free_bytes"}
            )
    return verdicts


def _open_events(session: Session, node: Node) -> dict[WatchdogKind, dict[str, WatchdogEvent]]:
    """The node's open events: kind → source → event (the oldest, should there be two)."""
    found: dict[WatchdogKind, dict[str, WatchdogEvent]] = {kind: {} for kind in WatchdogKind}
    query = (
        select(WatchdogEvent)
        .where(WatchdogEvent.node_id == node.id, WatchdogEvent.ended.is_(None))
        .order_by(WatchdogEvent.id.desc())
    )
    for event in session.scalars(query):
        found[event.kind][event.source] = event
    return found


def _reconcile(
    session: Session,
    node: Node,
    now: dt.datetime,
    kind: WatchdogKind,
    open_events: Mapping[str, WatchdogEvent],
    verdicts: _Verdicts,
) -> list[WatchdogEvent]:
    changes = [
        _open(session, kind, node, source, details, now)
        for source, details in verdicts.failing.items()
        if source not in open_events
    ]
    for source, event in open_events.items():
        if source in verdicts.healthy or source not in verdicts.reported:
            event.ended = now
            changes.append(event)
    return changes


def _open(
    session: Session,
    kind: WatchdogKind,
    node: Node | None,
    source: str,
    details: Mapping[str, Any] | None,
    now: dt.datetime,
) -> WatchdogEvent:
    event = WatchdogEvent(
        node_id=node.id if node is not None else None,
        kind=kind,
        source=source,
        started=now,
        details=dict(details or {}),
    )
    session.add(event)
    return event


def list_events(
    session: Session,
    *,
    open_only: bool = False,
    node: str | None = None,
    kind: WatchdogKind | None = None,
    since: dt.datetime | None = None,
    limit: int | None = DEFAULT_LIST_LIMIT,
) -> list[WatchdogEvent]:
    """Watchdog events, newest first.

    :param open_only: only events still going on.
    :param node: only events of the node with this id (name).
    :param kind: only events of this kind.
    :param since: only events going on at or after this instant (ongoing ones, and those
        that ended at or after it), so a condition that began earlier is not missed.
    :param limit: at most this many; None: all.
    :raises ValueError: ``limit`` below 1, or a naive ``since``.
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    if since is not None and since.utcoffset() is None:
        raise ValueError("since must be a timezone-aware datetime")
    query = select(WatchdogEvent)
    if open_only:
        query = query.where(WatchdogEvent.ended.is_(None))
    if node is not None:
        query = query.join(Node, Node.id == WatchdogEvent.node_id).where(Node.name == node)
    if kind is not None:
        query = query.where(WatchdogEvent.kind == kind)
    if since is not None:
        query = query.where(or_(WatchdogEvent.ended.is_(None), WatchdogEvent.ended >= since))
    query = query.order_by(WatchdogEvent.started.desc(), WatchdogEvent.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def _node_is(node: Node | None) -> ColumnElement[bool]:
    if node is None:
        return WatchdogEvent.node_id.is_(None)
    return WatchdogEvent.node_id == node.id
