"""Backup and restore of the configuration, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from argus.master import backup
from argus.master.db import (
    AppUser,
    Camera,
    CameraGroup,
    CameraGroupMember,
    Device,
    Node,
    NodeStorage,
    Profile,
    ProfileRight,
    make_engine,
    upgrade,
)
from argus.master.db.models import Setting
from argus.protocol import Right
from argus.security.passwords import hash_password, verify_password

NOW = dt.datetime(2026, 11, 22, 12, 0, 0, 123456, tzinfo=dt.UTC)
HASH = hash_password("correct horse battery")


def configure(engine: Engine) -> None:
    """A small but complete system: two nodes, devices, cameras, a group, users, grants."""
    with Session(engine) as s, s.begin():
        ops = Profile(name="Operators", description="Watch and play back")
        yard = CameraGroup(name="Yard", description="Outdoor")
        s.add_all([ops, yard])
        for n in ("node-a", "node-b"):
            node = Node(
                name=n,
                credential_hash="sha256:" + n,
                wheel_tags=["py3-none-any"],
                platform_version="0.1.0",
                last_heartbeat=NOW,
            )
            node.storages.append(
                NodeStorage(backend="segments", settings={"disks": [{"path": f"/srv/{n}"}]})
            )
            device = Device(
                ident=f"{n}-gate",
                name="Gate",
                driver="rtsp",
                settings={"main_url": "rtsp://10.0.0.5/1"},
                credentials=b"\x00\x01encrypted\xff",
                recording={"mode": "event"},
                record_streams=["main", "sub"],
            )
            node.devices.append(device)
            s.add(node)
            s.flush()
            for ch in (0, 1):
                s.add(
                    Camera(
                        device_id=device.id, channel=ch, ident=f"{n}-gate-{ch}", name=f"Gate {ch} ✓"
                    )
                )
        s.flush()
        cameras = s.scalars(select(Camera).order_by(Camera.id)).all()
        s.add(CameraGroupMember(camera_group_id=yard.id, camera_id=cameras[0].id))
        s.add_all(
            [
                ProfileRight(profile_id=ops.id, scope="all", right=Right.LIVE),
                ProfileRight(
                    profile_id=ops.id, scope="group", camera_group_id=yard.id, right=Right.PLAYBACK
                ),
                ProfileRight(
                    profile_id=ops.id, scope="camera", camera_id=cameras[1].id, right=Right.EXPORT
                ),
            ]
        )
        s.add(
            AppUser(
                username="olga",
                display_name="Olga",
                password_hash=HASH,
                profile_id=ops.id,
                locked_until=NOW,
            )
        )
        s.add(Setting(key="node_version_policy", value={"spec": ">=0.1,<1"}))


def tables_of(document: dict[str, Any]) -> dict[str, Any]:
    return document["tables"]


@pytest.fixture
def fresh(new_database: Callable[[], str]) -> Callable[[], Engine]:
    made: list[Engine] = []

    def make() -> Engine:
        made.append(make_engine(new_database()))
        return made[-1]

    yield make  # type: ignore[misc]
    for e in made:
        e.dispose()


def test_a_system_backup_restored_on_a_fresh_master_is_the_same_system(
    fresh: Callable[[], Engine], tmp_path: Path
) -> None:
    source = fresh()
    upgrade(source)
    configure(source)
    path = tmp_path / "system.argus-backup"
    backup.write(backup.backup_system(source), path)
    assert path.stat().st_mode & 0o777 == 0o600

    target = fresh()  # empty: not even migrated
    backup.restore_system(target, backup.read(path))
    assert tables_of(backup.backup_system(target)) == tables_of(backup.read(path))
    with Session(target) as s:
        user = s.scalars(select(AppUser).where(AppUser.username == "olga")).one()
        assert verify_password(user.password_hash, "correct horse battery")
        assert user.locked_until == NOW
        device = s.scalars(select(Device).where(Device.ident == "node-a-gate")).one()
        assert device.credentials == b"\x00\x01encrypted\xff"
        # ids continue after the restored ones
        s.add(Profile(name="Later"))
        s.commit()


def test_restoring_onto_a_master_with_configuration_is_refused_and_changes_nothing(
    fresh: Callable[[], Engine],
) -> None:
    source = fresh()
    upgrade(source)
    configure(source)
    document = backup.backup_system(source)
    target = fresh()
    upgrade(target)
    with Session(target) as s, s.begin():
        s.add(Profile(name="Existing"))
    with pytest.raises(backup.BackupError, match="already holds configuration"):
        backup.restore_system(target, document)
    assert [r["name"] for r in tables_of(backup.backup_system(target))["profile"]] == ["Existing"]


def test_a_server_backup_puts_one_node_back_and_leaves_the_other_alone(
    fresh: Callable[[], Engine],
) -> None:
    engine = fresh()
    upgrade(engine)
    configure(engine)
    saved = backup.backup_server(engine, "node-a")
    other_before = backup.backup_server(engine, "node-b")
    with Session(engine) as s, s.begin():  # node-a is then misconfigured
        device = s.scalars(select(Device).where(Device.ident == "node-a-gate")).one()
        device.settings = {"main_url": "rtsp://wrong"}
        s.add(
            Device(
                node_id=device.node_id,
                ident="node-a-extra",
                name="Extra",
                driver="sim",
                settings={},
                recording={},
                record_streams=["main"],
            )
        )
    backup.restore_server(engine, saved, "node-a")
    after = backup.backup_server(engine, "node-a")
    assert after["tables"] == saved["tables"]
    assert backup.backup_server(engine, "node-b")["tables"] == other_before["tables"]
    with pytest.raises(backup.BackupError, match="system backup"):
        backup.restore_server(engine, backup.backup_system(engine), "node-a")
    with pytest.raises(backup.BackupError, match="no node named"):
        backup.restore_server(engine, saved, "node-z")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "cannot read"),
        ('{"format": "something-else"}', "is not an Argus backup"),
        (
            '{"format": "argus-backup", "version": 99, "kind": "system", "tables": {}}',
            "this Argus reads format 1",
        ),
        ('{"format": "argus-backup", "version": 1}', "damaged"),
    ],
)
def test_bad_files_are_refused_with_a_reason(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.argus-backup"
    path.write_text(content)
    with pytest.raises(backup.BackupError, match=message):
        backup.read(path)


def test_a_backup_of_an_unknown_schema_is_refused(fresh: Callable[[], Engine]) -> None:
    source = fresh()
    upgrade(source)
    document = backup.backup_system(source)
    document["schema"] = "9999_from_the_future"
    with pytest.raises(backup.BackupError, match="unknown to this Argus"):
        backup.restore_system(fresh(), document)
