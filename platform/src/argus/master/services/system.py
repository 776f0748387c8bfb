"""System-wide administration through the master API: the node version policy, backups
and restores.

Every function here is for administrators: it checks ``administer``
(:func:`~argus.master.services.access.require_admin`, a refusal is audited as
``denied``) and records what it did in the caller's transaction. The version policy
itself is :mod:`argus.master.services.registry`'s, the backup format
:mod:`argus.master.backup`'s; this module adds the rights check and the audit trail,
and turns :class:`~argus.master.backup.BackupError` into the services' errors.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from argus.master import backup
from argus.master.db.models import Node
from argus.master.services import registry
from argus.master.services.access import require_admin
from argus.master.services.audit import Actor, Target, record
from argus.master.services.configuration import node_named
from argus.master.services.errors import Conflict, Invalid, NotFound
from argus_sdk import Clock

__all__ = [
    "PolicyChange",
    "backup_document",
    "get_version_policy",
    "restore",
    "set_version_policy",
]

#: The target of audit entries about the whole system.
SYSTEM_TARGET = Target("system", "system", "system")
_MESSAGE_LENGTH = 300


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """The version policy now in force and the nodes it refuses.

    :param outside: nodes whose last reported version the policy refuses: they are
        refused from their next heartbeat until upgraded or the policy widened.
    """

    policy: registry.VersionPolicy
    outside: tuple[str, ...]


def get_version_policy(session: Session, clock: Clock, actor: Actor) -> PolicyChange:
    """The node version policy in force.

    :raises Forbidden: the actor may not administer.
    """
    require_admin(session, clock, actor, action="system.version_policy.get")
    policy = registry.version_policy(session)
    return PolicyChange(policy, _outside(session, policy))


def set_version_policy(session: Session, clock: Clock, actor: Actor, spec: str) -> PolicyChange:
    """Store the node version policy (audited ``system.version_policy``, before and after).

    :param spec: a PEP 440 specifier set such as ``~=0.1``; '' accepts any version.
    :raises Forbidden: the actor may not administer.
    :raises Invalid: ``spec`` is not a valid specifier set.
    """
    require_admin(session, clock, actor, action="system.version_policy", target=SYSTEM_TARGET)
    try:
        before: str | None = registry.version_policy(session).spec
    except Invalid:
        before = None  # a stored policy that no longer parses: this change repairs it
    policy = registry.set_version_policy(session, spec)
    if before != policy.spec:
        record(
            session,
            clock,
            actor=actor,
            action="system.version_policy",
            target=SYSTEM_TARGET,
            before={"spec": before},
            after={"spec": policy.spec},
        )
    return PolicyChange(policy, _outside(session, policy))


def backup_document(
    session: Session, clock: Clock, actor: Actor, server: str | None = None
) -> dict[str, Any]:
    """A system backup, or with ``server`` one node's settings (audited ``backup.system`` or
    ``backup.server``: the document holds password hashes).

    :raises Forbidden: the actor may not administer.
    :raises NotFound: no node is named ``server``.
    """
    target = SYSTEM_TARGET if server is None else Target("node", server, server)
    action = "backup.system" if server is None else "backup.server"
    require_admin(session, clock, actor, action=action, target=target)
    with _backup_errors():
        conn = session.connection()
        if server is None:
            document = backup.system_document(conn)
        else:
            document = backup.server_document(conn, server)
    record(session, clock, actor=actor, action=action, target=target, detail=_counts(document))
    return document


def restore(
    session: Session,
    clock: Clock,
    actor: Actor,
    document: Mapping[str, Any],
    server: str | None = None,
) -> dict[str, int]:
    """Restore a backup document (audited ``restore.system`` or ``restore.server``).

    Without ``server``, a system backup onto this master, which must hold no more than its
    first start created (:func:`backup.restore_system_over_first_start`): every login
    session ends with it, the caller's too. With ``server``, a server backup onto that
    node, whose configuration version is bumped so that it fetches what was restored.

    The session must hold no pending ORM changes that the restore would overwrite: it is
    flushed and, for a system restore, emptied (the objects it held are gone).

    :returns: the rows restored per table.
    :raises Forbidden: the actor may not administer.
    :raises Invalid: not a backup this master reads, of the other kind, of another schema,
        or rows the database refuses.
    :raises Conflict: a system restore onto a master with configuration, or a server
        backup whose device or camera ids another node uses.
    :raises NotFound: no node is named ``server``.
    """
    target = SYSTEM_TARGET if server is None else Target("node", server, server)
    action = "restore.system" if server is None else "restore.server"
    require_admin(session, clock, actor, action=action, target=target)
    with _backup_errors():
        checked = backup.check(document)
        session.flush()
        if server is None:
            session.expunge_all()
            backup.restore_system_over_first_start(session.connection(), checked)
        else:
            backup.restore_server_into(session.connection(), checked, server)
    if server is not None:
        node = node_named(session, server)
        node.desired_config_version = (node.desired_config_version or 0) + 1
    made = f"backup made {checked.get('created')} by Argus {checked.get('argus')}"
    record(
        session,
        clock,
        actor=actor,
        action=action,
        target=target,
        detail=f"{made}: {_counts(checked)}",
    )
    return {name: len(rows) for name, rows in checked["tables"].items()}


@contextmanager
def _backup_errors() -> Iterator[None]:
    """Turn backup and database errors into the services' errors (the caller rolls back)."""
    try:
        yield
    except backup.UnknownServer as exc:
        raise NotFound(str(exc)) from exc
    except backup.TargetNotFresh as exc:
        raise Conflict(str(exc)) from exc
    except backup.BackupError as exc:
        raise Invalid(str(exc)) from exc
    except IntegrityError as exc:
        raise Conflict(f"the backup clashes with this master: {_reason(exc)}") from exc
    except (SQLAlchemyError, ValueError, TypeError) as exc:
        raise Invalid(f"the backup is damaged: {_reason(exc)}") from exc


def _reason(exc: Exception) -> str:
    """The database's own message, without the statement and its parameters (which may
    hold password hashes)."""
    text = str(exc.orig) if isinstance(exc, DBAPIError) else str(exc)
    lines = text.strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:_MESSAGE_LENGTH]


def _counts(document: Mapping[str, Any]) -> str:
    tables: Mapping[str, list[Any]] = document["tables"]
    return ", ".join(f"{len(rows)} {name}" for name, rows in tables.items())


def _outside(session: Session, policy: registry.VersionPolicy) -> tuple[str, ...]:
    rows = session.execute(
        select(Node.name, Node.platform_version)
        .where(Node.platform_version.is_not(None))
        .order_by(Node.name)
    )
    return tuple(name for name, version in rows if version is not None and policy.refusal(version))
