"""Logins, lockout and sessions: one answer for every failure, a lockout that ends, a
secret stored only as its hash, sessions that expire."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.master.db.enums import AuditResult, Right, Scope
from argus.master.db.models import AppUser, AuditEntry, Profile, ProfileRight, UserSession
from argus.master.services import audit, login
from argus.master.services.audit import Actor
from argus.master.services.errors import Forbidden, Unauthenticated
from argus.master.services.login import LoggedIn, LoginPolicy, LoginRefused
from argus.security.passwords import hash_password, needs_rehash, verify_password
from argus_sdk.testing import ManualClock

PASSWORD = "correct horse battery"
WRONG = "incorrect horse battery"
HOUR = 3600.0
CLIENT = "192.0.2.10"


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def viewers(session: Session) -> Profile:
    row = Profile(name="Viewers", rights=[ProfileRight(scope=Scope.ALL, right=Right.LIVE)])
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def alice(session: Session, viewers: Profile, password_hash: str) -> AppUser:
    user = AppUser(username="alice", password_hash=password_hash, profile=viewers, failed_logins=0)
    session.add(user)
    session.flush()
    return user


def lock_state(user: AppUser) -> tuple[int, dt.datetime | None]:
    """The user's failure count and lockout (read through a call: the service changed them)."""
    return user.failed_logins, user.locked_until


def logged_in(result: LoggedIn | LoginRefused) -> LoggedIn:
    assert isinstance(result, LoggedIn), result
    return result


def login_entries(session: Session) -> list[AuditEntry]:
    return list(reversed(audit.query(session, action="login")))


def test_success_opens_a_session_whose_secret_is_stored_only_hashed(
    session: Session, clock: ManualClock, alice: AppUser
) -> None:
    result = logged_in(login.login(session, clock, " Alice", PASSWORD, CLIENT))
    session.commit()
    session.expunge_all()
    (row,) = session.scalars(select(UserSession))
    assert row.secret_hash == hashlib.sha256(result.secret.encode()).hexdigest()
    assert len(result.secret) >= 40
    assert result.secret not in {row.secret_hash, row.client_address}
    now = audit.instant(clock)
    assert (row.created, row.last_seen, row.client_address) == (now, now, CLIENT)
    assert row.expires == now + dt.timedelta(days=7) and row.revoked is None
    user = session.get(AppUser, alice.id)
    assert user is not None and user.last_login == now
    (entry,) = login_entries(session)
    assert (entry.actor_id, entry.result, entry.client_address) == (
        alice.id,
        AuditResult.OK,
        CLIENT,
    )
    assert result.secret not in audit.to_csv([entry])


def test_every_failure_gets_the_same_answer_and_the_audit_gets_the_reason(
    session: Session, clock: ManualClock, alice: AppUser, viewers: Profile, password_hash: str
) -> None:
    session.add_all(
        [
            AppUser(username="off", password_hash=password_hash, profile=viewers, enabled=False),
            AppUser(username="svc", password_hash=None, profile=viewers),
            AppUser(
                username="held",
                password_hash=password_hash,
                profile=viewers,
                locked_until=audit.instant(clock) + dt.timedelta(minutes=1),
            ),
        ]
    )
    session.flush()
    attempts = [
        ("alice", WRONG),
        ("nobody", PASSWORD),
        ("off", PASSWORD),
        ("svc", PASSWORD),
        ("held", PASSWORD),
        ("x" * 10_000, PASSWORD),
    ]
    results = [login.login(session, clock, name, password, CLIENT) for name, password in attempts]
    assert all(isinstance(r, LoginRefused) for r in results)
    assert len(set(results)) == 1
    assert {r.message for r in results} == {login.LOGIN_FAILED}  # type: ignore[union-attr]
    assert session.scalars(select(UserSession)).first() is None
    entries = login_entries(session)
    assert all(e.result is AuditResult.DENIED and e.client_address == CLIENT for e in entries)
    assert [e.detail.split(" (")[0].split(" until")[0] for e in entries] == [
        "wrong password",
        "unknown user",
        "account disabled",
        "no password set",
        "account locked",
        "unknown user",
    ]
    assert entries[1].actor_id is None and entries[1].actor_name == "nobody"
    assert entries[5].actor_name == "x" * 255


def test_every_attempt_costs_one_argon2_verification(
    session: Session,
    clock: ManualClock,
    alice: AppUser,
    viewers: Profile,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Unknown, disabled and locked accounts take the same path as a wrong password, so the
    time an answer takes does not tell which user names exist."""
    calls: list[str | None] = []

    def counting(stored: str | None, password: str) -> bool:
        calls.append(stored)
        return verify_password(stored, password)

    monkeypatch.setattr(login, "verify_password", counting)
    session.add(AppUser(username="off", profile=viewers, enabled=False))
    alice.locked_until = audit.instant(clock) + dt.timedelta(minutes=1)
    session.flush()
    for name in ("nobody", "off", "alice"):
        calls.clear()
        assert isinstance(login.login(session, clock, name, PASSWORD), LoginRefused)
        assert calls == [None], name  # the dummy hash: the real one is not even tried


def test_five_failures_lock_for_fifteen_minutes_then_it_releases(
    session: Session, clock: ManualClock, alice: AppUser
) -> None:
    for _ in range(5):
        clock.advance(1)
        assert isinstance(login.login(session, clock, "alice", WRONG), LoginRefused)
    fifth = audit.instant(clock)
    session.commit()  # the failures persist: the caller commits a refusal
    session.expire_all()
    assert alice.failed_logins == 5
    assert alice.locked_until == fifth + dt.timedelta(minutes=15)
    clock.advance(15 * 60 - 1)
    assert isinstance(login.login(session, clock, "alice", PASSWORD), LoginRefused)
    assert "account locked until" in login_entries(session)[-1].detail
    assert alice.failed_logins == 5  # attempts while locked do not extend the lock
    clock.advance(1)
    logged_in(login.login(session, clock, "alice", PASSWORD))
    assert lock_state(alice) == (0, None)


def test_the_lock_starts_at_the_fifth_failure(
    session: Session, clock: ManualClock, alice: AppUser
) -> None:
    for _ in range(4):
        login.login(session, clock, "alice", WRONG)
    assert alice.locked_until is None and alice.failed_logins == 4
    login.login(session, clock, "alice", WRONG)
    assert alice.locked_until == audit.instant(clock) + dt.timedelta(minutes=15)
    assert "5 failures: locked until" in login_entries(session)[-1].detail


def test_success_resets_the_count(session: Session, clock: ManualClock, alice: AppUser) -> None:
    for _ in range(4):
        login.login(session, clock, "alice", WRONG)
    logged_in(login.login(session, clock, "alice", PASSWORD))
    for _ in range(4):
        login.login(session, clock, "alice", WRONG)
    assert alice.locked_until is None
    logged_in(login.login(session, clock, "alice", PASSWORD))


def test_after_a_lockout_the_count_starts_anew(
    session: Session, clock: ManualClock, alice: AppUser
) -> None:
    policy = LoginPolicy(max_failures=2, lockout=dt.timedelta(minutes=1))
    for _ in range(2):
        login.login(session, clock, "alice", WRONG, policy=policy)
    assert alice.locked_until is not None
    clock.advance(61)
    login.login(session, clock, "alice", WRONG, policy=policy)
    assert lock_state(alice) == (1, None)
    logged_in(login.login(session, clock, "alice", PASSWORD, policy=policy))


def test_a_weak_hash_is_replaced_at_login(
    session: Session, clock: ManualClock, alice: AppUser
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    assert needs_rehash(weak)
    alice.password_hash = weak
    logged_in(login.login(session, clock, "alice", PASSWORD))
    assert alice.password_hash != weak and not needs_rehash(alice.password_hash)
    assert verify_password(alice.password_hash, PASSWORD)
    assert "rehashed" in login_entries(session)[-1].detail
    assert weak not in audit.to_csv(login_entries(session))


def test_a_current_hash_is_kept(session: Session, clock: ManualClock, alice: AppUser) -> None:
    before = alice.password_hash
    logged_in(login.login(session, clock, "alice", PASSWORD))
    assert alice.password_hash == before


def test_authenticate_returns_the_user_and_slides_the_idle_time(
    session: Session, clock: ManualClock, alice: AppUser
) -> None:
    secret = logged_in(login.login(session, clock, "alice", PASSWORD)).secret
    for _ in range(3):
        clock.advance(11 * HOUR)
        assert login.authenticate(session, clock, secret) is alice
    (row,) = session.scalars(select(UserSession))
    assert row.last_seen == audit.instant(clock)
    clock.advance(12 * HOUR)
    with pytest.raises(Unauthenticated, match="log in again"):
        login.authenticate(session, clock, secret)


def test_a_session_ends_at_its_lifetime_however_active(
    session: Session, clock: ManualClock, alice: AppUser
) -> None:
    secret = logged_in(login.login(session, clock, "alice", PASSWORD)).secret
    for _ in range(7 * 24 - 1):
        clock.advance(HOUR)
        login.authenticate(session, clock, secret)
    clock.advance(HOUR)
    with pytest.raises(Unauthenticated):
        login.authenticate(session, clock, secret)


def test_unknown_secrets_and_disabled_users_are_refused(
    session: Session, clock: ManualClock, alice: AppUser
) -> None:
    secret = logged_in(login.login(session, clock, "alice", PASSWORD)).secret
    with pytest.raises(Unauthenticated):
        login.authenticate(session, clock, secret + "x")
    alice.enabled = False
    with pytest.raises(Unauthenticated):
        login.authenticate(session, clock, secret)


def test_logout_ends_the_session_once(session: Session, clock: ManualClock, alice: AppUser) -> None:
    secret = logged_in(login.login(session, clock, "alice", PASSWORD)).secret
    assert login.logout(session, clock, secret, CLIENT)
    assert not login.logout(session, clock, secret, CLIENT)
    assert not login.logout(session, clock, "never issued")
    with pytest.raises(Unauthenticated):
        login.authenticate(session, clock, secret)
    (entry,) = audit.query(session, action="logout")
    assert (entry.actor_name, entry.client_address) == ("alice", CLIENT)


def test_revoke_all_is_the_users_or_an_administrators(
    session: Session, clock: ManualClock, alice: AppUser, viewers: Profile
) -> None:
    secrets = [logged_in(login.login(session, clock, "alice", PASSWORD)).secret for _ in range(3)]
    bob = AppUser(username="bob", profile=viewers)
    session.add(bob)
    session.flush()
    with pytest.raises(Forbidden):
        login.revoke_all(session, clock, Actor.of_user(bob), alice)
    login.authenticate(session, clock, secrets[0])
    assert login.revoke_all(session, clock, Actor.of_user(alice), alice) == 3
    for secret in secrets:
        with pytest.raises(Unauthenticated):
            login.authenticate(session, clock, secret)
    assert login.revoke_all(session, clock, audit.SYSTEM, alice) == 0
    assert [e.detail for e in audit.query(session, action="session.revoke_all")] == [
        "0 session(s) ended",
        "3 session(s) ended",
        "needs the administer right",
    ]


def test_purge_deletes_only_unusable_sessions(
    session: Session, clock: ManualClock, alice: AppUser
) -> None:
    logged_out = logged_in(login.login(session, clock, "alice", PASSWORD)).secret
    login.logout(session, clock, logged_out)
    logged_in(login.login(session, clock, "alice", PASSWORD))  # left idle
    clock.advance(6 * HOUR)
    active = logged_in(login.login(session, clock, "alice", PASSWORD))
    active_id = active.session.id
    clock.advance(7 * HOUR)
    assert login.purge_sessions(session, clock) == 2
    session.expunge_all()
    assert [row.id for row in session.scalars(select(UserSession))] == [active_id]
    assert login.authenticate(session, clock, active.secret).username == "alice"
