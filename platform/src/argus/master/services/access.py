"""Who may do what: the administer check, the profile download and the per-node tokens.

A user's rights come from their profile's grants (:mod:`argus.security.rights`):
on all cameras, on a camera group's members, or on one camera. ``administer``
is system-wide, whatever the grant's scope: an administrator may use every
camera, and its tokens say so with ``admin`` instead of listing cameras.

Cameras are named by their ``ident`` everywhere outside the master's database
(tokens, recordings, node APIs); nodes by their ``name`` (token audiences).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from argus.master.db.enums import ActorKind, AuditResult, Scope
from argus.master.db.models import (
    AppUser,
    Camera,
    CameraGroupMember,
    Device,
    Node,
    Profile,
    ProfileRight,
)
from argus.master.services.audit import Actor, Target, record
from argus.master.services.errors import Conflict, Forbidden, Refused
from argus.protocol import Right
from argus.security import rights as rights_
from argus.security.tokens import TokenIssuer
from argus_sdk import Clock

#: Every right that applies to a camera (all but the system-wide ``administer``).
CAMERA_RIGHTS: frozenset[Right] = frozenset(r for r in Right if r is not Right.ADMINISTER)
_SCOPES: Mapping[Scope, rights_.Scope] = {
    Scope.ALL: "all",
    Scope.GROUP: "group",
    Scope.CAMERA: "camera",
}


@dataclass(frozen=True, slots=True)
class CameraAccess:
    """A camera the user may use, with what rights."""

    ident: str
    name: str
    rights: frozenset[Right]


@dataclass(frozen=True, slots=True)
class NodeAccess:
    """A node the user may use: where to reach it and its cameras the user has rights on."""

    name: str
    address: str | None
    cameras: tuple[CameraAccess, ...]

    def token_rights(self) -> dict[str, list[Right]]:
        """Camera ident → rights, as a token for this node carries them."""
        return {camera.ident: sorted(camera.rights) for camera in self.cameras}


@dataclass(frozen=True, slots=True)
class UserProfile:
    """The profile download: what a client shows the user and which nodes to ask for what.

    For an administrator, ``nodes`` lists every node and every enabled camera with
    every camera right.
    """

    user_id: int
    username: str
    display_name: str
    profile: str
    admin: bool
    nodes: tuple[NodeAccess, ...]


def administers(session: Session, user: AppUser) -> bool:
    """Whether the user's profile grants ``administer`` (enabled or not: see :func:`is_admin`)."""
    return profile_administers(session, user.profile_id)


def profile_administers(session: Session, profile_id: int) -> bool:
    """Whether the profile grants ``administer``."""
    stmt = select(ProfileRight.id).where(
        ProfileRight.profile_id == profile_id, ProfileRight.right == Right.ADMINISTER
    )
    return session.scalars(stmt.limit(1)).first() is not None


def is_admin(session: Session, actor: Actor) -> bool:
    """Whether ``actor`` may administer now: the system, or an enabled administering user."""
    if actor.kind is ActorKind.SYSTEM:
        return True
    if actor.kind is not ActorKind.USER or actor.id is None:
        return False
    user = session.get(AppUser, actor.id)
    return user is not None and user.enabled and administers(session, user)


def require_admin(
    session: Session, clock: Clock, actor: Actor, *, action: str, target: Target | None = None
) -> None:
    """Pass if ``actor`` may administer; otherwise record a ``denied`` entry and refuse.

    :raises Forbidden: the actor is a node, or a user without the administer right (or
        disabled, or deleted meanwhile).
    """
    if is_admin(session, actor):
        return
    detail = "needs the administer right"
    record(
        session,
        clock,
        actor=actor,
        action=action,
        target=target,
        result=AuditResult.DENIED,
        detail=detail,
    )
    raise Forbidden(f"{action} {detail}: ask an administrator")


def keep_an_admin(
    session: Session, *, doing: str, user: AppUser | None = None, profile: Profile | None = None
) -> None:
    """Refuse a change that makes ``user``, or every user of ``profile``, stop
    administering, when they are the only enabled administrators. (A change that
    takes administer from nobody passes, also on a system without administrators.)

    :raises Conflict: no other enabled administrator would remain.
    """
    if user is not None:
        losing, others = AppUser.id == user.id, AppUser.id != user.id
    elif profile is not None:
        losing, others = AppUser.profile_id == profile.id, AppUser.profile_id != profile.id
    else:
        raise TypeError("give the user or the profile that would stop administering")
    if _count_admins(session, losing) and not _count_admins(session, others):
        raise Conflict(
            f"{doing} would leave no enabled administrator: "
            "give another enabled user an administering profile first"
        )


def profile_for(session: Session, user: AppUser) -> UserProfile:
    """The user's profile download: per node, the cameras the user may use and how.

    :raises Refused: the account is disabled.
    """
    if not user.enabled:
        raise Refused(f"account {user.username!r} is disabled: ask an administrator")
    admin = administers(session, user)
    cameras = _enabled_cameras(session)
    if admin:
        per_camera = {ident: CAMERA_RIGHTS for ident in cameras}
    else:
        grants = _grants(session, user.profile_id)
        per_camera = rights_.effective_rights(grants, cameras, _groups(session, grants))
    by_node: dict[str, list[CameraAccess]] = defaultdict(list)
    for ident, rights in per_camera.items():
        node, name = cameras[ident]
        by_node[node].append(CameraAccess(ident, name, rights))
    addresses = _node_addresses(session, None if admin else by_node.keys())
    nodes = tuple(
        NodeAccess(node, addresses.get(node), tuple(sorted(by_node[node], key=_ident)))
        for node in sorted(addresses)
    )
    return UserProfile(user.id, user.username, user.display_name, user.profile.name, admin, nodes)


def tokens_for(
    session: Session, issuer: TokenIssuer, user: AppUser, profile: UserProfile | None = None
) -> dict[str, str]:
    """Node name → a token for that node only, carrying only that node's cameras.

    A node where the user has no right gets no token (an administrator gets one for
    every node, with ``admin`` set and no camera list: the flag covers every camera).

    :param profile: the user's :func:`profile_for` when the caller has made it already (a
        login answers with both, and need not make it twice); otherwise it is made here.
    :raises Refused: the account is disabled.
    :raises ValueError: ``profile`` is another user's.
    """
    if profile is None:
        profile = profile_for(session, user)
    elif profile.user_id != user.id:
        raise ValueError(f"the profile given is user {profile.user_id}'s, not {user.id}'s")
    return {
        node.name: issuer.issue(
            user_id=str(user.id),
            user_name=user.username,
            node_id=node.name,
            rights={} if profile.admin else node.token_rights(),
            admin=profile.admin,
        )
        for node in profile.nodes
    }


def _count_admins(session: Session, condition: ColumnElement[bool]) -> int:
    """How many enabled users whose profile administers meet ``condition``."""
    admin_profiles = select(ProfileRight.profile_id).where(ProfileRight.right == Right.ADMINISTER)
    stmt = select(func.count(AppUser.id)).where(
        AppUser.enabled.is_(True), AppUser.profile_id.in_(admin_profiles), condition
    )
    return session.scalar(stmt) or 0


def _grants(session: Session, profile_id: int) -> list[rights_.Grant]:
    """The profile's grants, targets as :func:`effective_rights` takes them: camera idents
    and camera group row ids as text."""
    stmt = (
        select(ProfileRight.scope, ProfileRight.right, ProfileRight.camera_group_id, Camera.ident)
        .outerjoin(Camera, Camera.id == ProfileRight.camera_id)
        .where(ProfileRight.profile_id == profile_id)
    )
    grants = []
    for scope, right, group_id, ident in session.execute(stmt):
        target = ident if scope is Scope.CAMERA else str(group_id) if scope is Scope.GROUP else ""
        grants.append(rights_.Grant(_SCOPES[scope], right, target or ""))
    return grants


def _groups(session: Session, grants: list[rights_.Grant]) -> dict[str, frozenset[str]]:
    """Members (camera idents) of the groups the grants name, by group row id as text."""
    ids = {int(g.target) for g in grants if g.scope == "group"}
    if not ids:
        return {}
    stmt = (
        select(CameraGroupMember.camera_group_id, Camera.ident)
        .join(Camera, Camera.id == CameraGroupMember.camera_id)
        .where(CameraGroupMember.camera_group_id.in_(ids))
    )
    members: dict[str, set[str]] = defaultdict(set)
    for group_id, ident in session.execute(stmt):
        members[str(group_id)].add(ident)
    return {group: frozenset(idents) for group, idents in members.items()}


def _enabled_cameras(session: Session) -> dict[str, tuple[str, str]]:
    """Camera ident → (node name, camera name), for every enabled camera."""
    stmt = (
        select(Camera.ident, Node.name, Camera.name)
        .join(Device, Device.id == Camera.device_id)
        .join(Node, Node.id == Device.node_id)
        .where(Camera.enabled.is_(True))
    )
    return {ident: (node, name) for ident, node, name in session.execute(stmt)}


def _node_addresses(session: Session, names: Collection[str] | None) -> dict[str, str | None]:
    """Node name → listen address, for the named nodes (``None``: every node)."""
    stmt = select(Node.name, Node.listen_address)
    if names is not None:
        stmt = stmt.where(Node.name.in_(list(names)))
    return {name: address for name, address in session.execute(stmt)}


def _ident(camera: CameraAccess) -> str:
    return camera.ident
