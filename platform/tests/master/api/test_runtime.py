"""The Master object: migration on start, the first administrator, the offline sweeper."""

from __future__ import annotations

import logging
import stat
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from argus.master.config import MasterConfig, MasterSection
from argus.master.db import AppUser, DatabaseTooNew, make_engine, upgrade
from argus.master.runtime import (
    ADMIN_PASSWORD_ENV,
    ADMIN_PASSWORD_FILE,
    Master,
    OfflineSweeper,
)
from argus.master.services import login
from argus_sdk import SystemClock


def config(tmp_path: Path) -> MasterConfig:
    return MasterConfig(master=MasterSection(id="m", data_dir=tmp_path / "data"))


def test_first_start_creates_admin_from_the_environment_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    master = Master(config(tmp_path))
    with caplog.at_level(logging.WARNING, logger="argus.master.runtime"):
        master.start({ADMIN_PASSWORD_ENV: "from the environment"})
    assert ADMIN_PASSWORD_ENV in caplog.text
    assert not (tmp_path / "data" / ADMIN_PASSWORD_FILE).exists()
    with master.session() as s:
        result = login.login(s, SystemClock(), "admin", "from the environment")
        assert isinstance(result, login.LoggedIn)
        s.commit()
    master.close()

    again = Master(config(tmp_path))
    assert again.bootstrap({ADMIN_PASSWORD_ENV: "another password"}) is False
    with again.session() as s:
        assert s.scalar(select(func.count(AppUser.id))) == 1
    again.close()


def test_a_generated_password_is_written_for_the_admin_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    master = Master(config(tmp_path))
    with caplog.at_level(logging.WARNING, logger="argus.master.runtime"):
        master.start({})
    path = tmp_path / "data" / ADMIN_PASSWORD_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert str(path) in caplog.text
    with master.session() as s:
        result = login.login(s, SystemClock(), "admin", path.read_text().strip())
        assert isinstance(result, login.LoggedIn)
    master.close()


def test_a_database_from_a_newer_argus_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'master.sqlite'}"
    (tmp_path / "data").mkdir()
    upgrade(url)
    engine = make_engine(url)
    with engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = 'f00dfacef00d'"))
    engine.dispose()
    master = Master(config(tmp_path))
    with pytest.raises(DatabaseTooNew):
        master.start({})
    master.close()


def test_the_sweeper_sweeps_until_stopped(tmp_path: Path) -> None:
    master = Master(config(tmp_path))
    master.start({ADMIN_PASSWORD_ENV: "from the environment"})
    swept = threading.Event()
    calls: list[int] = []

    def sweep() -> int:
        calls.append(Master.sweep(master))
        swept.set()
        return calls[-1]

    master.sweep = sweep  # type: ignore[method-assign]
    sweeper = OfflineSweeper(master, interval=0.01)
    sweeper.start()
    assert swept.wait(5)
    sweeper.stop()
    count = len(calls)
    assert count >= 1 and calls[0] == 0  # no node: nothing offline
    assert len(calls) == count  # stopped for good
    master.close()
