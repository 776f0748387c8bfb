"""Profiles: named sets of rights given to users, and their grants.

Only administrators (or the system) change profiles; every change is audited
with the profile before and after, its grants included. Grants name cameras by
``ident`` and camera groups by name, as administrators know them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import QueryableAttribute, Session

from argus.master.db.enums import Right, Scope
from argus.master.db.models import AppUser, Camera, CameraGroup, Profile, ProfileRight
from argus.master.db.types import instant
from argus.master.services.access import keep_an_admin, require_admin
from argus.master.services.audit import Actor, Target, record, snapshot
from argus.master.services.errors import Conflict, Invalid, NotFound
from argus_sdk import Clock

NAME_LENGTH, DESCRIPTION_LENGTH = 255, 1024


@dataclass(frozen=True, slots=True, order=True)
class GrantSpec:
    """One grant as administrators write it.

    :param target: the camera's ``ident`` (scope ``camera``), the group's name (scope
        ``group``), empty for ``all``. ``administer`` is system-wide: only with ``all``.
    """

    scope: Scope
    right: Right
    target: str = ""

    def as_json(self) -> dict[str, str]:
        return {"scope": self.scope.value, "right": self.right.value, "target": self.target}


def get_profile(session: Session, profile_id: int) -> Profile:
    """:raises NotFound: no profile has this id."""
    profile = session.get(Profile, profile_id)
    if profile is None:
        raise NotFound(f"profile {profile_id} does not exist")
    return profile


def profile_by_name(session: Session, name: str) -> Profile:
    """:raises NotFound: no profile has this name (compared ignoring case)."""
    profile = session.scalars(select(Profile).where(_same_name(name))).first()
    if profile is None:
        raise NotFound(f"profile {name!r} does not exist")
    return profile


def all_profiles(session: Session) -> list[Profile]:
    return list(session.scalars(select(Profile).order_by(Profile.name)))


def grants_of(session: Session, profile: Profile) -> list[GrantSpec]:
    """The profile's grants, sorted, targets by camera ident and group name."""
    stmt = (
        select(ProfileRight.scope, ProfileRight.right, Camera.ident, CameraGroup.name)
        .outerjoin(Camera, Camera.id == ProfileRight.camera_id)
        .outerjoin(CameraGroup, CameraGroup.id == ProfileRight.camera_group_id)
        .where(ProfileRight.profile_id == profile.id)
    )
    rows = session.execute(stmt)
    return sorted(
        {GrantSpec(scope, right, ident or group or "") for scope, right, ident, group in rows}
    )


def profile_state(session: Session, profile: Profile) -> dict[str, Any]:
    """The profile as the audit trail shows it before and after a change: its columns
    and its grants."""
    return snapshot(profile) | {"grants": [g.as_json() for g in grants_of(session, profile)]}


def create_profile(
    session: Session,
    clock: Clock,
    actor: Actor,
    *,
    name: str,
    description: str = "",
    grants: Iterable[GrantSpec] = (),
) -> Profile:
    """A new profile with these grants.

    :raises Forbidden: the actor may not administer.
    :raises Invalid: a bad name or description, or a grant naming nothing that exists.
    :raises Conflict: the name is taken (ignoring case).
    """
    require_admin(session, clock, actor, action="profile.create")
    name, description = _name(name), _description(description)
    _check_name_free(session, name)
    rows = _grant_rows(session, grants)
    now = instant(clock)
    profile = Profile(name=name, description=description, created=now, updated=now, rights=rows)
    session.add(profile)
    session.flush()
    after = profile_state(session, profile)
    record(
        session, clock, actor=actor, action="profile.create", target=Target.of(profile), after=after
    )
    return profile


def update_profile(
    session: Session,
    clock: Clock,
    actor: Actor,
    profile: Profile,
    *,
    name: str | None = None,
    description: str | None = None,
) -> Profile:
    """Rename the profile and/or change its description (``None``: unchanged).

    :raises Forbidden: the actor may not administer.
    :raises Invalid: a bad name or description.
    :raises Conflict: the new name is another profile's.
    """
    require_admin(session, clock, actor, action="profile.update", target=Target.of(profile))
    new_name = profile.name if name is None else _name(name)
    new_description = profile.description if description is None else _description(description)
    if new_name.casefold() != profile.name.casefold():
        _check_name_free(session, new_name)
    before = profile_state(session, profile)
    profile.name, profile.description = new_name, new_description
    profile.updated = instant(clock)
    session.flush()
    _audit_change(session, clock, actor, "profile.update", profile, before)
    return profile


def set_grants(
    session: Session, clock: Clock, actor: Actor, profile: Profile, grants: Iterable[GrantSpec]
) -> Profile:
    """Replace the profile's grants by ``grants`` (duplicates are kept once).

    :raises Forbidden: the actor may not administer.
    :raises Invalid: a grant naming a camera or group that does not exist, or
        ``administer`` with a scope other than ``all``.
    :raises Conflict: the profile would stop administering and its users are the only
        enabled administrators.
    """
    require_admin(session, clock, actor, action="profile.grants", target=Target.of(profile))
    rows = _grant_rows(session, grants)
    before = profile_state(session, profile)
    if _administers(before) and not any(row.right is Right.ADMINISTER for row in rows):
        keep_an_admin(session, doing=f"taking administer from {profile.name!r}", profile=profile)
    profile.rights = rows
    profile.updated = instant(clock)
    session.flush()
    _audit_change(session, clock, actor, "profile.grants", profile, before)
    return profile


def delete_profile(session: Session, clock: Clock, actor: Actor, profile: Profile) -> None:
    """Delete the profile and its grants.

    :raises Forbidden: the actor may not administer.
    :raises Conflict: users have this profile: give them another one first.
    """
    require_admin(session, clock, actor, action="profile.delete", target=Target.of(profile))
    users = list(
        session.scalars(
            select(AppUser.username)
            .where(AppUser.profile_id == profile.id)
            .order_by(AppUser.username)
        )
    )
    if users:
        shown = ", ".join(users[:5]) + (" …" if len(users) > 5 else "")
        raise Conflict(
            f"profile {profile.name!r} is used by {len(users)} user(s) ({shown}): "
            "give them another profile first"
        )
    before = profile_state(session, profile)
    target = Target.of(profile)
    session.delete(profile)
    session.flush()
    record(session, clock, actor=actor, action="profile.delete", target=target, before=before)


def _audit_change(
    session: Session,
    clock: Clock,
    actor: Actor,
    action: str,
    profile: Profile,
    before: dict[str, Any],
) -> None:
    after = profile_state(session, profile)
    target = Target.of(profile)
    record(session, clock, actor=actor, action=action, target=target, before=before, after=after)


def _administers(state: dict[str, Any]) -> bool:
    return any(grant["right"] == Right.ADMINISTER.value for grant in state["grants"])


def _grant_rows(session: Session, grants: Iterable[GrantSpec]) -> list[ProfileRight]:
    """New rows for the grants, targets resolved to row ids.

    :raises Invalid: a target that does not exist, or does not fit the scope.
    """
    specs = sorted(set(grants))
    cameras = _ids(session, Camera.ident, Camera.id, specs, Scope.CAMERA)
    groups = _ids(session, CameraGroup.name, CameraGroup.id, specs, Scope.GROUP)
    rows = []
    for spec in specs:
        if spec.right is Right.ADMINISTER and spec.scope is not Scope.ALL:
            raise Invalid("administer is system-wide: grant it with scope 'all'")
        if spec.scope is Scope.ALL and spec.target:
            raise Invalid(f"a grant on all cameras names no target (got {spec.target!r})")
        row = ProfileRight(scope=spec.scope, right=spec.right)
        if spec.scope is Scope.CAMERA:
            row.camera_id = _resolve(cameras, spec, "camera")
        elif spec.scope is Scope.GROUP:
            row.camera_group_id = _resolve(groups, spec, "camera group")
        rows.append(row)
    return rows


def _ids(
    session: Session,
    key: QueryableAttribute[str],
    row_id: QueryableAttribute[int],
    specs: list[GrantSpec],
    scope: Scope,
) -> dict[str, int]:
    """Target → row id, for the specs' targets of this scope that exist."""
    wanted = {spec.target for spec in specs if spec.scope is scope}
    if not wanted:
        return {}
    return {k: i for k, i in session.execute(select(key, row_id).where(key.in_(wanted)))}


def _resolve(ids: dict[str, int], spec: GrantSpec, kind: str) -> int:
    try:
        return ids[spec.target]
    except KeyError:
        raise Invalid(f"{kind} {spec.target!r} does not exist: check the grant's target") from None


def _name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > NAME_LENGTH:
        raise Invalid(f"a profile name has 1 to {NAME_LENGTH} characters")
    return name


def _description(description: str) -> str:
    if len(description) > DESCRIPTION_LENGTH:
        raise Invalid(f"a description has at most {DESCRIPTION_LENGTH} characters")
    return description


def _same_name(name: str) -> ColumnElement[bool]:
    return func.lower(Profile.name) == name.strip().lower()


def _check_name_free(session: Session, name: str) -> None:
    if session.scalars(select(Profile.id).where(_same_name(name))).first() is not None:
        raise Conflict(f"a profile named {name!r} exists: choose another name")
