"""SQL Server, without a SQL Server.

No SQL Server (or anything that speaks its dialect) can run on the test
machines: not from Debian, not from PyPI. What is proved instead:

- every table's ``CREATE TABLE`` and every index compile for the ``mssql``
  dialect, with the intended SQL Server types;
- the Alembic migrations run in offline (``--sql``) mode for ``mssql`` and
  produce a script that creates the same tables, constraints and indexes, with
  the same names, as the models;
- an ``mssql+pyodbc`` URL from :func:`mssql_url` goes through SQLAlchemy's
  dialect, pyodbc and a real ODBC driver (FreeTDS, Debian's tdsodbc) to the
  wire: a fake server on 127.0.0.1 receives the TDS login packet and finds the
  user, password and database exactly as given.

What is not proved: that SQL Server accepts the script (syntax is SQLAlchemy's
and Alembic's mssql compilers', not checked by a server), cascade-path rules
(SQL Server error 1785; the schema has no table reachable by two cascading
paths, by design), and microsecond round trips of DATETIME2 through pyodbc.
"""

from __future__ import annotations

import re
import socket
import struct
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Table
from sqlalchemy.dialects import mssql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import CreateIndex, CreateTable

from argus.master.db import Base, make_engine, migration_sql, mssql_url

TABLES = sorted(Base.metadata.tables.values(), key=lambda t: t.name)
DIALECT = mssql.dialect()  # type: ignore[no-untyped-call]


def ddl(table_name: str) -> str:
    return str(CreateTable(Base.metadata.tables[table_name]).compile(dialect=DIALECT))


@pytest.mark.parametrize("table", TABLES, ids=str)
def test_every_table_and_index_compiles_for_sql_server(table: Table) -> None:
    assert str(CreateTable(table).compile(dialect=DIALECT)).strip().startswith("CREATE TABLE")
    for index in table.indexes:
        assert str(CreateIndex(index).compile(dialect=DIALECT)).startswith("CREATE")


def test_sql_server_types_are_the_intended_ones() -> None:
    node, device, audit = ddl("node"), ddl("device"), ddl("audit_entry")
    assert "id INTEGER NOT NULL IDENTITY" in node
    assert "id BIGINT NOT NULL IDENTITY" in audit
    assert "last_heartbeat DATETIME2(6) NULL" in node
    assert "wheel_tags NVARCHAR(max) NOT NULL" in node
    assert "name VARCHAR(64) NOT NULL" in node
    assert "os NVARCHAR(255) NULL" in node
    assert "credentials VARBINARY(max) NULL" in device
    assert "enabled BIT NOT NULL" in device
    assert "[key] VARCHAR(128) NOT NULL" in ddl("setting")
    assert "CHECK ([right] IN ('live', 'playback'" in ddl("profile_right")


@pytest.fixture(scope="module")
def script() -> str:
    return migration_sql("mssql")


def model_names() -> set[str]:
    names = {str(c.name) for t in TABLES for c in t.constraints}
    return names | {str(i.name) for t in TABLES for i in t.indexes}


def test_the_migration_script_for_sql_server_creates_the_models(script: str) -> None:
    created = set(re.findall(r"^CREATE TABLE (\w+)", script, re.M))
    assert created == set(Base.metadata.tables) | {"alembic_version"}
    names = set(re.findall(r"CONSTRAINT (\w+)", script))
    names |= set(re.findall(r"^CREATE (?:UNIQUE )?INDEX (\w+)", script, re.M))
    assert names - {"alembic_version_pkc"} == model_names()


def test_the_migration_script_for_sql_server_is_one_transaction_in_batches(script: str) -> None:
    assert script.lstrip().startswith("BEGIN TRANSACTION;")
    assert script.rstrip().endswith("COMMIT;\n\nGO")
    assert (
        "INSERT INTO alembic_version (version_num) OUTPUT inserted.version_num VALUES ('0001')"
        in script
    )


def test_the_migration_script_uses_only_current_sql_server_types(script: str) -> None:
    """No IMAGE, TEXT or NTEXT (deprecated since SQL Server 2005), no DATETIME (3 ms)."""
    types = set(re.findall(r"^\s+\w+ ([A-Z0-9]+)(?:\([^)]*\))? (?:NOT )?NULL", script, re.M))
    assert types == {"BIGINT", "BIT", "DATETIME2", "INTEGER", "NVARCHAR", "VARBINARY", "VARCHAR"}


def test_column_comments_become_extended_properties(script: str) -> None:
    assert (
        "execute sp_addextendedproperty 'MS_Description', N'Consecutive failed logins; " in script
    )
    assert "'schema', dbo, 'table', app_user, 'column', failed_logins" in script


def test_the_comments_name_the_schema_the_tables_are_created_in() -> None:
    script = migration_sql("mssql", mssql_schema="vms")
    assert "'schema', vms, 'table', node, 'column', name;" in script
    assert "'schema', dbo" not in script


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_offline_scripts_for_the_other_databases_create_every_table(dialect: str) -> None:
    created = set(re.findall(r"^CREATE TABLE (\w+)", migration_sql(dialect), re.M))
    assert created == set(Base.metadata.tables) | {"alembic_version"}


# --- the pyodbc path, through FreeTDS, to a fake server ---------------------------------------

FREETDS = "FreeTDS"
PASSWORD = "p;w{d =x@!"  # FreeTDS 1.3 (Debian 12) does not undo "}}": no "}" here


def freetds_missing() -> str | None:
    try:
        import pyodbc  # type: ignore[import-not-found, unused-ignore]
    except ImportError as exc:
        return f"pyodbc is not importable: {exc}"
    if FREETDS not in pyodbc.drivers():
        return "ODBC driver FreeTDS is not registered; install tdsodbc"
    return None


def recv_packet(sock: socket.socket) -> tuple[int, bytes]:
    """One TDS packet: its type and its payload."""
    header = b""
    while len(header) < 8:
        chunk = sock.recv(8 - len(header))
        if not chunk:
            raise ConnectionError("client closed")
        header += chunk
    length = struct.unpack(">H", header[2:4])[0]
    payload = b""
    while len(payload) < length - 8:
        payload += sock.recv(length - 8 - len(payload))
    return header[0], payload


def prelogin_reply() -> bytes:
    """A server PRELOGIN answer: version 15.0, encryption not supported."""
    options = b"\x00" + struct.pack(">HH", 11, 6) + b"\x01" + struct.pack(">HH", 17, 1) + b"\xff"
    payload = options + bytes([15, 0, 0x07, 0xD0, 0, 0]) + b"\x02"
    return bytes([0x04, 0x01]) + struct.pack(">H", 8 + len(payload)) + b"\x00\x00\x01\x00" + payload


def login7_fields(payload: bytes) -> dict[str, str]:
    """User, password (de-obfuscated) and database of a LOGIN7 packet (MS-TDS 2.2.6.4)."""

    def field(index: int) -> bytes:
        offset, chars = struct.unpack("<HH", payload[36 + 4 * index : 40 + 4 * index])
        return payload[offset : offset + 2 * chars]

    def reveal(data: bytes) -> bytes:
        return bytes((((b ^ 0xA5) & 0x0F) << 4) | ((b ^ 0xA5) >> 4) for b in data)

    return {
        "user": field(1).decode("utf-16-le"),
        "password": reveal(field(2)).decode("utf-16-le"),
        "database": field(8).decode("utf-16-le"),
    }


class FakeSqlServer:
    """Accepts one TDS connection on 127.0.0.1, answers PRELOGIN, keeps the LOGIN7 packet."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(20)
        self.port: int = self.listener.getsockname()[1]
        self.packets: list[tuple[int, bytes]] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        with self.listener:
            client, _ = self.listener.accept()
        with client:
            client.settimeout(20)
            self.packets.append(recv_packet(client))
            client.sendall(prelogin_reply())
            self.packets.append(recv_packet(client))


@pytest.fixture
def fake_server() -> Iterator[FakeSqlServer]:
    reason = freetds_missing()
    if reason:
        pytest.skip(reason)
    server = FakeSqlServer()
    server.thread.start()
    yield server
    server.thread.join(30)
    assert not server.thread.is_alive()


def test_an_mssql_url_reaches_the_server_with_the_credentials_intact(
    fake_server: FakeSqlServer,
) -> None:
    url = mssql_url(
        driver=FREETDS,
        server="127.0.0.1",
        port=fake_server.port,
        database="argus_master",
        user="argus",
        password=PASSWORD,
        encrypt="no",
        options={"TDS_Version": "7.4"},
    )
    engine = make_engine(url)
    with pytest.raises(DBAPIError):  # the fake server hangs up after the login packet
        engine.connect()
    engine.dispose()
    fake_server.thread.join(30)

    (prelogin, _), (login, payload) = fake_server.packets
    assert (prelogin, login) == (0x12, 0x10)  # PRELOGIN, then LOGIN7
    assert login7_fields(payload) == {
        "user": "argus",
        "password": PASSWORD,
        "database": "argus_master",
    }
