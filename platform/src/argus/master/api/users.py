"""Users and profiles: administrators' routes (a user may change their own password)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy.orm import Session

from argus.master.api.auth import Running, Tx, Who
from argus.master.api.models import (
    Grant,
    GrantsIn,
    PasswordChange,
    ProfileCreate,
    ProfileOut,
    ProfileUpdate,
    UserCreate,
    UserOut,
    UserUpdate,
)
from argus.master.db import AppUser, Profile
from argus.master.db.types import instant
from argus.master.runtime import Master
from argus.master.services import accounts, profiles
from argus.master.services.audit import Actor, Target, record, snapshot
from argus.master.services.profiles import GrantSpec

router = APIRouter(tags=["users and profiles"])


# --- Users ------------------------------------------------------------------------------


@router.get("/users", response_model=list[UserOut])
def list_users(db: Tx, master: Running, caller: Who) -> list[UserOut]:
    caller.require_admin(db, master, "user.list")
    return [user_out(u) for u in accounts.all_users(db)]


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, db: Tx, master: Running, caller: Who) -> UserOut:
    caller.require_admin(db, master, "user.create")
    user = accounts.create_user(
        db,
        master.clock,
        caller.actor,
        username=body.username,
        password=body.password,
        profile=profiles.get_profile(db, body.profile_id),
        display_name=body.display_name,
        enabled=body.enabled,
    )
    return user_out(user)


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(user_id: int, db: Tx, master: Running, caller: Who) -> UserOut:
    caller.require_admin(db, master, "user.get")
    return user_out(accounts.get_user(db, user_id))


@router.patch("/users/{user_id}", response_model=UserOut)
def update_user(user_id: int, body: UserUpdate, db: Tx, master: Running, caller: Who) -> UserOut:
    """Change the display name, enable or disable, give another profile (each audited)."""
    caller.require_admin_on(db, master, "user.update", Target("user", str(user_id)))
    user = accounts.get_user(db, user_id)
    if body.display_name is not None:
        _set_display_name(db, master, caller.actor, user, body.display_name)
    if body.profile_id is not None:
        profile = profiles.get_profile(db, body.profile_id)
        accounts.set_profile(db, master.clock, caller.actor, user, profile)
    if body.enabled is not None:
        accounts.set_enabled(db, master.clock, caller.actor, user, body.enabled)
    return user_out(user)


@router.put(
    "/users/{user_id}/password", status_code=status.HTTP_204_NO_CONTENT, response_class=Response
)
def set_password(
    user_id: int, body: PasswordChange, db: Tx, master: Running, caller: Who
) -> Response:
    """Set a password: one's own with the current one, anyone's as an administrator. Ends
    the user's other sessions."""
    user = accounts.get_user(db, user_id) if user_id != caller.user.id else caller.user
    keep = caller.session if user.id == caller.user.id else None
    accounts.set_password(
        db,
        master.clock,
        caller.actor,
        user,
        body.new_password,
        old_password=body.old_password,
        keep_session=keep,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_user(user_id: int, db: Tx, master: Running, caller: Who) -> Response:
    caller.require_admin_on(db, master, "user.delete", Target("user", str(user_id)))
    accounts.delete_user(db, master.clock, caller.actor, accounts.get_user(db, user_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def user_out(user: AppUser) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        enabled=user.enabled,
        profile_id=user.profile_id,
        profile=user.profile.name,
        locked_until=user.locked_until,
        last_login=user.last_login,
        created=user.created,
        updated=user.updated,
    )


def _set_display_name(db: Session, master: Master, actor: Actor, user: AppUser, name: str) -> None:
    """Not a service of :mod:`accounts` yet: checked, changed and audited here."""
    if user.display_name == name:
        return
    before = snapshot(user)
    user.display_name = name
    user.updated = instant(master.clock)
    db.flush()
    record(
        db,
        master.clock,
        actor=actor,
        action="user.display_name",
        target=Target.of(user),
        before=before,
        after=snapshot(user),
    )


# --- Profiles ---------------------------------------------------------------------------


@router.get("/profiles", response_model=list[ProfileOut])
def list_profiles(db: Tx, master: Running, caller: Who) -> list[ProfileOut]:
    caller.require_admin(db, master, "profile.list")
    return [profile_out(db, p) for p in profiles.all_profiles(db)]


@router.post("/profiles", response_model=ProfileOut, status_code=status.HTTP_201_CREATED)
def create_profile(body: ProfileCreate, db: Tx, master: Running, caller: Who) -> ProfileOut:
    caller.require_admin(db, master, "profile.create")
    profile = profiles.create_profile(
        db,
        master.clock,
        caller.actor,
        name=body.name,
        description=body.description,
        grants=_specs(body.grants),
    )
    return profile_out(db, profile)


@router.patch("/profiles/{profile_id}", response_model=ProfileOut)
def update_profile(
    profile_id: int, body: ProfileUpdate, db: Tx, master: Running, caller: Who
) -> ProfileOut:
    caller.require_admin_on(db, master, "profile.update", Target("profile", str(profile_id)))
    profile = profiles.update_profile(
        db,
        master.clock,
        caller.actor,
        profiles.get_profile(db, profile_id),
        name=body.name,
        description=body.description,
    )
    return profile_out(db, profile)


@router.put("/profiles/{profile_id}/grants", response_model=ProfileOut)
def set_grants(profile_id: int, body: GrantsIn, db: Tx, master: Running, caller: Who) -> ProfileOut:
    caller.require_admin_on(db, master, "profile.grants", Target("profile", str(profile_id)))
    profile = profiles.set_grants(
        db, master.clock, caller.actor, profiles.get_profile(db, profile_id), _specs(body.grants)
    )
    return profile_out(db, profile)


@router.delete(
    "/profiles/{profile_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response
)
def delete_profile(profile_id: int, db: Tx, master: Running, caller: Who) -> Response:
    caller.require_admin_on(db, master, "profile.delete", Target("profile", str(profile_id)))
    profiles.delete_profile(db, master.clock, caller.actor, profiles.get_profile(db, profile_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def profile_out(db: Session, profile: Profile) -> ProfileOut:
    return ProfileOut(
        id=profile.id,
        name=profile.name,
        description=profile.description,
        grants=[
            Grant(scope=g.scope, right=g.right, target=g.target)
            for g in profiles.grants_of(db, profile)
        ],
        created=profile.created,
        updated=profile.updated,
    )


def _specs(grants: list[Grant]) -> list[GrantSpec]:
    return [GrantSpec(g.scope, g.right, g.target) for g in grants]
