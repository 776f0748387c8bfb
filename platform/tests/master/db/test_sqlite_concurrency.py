"""Concurrent read-then-write transactions on the embedded SQLite database all succeed.

With a deferred BEGIN, transactions that read and then write fail at once with
"database is locked" when another writer commits in between; the engine begins
IMMEDIATE so they queue (up to the busy timeout) instead.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

from sqlalchemy import func, insert, select

from argus.master.db import Base, make_engine, upgrade


def test_read_then_write_transactions_queue_instead_of_failing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite'}")
    upgrade(engine)
    setting = Base.metadata.tables["setting"]
    errors: list[BaseException] = []

    def request(key: str) -> None:
        try:
            with engine.begin() as conn:
                conn.execute(select(func.count()).select_from(setting)).scalar()
                time.sleep(0.05)  # others read meanwhile, then everyone writes
                conn.execute(
                    insert(setting).values(key=key, value={"n": 1}, updated=dt.datetime.now(dt.UTC))
                )
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=request, args=(f"k{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(setting)).scalar() == 4
    engine.dispose()
