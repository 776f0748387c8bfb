"""Nodes: administrators add them and issue enrolment tokens; nodes enrol and heartbeat."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.master.api.auth import Running, Tx, Who, client_of
from argus.master.api.models import (
    EnrolmentTokenOut,
    EnrolmentTokenRequest,
    NodeCreate,
    NodeHealth,
    NodeOut,
)
from argus.master.db import Node
from argus.master.db.enums import ActorKind
from argus.master.services import audit, registry
from argus.master.services.audit import Actor, Target, record
from argus.master.services.errors import Unauthenticated
from argus.master.services.registry import EnrolmentToken
from argus.protocol import AuditReport, EnrolReply, EnrolRequest, Heartbeat, HeartbeatReply
from argus_sdk import Clock

router = APIRouter(tags=["nodes"])
node_scheme = HTTPBearer(
    scheme_name="node_credential",
    description="The credential the node received at enrolment.",
    auto_error=False,
)
NodeCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(node_scheme)]


def node_credential(credentials: NodeCredentials) -> str:
    """The node credential a node sends as its bearer token (401 when there is none)."""
    credential = credentials.credentials.strip() if credentials is not None else ""
    if not credential:
        raise Unauthenticated("send the node credential as Authorization: Bearer <credential>")
    return credential


NodeCredential = Annotated[str, Depends(node_credential)]


@router.get("/nodes", response_model=list[NodeOut])
def list_nodes(db: Tx, master: Running, caller: Who) -> list[NodeOut]:
    """Every node with its state, version and last heartbeat."""
    caller.require_admin(db, master, "node.list")
    return [node_out(n) for n in db.scalars(select(Node).order_by(Node.name))]


@router.post("/nodes", response_model=EnrolmentTokenOut, status_code=status.HTTP_201_CREATED)
def create_node(body: NodeCreate, db: Tx, master: Running, caller: Who) -> EnrolmentTokenOut:
    """Add a node; the answer holds its one-time enrolment token (shown only this once)."""
    caller.require_admin(db, master, "node.create")
    issued = registry.create_node(
        db,
        master.clock,
        body.name,
        description=body.description,
        ttl=dt.timedelta(hours=body.ttl_hours),
    )
    _audit_token(db, master.clock, caller.actor, "node.create", issued, body.description)
    return _token_out(issued)


@router.post(
    "/nodes/{name}/enrolment-token",
    response_model=EnrolmentTokenOut,
    status_code=status.HTTP_201_CREATED,
)
def new_enrolment_token(
    name: str, body: EnrolmentTokenRequest, db: Tx, master: Running, caller: Who
) -> EnrolmentTokenOut:
    """A new enrolment token for the node, replacing any earlier one; an enrolled node must
    enrol again with it."""
    caller.require_admin_on(db, master, "node.enrolment_token", Target("node", name, name))
    issued = registry.issue_enrolment_token(
        db, master.clock, name, ttl=dt.timedelta(hours=body.ttl_hours)
    )
    _audit_token(db, master.clock, caller.actor, "node.enrolment_token", issued, "")
    return _token_out(issued)


@router.post("/nodes/enrol", response_model=EnrolReply)
def enrol(body: EnrolRequest, request: Request, db: Tx, master: Running) -> EnrolReply:
    """A node presents its one-time enrolment token (no session: the token authenticates)."""
    reply = registry.enrol(db, master.clock, body, master.public_key_pem, master.id)
    node = db.scalars(select(Node).where(Node.name == reply.node_id)).one()
    record(
        db,
        master.clock,
        actor=Actor.of_node(node, client_of(request)),
        action="node.enrol",
        target=Target.of(node),
        detail=f"version {body.platform_version}, {body.architecture}, {body.os}",
    )
    root = master.repository.trusted_root().decode()
    return reply.model_copy(update={"repository_root": root})


@router.post("/nodes/heartbeat", response_model=HeartbeatReply)
def heartbeat(
    body: Heartbeat, db: Tx, master: Running, credential: NodeCredential
) -> HeartbeatReply:
    """A node's heartbeat, authenticated by its credential as the bearer token; the uses of
    video it reports go into the audit trail with the heartbeat."""
    reply = registry.heartbeat(db, master.clock, credential, body)
    if not reply.must_re_enrol:
        for report in body.audit:
            record_node_use(db, master.clock, body.node_id, report)
    return reply


def record_node_use(db: Session, clock: Clock, node: str, report: AuditReport) -> None:
    """An audit entry for a use of video a node reported, attributed to the user."""
    audit.record(
        db,
        clock,
        actor=Actor(ActorKind.USER, None, report.user),
        action=f"video.{report.action}",
        target=Target("camera", ",".join(report.cameras)[:255], None),
        detail=json.dumps({"at": report.at, **report.details}, default=str)[:4000],
        node=node,
    )


def node_out(node: Node) -> NodeOut:
    return NodeOut(
        name=node.name,
        description=node.description,
        state=node.state,
        state_reason=node.state_reason,
        platform_version=node.platform_version,
        architecture=node.architecture,
        os=node.os,
        listen_address=node.listen_address,
        last_heartbeat=node.last_heartbeat,
        clock_offset_us=node.clock_offset_us,
        clock_measured=node.clock_measured,
        desired_config_version=node.desired_config_version,
        applied_config_version=node.applied_config_version,
        enrolment_pending=node.enrolment_token_hash is not None,
        health=NodeHealth.model_validate(node.health) if node.health is not None else None,
    )


def _token_out(issued: EnrolmentToken) -> EnrolmentTokenOut:
    return EnrolmentTokenOut(node_id=issued.node_id, token=issued.token, expires=issued.expires)


def _audit_token(
    db: Session, clock: Clock, actor: Actor, action: str, issued: EnrolmentToken, description: str
) -> None:
    """Record a node added or a token issued (the token itself never reaches the trail).

    The registry leaves both to its caller: it neither checks rights nor audits.
    """
    after = {"name": issued.node_id, "enrolment_expires": issued.expires.isoformat()}
    if description:
        after["description"] = description
    node = db.scalars(select(Node).where(Node.name == issued.node_id)).one()
    record(db, clock, actor=actor, action=action, target=Target.of(node), after=after)
