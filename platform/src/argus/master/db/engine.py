"""Engines for the databases the master supports, each set up the way the schema expects.

===================  =====================================================================
URL                  what :func:`make_engine` adds
===================  =====================================================================
``sqlite:///path``   WAL journal, foreign keys on, a busy timeout, real transactions
                     (``BEGIN IMMEDIATE`` issued by SQLAlchemy, so savepoints and DDL are
                     transactional and concurrent writers queue instead of failing)
``postgresql+``      pre-ping (a restarted server costs one failed checkout, not an error)
``psycopg://``
``mysql+pyodbc://``  strict SQL mode (a value that does not fit is an error, as elsewhere);
                     text sent as UTF-16 and unstreamed (see :func:`_mysql_pyodbc_on_connect`)
``mssql+pyodbc://``  pre-ping; build the URL with :func:`argus.master.db.odbc.mssql_url`
===================  =====================================================================

Any other driver is refused: these four are the ones the schema is tested on
(SQL Server only by compiling, as no SQL Server can run on the test machines).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import ConnectionPoolEntry

SQLITE_DRIVERS = frozenset({"sqlite", "sqlite+pysqlite"})
SERVER_DRIVERS = frozenset({"postgresql+psycopg", "mysql+pyodbc", "mssql+pyodbc"})
#: How long a SQLite writer waits for another one before "database is locked".
DEFAULT_BUSY_TIMEOUT_S = 30.0
_MYSQL_SQL_MODE = "TRADITIONAL,NO_ENGINE_SUBSTITUTION"
#: Values up to this many bytes are bound whole, not streamed (see _mysql_pyodbc_on_connect).
_PYODBC_MAXWRITE = 1 << 30


class UnsupportedDatabase(ValueError):
    """The URL names a database driver the master is not built or tested for."""


def make_engine(
    url: str | URL, *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S, echo: bool = False
) -> Engine:
    """An engine for ``url``, configured for the master's schema (see the module doc).

    :param busy_timeout_s: SQLite only: how long to wait for a lock held by another
        connection or process.
    :raises UnsupportedDatabase: a driver other than the four supported ones.
    """
    parsed = make_url(url)
    if parsed.drivername in SQLITE_DRIVERS:
        return _sqlite_engine(parsed, busy_timeout_s, echo)
    if parsed.drivername not in SERVER_DRIVERS:
        raise UnsupportedDatabase(
            f"database driver {parsed.drivername!r} is not supported; use sqlite:///<path>, "
            "postgresql+psycopg://, mysql+pyodbc:// or mssql+pyodbc://"
        )
    engine = create_engine(parsed, pool_pre_ping=True, echo=echo)
    if parsed.drivername == "mysql+pyodbc":
        event.listen(engine, "connect", _mysql_pyodbc_on_connect)
    return engine


def _sqlite_engine(url: URL, busy_timeout_s: float, echo: bool) -> Engine:
    engine = create_engine(url, echo=echo, connect_args={"timeout": busy_timeout_s})
    busy_ms = round(busy_timeout_s * 1000)

    def on_connect(dbapi_connection: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
        # pysqlite's own transaction handling defers BEGIN and breaks savepoints; switch
        # it off and let SQLAlchemy emit BEGIN (the "begin" listener below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            cursor.execute("PRAGMA journal_mode = WAL")  # stays "memory" for :memory:
            cursor.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints under WAL
        finally:
            cursor.close()

    def on_begin(connection: Connection) -> None:
        # IMMEDIATE: take the write lock when the transaction starts, waiting up to the
        # busy timeout. A deferred BEGIN that reads and then writes fails at once with
        # "database is locked" when another writer committed in between (SQLite cannot
        # upgrade a stale read snapshot), which concurrent API requests hit.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)
    return engine


def _mysql_pyodbc_on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    """Send text as UTF-16 in one piece, and set strict SQL mode.

    SQLAlchemy's ``mysql+pyodbc`` dialect makes pyodbc send statement text and
    string parameters as UTF-8 through the ANSI entry points, as MySQL's ANSI
    ODBC driver wants. Through MariaDB's Unicode driver (Debian's odbc-mariadb
    3.1) a prepared statement's text then arrives as Latin-1, so a non-ASCII
    literal in SQL is stored as mojibake. pyodbc's UTF-16 encoding fixes that,
    but that driver fails ("Memory allocation error") on wide-character data
    streamed with SQLPutData, which pyodbc uses for long values by default; a
    large ``maxwrite`` makes pyodbc bind every value whole. Results stay decoded
    as the dialect set them up (UTF-8 through SQL_C_CHAR: the same driver
    garbles long SQL_C_WCHAR results).
    """
    dbapi_connection.setencoding(encoding="utf-16le")
    dbapi_connection.maxwrite = _PYODBC_MAXWRITE
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"SET SESSION sql_mode = '{_MYSQL_SQL_MODE}'")
    finally:
        cursor.close()
