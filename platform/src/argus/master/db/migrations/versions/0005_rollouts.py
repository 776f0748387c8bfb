"""Package rollouts and the plugin packages each node runs.

Revision 0005. Tables ``rollout``, ``rollout_node`` and ``node_plugin``; columns
``node.api_version`` (nodes fill it with their next heartbeat) and
``plugin_package.requires`` (filled from the files at the master's next start).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mssql, mysql

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: As in revision 0001: an instant as naive UTC with microseconds, on every database.
UTC_DATETIME = (
    sa.DateTime()
    .with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
    .with_variant(mssql.DATETIME2(precision=6), "mssql")  # type: ignore[no-untyped-call]
)
ROLLOUT_STATES = ("running", "halted", "completed", "cancelled")
ROLLOUT_NODE_STATES = (
    "waiting",
    "sent",
    "succeeded",
    "failed",
    "rolled-back",
    "unsupported",
    "pinned",
    "skipped",
)


def _one_of(column: str, values: Sequence[str], *, name: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(sa.column(column).in_(values), name=name)


def upgrade() -> None:
    op.add_column(
        "plugin_package",
        sa.Column(
            "requires",
            sa.JSON(),
            nullable=True,
            comment=(
                "Its Requires-Dist lines (dependencies to serve with it); NULL: admitted "
                "before they were recorded (read again from the file at the next start)."
            ),
        ),
    )
    op.add_column(
        "node",
        sa.Column(
            "api_version",
            sa.String(length=64),
            nullable=True,
            comment=(
                "The platform API the node offers plugins (argus_sdk.API_VERSION): which "
                "packages' argus-sdk ranges fit it; NULL: not reported yet."
            ),
        ),
    )
    op.create_table(
        "rollout",
        sa.Column("id", sa.Integer(), nullable=False, comment="Row id: the rollout id."),
        sa.Column(
            "project", sa.String(length=128), nullable=False, comment="Canonical project name."
        ),
        sa.Column(
            "specifier",
            sa.String(length=255),
            nullable=False,
            comment=(
                "PEP 440 specifier of the versions allowed ('==2.4.0'); each node gets the "
                "newest admitted version within it that fits the node."
            ),
        ),
        sa.Column(
            "state",
            sa.String(length=16),
            nullable=False,
            comment="running, halted, completed or cancelled.",
        ),
        sa.Column(
            "phase",
            sa.Integer(),
            nullable=False,
            comment="The phase now running: 1 canary, 2 percentage, 3 the rest.",
        ),
        sa.Column(
            "percentage",
            sa.Integer(),
            nullable=False,
            comment="Share (0–100) of the non-canary nodes in phase 2.",
        ),
        sa.Column(
            "max_failures",
            sa.Integer(),
            nullable=False,
            comment="Failed or rolled-back nodes tolerated; one more halts the rollout.",
        ),
        sa.Column(
            "node_timeout",
            sa.Integer(),
            nullable=False,
            comment="Seconds a node may take to report a result before it counts as failed.",
        ),
        sa.Column(
            "reason",
            sa.Unicode(length=1024),
            nullable=False,
            comment="Why it halted or was cancelled.",
        ),
        sa.Column("created_by", sa.Unicode(length=255), nullable=False, comment="Who started it."),
        sa.Column("created", UTC_DATETIME, nullable=False, comment="When it started."),
        sa.Column(
            "finished",
            UTC_DATETIME,
            nullable=True,
            comment="When it completed, halted or was cancelled.",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollout")),
        _one_of("state", ROLLOUT_STATES, name=op.f("ck_rollout_state")),
    )
    op.create_table(
        "rollout_node",
        sa.Column("id", sa.Integer(), nullable=False, comment="Row id."),
        sa.Column("rollout_id", sa.Integer(), nullable=False, comment="The rollout."),
        sa.Column("node_id", sa.Integer(), nullable=False, comment="The node."),
        sa.Column(
            "phase", sa.Integer(), nullable=False, comment="1 canary, 2 percentage, 3 the rest."
        ),
        sa.Column(
            "state",
            sa.String(length=16),
            nullable=False,
            comment="waiting, sent, succeeded, failed, rolled-back, unsupported, pinned, skipped.",
        ),
        sa.Column(
            "version",
            sa.String(length=64),
            nullable=True,
            comment="The version chosen for the node; NULL when none fits.",
        ),
        sa.Column(
            "target",
            sa.String(length=512),
            nullable=True,
            comment="The repository target (package file) chosen for the node.",
        ),
        sa.Column(
            "detail",
            sa.Unicode(length=2048),
            nullable=False,
            comment="Why it failed, or why nothing fits the node.",
        ),
        sa.Column(
            "started", UTC_DATETIME, nullable=True, comment="When the node was asked to install."
        ),
        sa.Column(
            "finished", UTC_DATETIME, nullable=True, comment="When the node's result arrived."
        ),
        sa.ForeignKeyConstraint(
            ["rollout_id"],
            ["rollout.id"],
            name=op.f("fk_rollout_node_rollout_id_rollout"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["node_id"], ["node.id"], name=op.f("fk_rollout_node_node_id_node"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollout_node")),
        sa.UniqueConstraint(
            "rollout_id", "node_id", name=op.f("uq_rollout_node_rollout_id_node_id")
        ),
        _one_of("state", ROLLOUT_NODE_STATES, name=op.f("ck_rollout_node_state")),
    )
    op.create_index(op.f("ix_rollout_node_node_id"), "rollout_node", ["node_id"], unique=False)
    op.create_table(
        "node_plugin",
        sa.Column("id", sa.Integer(), nullable=False, comment="Row id."),
        sa.Column("node_id", sa.Integer(), nullable=False, comment="The node."),
        sa.Column(
            "project", sa.String(length=128), nullable=False, comment="Canonical project name."
        ),
        sa.Column(
            "desired_version",
            sa.String(length=64),
            nullable=True,
            comment="The version the node should run; NULL: remove it.",
        ),
        sa.Column(
            "target",
            sa.String(length=512),
            nullable=True,
            comment="The repository target of that version for this node.",
        ),
        sa.Column(
            "pinned",
            sa.Boolean(),
            nullable=False,
            comment="Rollouts leave this node at its desired version.",
        ),
        sa.Column(
            "dependencies",
            sa.JSON(),
            nullable=False,
            comment="Repository targets of the dependency wheels served with it to this node.",
        ),
        sa.Column(
            "rollout_id",
            sa.Integer(),
            nullable=True,
            comment="The rollout that set the desired version; NULL: a pin or removal.",
        ),
        sa.Column(
            "installed_version",
            sa.String(length=64),
            nullable=True,
            comment="The version the node last reported active; NULL: none.",
        ),
        sa.Column(
            "state",
            sa.String(length=16),
            nullable=False,
            comment="The node's last report (argus.protocol.PluginState); '' before the first.",
        ),
        sa.Column(
            "detail",
            sa.Unicode(length=2048),
            nullable=False,
            comment="The node's reason for a failure or rollback.",
        ),
        sa.Column(
            "reported",
            UTC_DATETIME,
            nullable=True,
            comment="When the node last reported on this package.",
        ),
        sa.ForeignKeyConstraint(
            ["node_id"], ["node.id"], name=op.f("fk_node_plugin_node_id_node"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["rollout_id"],
            ["rollout.id"],
            name=op.f("fk_node_plugin_rollout_id_rollout"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_node_plugin")),
        sa.UniqueConstraint("node_id", "project", name=op.f("uq_node_plugin_node_id_project")),
    )
    op.create_index(op.f("ix_node_plugin_rollout_id"), "node_plugin", ["rollout_id"], unique=False)


def downgrade() -> None:
    op.drop_table("node_plugin")
    op.drop_table("rollout_node")
    op.drop_table("rollout")
    op.drop_column("node", "api_version")
    op.drop_column("plugin_package", "requires")
