"""Backup and restore of the master's configuration, to one versioned file.

Two kinds of backup:

- **system**: the whole configuration — profiles and their grants, users (with
  their Argon2id hashes), camera groups, nodes (with their credential hashes, so
  enrolled nodes keep working), node storage, devices (credentials stay
  encrypted), cameras and settings. Restoring it onto a fresh master reproduces
  the system. Records (audit trail, watchdog events) and login sessions are not
  configuration and are not included.
- **server**: one node's settings — its storage, devices and cameras — restored
  onto the node of the same name, replacing what it has.

The file is JSON: ``{"format": "argus-backup", "version": 1, "kind", "created",
"argus", "schema" (Alembic revision), "tables": {name: [rows]}}``, written with
mode 0600 because it holds password hashes. A backup from an older schema is
restored into a database migrated to that revision and then upgraded.

The functions taking an :class:`~sqlalchemy.Engine` are for ``argus master`` on the
master's host; those taking a :class:`~sqlalchemy.Connection` run in the caller's
transaction, as the master API's do (:func:`system_document`, :func:`server_document`,
:func:`restore_system_over_first_start`, :func:`restore_server_into`).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    LargeBinary,
    Table,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
)

from argus import __version__
from argus.master.db import Base, current_revision, head_revision, upgrade
from argus.master.db.migrate import check_known
from argus.master.db.types import UtcDateTime

FORMAT, VERSION = "argus-backup", 1

#: Configuration tables, parents before children (restore order).
SYSTEM_TABLES = (
    "profile",
    "camera_group",
    "node",
    "setting",
    "app_user",
    "node_storage",
    "device",
    "camera",
    "camera_group_member",
    "profile_right",
    "video_wall",  # from schema 0003
)
SERVER_TABLES = ("node_storage", "device", "camera")


#: What a master's first start creates (the administrator, its profile and grant): a
#: running master holding no more than this counts as fresh.
FIRST_START_ROWS = {"profile": 1, "profile_right": 1, "app_user": 1}


class BackupError(ValueError):
    """The file is not a usable backup, or the target cannot take it; nothing was changed."""


class TargetNotFresh(BackupError):
    """A system backup meets a master that already holds configuration."""


class UnknownServer(BackupError):
    """No node has the name a server backup or restore is for."""


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _encode(table: Table, row: Mapping[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in table.columns:
        value = row[column.name]
        if value is not None and isinstance(column.type, UtcDateTime):
            value = value.isoformat()
        elif value is not None and isinstance(column.type, LargeBinary):
            value = base64.b64encode(value).decode()
        out[column.name] = value
    return out


def _decode(table: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in table.columns:
        if column.name not in row:
            continue
        value = row[column.name]
        if value is not None and isinstance(column.type, UtcDateTime):
            value = dt.datetime.fromisoformat(value)
        elif value is not None and isinstance(column.type, LargeBinary):
            value = base64.b64decode(value)
        out[column.name] = value
    return out


def _rows(conn: Connection, table: Table, where: Any = None) -> list[dict[str, Any]]:
    query = select(table).order_by(*table.primary_key.columns)
    if where is not None:
        query = query.where(where)
    return [_encode(table, r._mapping) for r in conn.execute(query)]


def _document(
    kind: str, schema: str | None, tables: dict[str, list[dict[str, Any]]], **extra: Any
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "kind": kind,
        "created": dt.datetime.now(dt.UTC).isoformat(),
        "argus": __version__,
        "schema": schema,
        **extra,
        "tables": tables,
    }


def backup_system(engine: Engine) -> dict[str, Any]:
    """The whole configuration as a backup document."""
    with engine.connect() as conn:
        return system_document(conn)


def system_document(conn: Connection) -> dict[str, Any]:
    """The whole configuration as a backup document, read in the caller's transaction."""
    tables = {name: _rows(conn, _table(name)) for name in _present(conn)}
    return _document("system", current_revision(conn), tables)


def backup_server(engine: Engine, node_name: str) -> dict[str, Any]:
    """One node's storage, devices and cameras as a backup document.

    :raises UnknownServer: no node of that name.
    """
    with engine.connect() as conn:
        return server_document(conn, node_name)


def server_document(conn: Connection, node_name: str) -> dict[str, Any]:
    """One node's settings as a backup document, read in the caller's transaction.

    :raises UnknownServer: no node of that name.
    """
    device = _table("device")
    node_id = _node_id(conn, node_name)
    devices = select(device.c.id).where(device.c.node_id == node_id)
    tables = {
        "node_storage": _rows(
            conn, _table("node_storage"), _table("node_storage").c.node_id == node_id
        ),
        "device": _rows(conn, device, device.c.node_id == node_id),
        "camera": _rows(conn, _table("camera"), _table("camera").c.device_id.in_(devices)),
    }
    return _document("server", current_revision(conn), tables, server=node_name)


def write(document: Mapping[str, Any], path: Path) -> None:
    """Write atomically, readable by the owner only (the file holds password hashes)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(document, f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


def read(path: Path) -> dict[str, Any]:
    """Load and check a backup file.

    :raises BackupError: unreadable, not an Argus backup, or of an unknown version.
    """
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"cannot read {path}: {exc}") from exc
    return check(document, str(path))


def check(document: object, source: str = "the document") -> dict[str, Any]:
    """``document`` if it looks like a backup this Argus reads (format, version, kind,
    tables); the rows themselves are checked by the database as they are restored.

    :param source: what to call the document in messages (a file name).
    :raises BackupError: not an Argus backup, of an unknown version, or damaged.
    """
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError(f"{source} is not an Argus backup")
    if document.get("version") != VERSION:
        raise BackupError(
            f"{source} is backup format {document.get('version')}, "
            f"this Argus reads format {VERSION}"
        )
    tables = document.get("tables")
    if document.get("kind") not in ("system", "server") or not isinstance(tables, dict):
        raise BackupError(f"{source} is damaged: no kind or tables")
    for name, rows in tables.items():
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise BackupError(f"{source} is damaged: table {name!r} is not a list of rows")
    return document


def restore_system(engine: Engine, document: Mapping[str, Any]) -> str | None:
    """Restore a system backup onto a master whose database holds no configuration.

    The database is migrated to the backup's schema revision, filled, then
    upgraded to this Argus's newest revision.

    :returns: the revision the database is at afterwards.
    :raises BackupError: wrong kind, a schema this Argus does not know, or a target that
        already holds configuration.
    """
    _require_kind(document, "system")
    schema = document.get("schema")
    try:
        check_known(schema)
    except Exception as exc:
        raise BackupError(f"the backup's schema {schema!r} is unknown to this Argus") from exc
    upgrade(engine, schema or head_revision())
    with engine.begin() as conn:
        if _held(conn, {}):
            raise TargetNotFresh(
                "the target master already holds configuration; restore onto a fresh master"
            )
        for name in _present(conn):
            _insert(conn, _table(name), document["tables"].get(name, []))
    return upgrade(engine)


def restore_system_over_first_start(conn: Connection, document: Mapping[str, Any]) -> None:
    """Restore a system backup, in the caller's transaction, onto a running master that
    holds no more configuration than its first start created (:data:`FIRST_START_ROWS`).

    Those rows and every login session are replaced by the backup's: whoever restores
    must then log in with an account from the backup.

    :raises BackupError: a server backup, or a schema other than the master's (an older
        backup is restored with ``argus master restore`` onto an empty database).
    :raises TargetNotFresh: the master holds more configuration than its first start made.
    """
    _require_kind(document, "system")
    schema, current = document.get("schema"), current_revision(conn)
    if schema != current:
        raise BackupError(
            f"the backup is of schema {schema!r} and this master is at {current!r}: restore it "
            "with 'argus master restore' on the master's host, onto an empty database"
        )
    held = _held(conn, FIRST_START_ROWS)
    if held:
        raise TargetNotFresh(
            f"the master already holds configuration ({', '.join(held)}); "
            "restore a system backup onto a fresh master"
        )
    conn.execute(delete(_table("session")))
    for name in reversed(SYSTEM_TABLES):
        conn.execute(delete(_table(name)))
    for name in SYSTEM_TABLES:
        _insert(conn, _table(name), document["tables"].get(name, []))


def _present(conn: Connection) -> list[str]:
    """The configuration tables the database has at its revision, in restore order (a
    backup of an older schema is restored at that schema, before the newer tables)."""
    existing = set(inspect(conn).get_table_names())
    return [name for name in SYSTEM_TABLES if name in existing]


def _require_kind(document: Mapping[str, Any], kind: str) -> None:
    if document.get("kind") == kind:
        return
    if kind == "system":
        raise BackupError("this is a server backup; restore it onto one node instead")
    raise BackupError("this is a system backup; restore it onto a fresh master instead")


def _held(conn: Connection, allowed: Mapping[str, int]) -> list[str]:
    """The configuration tables holding more rows than ``allowed`` (default none), with
    their counts."""
    counts = {
        name: conn.execute(select(func.count()).select_from(_table(name))).scalar() or 0
        for name in _present(conn)
    }
    return [f"{n} {name}" for name, n in counts.items() if n > allowed.get(name, 0)]


def restore_server(engine: Engine, document: Mapping[str, Any], node_name: str) -> None:
    """Replace one node's storage, devices and cameras with those of a server backup
    (see :func:`restore_server_into`)."""
    with engine.begin() as conn:
        restore_server_into(conn, document, node_name)


def restore_server_into(conn: Connection, document: Mapping[str, Any], node_name: str) -> None:
    """Replace one node's storage, devices and cameras with those of a server backup, in
    the caller's transaction.

    Grants and group memberships naming the node's current cameras are removed
    with them. Camera and device idents in the backup must not be used by
    another node.

    :raises BackupError: wrong kind, or a schema other than the master's.
    :raises UnknownServer: no such node.
    """
    _require_kind(document, "server")
    node_id = _node_id(conn, node_name)
    if document.get("schema") != current_revision(conn):
        raise BackupError(
            "a server backup restores onto a master of the same schema "
            f"({document.get('schema')}); this one is at "
            f"{current_revision(conn)}"
        )
    _clear_server(conn, node_id)
    tables = document["tables"]
    _insert(conn, _table("node_storage"), _renode(tables.get("node_storage", []), node_id))
    _insert(conn, _table("device"), _renode(tables.get("device", []), node_id))
    _insert(conn, _table("camera"), tables.get("camera", []))


def _node_id(conn: Connection, node_name: str) -> int:
    """:raises UnknownServer: no node has this name (exactly: MariaDB ignores case)."""
    node = _table("node")
    row = conn.execute(select(node.c.id, node.c.name).where(node.c.name == node_name)).first()
    if row is None or row.name != node_name:
        raise UnknownServer(f"no node named {node_name!r}")
    node_id: int = row.id
    return node_id


def _renode(rows: Iterable[Mapping[str, Any]], node_id: int) -> list[dict[str, Any]]:
    return [{**r, "node_id": node_id} for r in rows]


def _clear_server(conn: Connection, node_id: int) -> None:
    device, camera = _table("device"), _table("camera")
    cameras = select(camera.c.id).where(
        camera.c.device_id.in_(select(device.c.id).where(device.c.node_id == node_id))
    )
    conn.execute(
        delete(_table("profile_right")).where(_table("profile_right").c.camera_id.in_(cameras))
    )
    conn.execute(
        delete(_table("camera_group_member")).where(
            _table("camera_group_member").c.camera_id.in_(cameras)
        )
    )
    conn.execute(delete(camera).where(camera.c.id.in_(cameras)))
    conn.execute(delete(device).where(device.c.node_id == node_id))
    conn.execute(delete(_table("node_storage")).where(_table("node_storage").c.node_id == node_id))


def _insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows keeping their ids (so references line up), then fix id counters."""
    if not rows:
        return
    mssql = conn.dialect.name == "mssql"
    if mssql:
        conn.execute(text(f"SET IDENTITY_INSERT {table.name} ON"))
    conn.execute(insert(table), [_decode(table, r) for r in rows])
    if mssql:
        conn.execute(text(f"SET IDENTITY_INSERT {table.name} OFF"))
    if conn.dialect.name == "postgresql" and "id" in table.c:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"(SELECT max(id) FROM {table.name}))"
            )
        )
