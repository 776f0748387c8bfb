"""User accounts: creation, passwords, enabling, profiles, deletion.

User names are stored normalized (NFKC, case-folded: :func:`normalize_username`)
so that every database compares them alike. Passwords are kept only as
Argon2id hashes (:mod:`argus.security.passwords`) and never reach the audit
trail. Only administrators (or the system) manage accounts; a user may change
their own password by giving the current one. No change may leave the system
without an enabled administrator.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from argus.master.db.enums import ActorKind, AuditResult
from argus.master.db.models import AppUser, Profile, UserSession
from argus.master.db.types import instant
from argus.master.services.access import (
    administers,
    keep_an_admin,
    profile_administers,
    require_admin,
)
from argus.master.services.audit import Actor, Target, record, snapshot
from argus.master.services.errors import Conflict, Forbidden, Invalid, NotFound
from argus.security.passwords import hash_password, verify_password
from argus_sdk import Clock

USERNAME_LENGTH, DISPLAY_NAME_LENGTH = 150, 255
_USERNAME_PUNCTUATION = frozenset("._-@")


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """What a new password must be: long enough, not the user name.

    ``max_length`` only bounds the work of hashing.
    """

    min_length: int = 10
    max_length: int = 1024

    def check(self, password: str, username: str) -> None:
        """:raises Invalid: the password breaks the policy (the message says how)."""
        if not self.min_length <= len(password) <= self.max_length:
            raise Invalid(
                f"a password has {self.min_length} to {self.max_length} characters: "
                "choose a longer one"
            )
        if normalize_username(password) == normalize_username(username):
            raise Invalid("the password cannot be the user name: choose another one")


DEFAULT_POLICY = PasswordPolicy()


def normalize_username(username: str) -> str:
    """The stored form of a user name: NFKC, surrounding spaces removed, case-folded."""
    return unicodedata.normalize("NFKC", username).strip().casefold()


def check_username(username: str) -> str:
    """The normalized user name.

    :raises Invalid: empty, longer than :data:`USERNAME_LENGTH`, or with characters
        other than letters, digits and ``. _ - @`` (or not starting with a letter or
        digit).
    """
    name = normalize_username(username)
    if not 1 <= len(name) <= USERNAME_LENGTH:
        raise Invalid(f"a user name has 1 to {USERNAME_LENGTH} characters")
    if not name[0].isalnum() or not all(c.isalnum() or c in _USERNAME_PUNCTUATION for c in name):
        raise Invalid(
            f"user name {username!r}: use letters, digits and . _ - @, starting with a "
            "letter or digit"
        )
    return name


def find_user(session: Session, username: str) -> AppUser | None:
    """The user with this name (normalized first), or ``None``."""
    name = normalize_username(username)
    if len(name) > USERNAME_LENGTH:
        return None
    return session.scalars(select(AppUser).where(AppUser.username == name)).first()


def user_by_name(session: Session, username: str) -> AppUser:
    """:raises NotFound: no user has this name."""
    user = find_user(session, username)
    if user is None:
        raise NotFound(f"user {username!r} does not exist")
    return user


def get_user(session: Session, user_id: int) -> AppUser:
    """:raises NotFound: no user has this id."""
    user = session.get(AppUser, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    return user


def all_users(session: Session) -> list[AppUser]:
    return list(session.scalars(select(AppUser).order_by(AppUser.username)))


def create_user(
    session: Session,
    clock: Clock,
    actor: Actor,
    *,
    username: str,
    password: str | None,
    profile: Profile,
    display_name: str = "",
    enabled: bool = True,
    policy: PasswordPolicy = DEFAULT_POLICY,
) -> AppUser:
    """A new account. ``password=None`` makes an account that cannot log in with a password.

    :raises Forbidden: the actor may not administer.
    :raises Invalid: the user name, display name or password breaks the rules.
    :raises Conflict: the user name is taken.
    """
    require_admin(session, clock, actor, action="user.create")
    name = check_username(username)
    if password is not None:
        policy.check(password, name)
    _check_display_name(display_name)
    if find_user(session, name) is not None:
        raise Conflict(f"user name {name!r} is taken: choose another one")
    now = instant(clock)
    user = AppUser(
        username=name,
        display_name=display_name,
        password_hash=None if password is None else hash_password(password),
        enabled=enabled,
        failed_logins=0,
        profile=profile,
        created=now,
        updated=now,
    )
    session.add(user)
    session.flush()
    record(
        session,
        clock,
        actor=actor,
        action="user.create",
        target=Target.of(user),
        after=snapshot(user),
    )
    return user


def set_password(
    session: Session,
    clock: Clock,
    actor: Actor,
    user: AppUser,
    new_password: str,
    *,
    old_password: str | None = None,
    keep_session: UserSession | None = None,
    policy: PasswordPolicy = DEFAULT_POLICY,
) -> None:
    """Set the user's password; clears a lockout and ends the user's sessions but
    ``keep_session`` (the one the change was made from).

    Users changing their own password must give the current one, administrators
    included (a stolen session must not be enough); an administrator resetting
    another user's password need not.

    :raises Forbidden: the old password is missing or wrong, or the actor may not
        administer (changing another user's password).
    :raises Invalid: the new password breaks the policy.
    """
    target = Target.of(user)
    if actor.kind is ActorKind.USER and actor.id == user.id:
        _check_old_password(session, clock, actor, user, old_password)
    else:
        require_admin(session, clock, actor, action="user.password", target=target)
    policy.check(new_password, user.username)
    before = snapshot(user)
    user.password_hash = hash_password(new_password)
    user.failed_logins, user.locked_until = 0, None
    user.updated = instant(clock)
    session.flush()
    ended = end_sessions(session, clock, user, keep=keep_session)
    by = "the user" if actor.kind is ActorKind.USER and actor.id == user.id else actor.name
    record(
        session,
        clock,
        actor=actor,
        action="user.password",
        target=target,
        before=before,
        after=snapshot(user),
        detail=f"password set by {by}; {ended} session(s) ended",
    )


def set_enabled(session: Session, clock: Clock, actor: Actor, user: AppUser, enabled: bool) -> None:
    """Enable or disable the account. Disabling ends its sessions; its rows stay.

    :raises Forbidden: the actor may not administer.
    :raises Conflict: it is the last enabled administrator.
    """
    action = "user.enable" if enabled else "user.disable"
    require_admin(session, clock, actor, action=action, target=Target.of(user))
    if user.enabled == enabled:
        return
    if not enabled and administers(session, user):
        keep_an_admin(session, doing=f"disabling {user.username!r}", user=user)
    before = snapshot(user)
    user.enabled = enabled
    _changed(session, clock, actor, action, user, before)
    if not enabled:
        end_sessions(session, clock, user)


def set_profile(
    session: Session, clock: Clock, actor: Actor, user: AppUser, profile: Profile
) -> None:
    """Give the user another profile (their rights change at their next token).

    :raises Forbidden: the actor may not administer.
    :raises Conflict: the user is the last enabled administrator and the new profile
        does not administer.
    """
    require_admin(session, clock, actor, action="user.profile", target=Target.of(user))
    if user.profile_id == profile.id:
        return
    if user.enabled and administers(session, user) and not profile_administers(session, profile.id):
        keep_an_admin(session, doing=f"taking administer from {user.username!r}", user=user)
    before = snapshot(user)
    user.profile = profile
    _changed(session, clock, actor, "user.profile", user, before)


def unlock(session: Session, clock: Clock, actor: Actor, user: AppUser) -> None:
    """Lift a lockout after failed logins now, and reset the failure count.

    :raises Forbidden: the actor may not administer.
    """
    require_admin(session, clock, actor, action="user.unlock", target=Target.of(user))
    before = snapshot(user)
    user.failed_logins, user.locked_until = 0, None
    _changed(session, clock, actor, "user.unlock", user, before)


def delete_user(session: Session, clock: Clock, actor: Actor, user: AppUser) -> None:
    """Delete the account and its sessions; its audit entries stay.

    :raises Forbidden: the actor may not administer.
    :raises Conflict: it is the last enabled administrator.
    """
    target = Target.of(user)
    require_admin(session, clock, actor, action="user.delete", target=target)
    if user.enabled and administers(session, user):
        keep_an_admin(session, doing=f"deleting {user.username!r}", user=user)
    before = snapshot(user)
    end_sessions(session, clock, user)
    session.delete(user)
    session.flush()
    record(session, clock, actor=actor, action="user.delete", target=target, before=before)


def end_sessions(
    session: Session, clock: Clock, user: AppUser, *, keep: UserSession | None = None
) -> int:
    """Revoke the user's open sessions (all but ``keep``); how many were ended. Not
    audited here: the caller's entry says why."""
    stmt = (
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked.is_(None))
        .values(revoked=instant(clock))
        .execution_options(synchronize_session="fetch")
    )
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep.id)
    result = session.execute(stmt)
    assert isinstance(result, CursorResult)  # an UPDATE's result
    return result.rowcount


def _check_old_password(
    session: Session, clock: Clock, actor: Actor, user: AppUser, old_password: str | None
) -> None:
    if old_password is not None and verify_password(user.password_hash, old_password):
        return
    detail = "current password missing" if old_password is None else "current password wrong"
    record(
        session,
        clock,
        actor=actor,
        action="user.password",
        target=Target.of(user),
        result=AuditResult.DENIED,
        detail=detail,
    )
    raise Forbidden(f"{detail}: give your current password to change it")


def _changed(
    session: Session,
    clock: Clock,
    actor: Actor,
    action: str,
    user: AppUser,
    before: dict[str, object],
) -> None:
    user.updated = instant(clock)
    session.flush()
    record(
        session,
        clock,
        actor=actor,
        action=action,
        target=Target.of(user),
        before=before,
        after=snapshot(user),
    )


def _check_display_name(display_name: str) -> None:
    if len(display_name) > DISPLAY_NAME_LENGTH:
        raise Invalid(f"a display name has at most {DISPLAY_NAME_LENGTH} characters")
