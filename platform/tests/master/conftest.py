"""Fixtures: every test module runs once per engine — SQLite, PostgreSQL, MariaDB (pyodbc).

The PostgreSQL and MariaDB servers are private, started once per session on
127.0.0.1 and stopped by PID (:mod:`argus.testing.databases`); when one cannot
run here its tests skip with the reason (failures in CI, by
``argus.testing.strict``). Each test module gets fresh databases from
:func:`new_database`; a test that writes rows does so in a transaction that is
rolled back (:func:`session`), so tests see the same migrated schema.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from argus.master.db import make_engine, upgrade
from argus.testing.databases import (
    MariadbServer,
    PostgresServer,
    mariadb_missing,
    postgres_missing,
)

ENGINES = ("sqlite", "postgresql", "mariadb")
NewDatabase = Callable[[], str]


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[PostgresServer]:
    reason = postgres_missing()
    if reason:
        pytest.skip(reason)
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[MariadbServer]:
    reason = mariadb_missing()
    if reason:
        pytest.skip(reason)
    with MariadbServer() as server:
        yield server


@pytest.fixture(scope="module", params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def new_database(
    engine_name: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NewDatabase]:
    """Makes empty databases on the module's engine (URLs); they are dropped after the module."""
    if engine_name == "sqlite":
        directory: Path = tmp_path_factory.mktemp("sqlite")
        yield lambda: f"sqlite:///{directory / uuid.uuid4().hex}.db"
        return
    server: PostgresServer | MariadbServer = request.getfixturevalue(f"{engine_name}_server")
    names: list[str] = []

    def make() -> str:
        names.append(f"argus_{uuid.uuid4().hex[:16]}")
        return server.create_database(names[-1])

    yield make
    for name in names:
        server.drop_database(name)


@pytest.fixture
def engine(new_database: NewDatabase) -> Iterator[Engine]:
    """An engine on a new, empty database (for tests that migrate themselves)."""
    engine = make_engine(new_database())
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def migrated(new_database: NewDatabase) -> Iterator[Engine]:
    """An engine on a database migrated to the newest revision, shared by the module."""
    engine = make_engine(new_database())
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(migrated: Engine) -> Iterator[Session]:
    """A session in a transaction rolled back after the test; its commits are savepoints,
    and ``session.rollback()`` after an error returns to the last one. Objects keep their
    values after a commit (tests compare them with what they load again)."""
    with migrated.connect() as connection:
        transaction = connection.begin()
        with Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        ) as session:
            yield session
        transaction.rollback()
