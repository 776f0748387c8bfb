"""The node registry: enrolment, the node version policy, heartbeats and clock offsets.

An admin adds a node (:func:`create_node`) and gets a one-time enrolment token to hand
to it; the node presents the token once (:func:`enrol`) and receives a long-lived
credential, with which it sends its heartbeats (:func:`heartbeat`). Both secrets are
256-bit random strings of which the master keeps only the SHA-256: with that much
entropy a slow password hash adds nothing, and a heartbeat must stay cheap (hundreds of
nodes, every few seconds).

The **version policy** (a :class:`packaging.specifiers.SpecifierSet` in the ``setting``
table) says which node platform versions this master accepts; it is checked at enrolment
and at every heartbeat, so a node upgraded out of the range, or a policy narrowed under
it, is refused until both agree again.

Refusals are :mod:`argus.master.services.errors` whose message is meant for the node's
log and the admin. A refusal for the node's version (:class:`VersionRefused`) is also
recorded on the node row (state ``refused`` and the reason, shown to admins): the caller
commits the session when it catches one, as it commits the audit entry of a
:class:`~argus.master.services.errors.Forbidden`. The other refusals write nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from argus import __version__
from argus.clocksync import Estimate
from argus.master.db.enums import NodeState, WatchdogKind
from argus.master.db.models import Node, Setting, WatchdogEvent
from argus.master.db.types import instant
from argus.master.services import rollouts, watchdog
from argus.master.services.errors import Conflict, Invalid, NotFound, Refused, Unauthenticated
from argus.protocol import (
    NODE_ID_PATTERN,
    PROTOCOL_VERSION,
    EnrolReply,
    EnrolRequest,
    Heartbeat,
    HeartbeatReply,
)
from argus_sdk import Clock

__all__ = [
    "DEFAULT_CLOCK_OFFSET_THRESHOLD",
    "DEFAULT_VERSION_POLICY",
    "ENROLMENT_TTL",
    "VERSION_POLICY_KEY",
    "EnrolmentRefused",
    "EnrolmentToken",
    "NodeAuthenticationFailed",
    "NodeRefused",
    "UnknownNode",
    "VersionPolicy",
    "VersionRefused",
    "create_node",
    "enrol",
    "heartbeat",
    "issue_enrolment_token",
    "record_clock_offset",
    "set_version_policy",
    "version_policy",
]

VERSION_POLICY_KEY = "nodes.version_policy"
#: The policy while none is set: nodes of this platform's first series (0.x from 0.1).
DEFAULT_VERSION_POLICY = ">=0.1,<1"
ENROLMENT_TTL = dt.timedelta(hours=24)
#: Seconds of clock offset beyond which a node's clock is reported (clock-offset event).
DEFAULT_CLOCK_OFFSET_THRESHOLD = 1.0
_SECRET_BYTES = 32
#: Compared against when the node is unknown, so that a miss costs what a match costs.
_NO_CREDENTIAL = hashlib.sha256(b"").hexdigest()


class NodeRefused(Refused):
    """The master refuses what the node asked (HTTP 403); the message says why."""


class EnrolmentRefused(NodeRefused):
    """The enrolment token is unknown, used or expired, or is for another node.

    The node needs a new token from an admin; nothing was recorded.
    """


class NodeAuthenticationFailed(Unauthenticated):
    """No node has this id and credential (HTTP 401): the node must be enrolled (again)."""


class VersionRefused(NodeRefused):
    """The node's platform version is malformed or outside the version policy.

    Recorded on the node row (state ``refused``, the reason): commit the session.
    """


class UnknownNode(NotFound):
    """No node has this id (HTTP 404)."""


@dataclass(frozen=True, slots=True)
class EnrolmentToken:
    """A one-time enrolment token for an admin to hand to a node; shown only this once."""

    node_id: str
    token: str
    expires: dt.datetime


@dataclass(frozen=True, slots=True)
class VersionPolicy:
    """Which node platform versions this master accepts.

    :param spec: the specifier as the admin wrote it (``>=6,<9``); '' accepts any version.
    """

    spec: str
    master_version: str = __version__

    @property
    def specifiers(self) -> SpecifierSet:
        return SpecifierSet(self.spec)

    def refusal(self, version: str) -> str | None:
        """Why a node of ``version`` is refused, naming both versions and the range;
        None when it is accepted. Pre-releases inside the range are accepted."""
        accepted = self.spec or "any version"
        master = f"this master (version {self.master_version})"
        try:
            parsed = Version(version)
        except InvalidVersion:
            return (
                f"node version {version!r} is not a valid version (PEP 440); "
                f"{master} accepts node versions {accepted}"
            )
        if self.specifiers.contains(parsed, prereleases=True):
            return None
        return f"node version {version} is outside {accepted}, the node versions {master} accepts"


def version_policy(session: Session) -> VersionPolicy:
    """The version policy in force (:data:`DEFAULT_VERSION_POLICY` while none is set).

    :raises Invalid: the stored setting is not a valid specifier set (written around
        :func:`set_version_policy`).
    """
    row = session.scalars(select(Setting).where(Setting.key == VERSION_POLICY_KEY)).first()
    if row is None:
        return VersionPolicy(DEFAULT_VERSION_POLICY)
    return VersionPolicy(_valid_spec(row.value))


def set_version_policy(session: Session, spec: str) -> VersionPolicy:
    """Store the version policy; nodes are checked against it from their next heartbeat.

    :param spec: a PEP 440 specifier set such as ``>=6,<9``; '' accepts any version.
    :raises Invalid: ``spec`` is not a valid specifier set.
    """
    spec = _valid_spec(spec)
    row = session.scalars(select(Setting).where(Setting.key == VERSION_POLICY_KEY)).first()
    if row is None:
        session.add(Setting(key=VERSION_POLICY_KEY, value=spec))
    else:
        row.value = spec
    session.flush()
    return VersionPolicy(spec)


def create_node(
    session: Session,
    clock: Clock,
    name: str,
    *,
    description: str = "",
    ttl: dt.timedelta = ENROLMENT_TTL,
) -> EnrolmentToken:
    """Add a node (state ``pending``) and issue its enrolment token.

    :param name: the node id: letters, digits, '.', '_' and '-', at most 64.
    :raises Invalid: the name is not a valid node id, or ``ttl`` is not positive.
    :raises Conflict: a node has this name already (whatever its case).
    """
    _check_ttl(ttl)
    if not re.fullmatch(NODE_ID_PATTERN, name):
        raise Invalid(f"{name!r} is not a valid node id (letters, digits, '.', '_', '-')")
    same = session.scalars(select(Node.name).where(func.lower(Node.name) == name.lower())).first()
    if same is not None:
        raise Conflict(f"a node named {same!r} exists already (node ids ignore case)")
    session.add(Node(name=name, description=description, state=NodeState.PENDING))
    session.flush()
    return issue_enrolment_token(session, clock, name, ttl=ttl)


def issue_enrolment_token(
    session: Session, clock: Clock, name: str, *, ttl: dt.timedelta = ENROLMENT_TTL
) -> EnrolmentToken:
    """A new one-time enrolment token for the node, replacing any earlier one.

    For an enrolled node this asks it to enrol again (moved to new hardware, credential
    leaked): its heartbeats are answered only with ``must_re_enrol`` until it presents
    the new token, which gives it a new credential.

    :raises UnknownNode: no node has this id.
    :raises Invalid: ``ttl`` is not positive.
    """
    _check_ttl(ttl)
    node = _node_named(session, name, lock=True)
    if node is None:
        raise UnknownNode(f"no node named {name!r}")
    token = secrets.token_urlsafe(_SECRET_BYTES)
    expires = instant(clock) + ttl
    node.enrolment_token_hash, node.enrolment_expires = _digest(token), expires
    session.flush()
    return EnrolmentToken(node.name, token, expires)


def enrol(
    session: Session,
    clock: Clock,
    request: EnrolRequest,
    public_key_pem: str,
    master_id: str,
) -> EnrolReply:
    """Accept a node presenting its enrolment token: record what it is, consume the token,
    issue its credential.

    Enrolment counts as the node's first heartbeat (it is online from now on).

    :param public_key_pem: the master's Ed25519 public key, handed to the node.
    :param master_id: the master's id (the issuer of its tokens).
    :raises EnrolmentRefused: the token is unknown or already used, expired, or issued
        for another node id; nothing recorded, the token (if any) stays usable.
    :raises VersionRefused: the node's version is malformed or outside the policy;
        recorded on the node (commit), the token stays usable for a retry after an upgrade.
    """
    now = instant(clock)
    node = _node_for_token(session, request.token, now)
    if node.name != request.node_id:
        raise EnrolmentRefused(
            f"this enrolment token is for node {node.name!r}, not {request.node_id!r}"
        )
    node.platform_version = request.platform_version
    node.architecture = request.architecture
    node.os = request.os
    node.wheel_tags = list(request.wheel_tags)
    node.listen_address = request.listen_address
    _check_version(session, node, request.platform_version)
    credential = secrets.token_urlsafe(_SECRET_BYTES)
    node.credential_hash = _digest(credential)
    node.enrolment_token_hash = None
    node.enrolment_expires = None
    node.state, node.state_reason = NodeState.ENROLLED, ""
    node.last_heartbeat = now
    watchdog.clear_condition(session, clock, WatchdogKind.NODE_OFFLINE, node, node.name)
    session.flush()
    return EnrolReply(
        node_id=node.name,
        credential=credential,
        master_public_key=public_key_pem,
        master_id=master_id,
        protocol_version=PROTOCOL_VERSION,
    )


def heartbeat(
    session: Session, clock: Clock, node_credential: str, heartbeat: Heartbeat
) -> HeartbeatReply:
    """Record a node's heartbeat: it is online; its version, applied configuration and the
    health of its streams and disks (as watchdog events) are updated.

    Takes the node's row lock for the rest of the transaction.

    :raises NodeAuthenticationFailed: no node has this id and credential.
    :raises NodeRefused: the node is disabled.
    :raises VersionRefused: the node's version is outside the policy (commit: the node is
        recorded as refused; a later heartbeat within the policy accepts it again).
    """
    node = authenticate_node(session, heartbeat.node_id, node_credential)
    now = instant(clock)
    if node.enrolment_token_hash is not None:
        return HeartbeatReply(
            master_time=clock.now(),
            desired_config_version=node.desired_config_version,
            must_re_enrol=True,
        )
    if node.state == NodeState.DISABLED:
        raise NodeRefused(f"node {node.name} is disabled: {node.state_reason or 'by an admin'}")
    node.platform_version = heartbeat.platform_version
    _check_version(session, node, heartbeat.platform_version)
    node.state, node.state_reason = NodeState.ENROLLED, ""
    node.last_heartbeat = now
    node.applied_config_version = heartbeat.applied_config_version
    if heartbeat.api_version is not None:
        node.api_version = heartbeat.api_version
    if heartbeat.wheel_tags is not None and heartbeat.wheel_tags != node.wheel_tags:
        node.wheel_tags = list(heartbeat.wheel_tags)
    node.health = {
        "streams": [s.model_dump(mode="json") for s in heartbeat.streams],
        "disks": [d.model_dump(mode="json") for d in heartbeat.disks],
    }
    watchdog.observe_heartbeat(session, clock, node, heartbeat)
    offset = node.clock_offset_us / 1_000_000 if node.clock_offset_us is not None else None
    plugins = None
    if heartbeat.plugins is not None:
        rollouts.record_reports(session, clock, node, heartbeat.plugins)
        plugins = rollouts.desired_plugins(session, node)
    return HeartbeatReply(
        master_time=clock.now(),
        desired_config_version=node.desired_config_version,
        clock_offset=offset,
        plugins=plugins,
    )


def record_clock_offset(
    session: Session,
    clock: Clock,
    node: Node,
    estimate: Estimate,
    threshold: float = DEFAULT_CLOCK_OFFSET_THRESHOLD,
) -> WatchdogEvent | None:
    """Store a node's measured clock offset; open a ``clock-offset`` event while its size
    exceeds ``threshold`` seconds, end it once back within.

    The caller holds the node's row lock (it loaded ``node`` ``FOR UPDATE``).

    :param estimate: the node's clock minus the master's (:func:`argus.clocksync.estimate`).
    :returns: the event opened or ended, or None when nothing changed.
    :raises ValueError: ``threshold`` is negative.
    """
    if threshold < 0:
        raise ValueError(f"the clock offset threshold cannot be negative, not {threshold}")
    node.clock_offset_us = round(estimate.offset * 1_000_000)
    node.clock_measured = instant(clock)
    session.flush()
    if abs(estimate.offset) <= threshold:
        return watchdog.clear_condition(session, clock, WatchdogKind.CLOCK_OFFSET, node, node.name)
    details = {
        "offset": estimate.offset,
        "error": estimate.error,
        "samples": estimate.samples,
        "threshold": threshold,
    }
    return watchdog.raise_condition(
        session, clock, WatchdogKind.CLOCK_OFFSET, node, node.name, details
    )


def _check_version(session: Session, node: Node, version: str) -> None:
    """Mark the node refused and raise when the policy refuses ``version``."""
    refusal = version_policy(session).refusal(version)
    if refusal is None:
        return
    node.state, node.state_reason = NodeState.REFUSED, refusal
    session.flush()
    raise VersionRefused(refusal)


def _node_for_token(session: Session, token: str, now: dt.datetime) -> Node:
    node = session.scalars(
        select(Node)
        .where(Node.enrolment_token_hash == _digest(token))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if node is None:
        raise EnrolmentRefused(
            "unknown or already used enrolment token: ask an admin for a new one"
        )
    expires = node.enrolment_expires
    if expires is None or expires <= now:
        when = expires.isoformat() if expires is not None else "an unknown time"
        raise EnrolmentRefused(
            f"the enrolment token for node {node.name!r} expired at {when}: "
            "ask an admin for a new one"
        )
    return node


def authenticate_node(session: Session, name: str, credential: str, *, lock: bool = True) -> Node:
    """The node ``name`` if ``credential`` is its credential (constant-time; row locked
    unless ``lock`` is false).

    :raises NodeAuthenticationFailed: unknown node or wrong credential.
    """
    node = _node_named(session, name, lock=lock)
    stored = node.credential_hash if node is not None else None
    matches = hmac.compare_digest(stored or _NO_CREDENTIAL, _digest(credential))
    if node is None or stored is None or not matches:
        raise NodeAuthenticationFailed(
            f"unknown node {name!r} or wrong credential: enrol the node again"
        )
    return node


def _node_named(session: Session, name: str, *, lock: bool = False) -> Node | None:
    query = select(Node).where(Node.name == name)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    node = session.scalars(query).first()
    # MariaDB compares names without regard to case; a node id is exact.
    return node if node is not None and node.name == name else None


def _valid_spec(spec: object) -> str:
    if not isinstance(spec, str):
        raise Invalid(f"a version policy is a specifier string, not {spec!r}")
    try:
        SpecifierSet(spec)
    except InvalidSpecifier as exc:
        raise Invalid(
            f"{spec!r} is not a valid version policy (a PEP 440 specifier set such as '>=6,<9')"
        ) from exc
    return spec.strip()


def _check_ttl(ttl: dt.timedelta) -> None:
    if ttl <= dt.timedelta(0):
        raise Invalid(f"the enrolment token lifetime must be positive, not {ttl}")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
