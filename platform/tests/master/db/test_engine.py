"""make_engine: SQLite's settings, refused drivers, and text that survives each driver."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, literal_column, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from argus.master.db import Device, Node, Setting, UnsupportedDatabase, make_engine

#: Two-, three- and four-byte UTF-8 (the last needs utf8mb4 on MariaDB).
TEXT = "Ünïcødé — 東京 📷"


@pytest.fixture
def sqlite(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path / 'master.db'}", busy_timeout_s=2.5)


def pragma(engine: Engine, name: str) -> object:
    with engine.connect() as connection:
        return connection.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_sqlite_is_set_up_for_the_master(sqlite: Engine) -> None:
    assert pragma(sqlite, "journal_mode") == "wal"
    assert pragma(sqlite, "foreign_keys") == 1
    assert pragma(sqlite, "busy_timeout") == 2500
    sqlite.dispose()


def test_sqlite_ddl_is_transactional(sqlite: Engine) -> None:
    with sqlite.connect() as connection:
        transaction = connection.begin()
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        transaction.rollback()
    with sqlite.connect() as connection:
        tables = connection.exec_driver_sql("SELECT name FROM sqlite_master").scalars().all()
    assert tables == []
    sqlite.dispose()


def test_sqlite_savepoints_roll_back_only_their_part(sqlite: Engine) -> None:
    with sqlite.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        savepoint = connection.begin_nested()
        connection.exec_driver_sql("INSERT INTO t VALUES (2)")
        savepoint.rollback()
    with sqlite.connect() as connection:
        assert connection.exec_driver_sql("SELECT x FROM t").scalars().all() == [1]
    sqlite.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg2://u@h/db",
        "postgresql://u@h/db",
        "mysql+pymysql://u@h/db",
        "mssql+pymssql://u@h/db",
        "oracle+oracledb://u@h/db",
    ],
)
def test_untested_drivers_are_refused(url: str) -> None:
    with pytest.raises(UnsupportedDatabase, match="postgresql\\+psycopg://, mysql\\+pyodbc://"):
        make_engine(url)


@pytest.mark.parametrize("length", [1, 100, 255, 256, 4000, 100_000])
def test_text_of_any_length_round_trips_as_a_parameter(session: Session, length: int) -> None:
    value = (TEXT * (length // len(TEXT) + 1))[:length]
    session.add(Setting(key=f"text.{length}", value=value))
    session.commit()
    session.expunge_all()
    assert session.scalar(select(Setting.value).where(Setting.key == f"text.{length}")) == value


def test_non_ascii_literals_in_sql_text_survive(session: Session) -> None:
    """MariaDB's Unicode ODBC driver garbles these unless make_engine fixes the encoding."""
    got = session.execute(select(literal_column(f"'{TEXT}'"), text(":p")), {"p": TEXT}).one()
    assert tuple(got) == (TEXT, TEXT)


def test_binary_of_60_kib_round_trips(session: Session) -> None:
    """The credentials column is a BLOB on MariaDB/MySQL: at most 64 KiB."""
    blob = bytes(range(256)) * 240
    device = Device(node=Node(name="n"), ident="d", name="d", driver="sim", credentials=blob)
    session.add(device)
    session.commit()
    session.expunge_all()
    assert session.get_one(Device, device.id).credentials == blob


def test_a_string_longer_than_its_column(session: Session, engine_name: str) -> None:
    """PostgreSQL and MariaDB (strict mode, set by make_engine) refuse; SQLite does not
    enforce VARCHAR lengths, so the master validates lengths before writing."""
    session.add(Node(name="n" * 65))
    if engine_name == "sqlite":
        session.flush()
        return
    with pytest.raises(DBAPIError):
        session.flush()
    session.rollback()
