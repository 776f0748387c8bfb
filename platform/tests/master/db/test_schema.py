"""Rules the models keep so that one schema works on SQLite, PostgreSQL, MariaDB and SQL Server.

These need no database: they read ``Base.metadata``.
"""

from __future__ import annotations

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Enum,
    ForeignKeyConstraint,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
)

from argus.master.db import Base
from argus.master.db.base import MAX_IDENTIFIER_LENGTH
from argus.master.db.types import UtcDateTime

TABLES = sorted(Base.metadata.tables.values(), key=lambda t: t.name)
COLUMNS = [c for t in TABLES for c in t.columns]
REQUIRED_TABLES = {
    "profile",
    "profile_right",
    "app_user",
    "session",
    "node",
    "device",
    "camera",
    "camera_group",
    "camera_group_member",
    "node_storage",
    "audit_entry",
    "watchdog_event",
    "setting",
    "video_wall",
    "plugin_package",
    "rollout",
    "rollout_node",
    "node_plugin",
}


def unique_column_sets(table: Table) -> list[tuple[Column[object], ...]]:
    sets = [tuple(c.columns) for c in table.constraints if isinstance(c, UniqueConstraint)]
    sets += [tuple(i.columns) for i in table.indexes if i.unique]
    return sets


def test_the_schema_has_every_table_of_the_master() -> None:
    assert set(Base.metadata.tables) == REQUIRED_TABLES


@pytest.mark.parametrize("column", COLUMNS, ids=str)
def test_every_column_says_why_it_exists(column: Column[object]) -> None:
    assert column.comment and len(column.comment) > 5


@pytest.mark.parametrize("table", TABLES, ids=str)
def test_every_constraint_and_index_has_a_short_conventional_name(table: Table) -> None:
    prefixes = {
        PrimaryKeyConstraint: "pk_",
        ForeignKeyConstraint: "fk_",
        UniqueConstraint: "uq_",
    }
    named: list[tuple[str, str]] = []
    for constraint in table.constraints:
        prefix = next((p for k, p in prefixes.items() if isinstance(constraint, k)), "ck_")
        named.append((str(constraint.name), prefix))
    named += [(str(index.name), "ix_") for index in table.indexes]
    for name, prefix in named:
        assert name.startswith(prefix + table.name), name
        assert len(name) <= MAX_IDENTIFIER_LENGTH, name


@pytest.mark.parametrize("table", TABLES, ids=str)
def test_no_unique_key_has_a_nullable_column(table: Table) -> None:
    """SQL Server lets only one row have NULL in a unique column; the others, any number."""
    for columns in unique_column_sets(table):
        assert not [c.name for c in columns if c.nullable], columns


@pytest.mark.parametrize("table", TABLES, ids=str)
def test_every_foreign_key_leads_an_index(table: Table) -> None:
    """MariaDB/MySQL would add an index of their own (a schema difference), and deletes of
    the referred row would scan the table."""
    leading = {tuple(c.name for c in i.columns)[:1] for i in table.indexes}
    leading |= {
        tuple(c.name for c in k.columns)[:1]
        for k in table.constraints
        if isinstance(k, UniqueConstraint | PrimaryKeyConstraint)
    }
    for fk in table.foreign_key_constraints:
        assert (fk.column_keys[0],) in leading, fk.name


@pytest.mark.parametrize("column", COLUMNS, ids=str)
def test_only_portable_types(column: Column[object]) -> None:
    kind = column.type
    if isinstance(kind, DateTime):
        pytest.fail(f"{column}: use UtcDateTime, not a bare DateTime")
    if isinstance(kind, Enum):
        assert not kind.native_enum, f"{column}: native ENUM types are not portable"
    elif isinstance(kind, String):
        assert kind.length, f"{column}: strings need an explicit length"
    assert column.server_default is None, f"{column}: defaults are set in Python, portably"
    assert isinstance(kind, UtcDateTime | String | JSON | LargeBinary | Integer | Boolean), column


def test_indexed_strings_fit_every_databases_key_limit() -> None:
    """MariaDB: 3072 bytes per key in utf8mb4 (4 bytes a character); SQL Server: 1700 bytes
    for a nonclustered index (2 bytes an NVARCHAR character)."""
    for table in TABLES:
        keys: list[tuple[Column[object], ...]] = [tuple(i.columns) for i in table.indexes]
        keys += [
            tuple(c.columns)
            for c in table.constraints
            if isinstance(c, UniqueConstraint | PrimaryKeyConstraint)
        ]
        for key in keys:
            chars = sum(getattr(c.type, "length", None) or 8 for c in key)
            assert chars * 4 <= 3072, key
