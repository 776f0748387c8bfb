"""The private database servers of argus.testing.databases start, listen on 127.0.0.1 only,
and stop by PID leaving nothing behind."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

import pytest
from sqlalchemy import text

from argus.master.db import make_engine
from argus.testing.databases import (
    HOST,
    MariadbServer,
    PostgresServer,
    free_port,
    mariadb_missing,
    postgres_missing,
)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_free_port_can_be_bound() -> None:
    port = free_port()
    with socket.create_server((HOST, port)):
        pass


@pytest.mark.parametrize(
    ("server_class", "missing", "bind_query"),
    [
        (PostgresServer, postgres_missing, "SHOW listen_addresses"),
        (MariadbServer, mariadb_missing, "SELECT @@bind_address"),
    ],
    ids=["postgresql", "mariadb"],
)
def test_a_server_starts_listens_on_loopback_and_stops_by_pid(
    server_class: type[PostgresServer | MariadbServer],
    missing: Callable[[], str | None],
    bind_query: str,
) -> None:
    reason = missing()
    if reason:
        pytest.skip(reason)
    server = server_class().start()
    try:
        pid, root = server.pid, server.root
        assert root is not None and root.is_dir()
        engine = make_engine(server.create_database("peer_check"))
        with engine.connect() as connection:
            assert connection.execute(text(bind_query)).scalar() == HOST
        engine.dispose()
    finally:
        status = server.stop()
    assert status == 0
    assert gone(pid)
    assert not root.exists()
    assert server.stop() is None  # stopping twice is harmless
