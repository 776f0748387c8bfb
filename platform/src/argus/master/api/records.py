"""What the master recorded: watchdog events and the audit trail (administrators only)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.master.api.auth import Running, Tx, Who
from argus.master.api.models import AuditEntryOut, AuditPage, WatchdogEventOut
from argus.master.db import AuditEntry, Node
from argus.master.db.enums import AuditResult, WatchdogKind
from argus.master.services import audit, watchdog
from argus.master.services.errors import Invalid

router = APIRouter(tags=["watchdog and audit"])

Instant = Annotated[
    dt.datetime | None, Query(description="ISO 8601 with a time zone (2024-05-01T12:00:00Z).")
]


@router.get("/watchdog/events", response_model=list[WatchdogEventOut])
def watchdog_events(
    db: Tx,
    master: Running,
    caller: Who,
    open_only: Annotated[bool, Query(description="Only conditions still going on.")] = False,
    node: Annotated[str | None, Query(description="Only this node's events.")] = None,
    kind: WatchdogKind | None = None,
    since: Instant = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = watchdog.DEFAULT_LIST_LIMIT,
) -> list[WatchdogEventOut]:
    """Watchdog events, newest first; ``since`` keeps events still going on at that time."""
    caller.require_admin(db, master, "watchdog.list")
    events = watchdog.list_events(
        db, open_only=open_only, node=node, kind=kind, since=_aware(since), limit=limit
    )
    ids = {e.node_id for e in events if e.node_id is not None}
    names: dict[int, str] = {}
    if ids:
        names = {i: n for i, n in db.execute(select(Node.id, Node.name).where(Node.id.in_(ids)))}
    return [
        WatchdogEventOut(
            id=e.id,
            node=names.get(e.node_id) if e.node_id is not None else None,
            kind=e.kind,
            source=e.source,
            started=e.started,
            ended=e.ended,
            details=e.details,
        )
        for e in events
    ]


@router.get("/audit", response_model=AuditPage)
def audit_query(
    db: Tx,
    master: Running,
    caller: Who,
    since: Instant = None,
    until: Instant = None,
    actor: Annotated[str | None, Query(description="Actor name as recorded.")] = None,
    action: Annotated[str | None, Query(description="Exact, or a prefix ending in '*'.")] = None,
    target_kind: str | None = None,
    target_id: str | None = None,
    result: AuditResult | None = None,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_QUERY_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AuditPage:
    """Audit entries matching every filter given, newest first, a page at a time."""
    caller.require_admin(db, master, "audit.query")
    entries = _query(db, since, until, actor, action, target_kind, target_id, result, limit, offset)
    return AuditPage(entries=[_entry_out(e) for e in entries], limit=limit, offset=offset)


@router.get(
    "/audit.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def audit_csv(
    db: Tx,
    master: Running,
    caller: Who,
    since: Instant = None,
    until: Instant = None,
    actor: str | None = None,
    action: str | None = None,
    target_kind: str | None = None,
    target_id: str | None = None,
    result: AuditResult | None = None,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_QUERY_LIMIT)] = audit.MAX_QUERY_LIMIT,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """The same entries as CSV (RFC 4180), as a file to download."""
    caller.require_admin(db, master, "audit.export")
    entries = _query(db, since, until, actor, action, target_kind, target_id, result, limit, offset)
    return Response(
        audit.to_csv(entries),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="argus-audit.csv"'},
    )


def _query(
    db: Session,
    since: dt.datetime | None,
    until: dt.datetime | None,
    actor: str | None,
    action: str | None,
    target_kind: str | None,
    target_id: str | None,
    result: AuditResult | None,
    limit: int,
    offset: int,
) -> list[AuditEntry]:
    return audit.query(
        db,
        since=_aware(since),
        until=_aware(until),
        actor=actor,
        action=action,
        target_kind=target_kind,
        target_id=target_id,
        result=result,
        limit=limit,
        offset=offset,
    )


def _aware(at: dt.datetime | None) -> dt.datetime | None:
    """:raises Invalid: a time without a time zone (ambiguous: say Z or +hh:mm)."""
    if at is not None and at.utcoffset() is None:
        raise Invalid(f"give {at.isoformat()} with its time zone (Z or +hh:mm)")
    return at


def _entry_out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        id=entry.id,
        at=entry.at,
        actor_kind=entry.actor_kind,
        actor_id=entry.actor_id,
        actor_name=entry.actor_name,
        action=entry.action,
        target_kind=entry.target_kind,
        target_id=entry.target_id,
        target_name=entry.target_name,
        node=entry.node,
        client_address=entry.client_address,
        result=entry.result,
        detail=entry.detail,
        before=entry.before,
        after=entry.after,
    )
