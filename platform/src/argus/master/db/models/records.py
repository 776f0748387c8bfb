"""What the master keeps as history: the audit trail and watchdog events.

Audit entries keep who and what as text and ids without foreign keys: the
trail must outlive the users, nodes and cameras it mentions, and a deleted
user's entries must still read "alice deleted camera 7 (Entrance)".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Unicode
from sqlalchemy.orm import Mapped, mapped_column

from argus.master.db.base import Base
from argus.master.db.enums import ActorKind, AuditResult, WatchdogKind
from argus.master.db.types import UtcDateTime, str_enum, utcnow

#: 64-bit ids for tables that only grow; SQLite auto-increments only an INTEGER primary key.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class AuditEntry(Base):
    """One thing someone did: a login (ok or failed), a configuration change, a playback,
    an export, a PTZ move … Written once, never updated."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index(None, "at"),
        Index(None, "actor_kind", "actor_id", "at"),
        Index(None, "target_kind", "target_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, comment="Row id, in write order.")
    at: Mapped[dt.datetime] = mapped_column(
        UtcDateTime,
        default=utcnow,
        comment="When it happened (master time; node reports are corrected by their clock offset).",
    )
    actor_kind: Mapped[ActorKind] = mapped_column(
        str_enum(ActorKind, "actor_kind", 16), comment="Who acted: a user, a node, the system."
    )
    actor_id: Mapped[int | None] = mapped_column(
        Integer,
        comment="app_user.id or node.id of the actor (no foreign key: the entry outlives "
        "it); NULL for the system and for unknown users in failed logins.",
    )
    actor_name: Mapped[str] = mapped_column(
        Unicode(255),
        comment="The actor's name at the time (the username tried, for a failed login).",
    )
    action: Mapped[str] = mapped_column(
        String(64),
        comment="What was done, dotted: login, logout, camera.update, user.delete, playback, "
        "export, ptz …",
    )
    target_kind: Mapped[str | None] = mapped_column(
        String(32), comment="Kind of the object acted on (camera, user, node …); NULL if none."
    )
    target_id: Mapped[str | None] = mapped_column(
        String(64), comment="Its id as text (row ids and camera ids alike)."
    )
    target_name: Mapped[str | None] = mapped_column(
        Unicode(255), comment="Its name at the time, readable after it is deleted."
    )
    node: Mapped[str | None] = mapped_column(
        String(64), comment="Name of the node that reported the use (playback, export, PTZ)."
    )
    before: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, comment="The object before a change (secrets left out); NULL when created."
    )
    after: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, comment="The object after a change (secrets left out); NULL when deleted."
    )
    client_address: Mapped[str | None] = mapped_column(
        String(64), comment="IP address the request came from."
    )
    result: Mapped[AuditResult] = mapped_column(
        str_enum(AuditResult, "result", 16),
        comment="ok, denied (no right or bad credentials) or failed (allowed, went wrong).",
    )
    detail: Mapped[str] = mapped_column(
        Unicode(1024), default="", comment="Why it was denied or failed, or extra context."
    )


class WatchdogEvent(Base):
    """A period when part of the system was unhealthy: from started to ended (NULL: ongoing)."""

    __tablename__ = "watchdog_event"
    __table_args__ = (
        Index(None, "started"),
        Index(None, "node_id", "started"),
        Index(None, "kind", "source", "ended"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, comment="Row id.")
    node_id: Mapped[int | None] = mapped_column(
        ForeignKey("node.id", ondelete="SET NULL"),
        comment="The node concerned; NULL for the master itself or once the node is deleted.",
    )
    kind: Mapped[WatchdogKind] = mapped_column(
        str_enum(WatchdogKind, "kind"), comment="What is wrong."
    )
    source: Mapped[str] = mapped_column(
        Unicode(255),
        comment="What exactly: the node name, a camera id, a disk path, a stream; with kind, "
        "finds the open event to end.",
    )
    started: Mapped[dt.datetime] = mapped_column(
        UtcDateTime, default=utcnow, comment="When the condition was detected."
    )
    ended: Mapped[dt.datetime | None] = mapped_column(
        UtcDateTime, comment="When it cleared; NULL while it lasts."
    )
    details: Mapped[dict[str, Any]] = mapped_column(
        JSON,
        default=dict,
        comment="Kind-specific facts (offset measured, disk error, last heartbeat …).",
    )
