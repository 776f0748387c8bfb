"""Nodes (recording servers) this master knows, and their storage configuration.

A node is created by an admin with a one-time enrolment token; the node
presents it once, then authenticates with the credential the master issued.
What the node reports (version, platform, heartbeats, clock offset) is kept
here; what the node should run is the configuration in the other tables,
numbered by ``desired_config_version``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Unicode,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from argus.master.db.base import Base
from argus.master.db.enums import NodeState
from argus.master.db.types import UtcDateTime, str_enum, utcnow

if TYPE_CHECKING:
    from argus.master.db.models.devices import Device


class Node(Base):
    """A recording server of this domain."""

    __tablename__ = "node"
    __table_args__ = (Index(None, "enrolment_token_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="Row id.")
    name: Mapped[str] = mapped_column(
        String(64),
        unique=True,
        comment="The node id: in its configuration, in token audiences (argus-node:<name>), "
        "in the CLI. Letters, digits, '.', '_' and '-'.",
    )
    description: Mapped[str] = mapped_column(
        Unicode(1024), default="", comment="Where it stands, what it records, for admins."
    )
    enrolment_token_hash: Mapped[str | None] = mapped_column(
        String(128),
        comment="Hash of the one-time enrolment token; cleared when used. Not unique: "
        "SQL Server allows one NULL per unique column.",
    )
    enrolment_expires: Mapped[dt.datetime | None] = mapped_column(
        UtcDateTime, comment="The enrolment token is refused after this instant."
    )
    credential_hash: Mapped[str | None] = mapped_column(
        String(255), comment="Hash of the secret issued at enrolment, with which the node calls."
    )
    state: Mapped[NodeState] = mapped_column(
        str_enum(NodeState, "state", 16),
        default=NodeState.PENDING,
        comment="Life cycle (pending, enrolled, refused, disabled); online is last_heartbeat.",
    )
    state_reason: Mapped[str] = mapped_column(
        Unicode(1024),
        default="",
        comment="Why the node is refused or disabled, as shown to the admin "
        "(e.g. 'version 5.2 is outside >=6,<9').",
    )
    platform_version: Mapped[str | None] = mapped_column(
        String(64), comment="Argus version the node runs (PEP 440), checked by the version policy."
    )
    architecture: Mapped[str | None] = mapped_column(
        String(32), comment="Machine architecture the node reports (x86_64, i686, aarch64 …)."
    )
    os: Mapped[str | None] = mapped_column(
        Unicode(255), comment="Operating system name and version, for admins and support."
    )
    wheel_tags: Mapped[list[str]] = mapped_column(
        JSON,
        default=list,
        comment="The node's packaging.tags.sys_tags() in preference order: chooses which "
        "variant (32/64-bit, OS) of a package it gets.",
    )
    api_version: Mapped[str | None] = mapped_column(
        String(64),
        comment="The platform API the node offers plugins (argus_sdk.API_VERSION): which "
        "packages' argus-sdk ranges fit it; NULL: not reported yet.",
    )
    listen_address: Mapped[str | None] = mapped_column(
        String(255), comment="Base URL of the node API clients fetch streams from."
    )
    last_heartbeat: Mapped[dt.datetime | None] = mapped_column(
        UtcDateTime,
        comment="Master time of the last heartbeat; too old means offline (a watchdog event).",
    )
    health: Mapped[dict[str, Any] | None] = mapped_column(
        JSON,
        comment="The streams and disks of the last accepted heartbeat, as the node reported "
        "them (argus.protocol.StreamReport, DiskReport); NULL before the first.",
    )
    clock_offset_us: Mapped[int | None] = mapped_column(
        BigInteger,
        comment="Node clock minus master clock, microseconds, from the sample with the best "
        "round trip; nodes correct recording times by it.",
    )
    clock_measured: Mapped[dt.datetime | None] = mapped_column(
        UtcDateTime, comment="When clock_offset_us was estimated."
    )
    desired_config_version: Mapped[int] = mapped_column(
        Integer,
        default=0,
        comment="Bumped by every configuration change for this node; the node fetches "
        "its configuration when it differs from what it applied.",
    )
    applied_config_version: Mapped[int | None] = mapped_column(
        Integer, comment="The version the node last reported as applied; NULL: never."
    )
    created: Mapped[dt.datetime] = mapped_column(
        UtcDateTime, default=utcnow, comment="When an admin added the node."
    )
    updated: Mapped[dt.datetime] = mapped_column(
        UtcDateTime,
        default=utcnow,
        onupdate=utcnow,
        comment="Last change to the row (heartbeats included).",
    )

    devices: Mapped[list[Device]] = relationship(
        back_populates="node", cascade="all, delete-orphan", passive_deletes=True
    )
    storages: Mapped[list[NodeStorage]] = relationship(
        back_populates="node", cascade="all, delete-orphan", passive_deletes=True
    )


class NodeStorage(Base):
    """A storage backend configured on a node (its disks, retention …)."""

    __tablename__ = "node_storage"
    __table_args__ = (UniqueConstraint("node_id", "backend"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="Row id.")
    node_id: Mapped[int] = mapped_column(
        ForeignKey("node.id", ondelete="CASCADE"), comment="The node; its storage goes with it."
    )
    backend: Mapped[str] = mapped_column(
        String(128), comment="Storage backend plugin name (argus.storage entry point, 'segments')."
    )
    settings: Mapped[dict[str, Any]] = mapped_column(
        JSON,
        default=dict,
        comment="The backend's settings (disks, segment length, retention), validated by the "
        "plugin's model when saved and again on the node.",
    )

    node: Mapped[Node] = relationship(back_populates="storages")
