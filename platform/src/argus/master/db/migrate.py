"""Schema migrations (Alembic), driven from code: no ``alembic.ini`` at run time.

Revisions live in ``migrations/versions`` with four-digit ids (``0001``,
``0002`` …) in one straight line. The master calls :func:`upgrade` at start
(or the admin runs it through the CLI) and then :func:`require_head`.

A database written by a newer Argus (a revision this code does not know) is
refused with :class:`DatabaseTooNew` before anything is changed: downgrading
the software must not silently run against a schema it does not understand.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL

from argus.master.db.engine import make_engine

MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaVersionError(RuntimeError):
    """The database's schema revision does not match what this code can use."""


class DatabaseTooNew(SchemaVersionError):
    """The database was migrated by a newer Argus: upgrade Argus, or restore a backup
    taken with this version."""


class DatabaseOutOfDate(SchemaVersionError):
    """The database needs :func:`upgrade` (the master runs it at start)."""


def alembic_config(
    connection: Connection | None = None, *, output: io.StringIO | None = None
) -> Config:
    """An Alembic configuration for the master's migrations.

    :param connection: the connection ``env.py`` migrates through (online mode).
    :param output: where offline (``--sql``) mode writes its script.
    """
    config = Config(output_buffer=output) if output is not None else Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest revision this code knows."""
    head = script_directory().get_current_head()
    if head is None:  # pragma: no cover - the package ships its revisions
        raise SchemaVersionError(f"no migrations found in {MIGRATIONS}")
    return head


def current_revision(engine: Engine | Connection) -> str | None:
    """The database's revision, ``None`` if it was never migrated (empty)."""
    if isinstance(engine, Connection):
        return MigrationContext.configure(engine).get_current_revision()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def check_known(revision: str | None) -> None:
    """Refuse a revision this code does not have (written by a newer Argus, or foreign).

    :raises DatabaseTooNew: with what the admin can do about it.
    """
    if revision is None:
        return
    scripts = script_directory()
    known = {script.revision for script in scripts.walk_revisions()}
    if revision in known:
        return
    head = head_revision()
    if revision.isdigit() and head.isdigit() and int(revision) > int(head):
        origin = "by a newer version of Argus"
    else:
        origin = "by something other than this version of Argus"
    raise DatabaseTooNew(
        f"the database is at schema revision {revision}, written {origin}; this version "
        f"knows revisions up to {head}. Run the newer Argus, or restore a backup made with "
        "this version."
    )


def require_head(engine: Engine | Connection) -> None:
    """Return only if the database is exactly at :func:`head_revision`.

    :raises DatabaseTooNew: see :func:`check_known`.
    :raises DatabaseOutOfDate: the database is older (or empty): run :func:`upgrade`.
    """
    revision = current_revision(engine)
    check_known(revision)
    if revision != head_revision():
        raise DatabaseOutOfDate(
            f"the database is at schema revision {revision or '(empty)'}, this version needs "
            f"{head_revision()}: run the migrations (argus.master.db.upgrade)"
        )


@contextmanager
def _connected(target: str | URL | Engine) -> Iterator[Connection]:
    engine = target if isinstance(target, Engine) else make_engine(target)
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        if engine is not target:
            engine.dispose()


def upgrade(target: str | URL | Engine, revision: str = "head") -> str | None:
    """Migrate the database to ``revision`` (default: the newest), in one transaction where
    the database has transactional DDL (SQLite, PostgreSQL, SQL Server; not MariaDB/MySQL).

    :param target: a URL (an engine is made with :func:`make_engine` and disposed) or an engine.
    :returns: the revision the database is at afterwards.
    :raises DatabaseTooNew: the database is at a revision this code does not know; nothing
        was changed.
    """
    with _connected(target) as connection:
        check_known(current_revision(connection))
        command.upgrade(alembic_config(connection), revision)
        return current_revision(connection)


def downgrade(target: str | URL | Engine, revision: str) -> str | None:
    """Migrate the database back to ``revision`` (``"base"``: drop every table).

    :raises DatabaseTooNew: as :func:`upgrade`.
    """
    with _connected(target) as connection:
        check_known(current_revision(connection))
        command.downgrade(alembic_config(connection), revision)
        return current_revision(connection)


def migration_sql(dialect: str, revision: str = "head", *, mssql_schema: str = "dbo") -> str:
    """The SQL script that migrates an empty database of ``dialect`` to ``revision``
    (Alembic's offline ``--sql`` mode; nothing is connected to).

    For sites whose DBA runs scripts by hand, and to prove that the migrations
    compile for a database that cannot run here (``mssql``).

    :param dialect: a SQLAlchemy dialect name: ``sqlite``, ``postgresql``, ``mysql``, ``mssql``.
    :param mssql_schema: SQL Server only: the schema the tables are created in (the login's
        default schema), which column comments must name.
    """
    output = io.StringIO()
    config = alembic_config(output=output)
    config.attributes["dialect_name"] = dialect
    config.attributes["mssql_schema"] = mssql_schema
    command.upgrade(config, revision, sql=True)
    return output.getvalue()
