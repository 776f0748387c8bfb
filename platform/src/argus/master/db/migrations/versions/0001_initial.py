"""Initial schema: users and profiles, nodes, devices and cameras, audit and watchdog events.

Revision 0001, the first. Types are spelled out here, not imported from the
models: a revision must keep creating what it created when it was written,
whatever the models become. Enumerations are VARCHARs with named CHECK
constraints; instants are naive UTC with microseconds (see
``argus.master.db.types``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mssql, mysql

revision = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: An instant as naive UTC with microseconds, on every database.
UTC_DATETIME = (
    sa.DateTime()
    .with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
    .with_variant(mssql.DATETIME2(precision=6), "mssql")  # type: ignore[no-untyped-call]
)
#: Bytes; VARBINARY(max) on SQL Server, not the IMAGE SQLAlchemy picks offline.
BLOB = sa.LargeBinary().with_variant(mssql.VARBINARY("max"), "mssql")  # type: ignore[no-untyped-call]
#: A 64-bit id; SQLite auto-increments only an INTEGER primary key.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _one_of(column: str, values: Sequence[str], *, name: str) -> sa.CheckConstraint:
    """A CHECK that ``column`` holds one of ``values`` (the column name quoted per database)."""
    return sa.CheckConstraint(sa.column(column).in_(values), name=name)


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", BIG_ID, nullable=False, comment="Row id, in write order."),
        sa.Column(
            "at",
            UTC_DATETIME,
            nullable=False,
            comment=(
                "When it happened (master time; node reports are corrected by their clock offset)."
            ),
        ),
        sa.Column(
            "actor_kind",
            sa.String(length=16),
            nullable=False,
            comment="Who acted: a user, a node, the system.",
        ),
        sa.Column(
            "actor_id",
            sa.Integer(),
            nullable=True,
            comment=(
                "app_user.id or node.id of the actor (no foreign key: the entry outlives it); "
                "NULL for the system and for unknown users in failed logins."
            ),
        ),
        sa.Column(
            "actor_name",
            sa.Unicode(length=255),
            nullable=False,
            comment="The actor's name at the time (the username tried, for a failed login).",
        ),
        sa.Column(
            "action",
            sa.String(length=64),
            nullable=False,
            comment=(
                "What was done, dotted: login, logout, camera.update, user.delete, playback, "
                "export, ptz …"
            ),
        ),
        sa.Column(
            "target_kind",
            sa.String(length=32),
            nullable=True,
            comment="Kind of the object acted on (camera, user, node …); NULL if none.",
        ),
        sa.Column(
            "target_id",
            sa.String(length=64),
            nullable=True,
            comment="Its id as text (row ids and camera ids alike).",
        ),
        sa.Column(
            "target_name",
            sa.Unicode(length=255),
            nullable=True,
            comment="Its name at the time, readable after it is deleted.",
        ),
        sa.Column(
            "node",
            sa.String(length=64),
            nullable=True,
            comment="Name of the node that reported the use (playback, export, PTZ).",
        ),
        sa.Column(
            "before",
            sa.JSON(),
            nullable=True,
            comment="The object before a change (secrets left out); NULL when created.",
        ),
        sa.Column(
            "after",
            sa.JSON(),
            nullable=True,
            comment="The object after a change (secrets left out); NULL when deleted.",
        ),
        sa.Column(
            "client_address",
            sa.String(length=64),
            nullable=True,
            comment="IP address the request came from.",
        ),
        sa.Column(
            "result",
            sa.String(length=16),
            nullable=False,
            comment="ok, denied (no right or bad credentials) or failed (allowed, went wrong).",
        ),
        sa.Column(
            "detail",
            sa.Unicode(length=1024),
            nullable=False,
            comment="Why it was denied or failed, or extra context.",
        ),
        _one_of("actor_kind", ("user", "node", "system"), name=op.f("ck_audit_entry_actor_kind")),
        _one_of("result", ("ok", "denied", "failed"), name=op.f("ck_audit_entry_result")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    op.create_index(
        op.f("ix_audit_entry_actor_kind_actor_id_at"),
        "audit_entry",
        ["actor_kind", "actor_id", "at"],
        unique=False,
    )
    op.create_index(op.f("ix_audit_entry_at"), "audit_entry", ["at"], unique=False)
    op.create_index(
        op.f("ix_audit_entry_target_kind_target_id_at"),
        "audit_entry",
        ["target_kind", "target_id", "at"],
        unique=False,
    )
    op.create_table(
        "camera_group",
        sa.Column("id", sa.Integer(), nullable=False, comment="Row id."),
        sa.Column(
            "name",
            sa.Unicode(length=255),
            nullable=False,
            comment="Shown to users; unique so it can be chosen.",
        ),
        sa.Column(
            "description",
            sa.Unicode(length=1024),
            nullable=False,
            comment="What the group is, for admins.",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_group")),
        sa.UniqueConstraint("name", name=op.f("uq_camera_group_name")),
    )
    op.create_table(
        "node",
        sa.Column("id", sa.Integer(), nullable=False, comment="Row id."),
        sa.Column(
            "name",
            sa.String(length=64),
            nullable=False,
            comment=(
                "The node id: in its configuration, in token audiences (argus-node:<name>), in "
                "the CLI. Letters, digits, '.', '_' and '-'."
            ),
        ),
        sa.Column(
            "description",
            sa.Unicode(length=1024),
            nullable=False,
            comment="Where it stands, what it records, for admins.",
        ),
        sa.Column(
            "enrolment_token_hash",
            sa.String(length=128),
            nullable=True,
            comment=(
                "Hash of the one-time enrolment token; cleared when used. Not unique: SQL Server "
                "allows one NULL per unique column."
            ),
        ),
        sa.Column(
            "enrolment_expires",
            UTC_DATETIME,
            nullable=True,
            comment="The enrolment token is refused after this instant.",
        ),
        sa.Column(
            "credential_hash",
            sa.String(length=255),
            nullable=True,
            comment="Hash of the secret issued at enrolment, with which the node calls.",
        ),
        sa.Column(
            "state",
            sa.String(length=16),
            nullable=False,
            comment="Life cycle (pending, enrolled, refused, disabled); online is last_heartbeat.",
        ),
        sa.Column(
            "state_reason",
            sa.Unicode(length=1024),
            nullable=False,
            comment=(
                "Why the node is refused or disabled, as shown to the admin (e.g. 'version 5.2 is"
                " outside >=6,<9')."
            ),
        ),
        sa.Column(
            "platform_version",
            sa.String(length=64),
            nullable=True,
            comment="Argus version the node runs (PEP 440), checked by the version policy.",
        ),
        sa.Column(
            "architecture",
            sa.String(length=32),
            nullable=True,
            comment="Machine architecture the node reports (x86_64, i686, aarch64 …).",
        ),
        sa.Column(
            "os",
            sa.Unicode(length=255),
            nullable=True,
            comment="Operating system name and version, for admins and support.",
        ),
        sa.Column(
            "wheel_tags",
            sa.JSON(),
            nullable=False,
            comment=(
                "The node's packaging.tags.sys_tags() in preference order: chooses which variant "
                "(32/64-bit, OS) of a package it gets."
            ),
        ),
        sa.Column(
            "listen_address",
            sa.String(length=255),
            nullable=True,
            comment="Base URL of the node API clients fetch streams from.",
        ),
        sa.Column(
            "last_heartbeat",
            UTC_DATETIME,
            nullable=True,
            comment="Master time of the last heartbeat; too old means offline (a watchdog event).",
        ),
        sa.Column(
            "clock_offset_us",
            sa.BigInteger(),
            nullable=True,
            comment=(
                "Node clock minus master clock, microseconds, from the sample with the best round"
                " trip; nodes correct recording times by it."
            ),
        ),
        sa.Column(
            "clock_measured",
            UTC_DATETIME,
            nullable=True,
            comment="When clock_offset_us was estimated.",
        ),
        sa.Column(
            "desired_config_version",
            sa.Integer(),
            nullable=False,
            comment=(
                "Bumped by every configuration change for this node; the node fetches its "
                "configuration when it differs from what it applied."
            ),
        ),
        sa.Column(
            "applied_config_version",
            sa.Integer(),
            nullable=True,
            comment="The version the node last reported as applied; NULL: never.",
        ),
        sa.Column("created", UTC_DATETIME, nullable=False, comment="When an admin added the node."),
        sa.Column(
            "updated",
            UTC_DATETIME,
            nullable=False,
            comment="Last change to the row (heartbeats included).",
        ),
        _one_of(
            "state", ("pending", "enrolled", "refused", "disabled"), name=op.f("ck_node_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_node")),
        sa.UniqueConstraint("name", name=op.f("uq_node_name")),
    )
    op.create_index(
        op.f("ix_node_enrolment_token_hash"), "node", ["enrolment_token_hash"], unique=False
    )
    op.create_table(
        "profile",
        sa.Column("id", sa.Integer(), nullable=False, comment="Row id."),
        sa.Column(
            "name",
            sa.Unicode(length=255),
            nullable=False,
            comment="Shown to administrators; unique so it can be chosen.",
        ),
        sa.Column(
            "description",
            sa.Unicode(length=1024),
            nullable=False,
            comment="What the profile is for, in the admin's words.",
        ),
        sa.Column(
            "created",
            UTC_DATETIME,
            nullable=False,
            comment="When an admin created it (audit and backups).",
        ),
        sa.Column(
            "updated",
            UTC_DATETIME,
            nullable=False,
            comment="Last change to the row itself (not to its grants).",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile")),
        sa.UniqueConstraint("name", name=op.f("uq_profile_name")),
    )
    op.create_table(
        "setting",
        sa.Column("id", sa.Integer(), nullable=False, comment="Row id."),
        sa.Column(
            "key",
            sa.String(length=128),
            nullable=False,
            comment="Dotted name, e.g. 'nodes.version_policy'.",
        ),
        sa.Column(
            "value",
            sa.JSON(),
            nullable=False,
            comment="The value (any JSON: a specifier string, a number, an object).",
        ),
        sa.Column("updated", UTC_DATETIME, nullable=False, comment="Last change."),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_setting")),
        sa.UniqueConstraint("key", name=op.f("uq_setting_key")),
    )
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False, comment="Row id; tokens' subject."),
        sa.Column(
            "username",
            sa.Unicode(length=150),
            nullable=False,
            comment=(
                "Login name. Compared as stored, and MariaDB/MySQL and SQL Server collations "
                "ignore case: the application stores it case-folded so all databases agree."
            ),
        ),
        sa.Column(
            "display_name",
            sa.Unicode(length=255),
            nullable=False,
            comment="Shown in clients and in the audit trail.",
        ),
        sa.Column(
            "password_hash",
            sa.String(length=255),
            nullable=True,
            comment="Argon2id PHC string ($argon2id$v=19$m=…); NULL: no password login possible.",
        ),
        sa.Column(
            "enabled",
            sa.Boolean(),
            nullable=False,
            comment="A disabled user cannot log in; rows stay for the audit.",
        ),
        sa.Column(
            "failed_logins",
            sa.Integer(),
            nullable=False,
            comment=(
                "Consecutive failed logins; reaching the limit sets locked_until, a success "
                "resets it."
            ),
        ),
        sa.Column(
            "locked_until",
            UTC_DATETIME,
            nullable=True,
            comment="Lockout after repeated failures: no login before this instant.",
        ),
        sa.Column(
            "last_login",
            UTC_DATETIME,
            nullable=True,
            comment="Last successful login, shown to admins to find unused accounts.",
        ),
        sa.Column(
            "profile_id",
            sa.Integer(),
            nullable=False,
            comment="The user's rights. Not cascading: a profile in use cannot be deleted.",
        ),
        sa.Column("created", UTC_DATETIME, nullable=False, comment="When the account was made."),
        sa.Column("updated", UTC_DATETIME, nullable=False, comment="Last change to the account."),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["profile.id"], name=op.f("fk_app_user_profile_id_profile")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_index(op.f("ix_app_user_profile_id"), "app_user", ["profile_id"], unique=False)
    op.create_table(
        "device",
        sa.Column("id", sa.Integer(), nullable=False, comment="Row id."),
        sa.Column(
            "node_id",
            sa.Integer(),
            nullable=False,
            comment="The node that runs the device's driver and records its cameras.",
        ),
        sa.Column(
            "ident",
            sa.String(length=64),
            nullable=False,
            comment=(
                "The device id in the node's configuration and events; camera ids derive from it,"
                " and recordings are filed under those, so it never changes."
            ),
        ),
        sa.Column(
            "name",
            sa.Unicode(length=255),
            nullable=False,
            comment="Shown to users; unique per node so admins can tell devices apart.",
        ),
        sa.Column(
            "driver",
            sa.String(length=128),
            nullable=False,
            comment="Driver plugin name (entry point in argus.camera_drivers …).",
        ),
        sa.Column(
            "settings",
            sa.JSON(),
            nullable=False,
            comment=(
                "The driver's settings (address, streams …) except secrets, validated by the "
                "driver's model."
            ),
        ),
        sa.Column(
            "credentials",
            BLOB,
            nullable=True,
            comment=(
                "The device's secrets (user, password) encrypted by the master; never stored or "
                "logged in clear."
            ),
        ),
        sa.Column(
            "recording",
            sa.JSON(),
            nullable=False,
            comment=(
                "Recording settings (mode, schedule, pre/post event buffer, triggers), as the "
                "node's RecordingSection."
            ),
        ),
        sa.Column(
            "record_streams",
            sa.JSON(),
            nullable=False,
            comment="Names of the streams to record (main, sub …).",
        ),
        sa.Column(
            "enabled",
            sa.Boolean(),
            nullable=False,
            comment="A disabled device stays configured but is not opened.",
        ),
        sa.Column("created", UTC_DATETIME, nullable=False, comment="When it was added."),
        sa.Column("updated", UTC_DATETIME, nullable=False, comment="Last configuration change."),
        sa.ForeignKeyConstraint(
            ["node_id"], ["node.id"], name=op.f("fk_device_node_id_node"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device")),
        sa.UniqueConstraint("ident", name=op.f("uq_device_ident")),
        sa.UniqueConstraint("node_id", "name", name=op.f("uq_device_node_id_name")),
    )
    op.create_table(
        "node_storage",
        sa.Column("id", sa.Integer(), nullable=False, comment="Row id."),
        sa.Column(
            "node_id", sa.Integer(), nullable=False, comment="The node; its storage goes with it."
        ),
        sa.Column(
            "backend",
            sa.String(length=128),
            nullable=False,
            comment="Storage backend plugin name (argus.storage entry point, 'segments').",
        ),
        sa.Column(
            "settings",
            sa.JSON(),
            nullable=False,
            comment=(
                "The backend's settings (disks, segment length, retention), validated by the "
                "plugin's model when saved and again on the node."
            ),
        ),
        sa.ForeignKeyConstraint(
            ["node_id"], ["node.id"], name=op.f("fk_node_storage_node_id_node"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_node_storage")),
        sa.UniqueConstraint("node_id", "backend", name=op.f("uq_node_storage_node_id_backend")),
    )
    op.create_table(
        "watchdog_event",
        sa.Column("id", BIG_ID, nullable=False, comment="Row id."),
        sa.Column(
            "node_id",
            sa.Integer(),
            nullable=True,
            comment="The node concerned; NULL for the master itself or once the node is deleted.",
        ),
        sa.Column("kind", sa.String(length=32), nullable=False, comment="What is wrong."),
        sa.Column(
            "source",
            sa.Unicode(length=255),
            nullable=False,
            comment=(
                "What exactly: the node name, a camera id, a disk path, a stream; with kind, "
                "finds the open event to end."
            ),
        ),
        sa.Column(
            "started", UTC_DATETIME, nullable=False, comment="When the condition was detected."
        ),
        sa.Column(
            "ended", UTC_DATETIME, nullable=True, comment="When it cleared; NULL while it lasts."
        ),
        sa.Column(
            "details",
            sa.JSON(),
            nullable=False,
            comment="Kind-specific facts (offset measured, disk error, last heartbeat …).",
        ),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["node.id"],
            name=op.f("fk_watchdog_event_node_id_node"),
            ondelete="SET NULL",
        ),
        _one_of(
            "kind",
            ("node-offline", "camera-offline", "disk-failed", "recording-stopped", "clock-offset"),
            name=op.f("ck_watchdog_event_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watchdog_event")),
    )
    op.create_index(
        op.f("ix_watchdog_event_kind_source_ended"),
        "watchdog_event",
        ["kind", "source", "ended"],
        unique=False,
    )
    op.create_index(
        op.f("ix_watchdog_event_node_id_started"),
        "watchdog_event",
        ["node_id", "started"],
        unique=False,
    )
    op.create_index(op.f("ix_watchdog_event_started"), "watchdog_event", ["started"], unique=False)
    op.create_table(
        "camera",
        sa.Column("id", sa.Integer(), nullable=False, comment="Row id."),
        sa.Column(
            "device_id", sa.Integer(), nullable=False, comment="The device providing the channel."
        ),
        sa.Column(
            "channel",
            sa.Integer(),
            nullable=False,
            comment="Channel index on the device, from 0, as the driver numbers them.",
        ),
        sa.Column(
            "ident",
            sa.String(length=64),
            nullable=False,
            comment="Camera id in tokens, recordings and APIs ('entrance', 'encoder1-ch2').",
        ),
        sa.Column("name", sa.Unicode(length=255), nullable=False, comment="Shown to users."),
        sa.Column(
            "enabled",
            sa.Boolean(),
            nullable=False,
            comment="A disabled camera is neither shown nor recorded.",
        ),
        sa.Column("updated", UTC_DATETIME, nullable=False, comment="Last change."),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
            name=op.f("fk_camera_device_id_device"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera")),
        sa.UniqueConstraint("device_id", "channel", name=op.f("uq_camera_device_id_channel")),
        sa.UniqueConstraint("ident", name=op.f("uq_camera_ident")),
    )
    op.create_table(
        "session",
        sa.Column("id", sa.Integer(), nullable=False, comment="Row id."),
        sa.Column(
            "user_id",
            sa.Integer(),
            nullable=False,
            comment="Whose session; deleting the user ends them.",
        ),
        sa.Column(
            "secret_hash",
            sa.String(length=128),
            nullable=False,
            comment=(
                "Hash of the session's secret the client holds (never stored in clear); how the "
                "master finds the session a request refers to."
            ),
        ),
        sa.Column("created", UTC_DATETIME, nullable=False, comment="Login time."),
        sa.Column(
            "expires",
            UTC_DATETIME,
            nullable=False,
            comment="End of validity, however active the client; expired rows are purged.",
        ),
        sa.Column(
            "revoked",
            UTC_DATETIME,
            nullable=True,
            comment="Logout or revocation by an admin; NULL while valid.",
        ),
        sa.Column(
            "last_seen",
            UTC_DATETIME,
            nullable=True,
            comment="Last request with this session, for idle timeouts and admin views.",
        ),
        sa.Column(
            "client_address",
            sa.String(length=64),
            nullable=True,
            comment="IP address the login came from (IPv6 fits), for the audit.",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_session_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_session_secret_hash")),
    )
    op.create_index(op.f("ix_session_expires"), "session", ["expires"], unique=False)
    op.create_index(op.f("ix_session_user_id"), "session", ["user_id"], unique=False)
    op.create_table(
        "camera_group_member",
        sa.Column(
            "camera_group_id",
            sa.Integer(),
            nullable=False,
            comment="The group; deleting it removes its memberships.",
        ),
        sa.Column(
            "camera_id",
            sa.Integer(),
            nullable=False,
            comment="The member; deleting the camera removes it from its groups.",
        ),
        sa.ForeignKeyConstraint(
            ["camera_group_id"],
            ["camera_group.id"],
            name=op.f("fk_camera_group_member_camera_group_id_camera_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["camera.id"],
            name=op.f("fk_camera_group_member_camera_id_camera"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "camera_group_id", "camera_id", name=op.f("pk_camera_group_member")
        ),
    )
    op.create_index(
        op.f("ix_camera_group_member_camera_id"), "camera_group_member", ["camera_id"], unique=False
    )
    op.create_table(
        "profile_right",
        sa.Column("id", sa.Integer(), nullable=False, comment="Row id."),
        sa.Column(
            "profile_id",
            sa.Integer(),
            nullable=False,
            comment="The profile granting the right; its grants go with it.",
        ),
        sa.Column(
            "scope",
            sa.String(length=16),
            nullable=False,
            comment="What the right applies to: all cameras (also future ones), a group, a camera.",
        ),
        sa.Column(
            "camera_group_id",
            sa.Integer(),
            nullable=True,
            comment="The group, when scope is 'group': the right follows the group's members.",
        ),
        sa.Column(
            "camera_id", sa.Integer(), nullable=True, comment="The camera, when scope is 'camera'."
        ),
        sa.Column(
            "right",
            sa.String(length=32),
            nullable=False,
            comment="What the user may do; 'administer' is system-wide whatever the scope.",
        ),
        sa.CheckConstraint(
            (
                "(scope = 'all' AND camera_group_id IS NULL AND camera_id IS NULL) OR (scope = "
                "'group' AND camera_group_id IS NOT NULL AND camera_id IS NULL) OR (scope = "
                "'camera' AND camera_group_id IS NULL AND camera_id IS NOT NULL)"
            ),
            name=op.f("ck_profile_right_scope_target"),
        ),
        sa.ForeignKeyConstraint(
            ["camera_group_id"],
            ["camera_group.id"],
            name=op.f("fk_profile_right_camera_group_id_camera_group"),
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["camera.id"], name=op.f("fk_profile_right_camera_id_camera")
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profile.id"],
            name=op.f("fk_profile_right_profile_id_profile"),
            ondelete="CASCADE",
        ),
        _one_of("scope", ("all", "group", "camera"), name=op.f("ck_profile_right_scope")),
        _one_of(
            "right",
            ("live", "playback", "export", "ptz", "io", "acknowledge_alarms", "administer"),
            name=op.f("ck_profile_right_right"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile_right")),
    )
    op.create_index(
        op.f("ix_profile_right_camera_group_id"), "profile_right", ["camera_group_id"], unique=False
    )
    op.create_index(
        op.f("ix_profile_right_camera_id"), "profile_right", ["camera_id"], unique=False
    )
    op.create_index(
        op.f("ix_profile_right_profile_id"), "profile_right", ["profile_id"], unique=False
    )


def downgrade() -> None:
    # Dropping a table drops its indexes; MariaDB/MySQL refuse to drop an index first
    # while a foreign key uses it.
    op.drop_table("profile_right")
    op.drop_table("camera_group_member")
    op.drop_table("session")
    op.drop_table("camera")
    op.drop_table("watchdog_event")
    op.drop_table("node_storage")
    op.drop_table("device")
    op.drop_table("app_user")
    op.drop_table("setting")
    op.drop_table("profile")
    op.drop_table("node")
    op.drop_table("camera_group")
    op.drop_table("audit_entry")
