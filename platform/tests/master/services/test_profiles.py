"""Profiles and their grants: changes audited before/after, refusals that change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from argus.master.db.enums import AuditResult, Right, Scope
from argus.master.db.models import (
    AppUser,
    AuditEntry,
    Camera,
    CameraGroup,
    Device,
    Node,
    Profile,
    ProfileRight,
)
from argus.master.services import audit, profiles
from argus.master.services.audit import SYSTEM, Actor
from argus.master.services.errors import Conflict, Forbidden, Invalid, NotFound
from argus.master.services.profiles import GrantSpec
from argus_sdk.testing import ManualClock

LIVE_ALL = GrantSpec(Scope.ALL, Right.LIVE)
ADMIN = GrantSpec(Scope.ALL, Right.ADMINISTER)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def site(session: Session) -> Session:
    """Cameras 'entrance' and 'gate' on node-1, 'gate' in the group 'Outside'."""
    node = Node(name="node-1")
    device = Device(node=node, ident="d1", name="d1", driver="rtsp")
    entrance = Camera(device=device, channel=0, ident="entrance", name="Entrance")
    gate = Camera(device=device, channel=1, ident="gate", name="Gate")
    session.add_all([entrance, CameraGroup(name="Outside", cameras=[gate])])
    session.flush()
    return session


def user_with(session: Session, name: str, profile: Profile, enabled: bool = True) -> AppUser:
    user = AppUser(username=name, profile=profile, enabled=enabled)
    session.add(user)
    session.flush()
    return user


def entries(session: Session, action: str) -> list[AuditEntry]:
    return audit.query(session, action=action)


def test_create_with_grants_is_audited_with_the_grants(site: Session, clock: ManualClock) -> None:
    grants = [
        GrantSpec(Scope.CAMERA, Right.PTZ, "entrance"),
        GrantSpec(Scope.GROUP, Right.PLAYBACK, "Outside"),
        LIVE_ALL,
        LIVE_ALL,  # duplicates are kept once
    ]
    profile = profiles.create_profile(
        site, clock, SYSTEM, name=" Guards ", description="night shift", grants=grants
    )
    assert profile.name == "Guards"
    assert profiles.grants_of(site, profile) == sorted(set(grants))
    (entry,) = entries(site, "profile.create")
    assert entry.before is None and entry.after is not None
    assert entry.after["name"] == "Guards"
    assert sorted(entry.after["grants"], key=lambda g: g["scope"]) == [
        {"scope": "all", "right": "live", "target": ""},
        {"scope": "camera", "right": "ptz", "target": "entrance"},
        {"scope": "group", "right": "playback", "target": "Outside"},
    ]
    assert (entry.target_kind, entry.target_id) == ("profile", str(profile.id))


def test_names_are_unique_ignoring_case(session: Session, clock: ManualClock) -> None:
    profiles.create_profile(session, clock, SYSTEM, name="Operators")
    with pytest.raises(Conflict, match="choose another name"):
        profiles.create_profile(session, clock, SYSTEM, name="operators")
    other = profiles.create_profile(session, clock, SYSTEM, name="Viewers")
    with pytest.raises(Conflict):
        profiles.update_profile(session, clock, SYSTEM, other, name="OPERATORS")
    assert profiles.profile_by_name(session, "OPERATORS").name == "Operators"


@pytest.mark.parametrize(
    ("grant", "message"),
    [
        (GrantSpec(Scope.CAMERA, Right.LIVE, "nowhere"), "camera 'nowhere' does not exist"),
        (GrantSpec(Scope.GROUP, Right.LIVE, "Inside"), "camera group 'Inside' does not exist"),
        (GrantSpec(Scope.CAMERA, Right.ADMINISTER, "gate"), "system-wide"),
        (GrantSpec(Scope.ALL, Right.LIVE, "gate"), "no target"),
    ],
)
def test_bad_grants_are_refused_and_nothing_is_written(
    site: Session, clock: ManualClock, grant: GrantSpec, message: str
) -> None:
    with pytest.raises(Invalid, match=message):
        profiles.create_profile(site, clock, SYSTEM, name="p", grants=[LIVE_ALL, grant])
    assert site.scalar(select(func.count()).select_from(Profile)) == 0
    assert site.scalar(select(func.count()).select_from(AuditEntry)) == 0


@pytest.mark.parametrize("name", ["", "   ", "x" * 256])
def test_bad_names_are_refused(session: Session, clock: ManualClock, name: str) -> None:
    with pytest.raises(Invalid, match="1 to 255"):
        profiles.create_profile(session, clock, SYSTEM, name=name)


def test_rename_is_audited_before_and_after(session: Session, clock: ManualClock) -> None:
    profile = profiles.create_profile(session, clock, SYSTEM, name="Ops", grants=[LIVE_ALL])
    clock.advance(60)
    profiles.update_profile(session, clock, SYSTEM, profile, name="Operators")
    session.commit()
    assert profiles.get_profile(session, profile.id).name == "Operators"
    (entry,) = entries(session, "profile.update")
    assert entry.before is not None and entry.after is not None
    assert (entry.before["name"], entry.after["name"]) == ("Ops", "Operators")
    assert entry.before["grants"] == entry.after["grants"] == [LIVE_ALL.as_json()]
    assert entry.target_name == "Operators"


def test_set_grants_replaces_the_list(site: Session, clock: ManualClock) -> None:
    profile = profiles.create_profile(site, clock, SYSTEM, name="p", grants=[LIVE_ALL])
    new = [
        GrantSpec(Scope.CAMERA, Right.EXPORT, "gate"),
        GrantSpec(Scope.GROUP, Right.IO, "Outside"),
    ]
    profiles.set_grants(site, clock, SYSTEM, profile, new)
    site.commit()
    site.expunge_all()
    again = profiles.get_profile(site, profile.id)
    assert profiles.grants_of(site, again) == sorted(new)
    assert site.scalar(select(func.count()).select_from(ProfileRight)) == 2
    (entry,) = entries(site, "profile.grants")
    assert entry.before is not None and entry.after is not None
    assert entry.before["grants"] == [LIVE_ALL.as_json()]
    assert entry.after["grants"] == [g.as_json() for g in sorted(new)]


def test_a_profile_in_use_cannot_be_deleted(session: Session, clock: ManualClock) -> None:
    profile = profiles.create_profile(session, clock, SYSTEM, name="Ops", grants=[LIVE_ALL])
    user_with(session, "alice", profile)
    with pytest.raises(Conflict, match=r"used by 1 user\(s\) \(alice\): give them another"):
        profiles.delete_profile(session, clock, SYSTEM, profile)
    assert profiles.get_profile(session, profile.id) is profile
    assert entries(session, "profile.delete") == []


def test_delete_removes_grants_and_keeps_the_audit(site: Session, clock: ManualClock) -> None:
    grant = GrantSpec(Scope.CAMERA, Right.LIVE, "gate")
    profile = profiles.create_profile(site, clock, SYSTEM, name="Ops", grants=[grant])
    profile_id = profile.id
    profiles.delete_profile(site, clock, SYSTEM, profile)
    site.commit()
    with pytest.raises(NotFound, match="does not exist"):
        profiles.get_profile(site, profile_id)
    assert site.scalar(select(func.count()).select_from(ProfileRight)) == 0
    (entry,) = entries(site, "profile.delete")
    assert entry.after is None and entry.before is not None
    assert entry.before["grants"] == [grant.as_json()]
    assert (entry.target_id, entry.target_name) == (str(profile_id), "Ops")


def test_a_user_who_does_not_administer_is_refused_and_it_is_audited(
    session: Session, clock: ManualClock
) -> None:
    viewers = profiles.create_profile(session, clock, SYSTEM, name="Viewers", grants=[LIVE_ALL])
    bob = Actor.of_user(user_with(session, "bob", viewers), "10.1.1.1")
    with pytest.raises(Forbidden, match="administer"):
        profiles.set_grants(session, clock, bob, viewers, [ADMIN])
    with pytest.raises(Forbidden):
        profiles.create_profile(session, clock, bob, name="Mine")
    assert profiles.grants_of(session, viewers) == [LIVE_ALL]
    denied = audit.query(session, result=AuditResult.DENIED)
    assert [e.action for e in denied] == ["profile.create", "profile.grants"]
    assert denied[1].client_address == "10.1.1.1" and denied[1].target_name == "Viewers"


def test_a_disabled_administrator_cannot_administer(session: Session, clock: ManualClock) -> None:
    admins = profiles.create_profile(session, clock, SYSTEM, name="Admins", grants=[ADMIN])
    ann = Actor.of_user(user_with(session, "ann", admins, enabled=False))
    with pytest.raises(Forbidden):
        profiles.create_profile(session, clock, ann, name="x")
    user_with(session, "eve", admins)
    eve = Actor.of_user(user_with(session, "eve2", admins))
    assert profiles.create_profile(session, clock, eve, name="x").name == "x"


def test_the_last_administrators_profile_keeps_administer(
    session: Session, clock: ManualClock
) -> None:
    admins = profiles.create_profile(session, clock, SYSTEM, name="Admins", grants=[ADMIN])
    user_with(session, "root", admins)
    user_with(session, "off", admins)
    with pytest.raises(Conflict, match="no enabled administrator"):
        profiles.set_grants(session, clock, SYSTEM, admins, [LIVE_ALL])
    assert profiles.grants_of(session, admins) == [ADMIN]
    other = profiles.create_profile(session, clock, SYSTEM, name="Other admins", grants=[ADMIN])
    user_with(session, "spare", other, enabled=False)
    with pytest.raises(Conflict):  # a disabled administrator does not count
        profiles.set_grants(session, clock, SYSTEM, admins, [LIVE_ALL])
    user_with(session, "second", other)
    profiles.set_grants(session, clock, SYSTEM, admins, [LIVE_ALL])
    assert profiles.grants_of(session, admins) == [LIVE_ALL]


def test_a_profile_nobody_uses_may_lose_administer(session: Session, clock: ManualClock) -> None:
    admins = profiles.create_profile(session, clock, SYSTEM, name="Admins", grants=[ADMIN])
    profiles.set_grants(session, clock, SYSTEM, admins, [])
    assert profiles.grants_of(session, admins) == []
