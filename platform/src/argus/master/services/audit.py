"""The audit trail: who did what, when, to what, with the object before and after.

Every service that changes configuration or accepts or refuses a login writes
its entry with :func:`record` in the caller's transaction, so the change and
its entry commit together or not at all. Entries are never updated.

Secrets never reach the trail: :func:`snapshot` replaces password hashes,
credentials and token hashes by :data:`SECRET`, and :func:`record` applies the
same redaction to any ``before``/``after`` it is given.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from argus.master.db.enums import ActorKind, AuditResult
from argus.master.db.models import (
    AppUser,
    AuditEntry,
    Camera,
    CameraGroup,
    Device,
    Node,
    Profile,
)
from argus.master.db.types import instant
from argus.master.services.errors import Invalid
from argus_sdk import Clock

UTC = dt.UTC
#: What a secret value (password hash, credentials, token hash) reads as in the trail.
SECRET = "[redacted]"
#: Column and JSON key names whose values are secrets, whatever the table.
_SECRET_NAMES = frozenset(
    {"password", "password_hash", "credentials", "credential_hash", "secret", "secret_hash"}
)
_SECRET_SUFFIXES = ("_hash", "_password", "_secret", "_token")
#: Column lengths of audit_entry: longer values are cut, never refused (a failed login
#: with a 10,000-character user name must still be recorded).
_NAME_LENGTH, _DETAIL_LENGTH, _ADDRESS_LENGTH, _ID_LENGTH = 255, 1024, 64, 64
#: A spreadsheet evaluates a cell starting with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = (
    "id",
    "at",
    "actor_kind",
    "actor_id",
    "actor_name",
    "action",
    "target_kind",
    "target_id",
    "target_name",
    "node",
    "client_address",
    "result",
    "detail",
    "before",
    "after",
)
MAX_QUERY_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a user, a node or the system (the master itself, the local CLI), and the
    IP address their request came from (``client``), which entries record by default."""

    kind: ActorKind
    id: int | None
    name: str
    client: str | None = None

    @classmethod
    def of_user(cls, user: AppUser, client: str | None = None) -> Actor:
        return cls(ActorKind.USER, user.id, user.username, client)

    @classmethod
    def of_node(cls, node: Node, client: str | None = None) -> Actor:
        return cls(ActorKind.NODE, node.id, node.name, client)


#: The master itself, and the ``argus`` CLI run on the master's host.
SYSTEM = Actor(ActorKind.SYSTEM, None, "system")


@dataclass(frozen=True, slots=True)
class Target:
    """What was acted on. ``id`` is the id users and nodes know the object by: the
    ``ident`` of cameras and devices, the name of nodes, the row id of the rest."""

    kind: str
    id: str | None
    name: str | None = None

    @classmethod
    def of(cls, row: AppUser | Profile | Camera | CameraGroup | Device | Node) -> Target:
        if isinstance(row, AppUser):
            return cls("user", str(row.id), row.username)
        if isinstance(row, Profile):
            return cls("profile", str(row.id), row.name)
        if isinstance(row, Camera | Device):
            return cls(type(row).__name__.lower(), row.ident, row.name)
        if isinstance(row, CameraGroup):
            return cls("camera_group", str(row.id), row.name)
        return cls("node", row.name, row.name)


def record(
    session: Session,
    clock: Clock,
    *,
    actor: Actor,
    action: str,
    target: Target | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    client: str | None = None,
    result: AuditResult | str = AuditResult.OK,
    detail: str = "",
    node: str | None = None,
) -> AuditEntry:
    """Add one entry to the trail in the caller's transaction (flushed, so it has an id).

    :param action: dotted verb, e.g. ``login``, ``user.create``, ``profile.grants``.
    :param before: the object before the change (``None`` when it is created); secrets in
        it are redacted here too, whoever built it.
    :param client: the IP address the request came from; default ``actor.client``.
    :param node: the node that reported a use (playback, export, PTZ).
    """
    entry = AuditEntry(
        at=instant(clock),
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_name=_cut(actor.name, _NAME_LENGTH),
        action=action,
        target_kind=target.kind if target else None,
        target_id=_cut(target.id, _ID_LENGTH) if target else None,
        target_name=_cut(target.name, _NAME_LENGTH) if target else None,
        node=node,
        before=_redact(before) if before is not None else None,
        after=_redact(after) if after is not None else None,
        client_address=_cut(client if client is not None else actor.client, _ADDRESS_LENGTH),
        result=AuditResult(result),
        detail=_cut(detail, _DETAIL_LENGTH) or "",
    )
    session.add(entry)
    session.flush()
    return entry


def query(
    session: Session,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    actor: Actor | str | None = None,
    action: str | None = None,
    target_kind: str | None = None,
    target_id: str | None = None,
    result: AuditResult | str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEntry]:
    """Entries matching every filter given, newest first.

    :param since: first instant included; ``until``: first instant excluded.
    :param actor: an :class:`Actor` (its kind, and its id when it has one, else its
        name), or a name as recorded (for users, the case-folded user name).
    :param action: exact, or a prefix ending with ``*`` (``user.*``).
    :raises Invalid: ``limit`` outside 1 … :data:`MAX_QUERY_LIMIT` or negative ``offset``.
    """
    if not 1 <= limit <= MAX_QUERY_LIMIT or offset < 0:
        raise Invalid(f"give 1 <= limit <= {MAX_QUERY_LIMIT} and offset >= 0")
    stmt = select(AuditEntry)
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.at < until)
    if isinstance(actor, Actor):
        stmt = stmt.where(AuditEntry.actor_kind == actor.kind)
        if actor.id is not None:
            stmt = stmt.where(AuditEntry.actor_id == actor.id)
        else:
            stmt = stmt.where(AuditEntry.actor_name == actor.name)
    elif actor is not None:
        stmt = stmt.where(AuditEntry.actor_name == actor)
    if action is not None and action.endswith("*"):
        stmt = stmt.where(AuditEntry.action.startswith(action[:-1], autoescape=True))
    elif action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    if target_kind is not None:
        stmt = stmt.where(AuditEntry.target_kind == target_kind)
    if target_id is not None:
        stmt = stmt.where(AuditEntry.target_id == target_id)
    if result is not None:
        stmt = stmt.where(AuditEntry.result == AuditResult(result))
    stmt = stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(stmt))


def to_csv(entries: Iterable[AuditEntry]) -> str:
    """The entries as CSV (RFC 4180: CRLF line ends, quotes doubled), with a header row.

    Times are ISO 8601 UTC (``2024-05-01T12:00:00.000000Z``), ``before``/``after``
    compact JSON. A cell that a spreadsheet would run as a formula (starting with
    ``=``, ``+``, ``-``, ``@``, tab or CR) is prefixed with ``'`` so it reads as text.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow(_defuse(cell) for cell in _csv_row(entry))
    return out.getvalue()


def snapshot(row: object) -> dict[str, Any]:
    """The row's columns as a JSON-able dict, for ``before``/``after``: times as ISO 8601
    UTC, enumerations as their values, secrets (and any bytes) as :data:`SECRET`."""
    mapper = inspect(row).mapper
    return {attr.key: _jsonable(attr.key, getattr(row, attr.key)) for attr in mapper.column_attrs}


def _csv_row(entry: AuditEntry) -> list[str]:
    return [
        str(entry.id),
        _iso(entry.at),
        entry.actor_kind.value,
        "" if entry.actor_id is None else str(entry.actor_id),
        entry.actor_name,
        entry.action,
        entry.target_kind or "",
        entry.target_id or "",
        entry.target_name or "",
        entry.node or "",
        entry.client_address or "",
        entry.result.value,
        entry.detail,
        _compact_json(entry.before),
        _compact_json(entry.after),
    ]


def _defuse(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _compact_json(value: dict[str, Any] | None) -> str:
    if value is None:
        return ""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _iso(at: dt.datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _is_secret(name: str) -> bool:
    lowered = name.lower()
    return lowered in _SECRET_NAMES or lowered.endswith(_SECRET_SUFFIXES)


def _jsonable(name: str, value: Any) -> Any:
    if value is None:
        return None
    if _is_secret(name) or isinstance(value, bytes | bytearray | memoryview):
        return SECRET
    if isinstance(value, dt.datetime):
        return _iso(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return _redact(value)
    if isinstance(value, list | tuple):
        return [_jsonable("", item) for item in value]
    return value


def _redact(value: Mapping[str, Any]) -> dict[str, Any]:
    return {str(key): _jsonable(str(key), item) for key, item in value.items()}


def _cut(text: str | None, length: int) -> str | None:
    return None if text is None else text[:length]
