"""User accounts: rules, passwords, enabling, profiles, deletion — all audited, no secret
in the trail, never without an administrator."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.master.db.enums import AuditResult, Right, Scope
from argus.master.db.models import AppUser, AuditEntry, Profile, ProfileRight, UserSession
from argus.master.services import accounts, audit, login
from argus.master.services.accounts import PasswordPolicy
from argus.master.services.audit import SECRET, SYSTEM, Actor
from argus.master.services.errors import Conflict, Forbidden, Invalid, NotFound
from argus.security.passwords import verify_password
from argus_sdk.testing import ManualClock

PASSWORD = "correct horse battery"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def profile(session: Session, name: str, *rights: Right) -> Profile:
    row = Profile(name=name, rights=[ProfileRight(scope=Scope.ALL, right=r) for r in rights])
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def viewers(session: Session) -> Profile:
    return profile(session, "Viewers", Right.LIVE)


@pytest.fixture
def admins(session: Session) -> Profile:
    return profile(session, "Admins", Right.ADMINISTER)


def plain_user(session: Session, name: str, group: Profile, enabled: bool = True) -> AppUser:
    """A user without a password (no Argon2 work), for tests about other things."""
    user = AppUser(username=name, profile=group, enabled=enabled, failed_logins=0)
    session.add(user)
    session.flush()
    return user


def lock_state(user: AppUser) -> tuple[int, dt.datetime | None]:
    """The user's failure count and lockout (read through a call: the service changed them)."""
    return user.failed_logins, user.locked_until


def trail_text(session: Session) -> str:
    """Everything the audit trail holds, as its CSV export and its raw JSON."""
    entries = list(session.scalars(select(AuditEntry)))
    raw = json.dumps([[e.before, e.after, e.detail] for e in entries])
    return audit.to_csv(entries) + raw


def open_session(session: Session, user: AppUser, secret: str) -> UserSession:
    """A valid session for ``user`` (its expiry far ahead; tests do not authenticate it)."""
    row = UserSession(
        user=user,
        secret_hash=login.hash_secret(secret),
        created=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        expires=dt.datetime(2034, 1, 1, tzinfo=dt.UTC),
    )
    session.add(row)
    session.flush()
    return row


def test_create_stores_a_normalized_name_and_an_argon2id_hash(
    session: Session, clock: ManualClock, viewers: Profile
) -> None:
    accounts.create_user(
        session, clock, SYSTEM, username="  Alice ", password=PASSWORD, profile=viewers
    )
    session.commit()
    session.expunge_all()
    again = accounts.user_by_name(session, "ALICE")
    assert again.username == "alice" and again.enabled and again.failed_logins == 0
    assert again.password_hash is not None and again.password_hash.startswith("$argon2id$")
    assert verify_password(again.password_hash, PASSWORD)
    (entry,) = audit.query(session, action="user.create")
    assert entry.after is not None and entry.after["password_hash"] == SECRET
    assert entry.after["username"] == "alice" and entry.after["profile_id"] == viewers.id
    assert again.password_hash not in trail_text(session) and "$argon2" not in trail_text(session)


@pytest.mark.parametrize("name", ["", " ", ".alice", "al ice", "al/ice", "x" * 151, "a;b"])
def test_user_name_rules(session: Session, clock: ManualClock, viewers: Profile, name: str) -> None:
    with pytest.raises(Invalid, match="user name"):
        accounts.create_user(session, clock, SYSTEM, username=name, password=None, profile=viewers)


@pytest.mark.parametrize("name", ["bob", "bob.smith", "b_o-b@site.example", "Åsa", "x" * 150])
def test_good_user_names(session: Session, clock: ManualClock, viewers: Profile, name: str) -> None:
    user = accounts.create_user(
        session, clock, SYSTEM, username=name, password=None, profile=viewers
    )
    assert user.username == name.casefold() and user.password_hash is None


def test_user_names_are_unique_ignoring_case(
    session: Session, clock: ManualClock, viewers: Profile
) -> None:
    plain_user(session, "carol", viewers)
    with pytest.raises(Conflict, match="taken"):
        accounts.create_user(
            session, clock, SYSTEM, username="CAROL", password=None, profile=viewers
        )


@pytest.mark.parametrize(
    ("password", "message"),
    [("123456789", "10 to 1024"), ("Dave.Jones", "cannot be the user name"), ("x" * 1025, "1024")],
)
def test_password_policy(
    session: Session, clock: ManualClock, viewers: Profile, password: str, message: str
) -> None:
    with pytest.raises(Invalid, match=message):
        accounts.create_user(
            session, clock, SYSTEM, username="dave.jones", password=password, profile=viewers
        )
    assert accounts.find_user(session, "dave.jones") is None
    assert audit.query(session) == []


def test_ten_characters_are_enough_and_the_policy_is_configurable(
    session: Session, clock: ManualClock, viewers: Profile
) -> None:
    accounts.create_user(
        session, clock, SYSTEM, username="e", password="0123456789", profile=viewers
    )
    with pytest.raises(Invalid, match="12 to"):
        accounts.create_user(
            session,
            clock,
            SYSTEM,
            username="f",
            password="0123456789",
            profile=viewers,
            policy=PasswordPolicy(min_length=12),
        )


def test_own_password_needs_the_old_one(
    session: Session, clock: ManualClock, viewers: Profile
) -> None:
    user = accounts.create_user(
        session, clock, SYSTEM, username="gina", password=PASSWORD, profile=viewers
    )
    me = Actor.of_user(user)
    with pytest.raises(Forbidden, match="current password missing"):
        accounts.set_password(session, clock, me, user, "a new password")
    with pytest.raises(Forbidden, match="current password wrong"):
        accounts.set_password(session, clock, me, user, "a new password", old_password="guess1234")
    assert user.password_hash is not None and verify_password(user.password_hash, PASSWORD)
    denied = audit.query(session, action="user.password", result=AuditResult.DENIED)
    assert [e.detail for e in denied] == ["current password wrong", "current password missing"]
    accounts.set_password(session, clock, me, user, "a new password", old_password=PASSWORD)
    assert verify_password(user.password_hash, "a new password")
    assert not verify_password(user.password_hash, PASSWORD)


def test_administrators_need_their_own_old_password_too(
    session: Session, clock: ManualClock, admins: Profile
) -> None:
    root = accounts.create_user(
        session, clock, SYSTEM, username="root", password=PASSWORD, profile=admins
    )
    with pytest.raises(Forbidden, match="current password"):
        accounts.set_password(session, clock, Actor.of_user(root), root, "a new password")


def test_an_administrator_resets_another_users_password(
    session: Session, clock: ManualClock, viewers: Profile, admins: Profile
) -> None:
    root = Actor.of_user(plain_user(session, "root", admins))
    user = accounts.create_user(
        session, clock, SYSTEM, username="hank", password=PASSWORD, profile=viewers
    )
    user.failed_logins = 5
    user.locked_until = audit.instant(clock)
    kept = open_session(session, user, "kept")
    other = open_session(session, user, "other")
    accounts.set_password(session, clock, root, user, "reset by root", keep_session=kept)
    assert user.password_hash is not None and verify_password(user.password_hash, "reset by root")
    assert lock_state(user) == (0, None)
    session.expire_all()
    assert other.revoked is not None and kept.revoked is None
    (entry,) = audit.query(session, action="user.password")
    assert entry.actor_name == "root" and entry.result is AuditResult.OK
    assert "1 session(s) ended" in entry.detail
    assert entry.before is not None and entry.before["password_hash"] == SECRET
    text = trail_text(session)
    for secret in (PASSWORD, "reset by root", user.password_hash, "$argon2"):
        assert secret not in text


def test_a_user_cannot_set_another_users_password(
    session: Session, clock: ManualClock, viewers: Profile
) -> None:
    ivan = plain_user(session, "ivan", viewers)
    jane = plain_user(session, "jane", viewers)
    with pytest.raises(Forbidden, match="administer"):
        accounts.set_password(
            session, clock, Actor.of_user(ivan), jane, "new password!", old_password="x"
        )
    assert jane.password_hash is None
    (entry,) = audit.query(session, result=AuditResult.DENIED)
    assert (entry.actor_name, entry.target_name) == ("ivan", "jane")


def test_disable_and_enable_are_audited_and_disabling_ends_sessions(
    session: Session, clock: ManualClock, viewers: Profile
) -> None:
    user = plain_user(session, "kim", viewers)
    row = open_session(session, user, "s")
    accounts.set_enabled(session, clock, SYSTEM, user, False)
    session.expire_all()
    assert not user.enabled and row.revoked is not None
    accounts.set_enabled(session, clock, SYSTEM, user, False)  # no change, no entry
    accounts.set_enabled(session, clock, SYSTEM, user, True)
    assert accounts.get_user(session, user.id).enabled
    disable, enable = (
        audit.query(session, action="user.disable"),
        audit.query(session, action="user.enable"),
    )
    assert len(disable) == len(enable) == 1
    assert disable[0].before is not None and disable[0].after is not None
    assert (disable[0].before["enabled"], disable[0].after["enabled"]) == (True, False)


def test_profile_change_is_audited(
    session: Session, clock: ManualClock, viewers: Profile, admins: Profile
) -> None:
    user = plain_user(session, "lee", viewers)
    accounts.set_profile(session, clock, SYSTEM, user, admins)
    assert user.profile_id == admins.id
    (entry,) = audit.query(session, action="user.profile")
    assert entry.before is not None and entry.after is not None
    assert (entry.before["profile_id"], entry.after["profile_id"]) == (viewers.id, admins.id)


def test_unlock(session: Session, clock: ManualClock, viewers: Profile) -> None:
    user = plain_user(session, "mo", viewers)
    user.failed_logins, user.locked_until = 5, audit.instant(clock)
    accounts.unlock(session, clock, SYSTEM, user)
    assert lock_state(user) == (0, None)
    assert len(audit.query(session, action="user.unlock")) == 1


def test_delete_keeps_the_audit_and_ends_sessions(
    session: Session, clock: ManualClock, viewers: Profile
) -> None:
    user = plain_user(session, "ned", viewers)
    user_id = user.id
    open_session(session, user, "s")
    accounts.delete_user(session, clock, SYSTEM, user)
    session.commit()
    session.expunge_all()
    with pytest.raises(NotFound):
        accounts.get_user(session, user_id)
    assert list(session.scalars(select(UserSession))) == []
    (entry,) = audit.query(session, action="user.delete")
    assert entry.after is None and entry.before is not None and entry.before["username"] == "ned"
    assert (entry.target_id, entry.target_name) == (str(user_id), "ned")


@pytest.mark.parametrize(
    "change",
    ["disable", "delete", "profile"],
)
def test_the_last_enabled_administrator_stays(
    session: Session, clock: ManualClock, viewers: Profile, admins: Profile, change: str
) -> None:
    root = plain_user(session, "root", admins)
    plain_user(session, "retired", admins, enabled=False)

    def attempt() -> None:
        if change == "disable":
            accounts.set_enabled(session, clock, SYSTEM, root, False)
        elif change == "delete":
            accounts.delete_user(session, clock, SYSTEM, root)
        else:
            accounts.set_profile(session, clock, SYSTEM, root, viewers)

    with pytest.raises(Conflict, match="no enabled administrator"):
        attempt()
    assert root.enabled and root.profile_id == admins.id
    assert accounts.find_user(session, "root") is root
    plain_user(session, "deputy", admins)
    attempt()


def test_non_administrators_manage_no_accounts(
    session: Session, clock: ManualClock, viewers: Profile
) -> None:
    olga = Actor.of_user(plain_user(session, "olga", viewers))
    pete = plain_user(session, "pete", viewers)
    calls: list[Callable[[], object]] = [
        lambda: accounts.create_user(
            session, clock, olga, username="x", password=None, profile=viewers
        ),
        lambda: accounts.set_enabled(session, clock, olga, pete, False),
        lambda: accounts.set_profile(session, clock, olga, pete, viewers),
        lambda: accounts.unlock(session, clock, olga, pete),
        lambda: accounts.delete_user(session, clock, olga, pete),
    ]
    for call in calls:
        with pytest.raises(Forbidden):
            call()
    assert pete.enabled and accounts.find_user(session, "x") is None
    assert len(audit.query(session, result=AuditResult.DENIED)) == len(calls)
