"""``argus master migrate|backup|restore`` as an administrator runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.orm import Session

from argus.master.db import Profile, make_engine
from argus.master.services import audit


def argus(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "argus", "master", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=dict(os.environ, COLUMNS="200"),
    )


def master(tmp: Path, name: str) -> Path:
    config = tmp / f"{name}.toml"
    config.write_text(f'[master]\nid = "{name}"\ndata_dir = "{tmp / name}"\n')
    return config


def test_backup_of_one_master_restores_onto_a_fresh_one(tmp_path: Path) -> None:
    first = master(tmp_path, "first")
    assert argus("migrate", "-c", str(first)).returncode == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'first' / 'master.sqlite'}")
    with Session(engine) as s, s.begin():
        s.add(Profile(name="Operators", description="watch"))
    engine.dispose()
    out = tmp_path / "system.argus-backup"
    made = argus("backup", str(out), "-c", str(first))
    assert made.returncode == 0, made.stderr
    assert "1 profile" in made.stderr

    second = master(tmp_path, "second")
    restored = argus("restore", str(out), "-c", str(second))
    assert restored.returncode == 0, restored.stderr
    again = argus("backup", str(tmp_path / "again"), "-c", str(second))
    assert again.returncode == 0
    assert (
        json.loads((tmp_path / "again").read_text())["tables"]
        == json.loads(out.read_text())["tables"]
    )

    refused = argus("restore", str(out), "-c", str(second))
    assert refused.returncode == 2 and "already holds configuration" in refused.stderr
    engine = make_engine(f"sqlite:///{tmp_path / 'second' / 'master.sqlite'}")
    with Session(engine) as s:
        actions = [e.action for e in audit.query(s, limit=10)]
        actor = audit.query(s, limit=1)[0].actor_name
    engine.dispose()
    assert actions == ["backup.system", "restore.system"]  # newest first
    assert actor.startswith("cli:")


def test_bad_configuration_and_files_are_refused_clearly(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[master]\nlisten = 5008\nid = "a b"\n')
    r = argus("migrate", "-c", str(bad))
    assert r.returncode == 2 and "master.id" in r.stderr
    good = master(tmp_path, "m")
    junk = tmp_path / "junk"
    junk.write_text("{}")
    r = argus("restore", str(junk), "-c", str(good))
    assert r.returncode == 2 and "not an Argus backup" in r.stderr
