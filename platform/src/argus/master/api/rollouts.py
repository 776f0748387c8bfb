"""Rollouts of plugin packages to nodes, pins and removals, and what every node runs
(administrators; :mod:`argus.master.services.rollouts`)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from argus.master.api.auth import Running, Tx, Who
from argus.master.db import NodePlugin, Rollout
from argus.master.services import rollouts
from argus.master.services.rollouts import DEFAULT_NODE_TIMEOUT

router = APIRouter(tags=["packages"])


class RolloutCreate(BaseModel):
    package: str = Field(
        min_length=1,
        max_length=255,
        description="Project and versions: 'acme-driver==2.4.0' (or a range).",
        examples=["acme-driver==2.4.0"],
    )
    nodes: list[str] | None = Field(
        default=None, description="Node ids; null: every enrolled node."
    )
    canary: list[str] | None = Field(
        default=None, description="Phase-1 node ids; null: the first canary_count nodes by id."
    )
    canary_count: int = Field(default=1, ge=0, le=1000)
    percentage: int = Field(
        default=50, ge=0, le=100, description="Share of the other nodes in phase 2."
    )
    max_failures: int = Field(
        default=0, ge=0, description="Failed nodes tolerated; one more halts the rollout."
    )
    node_timeout: int = Field(
        default=DEFAULT_NODE_TIMEOUT,
        ge=1,
        le=86_400,
        description="Seconds a node may take to report its result.",
    )


class RolloutHalt(BaseModel):
    reason: str = Field(default="", max_length=512)


class RolloutResume(BaseModel):
    max_failures: int | None = Field(default=None, ge=0)


class RolloutNodeOut(BaseModel):
    node: str
    phase: int
    state: str
    version: str | None
    target: str | None
    detail: str
    started: dt.datetime | None
    finished: dt.datetime | None


class RolloutOut(BaseModel):
    id: int
    package: str
    project: str
    specifier: str
    state: str
    phase: int
    percentage: int
    max_failures: int
    node_timeout: int
    reason: str
    created_by: str
    created: dt.datetime
    finished: dt.datetime | None
    counts: dict[str, int] = Field(description="Nodes by state.")
    nodes: list[RolloutNodeOut]


class PinRequest(BaseModel):
    package: str = Field(min_length=1, max_length=255, examples=["acme-driver==2.4.0"])
    nodes: list[str] | None = Field(default=None, description="Node ids; null: every node.")


class ProjectNodes(BaseModel):
    project: str = Field(min_length=1, max_length=128)
    nodes: list[str] | None = Field(default=None, description="Node ids; null: every node.")


class NodePluginOut(BaseModel):
    node: str
    project: str
    desired_version: str | None
    target: str | None
    pinned: bool
    rollout: int | None
    installed_version: str | None
    state: str = Field(description="The node's last report; '' before one.")
    detail: str
    reported: dt.datetime | None


def rollout_out(row: Rollout) -> RolloutOut:
    return RolloutOut(
        id=row.id,
        package=f"{row.project}{row.specifier}",
        project=row.project,
        specifier=row.specifier,
        state=row.state.value,
        phase=row.phase,
        percentage=row.percentage,
        max_failures=row.max_failures,
        node_timeout=row.node_timeout,
        reason=row.reason,
        created_by=row.created_by,
        created=row.created,
        finished=row.finished,
        counts=rollouts.counts(row),
        nodes=[
            RolloutNodeOut(
                node=m.node.name,
                phase=m.phase,
                state=m.state.value,
                version=m.version,
                target=m.target,
                detail=m.detail,
                started=m.started,
                finished=m.finished,
            )
            for m in row.nodes
        ],
    )


def plugin_out(row: NodePlugin) -> NodePluginOut:
    return NodePluginOut(
        node=row.node.name,
        project=row.project,
        desired_version=row.desired_version,
        target=row.target,
        pinned=row.pinned,
        rollout=row.rollout_id,
        installed_version=row.installed_version,
        state=row.state,
        detail=row.detail,
        reported=row.reported,
    )


@router.post("/rollouts", response_model=RolloutOut, status_code=status.HTTP_201_CREATED)
def start_rollout(body: RolloutCreate, db: Tx, master: Running, caller: Who) -> RolloutOut:
    """Roll a package out: canary nodes first, then ``percentage`` % of the others, then the
    rest; halted when more than ``max_failures`` nodes fail."""
    row = rollouts.start(
        db,
        master.clock,
        caller.actor,
        body.package,
        nodes=body.nodes,
        canary=body.canary,
        canary_count=body.canary_count,
        percentage=body.percentage,
        max_failures=body.max_failures,
        node_timeout=body.node_timeout,
    )
    return rollout_out(row)


@router.get("/rollouts", response_model=list[RolloutOut])
def list_rollouts(db: Tx, master: Running, caller: Who) -> list[RolloutOut]:
    """The latest 100 rollouts, newest first."""
    caller.require_admin(db, master, "package.rollout.list")
    return [rollout_out(r) for r in rollouts.rollouts(db)]


@router.get("/rollouts/{rollout_id}", response_model=RolloutOut)
def get_rollout(rollout_id: int, db: Tx, master: Running, caller: Who) -> RolloutOut:
    """One rollout with every node's phase, state and result."""
    caller.require_admin(db, master, "package.rollout.list")
    return rollout_out(rollouts.rollout(db, rollout_id))


@router.post("/rollouts/{rollout_id}/halt", response_model=RolloutOut)
def halt_rollout(
    rollout_id: int, body: RolloutHalt, db: Tx, master: Running, caller: Who
) -> RolloutOut:
    """Stop a running rollout; nodes not yet asked keep what they run."""
    return rollout_out(rollouts.halt(db, master.clock, caller.actor, rollout_id, body.reason))


@router.post("/rollouts/{rollout_id}/resume", response_model=RolloutOut)
def resume_rollout(
    rollout_id: int, body: RolloutResume, db: Tx, master: Running, caller: Who
) -> RolloutOut:
    """Continue a halted rollout (optionally tolerating more failures)."""
    return rollout_out(
        rollouts.resume(db, master.clock, caller.actor, rollout_id, body.max_failures)
    )


@router.post("/rollouts/{rollout_id}/cancel", response_model=RolloutOut)
def cancel_rollout(rollout_id: int, db: Tx, master: Running, caller: Who) -> RolloutOut:
    """Give a rollout up; nodes keep what they run now."""
    return rollout_out(rollouts.cancel(db, master.clock, caller.actor, rollout_id))


@router.get("/packages/installed", response_model=list[NodePluginOut])
def installed(db: Tx, master: Running, caller: Who) -> list[NodePluginOut]:
    """Every node's packages: what the master wants it to run and what it reports."""
    caller.require_admin(db, master, "package.list")
    return [plugin_out(r) for r in rollouts.installed(db)]


@router.post("/packages/pin", response_model=list[NodePluginOut])
def pin(body: PinRequest, db: Tx, master: Running, caller: Who) -> list[NodePluginOut]:
    """Keep nodes at one version of a package; rollouts pass them by."""
    rows = rollouts.pin(db, master.clock, caller.actor, body.package, body.nodes)
    return [plugin_out(r) for r in rows]


@router.post("/packages/unpin", response_model=list[NodePluginOut])
def unpin(body: ProjectNodes, db: Tx, master: Running, caller: Who) -> list[NodePluginOut]:
    """Let rollouts reach the nodes again."""
    rows = rollouts.unpin(db, master.clock, caller.actor, body.project, body.nodes)
    return [plugin_out(r) for r in rows]


@router.post("/packages/remove", response_model=list[NodePluginOut])
def remove(body: ProjectNodes, db: Tx, master: Running, caller: Who) -> list[NodePluginOut]:
    """Take a package off nodes: they deactivate it and drop it from their plugin store."""
    rows = rollouts.remove(db, master.clock, caller.actor, body.project, body.nodes)
    return [plugin_out(r) for r in rows]
