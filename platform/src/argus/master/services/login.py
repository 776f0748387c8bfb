"""Logins and sessions: password checks, lockout, the session secret clients hold.

Every login attempt is audited with its reason (ok, wrong password, unknown
user, locked, disabled, no password), but the caller learns only
:data:`LOGIN_FAILED`: the reply never tells which user names exist. Every
attempt costs one Argon2 verification, whatever the reason, so neither does
the time it takes.

A session is found by the SHA-256 of its secret; the secret itself is given to
the client once, at login, and never stored. It ends when revoked (logout, an
administrator, a password change), when idle for ``idle_timeout``, and in any
case ``max_lifetime`` after login.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import CursorResult, delete, func, or_, select
from sqlalchemy.orm import Session

from argus.master.db.enums import ActorKind, AuditResult
from argus.master.db.models import AppUser, UserSession
from argus.master.db.types import instant
from argus.master.services.access import require_admin
from argus.master.services.accounts import USERNAME_LENGTH, end_sessions, normalize_username
from argus.master.services.audit import Actor, Target, record
from argus.master.services.errors import Unauthenticated
from argus.security.passwords import hash_password, needs_rehash, verify_password
from argus_sdk import Clock

#: The one answer to every failed login, whatever the reason.
LOGIN_FAILED = (
    "Login failed: the user name or password is wrong, or the account cannot log in now. "
    "Check them and try again, or ask an administrator."
)
SESSION_ENDED = "Your session has ended or is not valid: log in again."
_ADDRESS_LENGTH = 64


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    """Lockout and session lifetimes.

    :param max_failures: consecutive failed logins that lock the account …
    :param lockout: … for this long; the next failure after it starts a new count.
    :param idle_timeout: a session unused this long ends (each use restarts it) …
    :param max_lifetime: … and every session ends this long after login.
    """

    max_failures: int = 5
    lockout: dt.timedelta = dt.timedelta(minutes=15)
    idle_timeout: dt.timedelta = dt.timedelta(hours=12)
    max_lifetime: dt.timedelta = dt.timedelta(days=7)


DEFAULT_POLICY = LoginPolicy()


@dataclass(frozen=True, slots=True)
class LoggedIn:
    """A successful login. ``secret`` is the only copy of the session's secret: hand it to
    the client, which presents it to :func:`authenticate`."""

    user: AppUser
    session: UserSession
    secret: str


@dataclass(frozen=True, slots=True)
class LoginRefused:
    """A failed login, the same for every reason (the reason is in the audit trail)."""

    message: str = LOGIN_FAILED


def login(
    session: Session,
    clock: Clock,
    username: str,
    password: str,
    client: str | None = None,
    *,
    policy: LoginPolicy = DEFAULT_POLICY,
) -> LoggedIn | LoginRefused:
    """Check the password and open a session.

    A refusal is returned, not raised, because it changes the database too (the
    failure count, the lockout, the audit entry): **commit the session in both
    cases**. Rolling back a refusal would undo the lockout.

    Resets the failure count on success and rehashes the password when the
    Argon2 parameters have changed since it was hashed.
    """
    now = instant(clock)
    name = normalize_username(username)
    user = _user_for_update(session, name)
    reason = _refusal(user, now)
    if user is None or reason is not None:
        verify_password(None, password)  # the same work as a real check
        return _refuse(session, clock, user, name, client, reason or "unknown user")
    if not verify_password(user.password_hash, password):
        reason = "no password set" if user.password_hash is None else "wrong password"
        return _refuse(
            session, clock, user, name, client, _count_failure(user, now, policy, reason)
        )
    return _open_session(session, clock, user, password, client, policy)


def current_session(
    session: Session, clock: Clock, secret: str, *, policy: LoginPolicy = DEFAULT_POLICY
) -> UserSession:
    """The valid session with this secret, marked as used now (which restarts its idle time).

    :raises Unauthenticated: unknown secret, or the session is revoked, idle too long or
        past its lifetime, or its user is disabled.
    """
    now = instant(clock)
    row = session.scalars(
        select(UserSession).where(UserSession.secret_hash == hash_secret(secret))
    ).first()
    if row is None or not _valid(row, now, policy) or not row.user.enabled:
        raise Unauthenticated(SESSION_ENDED)
    row.last_seen = now
    session.flush()
    return row


def authenticate(
    session: Session, clock: Clock, secret: str, *, policy: LoginPolicy = DEFAULT_POLICY
) -> AppUser:
    """The user whose valid session this secret opens (see :func:`current_session`).

    :raises Unauthenticated: no valid session: log in again.
    """
    return current_session(session, clock, secret, policy=policy).user


def logout(session: Session, clock: Clock, secret: str, client: str | None = None) -> bool:
    """End the session with this secret; whether one was open (an unknown or ended
    session is not an error: logging out twice is harmless)."""
    row = session.scalars(
        select(UserSession).where(UserSession.secret_hash == hash_secret(secret))
    ).first()
    if row is None or row.revoked is not None:
        return False
    row.revoked = instant(clock)
    session.flush()
    actor = Actor.of_user(row.user, client)
    record(session, clock, actor=actor, action="logout", target=Target.of(row.user))
    return True


def revoke_all(session: Session, clock: Clock, actor: Actor, user: AppUser) -> int:
    """End every session of ``user`` (theirs to do, or an administrator's); how many.

    :raises Forbidden: another user's sessions, and the actor may not administer.
    """
    target = Target.of(user)
    if not (actor.kind is ActorKind.USER and actor.id == user.id):
        require_admin(session, clock, actor, action="session.revoke_all", target=target)
    ended = end_sessions(session, clock, user)
    detail = f"{ended} session(s) ended"
    record(session, clock, actor=actor, action="session.revoke_all", target=target, detail=detail)
    return ended


def purge_sessions(session: Session, clock: Clock, *, policy: LoginPolicy = DEFAULT_POLICY) -> int:
    """Delete the sessions that can no longer be used (revoked, idle, past their
    lifetime); how many. Housekeeping: not audited."""
    now = instant(clock)
    stmt = delete(UserSession).where(
        or_(
            UserSession.revoked.is_not(None),
            UserSession.expires <= now,
            func.coalesce(UserSession.last_seen, UserSession.created) <= now - policy.idle_timeout,
        )
    )
    result = session.execute(stmt.execution_options(synchronize_session=False))
    assert isinstance(result, CursorResult)  # a DELETE's result
    return result.rowcount


def hash_secret(secret: str) -> str:
    """How a session secret is stored and looked up: SHA-256, hex (the secret is random
    and long, so a slow hash would add nothing)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _user_for_update(session: Session, name: str) -> AppUser | None:
    """The user, its row locked until the transaction ends so that concurrent attempts
    count every failure (PostgreSQL, MariaDB; SQLite serializes writers anyway)."""
    if len(name) > USERNAME_LENGTH:
        return None
    stmt = (
        select(AppUser)
        .where(AppUser.username == name)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).first()


def _refusal(user: AppUser | None, now: dt.datetime) -> str | None:
    """Why this user cannot log in whatever the password, or ``None``."""
    if user is None:
        return "unknown user"
    if not user.enabled:
        return "account disabled"
    if user.locked_until is not None and user.locked_until > now:
        return f"account locked until {user.locked_until.isoformat()}"
    return None


def _count_failure(user: AppUser, now: dt.datetime, policy: LoginPolicy, reason: str) -> str:
    """Count a failed password; lock the account at ``max_failures``. The reason to audit."""
    if user.locked_until is not None:  # a lockout that has passed: count anew
        user.failed_logins, user.locked_until = 0, None
    user.failed_logins += 1
    if user.failed_logins < policy.max_failures:
        return f"{reason} (failure {user.failed_logins} of {policy.max_failures})"
    user.locked_until = now + policy.lockout
    return f"{reason}; {user.failed_logins} failures: locked until {user.locked_until.isoformat()}"


def _refuse(
    session: Session,
    clock: Clock,
    user: AppUser | None,
    name: str,
    client: str | None,
    reason: str,
) -> LoginRefused:
    actor = Actor(ActorKind.USER, user.id if user else None, user.username if user else name)
    record(
        session,
        clock,
        actor=actor,
        action="login",
        client=client,
        result=AuditResult.DENIED,
        detail=reason,
    )
    return LoginRefused()


def _open_session(
    session: Session,
    clock: Clock,
    user: AppUser,
    password: str,
    client: str | None,
    policy: LoginPolicy,
) -> LoggedIn:
    now = instant(clock)
    detail = ""
    if user.password_hash is not None and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        detail = "password rehashed with the current Argon2 parameters"
    user.failed_logins, user.locked_until, user.last_login = 0, None, now
    secret = secrets.token_urlsafe(32)
    row = UserSession(
        user=user,
        secret_hash=hash_secret(secret),
        created=now,
        expires=now + policy.max_lifetime,
        last_seen=now,
        client_address=None if client is None else client[:_ADDRESS_LENGTH],
    )
    session.add(row)
    session.flush()
    record(
        session,
        clock,
        actor=Actor.of_user(user, client),
        action="login",
        detail=detail,
    )
    return LoggedIn(user, row, secret)


def _valid(row: UserSession, now: dt.datetime, policy: LoginPolicy) -> bool:
    last_use = row.last_seen or row.created
    return row.revoked is None and now < row.expires and now < last_use + policy.idle_timeout
