"""Video walls: named layouts that operators drive and wall screens show.

Revision 0003. One table, ``video_wall``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mssql, mysql

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: As in revision 0001: an instant as naive UTC with microseconds, on every database.
UTC_DATETIME = (
    sa.DateTime()
    .with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
    .with_variant(mssql.DATETIME2(precision=6), "mssql")  # type: ignore[no-untyped-call]
)


def upgrade() -> None:
    op.create_table(
        "video_wall",
        sa.Column("id", sa.Integer(), nullable=False, comment="Row id."),
        sa.Column(
            "name",
            sa.Unicode(length=64),
            nullable=False,
            comment="The wall's name, in its screens' address (?wall=…).",
        ),
        sa.Column("layout", sa.Integer(), nullable=False, comment="Tiles shown: 1, 4, 9 or 16."),
        sa.Column(
            "cameras",
            sa.JSON(),
            nullable=False,
            comment="Camera ids per tile, in order; null for an empty tile.",
        ),
        sa.Column(
            "version",
            sa.Integer(),
            nullable=False,
            comment="Raised at every change: screens poll for a newer one.",
        ),
        sa.Column(
            "changed_by",
            sa.Unicode(length=255),
            nullable=False,
            comment="Who set the current content.",
        ),
        sa.Column("updated", UTC_DATETIME, nullable=False, comment="Last change."),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_wall")),
        sa.UniqueConstraint("name", name=op.f("uq_video_wall_name")),
    )


def downgrade() -> None:
    op.drop_table("video_wall")
