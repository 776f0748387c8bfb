"""The profile download and per-node tokens: each token carries its node's cameras only,
and verifies on that node only."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from argus.master.db.enums import AuditResult, Right, Scope
from argus.master.db.models import (
    AppUser,
    Camera,
    CameraGroup,
    Device,
    Node,
    Profile,
    ProfileRight,
)
from argus.master.services import access, audit
from argus.master.services.access import CAMERA_RIGHTS
from argus.master.services.audit import SYSTEM, Actor
from argus.master.services.errors import Forbidden, Refused
from argus.security.tokens import InvalidToken, TokenIssuer, TokenVerifier
from argus_sdk.testing import ManualClock

NODES = ("n1", "n2", "n3", "n4")
DEVICES, CHANNELS = 4, 20  # 80 cameras per node, 320 in all
KEY = Ed25519PrivateKey.generate()
LIVE_PLAYBACK = frozenset({Right.LIVE, Right.PLAYBACK})


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def cameras(session: Session) -> dict[str, Camera]:
    """320 cameras on four nodes (encoders of 20 channels), ident → camera; one disabled."""
    made: dict[str, Camera] = {}
    for node_name in NODES:
        node = Node(name=node_name, listen_address=f"http://{node_name}:5009")
        for d in range(DEVICES):
            device = Device(node=node, ident=f"{node_name}-d{d}", name=f"d{d}", driver="sim")
            for c in range(CHANNELS):
                ident = f"{node_name}-d{d}-c{c}"
                made[ident] = Camera(device=device, channel=c, ident=ident, name=f"Cam {ident}")
    made["n1-d3-c19"].enabled = False
    session.add_all(made.values())
    session.flush()
    return made


def user_with(session: Session, name: str, *rights: ProfileRight) -> AppUser:
    user = AppUser(username=name, profile=Profile(name=f"{name}'s", rights=list(rights)))
    session.add(user)
    session.flush()
    return user


@pytest.fixture
def guard(session: Session, cameras: dict[str, Camera]) -> AppUser:
    """Live and playback on the group 'lobby' (all of n1, ten of n2), PTZ on one camera of
    n2, export on one of n3, nothing on n4."""
    members = [c for ident, c in cameras.items() if ident.startswith("n1-")]
    members += [cameras[f"n2-d0-c{c}"] for c in range(10)]
    lobby = CameraGroup(name="lobby", cameras=members)
    session.add(lobby)
    session.flush()
    return user_with(
        session,
        "guard",
        ProfileRight(scope=Scope.GROUP, right=Right.LIVE, camera_group_id=lobby.id),
        ProfileRight(scope=Scope.GROUP, right=Right.PLAYBACK, camera_group_id=lobby.id),
        ProfileRight(scope=Scope.CAMERA, right=Right.PTZ, camera_id=cameras["n2-d0-c0"].id),
        ProfileRight(scope=Scope.CAMERA, right=Right.EXPORT, camera_id=cameras["n3-d1-c5"].id),
    )


def expected_rights(node: str) -> dict[str, set[Right]]:
    if node == "n1":
        rights = {
            f"n1-d{d}-c{c}": set(LIVE_PLAYBACK) for d in range(DEVICES) for c in range(CHANNELS)
        }
        del rights["n1-d3-c19"]  # disabled
        return rights
    if node == "n2":
        rights = {f"n2-d0-c{c}": set(LIVE_PLAYBACK) for c in range(10)}
        rights["n2-d0-c0"].add(Right.PTZ)
        return rights
    if node == "n3":
        return {"n3-d1-c5": {Right.EXPORT}}
    return {}


def test_profile_groups_the_users_cameras_by_node(session: Session, guard: AppUser) -> None:
    profile = access.profile_for(session, guard)
    assert (profile.user_id, profile.username, profile.admin) == (guard.id, "guard", False)
    assert profile.profile == "guard's"
    assert [node.name for node in profile.nodes] == ["n1", "n2", "n3"]
    for node in profile.nodes:
        assert node.address == f"http://{node.name}:5009"
        assert {c.ident: set(c.rights) for c in node.cameras} == expected_rights(node.name)
        assert [c.ident for c in node.cameras] == sorted(c.ident for c in node.cameras)
    assert profile.nodes[2].cameras[0].name == "Cam n3-d1-c5"


def test_each_token_holds_only_its_nodes_cameras_and_verifies_only_there(
    session: Session, clock: ManualClock, guard: AppUser
) -> None:
    issuer = TokenIssuer(KEY, "master", clock=clock)
    tokens = access.tokens_for(session, issuer, guard)
    assert sorted(tokens) == ["n1", "n2", "n3"]  # no right on n4: no token
    verifiers = {node: TokenVerifier(KEY.public_key(), node, clock=clock) for node in NODES}
    for node, token in tokens.items():
        claims = verifiers[node].verify(token)
        assert (claims.sub, claims.name, claims.admin) == (str(guard.id), "guard", False)
        assert {cam: set(rights) for cam, rights in claims.rights.items()} == expected_rights(node)
        assert all(camera.startswith(f"{node}-") for camera in claims.rights)
        for other in NODES:
            if other != node:
                with pytest.raises(InvalidToken, match="another node"):
                    verifiers[other].verify(token)
    assert len(tokens["n3"]) < 700 < len(tokens["n1"])  # small for few cameras


def test_an_administrator_gets_every_node_and_camera(
    session: Session, clock: ManualClock, cameras: dict[str, Camera]
) -> None:
    root = user_with(session, "root", ProfileRight(scope=Scope.ALL, right=Right.ADMINISTER))
    profile = access.profile_for(session, root)
    assert profile.admin and [node.name for node in profile.nodes] == list(NODES)
    assert sum(len(node.cameras) for node in profile.nodes) == len(cameras) - 1
    assert all(c.rights == CAMERA_RIGHTS for node in profile.nodes for c in node.cameras)
    issuer = TokenIssuer(KEY, "master", clock=clock)
    tokens = access.tokens_for(session, issuer, root)
    assert sorted(tokens) == list(NODES)
    claims = TokenVerifier(KEY.public_key(), "n4", clock=clock).verify(tokens["n4"])
    assert claims.admin and claims.rights == {}  # the flag covers every camera
    assert claims.may("n4-d0-c0", Right.PTZ)


def test_rights_on_all_cameras_cover_every_node(
    session: Session, clock: ManualClock, cameras: dict[str, Camera]
) -> None:
    viewer = user_with(session, "viewer", ProfileRight(scope=Scope.ALL, right=Right.LIVE))
    tokens = access.tokens_for(session, TokenIssuer(KEY, "master", clock=clock), viewer)
    claims = TokenVerifier(KEY.public_key(), "n4", clock=clock).verify(tokens["n4"])
    assert not claims.admin and len(claims.rights) == DEVICES * CHANNELS
    assert claims.may("n4-d0-c0", Right.LIVE) and not claims.may("n4-d0-c0", Right.PLAYBACK)


def test_a_user_without_rights_gets_an_empty_profile(
    session: Session, clock: ManualClock, cameras: dict[str, Camera]
) -> None:
    nobody = user_with(session, "nobody")
    assert access.profile_for(session, nobody).nodes == ()
    assert access.tokens_for(session, TokenIssuer(KEY, "master", clock=clock), nobody) == {}


def test_a_disabled_user_gets_nothing(session: Session, clock: ManualClock) -> None:
    user = user_with(session, "gone", ProfileRight(scope=Scope.ALL, right=Right.LIVE))
    user.enabled = False
    with pytest.raises(Refused, match="disabled"):
        access.profile_for(session, user)
    with pytest.raises(Refused):
        access.tokens_for(session, TokenIssuer(KEY, "master", clock=clock), user)


def test_require_admin(session: Session, clock: ManualClock) -> None:
    root = user_with(session, "root", ProfileRight(scope=Scope.ALL, right=Right.ADMINISTER))
    bob = user_with(session, "bob", ProfileRight(scope=Scope.ALL, right=Right.LIVE))
    access.require_admin(session, clock, SYSTEM, action="x")
    access.require_admin(session, clock, Actor.of_user(root), action="x")
    node = Node(name="n9")
    session.add(node)
    session.flush()
    for actor in (Actor.of_user(bob), Actor.of_node(node)):
        with pytest.raises(Forbidden, match="x needs the administer right: ask an administrator"):
            access.require_admin(session, clock, actor, action="x")
    root.enabled = False
    with pytest.raises(Forbidden):
        access.require_admin(session, clock, Actor.of_user(root), action="x")
    denied = audit.query(session, result=AuditResult.DENIED)
    assert [e.actor_name for e in denied] == ["root", "n9", "bob"]


def test_tokens_from_a_profile_already_made_are_the_same_and_make_it_once(
    session: Session, clock: ManualClock, guard: AppUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    issuer = TokenIssuer(KEY, "master", clock=clock)
    profile = access.profile_for(session, guard)
    made = []
    monkeypatch.setattr(access, "profile_for", lambda *a: made.append(a) or profile)
    given = access.tokens_for(session, issuer, guard, profile)
    assert made == []  # a login makes the profile once, for the download and the tokens
    fresh = access.tokens_for(session, issuer, guard)
    assert len(made) == 1 and sorted(given) == sorted(fresh) == ["n1", "n2", "n3"]
    for node in NODES[:3]:
        verifier = TokenVerifier(KEY.public_key(), node, clock=clock)
        a, b = verifier.verify(given[node]), verifier.verify(fresh[node])
        assert a.model_dump(exclude={"jti"}) == b.model_dump(exclude={"jti"})


def test_tokens_refuse_another_users_profile(
    session: Session, clock: ManualClock, guard: AppUser, cameras: dict[str, Camera]
) -> None:
    other = user_with(session, "other", ProfileRight(scope=Scope.ALL, right=Right.LIVE))
    issuer, others = TokenIssuer(KEY, "master", clock=clock), access.profile_for(session, other)
    with pytest.raises(ValueError, match="not"):
        access.tokens_for(session, issuer, guard, others)
