"""Column types that behave the same on SQLite, PostgreSQL, MariaDB/MySQL and SQL Server.

Times: every instant is stored as a *naive UTC* date-time with microsecond
precision (``TIMESTAMP`` on PostgreSQL, ``DATETIME(6)`` on MariaDB/MySQL,
``DATETIME2(6)`` on SQL Server, ISO text on SQLite) through :class:`UtcDateTime`.
Python code only ever sees timezone-aware datetimes: a bound value is
converted to UTC (a naive one is refused, because its zone is unknown) and a
loaded value comes back with ``tzinfo=UTC``. One representation everywhere
means no dependence on a server's or a session's time zone, and comparisons
and ordering in SQL are plain.

Enumerations: :func:`str_enum` stores a :class:`enum.StrEnum`'s values in a
``VARCHAR`` with a named ``CHECK`` constraint — no native ``ENUM`` types, which
only some databases have and which need their own migrations.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import DateTime, Dialect, Enum, LargeBinary
from sqlalchemy.dialects import mssql, mysql
from sqlalchemy.types import TypeDecorator, TypeEngine

from argus_sdk import Clock

UTC = dt.UTC
#: Bytes: BLOB (at most 64 KiB) on MariaDB/MySQL, BYTEA, and VARBINARY(max) on SQL Server —
#: spelled out, as SQLAlchemy picks the deprecated IMAGE when it cannot ask the server its
#: version (offline migration scripts).
BLOB = LargeBinary().with_variant(
    mssql.VARBINARY("max"),  # type: ignore[no-untyped-call]  # SQLAlchemy's mssql types are untyped
    "mssql",
)


def utcnow() -> dt.datetime:
    """The current instant, timezone-aware in UTC (the default of time columns)."""
    return dt.datetime.now(UTC)


def instant(clock: Clock) -> dt.datetime:
    """A clock's wall time as an aware UTC datetime (what time columns take)."""
    return dt.datetime.fromtimestamp(clock.now(), UTC)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware instant stored as naive UTC with microseconds (see the module doc).

    :raises ValueError: (wrapped in SQLAlchemy's ``StatementError``) when a naive
        datetime is bound.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        if dialect.name == "mssql":
            return dialect.type_descriptor(
                mssql.DATETIME2(precision=6)  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy
            )
        return dialect.type_descriptor(DateTime(timezone=False))

    def process_bind_param(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | str | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: give a timezone-aware one")
        naive = value.astimezone(UTC).replace(tzinfo=None)
        if dialect.name in ("mysql", "mariadb"):
            # pyodbc binds a datetime with the precision the driver describes for the
            # parameter, and MariaDB's and MySQL's ODBC drivers describe 0 digits: the
            # microseconds would be cut off. As text, the server converts it exactly.
            return naive.isoformat(sep=" ", timespec="microseconds")
        return naive

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def str_enum(cls: type[enum.StrEnum], name: str, length: int = 32) -> Enum:
    """A ``VARCHAR(length)`` holding ``cls``'s values, with a ``CHECK`` constraint named
    ``ck_<table>_<name>`` (through the metadata's naming convention)."""
    longest = max(len(member.value) for member in cls)
    if longest > length:
        raise ValueError(f"{cls.__name__} has a value of {longest} characters, over {length}")
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )
