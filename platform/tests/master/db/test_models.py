"""Every table written and read back on every engine: JSON, bytes, aware times, Unicode."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from argus.master.db import (
    AppUser,
    AuditEntry,
    Camera,
    CameraGroup,
    CameraGroupMember,
    Device,
    Node,
    NodeStorage,
    Profile,
    ProfileRight,
    Setting,
    UserSession,
    WatchdogEvent,
)
from argus.master.db.enums import ActorKind, AuditResult, NodeState, Right, Scope, WatchdogKind

UTC = dt.UTC
PLUS2 = dt.timezone(dt.timedelta(hours=2))
#: An instant with microseconds in a zone other than UTC.
T0 = dt.datetime(2024, 3, 31, 2, 30, 15, 123456, tzinfo=PLUS2)
TEXT = "Caméra Entrée — 東京 📷"
SETTINGS: dict[str, Any] = {
    "main_url": "rtsp://10.0.0.5/stream1",
    "streams": [{"name": "main", "fps": 25.0}, {"name": "sub", "fps": 12.5}],
    "ptz": True,
    "label": TEXT,
    "limit": None,
    "big": 2**53,
}
CIPHERTEXT = bytes(range(256)) + b"\x00\xff"
T = TypeVar("T")


def reread(session: Session, row: T) -> T:
    """Commit, forget every loaded object, and load ``row`` again from the database."""
    session.commit()
    key = session.identity_key(instance=row)[1]
    session.expunge_all()
    again = session.get(type(row), key)
    assert again is not None
    return again


def make_node(session: Session, name: str = "node-1") -> Node:
    node = Node(name=name)
    session.add(node)
    session.flush()
    return node


def make_camera(session: Session, node: Node, ident: str = "entrance") -> Camera:
    device = Device(node=node, ident=ident, name=ident, driver="rtsp")
    camera = Camera(device=device, channel=0, ident=ident, name=ident)
    session.add(camera)
    session.flush()
    return camera


def make_profile(session: Session, name: str = "operators") -> Profile:
    profile = Profile(name=name)
    session.add(profile)
    session.flush()
    return profile


def test_time_columns_keep_the_instant_and_come_back_in_utc(session: Session) -> None:
    node = make_node(session)
    node.last_heartbeat = T0
    node = reread(session, node)

    assert node.last_heartbeat == T0
    assert node.last_heartbeat is not None
    assert node.last_heartbeat.tzinfo is UTC
    assert node.last_heartbeat.isoformat() == "2024-03-31T00:30:15.123456+00:00"
    assert node.created.tzinfo is UTC


def test_a_naive_time_is_refused(session: Session) -> None:
    node = make_node(session)
    node.last_heartbeat = dt.datetime(2024, 1, 1, 12, 0)  # naive: the point of the test
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()


def test_node_round_trip(session: Session) -> None:
    node = Node(
        name="node-a.1",
        description=TEXT,
        enrolment_token_hash="sha256:" + "ab" * 32,
        enrolment_expires=T0,
        credential_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        state=NodeState.ENROLLED,
        state_reason="",
        platform_version="1.0.0rc2",
        architecture="i686",
        os="Debian GNU/Linux 12 (bookworm)",
        wheel_tags=["cp311-cp311-manylinux_2_36_i686", "py3-none-any"],
        listen_address="https://10.0.0.7:5009",
        last_heartbeat=T0,
        clock_offset_us=-2_500_123,
        clock_measured=T0,
        desired_config_version=7,
        applied_config_version=6,
    )
    session.add(node)
    node.storages.append(NodeStorage(backend="segments", settings={"disks": [{"path": "/srv/a"}]}))
    got = reread(session, node)

    assert (got.name, got.description, got.state) == ("node-a.1", TEXT, NodeState.ENROLLED)
    assert got.wheel_tags == ["cp311-cp311-manylinux_2_36_i686", "py3-none-any"]
    assert (got.clock_offset_us, got.clock_measured) == (-2_500_123, T0)
    assert (got.desired_config_version, got.applied_config_version) == (7, 6)
    assert (got.platform_version, got.architecture) == ("1.0.0rc2", "i686")
    assert [(s.backend, s.settings) for s in got.storages] == [
        ("segments", {"disks": [{"path": "/srv/a"}]})
    ]


def test_node_defaults(session: Session) -> None:
    got = reread(session, make_node(session))

    assert got.state is NodeState.PENDING
    assert (got.wheel_tags, got.desired_config_version, got.applied_config_version) == ([], 0, None)
    assert got.updated >= got.created


def test_device_and_camera_round_trip(session: Session) -> None:
    node = make_node(session)
    device = Device(
        node=node,
        ident="encoder1",
        name=TEXT,
        driver="onvif",
        settings=SETTINGS,
        credentials=CIPHERTEXT,
        recording={"mode": "event", "pre_seconds": 5.0, "triggers": ["argus.io.input"]},
        record_streams=["main", "sub"],
        enabled=False,
    )
    device.cameras = [
        Camera(channel=i, ident=f"encoder1-ch{i + 1}", name=f"{TEXT} {i}") for i in range(2)
    ]
    session.add(device)
    got = reread(session, device)

    assert (got.ident, got.name, got.driver, got.enabled) == ("encoder1", TEXT, "onvif", False)
    assert got.settings == SETTINGS
    assert got.credentials == CIPHERTEXT
    assert got.recording == {"mode": "event", "pre_seconds": 5.0, "triggers": ["argus.io.input"]}
    assert got.record_streams == ["main", "sub"]
    cameras = sorted(got.cameras, key=lambda c: c.channel)
    assert [(c.channel, c.ident, c.name, c.enabled) for c in cameras] == [
        (0, "encoder1-ch1", f"{TEXT} 0", True),
        (1, "encoder1-ch2", f"{TEXT} 1", True),
    ]
    assert got.node.name == node.name


def test_device_without_credentials(session: Session) -> None:
    device = Device(node=make_node(session), ident="cam", name="cam", driver="sim")
    session.add(device)
    got = reread(session, device)
    assert (got.credentials, got.settings, got.record_streams) == (None, {}, [])


def test_camera_groups_and_membership(session: Session) -> None:
    node = make_node(session)
    a, b = make_camera(session, node, "a"), make_camera(session, node, "b")
    group = CameraGroup(name=TEXT, description="ground floor", cameras=[a, b])
    session.add(group)
    got = reread(session, group)

    assert (got.name, got.description) == (TEXT, "ground floor")
    assert sorted(c.ident for c in got.cameras) == ["a", "b"]
    members = session.scalars(
        select(CameraGroupMember.camera_id).where(CameraGroupMember.camera_group_id == got.id)
    ).all()
    assert sorted(members) == sorted([a.id, b.id])
    assert [g.name for g in session.get_one(Camera, a.id).groups] == [TEXT]


def test_profile_with_a_grant_of_every_scope_and_right(session: Session) -> None:
    camera = make_camera(session, make_node(session))
    group = CameraGroup(name="lobby", cameras=[camera])
    session.add(group)
    session.flush()
    profile = Profile(name=TEXT, description="night shift")
    profile.rights = [ProfileRight(scope=Scope.ALL, right=right) for right in Right]
    profile.rights += [
        ProfileRight(scope=Scope.GROUP, camera_group_id=group.id, right=Right.LIVE),
        ProfileRight(scope=Scope.CAMERA, camera_id=camera.id, right=Right.PTZ),
    ]
    session.add(profile)
    got = reread(session, profile)

    assert (got.name, got.description) == (TEXT, "night shift")
    grants = {(r.scope, r.camera_group_id, r.camera_id, r.right) for r in got.rights}
    assert grants == {(Scope.ALL, None, None, r) for r in Right} | {
        (Scope.GROUP, group.id, None, Right.LIVE),
        (Scope.CAMERA, None, camera.id, Right.PTZ),
    }


def test_user_and_session_round_trip(session: Session) -> None:
    user = AppUser(
        username="ålice",
        display_name=TEXT,
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
        enabled=True,
        failed_logins=3,
        locked_until=T0,
        last_login=T0,
        profile=make_profile(session),
    )
    login = UserSession(
        user=user,
        secret_hash="f" * 64,
        expires=T0 + dt.timedelta(hours=8),
        revoked=None,
        last_seen=T0,
        client_address="2001:db8::1234:5678:9abc:def0",
    )
    session.add(login)
    got = reread(session, login)

    assert (got.secret_hash, got.expires, got.revoked, got.last_seen) == (
        "f" * 64,
        T0 + dt.timedelta(hours=8),
        None,
        T0,
    )
    assert got.client_address == "2001:db8::1234:5678:9abc:def0"
    assert (got.user.username, got.user.display_name) == ("ålice", TEXT)
    assert (got.user.failed_logins, got.user.locked_until, got.user.last_login) == (3, T0, T0)
    assert got.user.password_hash is not None and got.user.password_hash.startswith("$argon2id$")
    assert got.user.profile.name == "operators"


def test_audit_entry_round_trip(session: Session) -> None:
    entry = AuditEntry(
        at=T0,
        actor_kind=ActorKind.USER,
        actor_id=42,
        actor_name="ålice",
        action="camera.update",
        target_kind="camera",
        target_id="entrance",
        target_name=TEXT,
        node="node-1",
        before={"name": "Entrance", "enabled": True},
        after={"name": TEXT, "enabled": False},
        client_address="192.0.2.10",
        result=AuditResult.OK,
        detail="",
    )
    session.add(entry)
    got = reread(session, entry)

    assert (got.at, got.actor_kind, got.actor_id, got.actor_name) == (
        T0,
        ActorKind.USER,
        42,
        "ålice",
    )
    assert (got.action, got.target_kind, got.target_id, got.target_name, got.node) == (
        "camera.update",
        "camera",
        "entrance",
        TEXT,
        "node-1",
    )
    assert got.before == {"name": "Entrance", "enabled": True}
    assert got.after == {"name": TEXT, "enabled": False}
    assert (got.client_address, got.result) == ("192.0.2.10", AuditResult.OK)


def test_audit_entry_of_a_failed_login_by_nobody_known(session: Session) -> None:
    entry = AuditEntry(
        actor_kind=ActorKind.USER,
        actor_id=None,
        actor_name="mallory",
        action="login",
        result=AuditResult.DENIED,
        detail="unknown user",
    )
    session.add(entry)
    got = reread(session, entry)
    assert (got.actor_id, got.before, got.after, got.result) == (None, None, None, "denied")
    assert got.at.tzinfo is UTC


def test_watchdog_events_of_every_kind(session: Session) -> None:
    node = make_node(session)
    events = [
        WatchdogEvent(
            node_id=node.id,
            kind=kind,
            source=f"{kind.value}:{TEXT}",
            started=T0,
            ended=T0 + dt.timedelta(seconds=90) if kind is WatchdogKind.NODE_OFFLINE else None,
            details={"offset_us": 2_500_000, "limit_us": 1_000_000},
        )
        for kind in WatchdogKind
    ]
    session.add_all(events)
    session.commit()
    session.expunge_all()

    got = session.scalars(select(WatchdogEvent).order_by(WatchdogEvent.id)).all()
    assert [(e.kind, e.source, e.node_id) for e in got] == [
        (k, f"{k.value}:{TEXT}", node.id) for k in WatchdogKind
    ]
    assert all(e.started == T0 and e.details["offset_us"] == 2_500_000 for e in got)
    assert [e.ended for e in got if e.ended] == [T0 + dt.timedelta(seconds=90)]


def test_settings_hold_any_json_value(session: Session) -> None:
    values: dict[str, Any] = {
        "nodes.version_policy": ">=6,<9",
        "auth.lockout_failures": 5,
        "auth.lockout_seconds": 900.5,
        "audit.enabled": True,
        "ui.languages": ["en", "fi", "日本語"],
        "tokens": {"lifetime_s": 300, "issuer": TEXT},
    }
    session.add_all(Setting(key=k, value=v) for k, v in values.items())
    session.commit()
    session.expunge_all()

    got = {s.key: s.value for s in session.scalars(select(Setting))}
    assert got == values


def test_update_and_delete(session: Session) -> None:
    node = make_node(session)
    camera = make_camera(session, node)
    before = camera.updated
    camera.name = TEXT
    camera.device.settings = {**camera.device.settings, "fps": 10}
    got = reread(session, camera)
    assert (got.name, got.device.settings) == (TEXT, {"fps": 10})
    assert got.updated >= before

    session.delete(got.device)
    session.commit()
    session.expunge_all()
    assert session.scalars(select(Camera.id).where(Camera.id == got.id)).all() == []
