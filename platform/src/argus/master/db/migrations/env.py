"""Alembic's environment for the master's migrations, run by :mod:`argus.master.db.migrate`.

Online, it migrates through the connection the caller put in
``config.attributes["connection"]``; offline (``--sql``), it writes the script
for ``config.attributes["dialect_name"]`` (for SQL Server, column comments are
attached in schema ``config.attributes["mssql_schema"]``, default ``dbo``). It
never reads a URL from a file.
"""

from __future__ import annotations

from alembic import context

import argus.master.db.models  # noqa: F401 - fills Base.metadata, for autogenerate
from argus.master.db.base import Base

config = context.config


def run_offline() -> None:
    dialect = config.attributes.get("dialect_name")
    if not dialect:
        raise RuntimeError("offline migrations need config.attributes['dialect_name']")
    context.configure(
        dialect_name=dialect,
        literal_binds=True,
        target_metadata=Base.metadata,
    )
    if dialect == "mssql":
        # Column comments are extended properties of <schema>.<table>; online the server
        # says which schema is the default, offline we assume SQL Server's own default.
        context.get_context().dialect.default_schema_name = config.attributes.get(
            "mssql_schema", "dbo"
        )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "online migrations need config.attributes['connection']; "
            "use argus.master.db.upgrade(url)"
        )
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite alters tables by copying them; Alembic's batch mode does that.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
