"""Users, the profiles that give them rights, and their login sessions.

A user has exactly one profile; a profile is a list of grants, each one right
on all cameras, on a camera group or on one camera. Rights only add up (there
is no deny), so duplicate grants are harmless and not prevented.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Unicode
from sqlalchemy.orm import Mapped, mapped_column, relationship

from argus.master.db.base import Base
from argus.master.db.enums import Right, Scope
from argus.master.db.types import UtcDateTime, str_enum, utcnow

#: A grant names exactly the target its scope needs.
_SCOPE_TARGET = (
    "(scope = 'all' AND camera_group_id IS NULL AND camera_id IS NULL)"
    " OR (scope = 'group' AND camera_group_id IS NOT NULL AND camera_id IS NULL)"
    " OR (scope = 'camera' AND camera_group_id IS NULL AND camera_id IS NOT NULL)"
)


class Profile(Base):
    """A named set of rights (a role), given to users — the Mirasys "user profile"."""

    __tablename__ = "profile"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="Row id.")
    name: Mapped[str] = mapped_column(
        Unicode(255), unique=True, comment="Shown to administrators; unique so it can be chosen."
    )
    description: Mapped[str] = mapped_column(
        Unicode(1024), default="", comment="What the profile is for, in the admin's words."
    )
    created: Mapped[dt.datetime] = mapped_column(
        UtcDateTime, default=utcnow, comment="When an admin created it (audit and backups)."
    )
    updated: Mapped[dt.datetime] = mapped_column(
        UtcDateTime,
        default=utcnow,
        onupdate=utcnow,
        comment="Last change to the row itself (not to its grants).",
    )

    rights: Mapped[list[ProfileRight]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", passive_deletes=True
    )


class ProfileRight(Base):
    """One grant of a profile: a right on all cameras, on a camera group or on one camera.

    The camera and group keys do not cascade: deleting a camera or a group that
    grants name is refused by the database until the configuration layer has
    deleted those grants in the same transaction (explicit, and MySQL forbids a
    ``CHECK`` on columns of cascading foreign keys).
    """

    __tablename__ = "profile_right"
    __table_args__ = (
        CheckConstraint(_SCOPE_TARGET, name="scope_target"),
        Index(None, "profile_id"),
        Index(None, "camera_group_id"),
        Index(None, "camera_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="Row id.")
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profile.id", ondelete="CASCADE"),
        comment="The profile granting the right; its grants go with it.",
    )
    scope: Mapped[Scope] = mapped_column(
        str_enum(Scope, "scope", 16),
        comment="What the right applies to: all cameras (also future ones), a group, a camera.",
    )
    camera_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("camera_group.id"),
        comment="The group, when scope is 'group': the right follows the group's members.",
    )
    camera_id: Mapped[int | None] = mapped_column(
        ForeignKey("camera.id"), comment="The camera, when scope is 'camera'."
    )
    right: Mapped[Right] = mapped_column(
        str_enum(Right, "right"),
        comment="What the user may do; 'administer' is system-wide whatever the scope.",
    )

    profile: Mapped[Profile] = relationship(back_populates="rights")


class AppUser(Base):
    """A person (or a service account) who logs in at the master."""

    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL and SQL Server
    __table_args__ = (Index(None, "profile_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="Row id; tokens' subject.")
    username: Mapped[str] = mapped_column(
        Unicode(150),
        unique=True,
        comment="Login name. Compared as stored, and MariaDB/MySQL and SQL Server collations "
        "ignore case: the application stores it case-folded so all databases agree.",
    )
    display_name: Mapped[str] = mapped_column(
        Unicode(255), default="", comment="Shown in clients and in the audit trail."
    )
    password_hash: Mapped[str | None] = mapped_column(
        String(255),
        comment="Argon2id PHC string ($argon2id$v=19$m=…); NULL: no password login possible.",
    )
    enabled: Mapped[bool] = mapped_column(
        Boolean, default=True, comment="A disabled user cannot log in; rows stay for the audit."
    )
    failed_logins: Mapped[int] = mapped_column(
        Integer,
        default=0,
        comment="Consecutive failed logins; reaching the limit sets locked_until, a success "
        "resets it.",
    )
    locked_until: Mapped[dt.datetime | None] = mapped_column(
        UtcDateTime, comment="Lockout after repeated failures: no login before this instant."
    )
    last_login: Mapped[dt.datetime | None] = mapped_column(
        UtcDateTime, comment="Last successful login, shown to admins to find unused accounts."
    )
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profile.id"),
        comment="The user's rights. Not cascading: a profile in use cannot be deleted.",
    )
    created: Mapped[dt.datetime] = mapped_column(
        UtcDateTime, default=utcnow, comment="When the account was made."
    )
    updated: Mapped[dt.datetime] = mapped_column(
        UtcDateTime, default=utcnow, onupdate=utcnow, comment="Last change to the account."
    )

    profile: Mapped[Profile] = relationship()


class UserSession(Base):
    """A login: what a client refreshes its short-lived node tokens with, until it ends."""

    __tablename__ = "session"
    __table_args__ = (Index(None, "user_id"), Index(None, "expires"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="Row id.")
    user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"),
        comment="Whose session; deleting the user ends them.",
    )
    secret_hash: Mapped[str] = mapped_column(
        String(128),
        unique=True,
        comment="Hash of the session's secret the client holds (never stored in clear); "
        "how the master finds the session a request refers to.",
    )
    created: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow, comment="Login time.")
    expires: Mapped[dt.datetime] = mapped_column(
        UtcDateTime, comment="End of validity, however active the client; expired rows are purged."
    )
    revoked: Mapped[dt.datetime | None] = mapped_column(
        UtcDateTime, comment="Logout or revocation by an admin; NULL while valid."
    )
    last_seen: Mapped[dt.datetime | None] = mapped_column(
        UtcDateTime, comment="Last request with this session, for idle timeouts and admin views."
    )
    client_address: Mapped[str | None] = mapped_column(
        String(64), comment="IP address the login came from (IPv6 fits), for the audit."
    )

    user: Mapped[AppUser] = relationship()
