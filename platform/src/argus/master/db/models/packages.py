"""Plugin packages the master has admitted, their rollouts, and what each node runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Unicode,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from argus.master.db.base import Base
from argus.master.db.enums import RolloutNodeState, RolloutState
from argus.master.db.models.nodes import Node
from argus.master.db.types import UtcDateTime, str_enum, utcnow


class PluginPackage(Base):
    """One admitted package file (a wheel or a .spi): one variant of one version."""

    __tablename__ = "plugin_package"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="Row id.")
    name: Mapped[str] = mapped_column(String(128), comment="Canonical project name.")
    version: Mapped[str] = mapped_column(String(64), comment="PEP 440 version.")
    filename: Mapped[str] = mapped_column(
        String(255), unique=True, comment="The file's name: name, version and wheel tags."
    )
    sha256: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the whole file, hex.")
    size: Mapped[int] = mapped_column(BigInteger, comment="Bytes.")
    kinds: Mapped[list[Any]] = mapped_column(JSON, comment="Plugin kinds it provides.")
    tags: Mapped[list[Any]] = mapped_column(
        JSON, comment="Its wheel tags (interpreter-abi-platform), for picking the variant."
    )
    sdk: Mapped[str] = mapped_column(
        String(255), comment="Its argus-sdk requirement: the platform APIs it supports."
    )
    spotter: Mapped[bool] = mapped_column(Boolean, comment="A Spotter plugin (.spi).")
    vendor: Mapped[str] = mapped_column(
        Unicode(255), default="", comment="Vendor whose signature was verified; '' unsigned."
    )
    requires: Mapped[list[Any] | None] = mapped_column(
        JSON,
        comment="Its Requires-Dist lines (dependencies to serve with it); NULL: admitted "
        "before they were recorded (read again from the file at the next start).",
    )
    admitted_by: Mapped[str] = mapped_column(Unicode(255), comment="Who admitted it.")
    admitted: Mapped[dt.datetime] = mapped_column(
        UtcDateTime, default=utcnow, comment="When it was admitted."
    )


class Rollout(Base):
    """Bringing one package (a version range of a project) to a set of nodes, in phases:
    canary nodes, then a percentage of the others, then the rest; halted when failures
    pass ``max_failures``."""

    __tablename__ = "rollout"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="Row id: the rollout id.")
    project: Mapped[str] = mapped_column(String(128), comment="Canonical project name.")
    specifier: Mapped[str] = mapped_column(
        String(255),
        comment="PEP 440 specifier of the versions allowed ('==2.4.0'); each node gets the "
        "newest admitted version within it that fits the node.",
    )
    state: Mapped[RolloutState] = mapped_column(
        str_enum(RolloutState, "state", 16),
        default=RolloutState.RUNNING,
        comment="running, halted, completed or cancelled.",
    )
    phase: Mapped[int] = mapped_column(
        Integer, default=1, comment="The phase now running: 1 canary, 2 percentage, 3 the rest."
    )
    percentage: Mapped[int] = mapped_column(
        Integer, comment="Share (0–100) of the non-canary nodes in phase 2."
    )
    max_failures: Mapped[int] = mapped_column(
        Integer, comment="Failed or rolled-back nodes tolerated; one more halts the rollout."
    )
    node_timeout: Mapped[int] = mapped_column(
        Integer, comment="Seconds a node may take to report a result before it counts as failed."
    )
    reason: Mapped[str] = mapped_column(
        Unicode(1024), default="", comment="Why it halted or was cancelled."
    )
    created_by: Mapped[str] = mapped_column(Unicode(255), comment="Who started it.")
    created: Mapped[dt.datetime] = mapped_column(
        UtcDateTime, default=utcnow, comment="When it started."
    )
    finished: Mapped[dt.datetime | None] = mapped_column(
        UtcDateTime, comment="When it completed, halted or was cancelled."
    )

    nodes: Mapped[list[RolloutNode]] = relationship(
        back_populates="rollout",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="RolloutNode.id",
    )


class RolloutNode(Base):
    """One node of a rollout: its phase, the variant chosen for it, and its result."""

    __tablename__ = "rollout_node"
    __table_args__ = (UniqueConstraint("rollout_id", "node_id"), Index(None, "node_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="Row id.")
    rollout_id: Mapped[int] = mapped_column(
        ForeignKey("rollout.id", ondelete="CASCADE"), comment="The rollout."
    )
    node_id: Mapped[int] = mapped_column(
        ForeignKey("node.id", ondelete="CASCADE"), comment="The node."
    )
    phase: Mapped[int] = mapped_column(Integer, comment="1 canary, 2 percentage, 3 the rest.")
    state: Mapped[RolloutNodeState] = mapped_column(
        str_enum(RolloutNodeState, "state", 16),
        default=RolloutNodeState.WAITING,
        comment="waiting, sent, succeeded, failed, rolled-back, unsupported, pinned, skipped.",
    )
    version: Mapped[str | None] = mapped_column(
        String(64), comment="The version chosen for the node; NULL when none fits."
    )
    target: Mapped[str | None] = mapped_column(
        String(512), comment="The repository target (package file) chosen for the node."
    )
    detail: Mapped[str] = mapped_column(
        Unicode(2048), default="", comment="Why it failed, or why nothing fits the node."
    )
    started: Mapped[dt.datetime | None] = mapped_column(
        UtcDateTime, comment="When the node was asked to install."
    )
    finished: Mapped[dt.datetime | None] = mapped_column(
        UtcDateTime, comment="When the node's result arrived."
    )

    rollout: Mapped[Rollout] = relationship(back_populates="nodes")
    node: Mapped[Node] = relationship()


class NodePlugin(Base):
    """A plugin package a node should run (desired, set by rollouts, pins and removals) and
    what it reports running."""

    __tablename__ = "node_plugin"
    __table_args__ = (UniqueConstraint("node_id", "project"), Index(None, "rollout_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="Row id.")
    node_id: Mapped[int] = mapped_column(
        ForeignKey("node.id", ondelete="CASCADE"), comment="The node."
    )
    project: Mapped[str] = mapped_column(String(128), comment="Canonical project name.")
    desired_version: Mapped[str | None] = mapped_column(
        String(64), comment="The version the node should run; NULL: remove it."
    )
    target: Mapped[str | None] = mapped_column(
        String(512), comment="The repository target of that version for this node."
    )
    pinned: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="Rollouts leave this node at its desired version."
    )
    dependencies: Mapped[list[Any]] = mapped_column(
        JSON,
        default=list,
        comment="Repository targets of the dependency wheels served with it to this node.",
    )
    rollout_id: Mapped[int | None] = mapped_column(
        ForeignKey("rollout.id", ondelete="SET NULL"),
        comment="The rollout that set the desired version; NULL: a pin or removal.",
    )
    installed_version: Mapped[str | None] = mapped_column(
        String(64), comment="The version the node last reported active; NULL: none."
    )
    state: Mapped[str] = mapped_column(
        String(16),
        default="",
        comment="The node's last report (argus.protocol.PluginState); '' before the first.",
    )
    detail: Mapped[str] = mapped_column(
        Unicode(2048), default="", comment="The node's reason for a failure or rollback."
    )
    reported: Mapped[dt.datetime | None] = mapped_column(
        UtcDateTime, comment="When the node last reported on this package."
    )

    node: Mapped[Node] = relationship()
