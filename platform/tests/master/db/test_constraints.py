"""The database itself refuses what the schema forbids, on every engine.

Unique keys, foreign keys (SQLite only with ``PRAGMA foreign_keys``, which
``make_engine`` sets), CHECK constraints on enumerations and on grant scopes,
and what deleting a row does to the rows that refer to it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import column, delete, func, insert, select
from sqlalchemy import table as sql_table
from sqlalchemy.exc import IntegrityError
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
from argus.master.db.types import utcnow

MISSING = 987_654_321  # an id no row has


def refused(session: Session, *rows: object) -> IntegrityError:
    """Add ``rows``, expect the flush to fail with an IntegrityError, and roll it back."""
    session.add_all(rows)
    with pytest.raises(IntegrityError) as caught:
        session.flush()
    session.rollback()
    return caught.value


def refused_sql(session: Session, table: str, **values: object) -> None:
    """Insert into untyped columns (no check by SQLAlchemy's types) and expect the database
    to refuse with an IntegrityError."""
    untyped = sql_table(table, *(column(name) for name in values))
    with pytest.raises(IntegrityError):
        session.execute(insert(untyped).values(**values))
    session.rollback()


def count(session: Session, model: type[object]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def node(session: Session) -> Node:
    node = Node(name="node-1")
    session.add(node)
    session.commit()
    return node


@pytest.fixture
def camera(session: Session, node: Node) -> Camera:
    camera = Camera(
        device=Device(node=node, ident="dev", name="dev", driver="sim"),
        channel=0,
        ident="cam",
        name="cam",
    )
    session.add(camera)
    session.commit()
    return camera


@pytest.fixture
def profile(session: Session) -> Profile:
    profile = Profile(name="operators")
    session.add(profile)
    session.commit()
    return profile


NOW = utcnow()
#: Rows that break one unique key, given an existing node, camera and profile.
UNIQUE: dict[str, Callable[[Node, Camera, Profile], list[object]]] = {
    "node.name": lambda n, c, p: [Node(name="node-1")],
    "device.ident": lambda n, c, p: [Device(node=n, ident="dev", name="other", driver="sim")],
    "device.node_id+name": lambda n, c, p: [Device(node=n, ident="d2", name="dev", driver="sim")],
    "camera.ident": lambda n, c, p: [Camera(device=c.device, channel=1, ident="cam", name="x")],
    "camera.device_id+channel": lambda n, c, p: [
        Camera(device=c.device, channel=0, ident="c2", name="x")
    ],
    "camera_group.name": lambda n, c, p: [CameraGroup(name="g"), CameraGroup(name="g")],
    "profile.name": lambda n, c, p: [Profile(name="operators")],
    "app_user.username": lambda n, c, p: [
        AppUser(username="bob", profile=p),
        AppUser(username="bob", profile=p),
    ],
    "session.secret_hash": lambda n, c, p: [
        UserSession(user=(u := AppUser(username="eve", profile=p)), secret_hash="s", expires=NOW),
        UserSession(user=u, secret_hash="s", expires=NOW),
    ],
    "node_storage.node_id+backend": lambda n, c, p: [
        NodeStorage(node=n, backend="segments"),
        NodeStorage(node=n, backend="segments"),
    ],
    "setting.key": lambda n, c, p: [Setting(key="k", value=1), Setting(key="k", value=2)],
}


@pytest.mark.parametrize("key", UNIQUE)
def test_unique_keys_are_enforced(
    key: str, session: Session, node: Node, camera: Camera, profile: Profile
) -> None:
    refused(session, *UNIQUE[key](node, camera, profile))


def test_a_camera_is_in_a_group_once(session: Session, camera: Camera) -> None:
    group = CameraGroup(name="g")
    session.add(group)
    session.commit()
    session.execute(insert(CameraGroupMember).values(camera_group_id=group.id, camera_id=camera.id))
    refused_sql(session, "camera_group_member", camera_group_id=group.id, camera_id=camera.id)


#: A row whose foreign key points nowhere, given an existing profile.
FOREIGN: dict[str, Callable[[Profile], object]] = {
    "device.node_id": lambda p: Device(node_id=MISSING, ident="d", name="d", driver="sim"),
    "camera.device_id": lambda p: Camera(device_id=MISSING, channel=0, ident="c", name="c"),
    "node_storage.node_id": lambda p: NodeStorage(node_id=MISSING, backend="segments"),
    "camera_group_member.camera_id": lambda p: CameraGroupMember(
        camera_group_id=MISSING, camera_id=MISSING
    ),
    "app_user.profile_id": lambda p: AppUser(username="u", profile_id=MISSING),
    "session.user_id": lambda p: UserSession(user_id=MISSING, secret_hash="s", expires=NOW),
    "profile_right.profile_id": lambda p: ProfileRight(
        profile_id=MISSING, scope=Scope.ALL, right=Right.LIVE
    ),
    "profile_right.camera_id": lambda p: ProfileRight(
        profile_id=p.id, scope=Scope.CAMERA, camera_id=MISSING, right=Right.LIVE
    ),
    "profile_right.camera_group_id": lambda p: ProfileRight(
        profile_id=p.id, scope=Scope.GROUP, camera_group_id=MISSING, right=Right.LIVE
    ),
    "watchdog_event.node_id": lambda p: WatchdogEvent(
        node_id=MISSING, kind=WatchdogKind.DISK_FAILED, source="/srv/a"
    ),
}


@pytest.mark.parametrize("key", FOREIGN)
def test_foreign_keys_are_enforced(key: str, session: Session, profile: Profile) -> None:
    refused(session, FOREIGN[key](profile))


@pytest.mark.parametrize(
    ("scope", "group", "camera"),
    [
        (Scope.ALL, True, False),
        (Scope.ALL, False, True),
        (Scope.GROUP, False, False),
        (Scope.GROUP, True, True),
        (Scope.CAMERA, False, False),
        (Scope.CAMERA, True, True),
    ],
)
def test_a_grant_names_exactly_the_target_of_its_scope(
    scope: Scope, group: bool, camera: bool, session: Session, profile: Profile, node: Node
) -> None:
    device = Device(node=node, ident="d", name="d", driver="sim")
    cam = Camera(device=device, channel=0, ident="c", name="c")
    grp = CameraGroup(name="g")
    session.add_all([cam, grp])
    session.commit()
    refused(
        session,
        ProfileRight(
            profile_id=profile.id,
            scope=scope,
            camera_group_id=grp.id if group else None,
            camera_id=cam.id if camera else None,
            right=Right.LIVE,
        ),
    )


TIME = "2024-01-01 00:00:00"
#: A valid row of each table with an enumeration, as plain SQL values.
VALID: dict[str, dict[str, object]] = {
    "node": {"name": "n", "description": "", "state": "pending", "state_reason": "",
             "wheel_tags": "[]", "desired_config_version": 0, "created": TIME, "updated": TIME},
    "profile_right": {"scope": "all", "right": "live"},
    "audit_entry": {"at": TIME, "actor_kind": "user", "actor_name": "a", "action": "x",
                    "result": "ok", "detail": ""},
    "watchdog_event": {"kind": "disk-failed", "source": "s", "started": TIME, "details": "{}"},
}  # fmt: skip


@pytest.mark.parametrize(
    ("table", "name"),
    [
        ("node", "state"),
        ("profile_right", "right"),
        ("profile_right", "scope"),
        ("audit_entry", "actor_kind"),
        ("audit_entry", "result"),
        ("watchdog_event", "kind"),
    ],
)
def test_an_enumeration_refuses_an_unknown_value(
    table: str, name: str, session: Session, profile: Profile
) -> None:
    values = {**VALID[table], name: "bogus"}
    if table == "profile_right":
        values["profile_id"] = profile.id
    refused_sql(session, table, **values)


def test_the_valid_rows_of_the_enumeration_test_are_accepted(
    session: Session, profile: Profile
) -> None:
    for table, values in VALID.items():
        extra = {"profile_id": profile.id} if table == "profile_right" else {}
        row = {**values, **extra}
        session.execute(insert(sql_table(table, *(column(n) for n in row))).values(**row))
    session.flush()


def test_every_enumeration_value_is_accepted(session: Session, profile: Profile) -> None:
    session.add_all(Node(name=f"n-{state.value}", state=state) for state in NodeState)
    session.add_all(ProfileRight(profile=profile, scope=Scope.ALL, right=right) for right in Right)
    session.add_all(
        AuditEntry(actor_kind=kind, actor_name="a", action="x", result=result)
        for kind in ActorKind
        for result in AuditResult
    )
    session.add_all(WatchdogEvent(kind=kind, source="s") for kind in WatchdogKind)
    session.commit()
    assert count(session, WatchdogEvent) == len(WatchdogKind)


def test_deleting_a_node_deletes_its_configuration_and_keeps_its_events(
    session: Session, node: Node, camera: Camera
) -> None:
    group = CameraGroup(name="g", cameras=[camera])
    session.add_all(
        [
            group,
            NodeStorage(node=node, backend="segments"),
            WatchdogEvent(node_id=node.id, kind=WatchdogKind.NODE_OFFLINE, source=node.name),
        ]
    )
    session.commit()

    session.execute(delete(Node).where(Node.id == node.id))
    session.expunge_all()

    assert [count(session, m) for m in (Device, Camera, CameraGroupMember, NodeStorage)] == [0] * 4
    assert session.scalars(select(WatchdogEvent.node_id)).all() == [None]
    assert count(session, CameraGroup) == 1


def test_a_camera_named_by_a_grant_cannot_be_deleted(
    session: Session, camera: Camera, profile: Profile
) -> None:
    session.add(
        ProfileRight(profile=profile, scope=Scope.CAMERA, camera_id=camera.id, right=Right.LIVE)
    )
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(delete(Camera).where(Camera.id == camera.id))
    session.rollback()

    session.execute(delete(ProfileRight).where(ProfileRight.camera_id == camera.id))
    session.execute(delete(Camera).where(Camera.id == camera.id))
    assert count(session, Camera) == 0


def test_a_profile_in_use_cannot_be_deleted(session: Session, profile: Profile) -> None:
    session.add(AppUser(username="bob", profile=profile))
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(delete(Profile).where(Profile.id == profile.id))
    session.rollback()


def test_deleting_a_profile_deletes_its_grants(session: Session, profile: Profile) -> None:
    session.add(ProfileRight(profile=profile, scope=Scope.ALL, right=Right.LIVE))
    session.commit()
    session.execute(delete(Profile).where(Profile.id == profile.id))
    assert count(session, ProfileRight) == 0


def test_deleting_a_user_ends_their_sessions(session: Session, profile: Profile) -> None:
    user = AppUser(username="bob", profile=profile)
    session.add(UserSession(user=user, secret_hash="s", expires=NOW))
    session.commit()
    session.execute(delete(AppUser).where(AppUser.id == user.id))
    assert count(session, UserSession) == 0


def test_deleting_a_group_removes_memberships_not_cameras(session: Session, camera: Camera) -> None:
    group = CameraGroup(name="g", cameras=[camera])
    session.add(group)
    session.commit()
    session.execute(delete(CameraGroup).where(CameraGroup.id == group.id))
    assert (count(session, CameraGroupMember), count(session, Camera)) == (0, 1)
