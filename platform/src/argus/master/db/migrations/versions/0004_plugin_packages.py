"""Plugin packages admitted by the master.

Revision 0004. One table, ``plugin_package``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mssql, mysql

revision = "0004"
down_revision: str | None = "0003"
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
        "plugin_package",
        sa.Column("id", sa.Integer(), nullable=False, comment="Row id."),
        sa.Column("name", sa.String(length=128), nullable=False, comment="Canonical project name."),
        sa.Column("version", sa.String(length=64), nullable=False, comment="PEP 440 version."),
        sa.Column(
            "filename",
            sa.String(length=255),
            nullable=False,
            comment="The file's name: name, version and wheel tags.",
        ),
        sa.Column(
            "sha256",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of the whole file, hex.",
        ),
        sa.Column("size", sa.BigInteger(), nullable=False, comment="Bytes."),
        sa.Column("kinds", sa.JSON(), nullable=False, comment="Plugin kinds it provides."),
        sa.Column(
            "tags",
            sa.JSON(),
            nullable=False,
            comment="Its wheel tags (interpreter-abi-platform), for picking the variant.",
        ),
        sa.Column(
            "sdk",
            sa.String(length=255),
            nullable=False,
            comment="Its argus-sdk requirement: the platform APIs it supports.",
        ),
        sa.Column("spotter", sa.Boolean(), nullable=False, comment="A Spotter plugin (.spi)."),
        sa.Column(
            "vendor",
            sa.Unicode(length=255),
            nullable=False,
            comment="Vendor whose signature was verified; '' unsigned.",
        ),
        sa.Column(
            "admitted_by", sa.Unicode(length=255), nullable=False, comment="Who admitted it."
        ),
        sa.Column("admitted", UTC_DATETIME, nullable=False, comment="When it was admitted."),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plugin_package")),
        sa.UniqueConstraint("filename", name=op.f("uq_plugin_package_filename")),
    )


def downgrade() -> None:
    op.drop_table("plugin_package")
