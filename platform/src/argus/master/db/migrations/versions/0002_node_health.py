"""Node health: the streams and disks of a node's last heartbeat.

Revision 0002. One nullable JSON column on ``node``; nodes fill it with their next
heartbeat.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "node",
        sa.Column(
            "health",
            sa.JSON(),
            nullable=True,
            comment=(
                "The streams and disks of the last accepted heartbeat, as the node reported "
                "them (argus.protocol.StreamReport, DiskReport); NULL before the first."
            ),
        ),
    )


def downgrade() -> None:
    op.drop_column("node", "health")
