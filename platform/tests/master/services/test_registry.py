"""Node enrolment, the version policy, heartbeats and clock offsets, on every engine."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from argus import __version__
from argus.clocksync import Estimate
from argus.master.db.enums import NodeState, WatchdogKind
from argus.master.db.models import Node, Setting, WatchdogEvent
from argus.master.services import registry
from argus.master.services.errors import Conflict, Invalid, NotFound
from argus.master.services.registry import (
    EnrolmentRefused,
    NodeAuthenticationFailed,
    NodeRefused,
    VersionRefused,
)
from argus.master.services.watchdog import instant
from argus.protocol import PROTOCOL_VERSION, EnrolReply, EnrolRequest, Heartbeat
from argus.security.tokens import public_pem
from argus_sdk.testing import ManualClock

MASTER_ID = "master-test"
PEM = public_pem(Ed25519PrivateKey.generate())
TAGS = ["cp311-cp311-manylinux_2_36_x86_64", "py3-none-any"]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def request(token: str, node_id: str = "node-1", version: str = __version__) -> EnrolRequest:
    return EnrolRequest(
        token=token,
        node_id=node_id,
        platform_version=version,
        architecture="x86_64",
        os="Linux 6.1 (Debian 12)",
        wheel_tags=TAGS,
        listen_address="http://10.0.0.7:5009",
    )


def beat(node_id: str = "node-1", version: str = __version__, applied: int = 0) -> Heartbeat:
    return Heartbeat(
        node_id=node_id, sent=0.0, platform_version=version, applied_config_version=applied
    )


def sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def node_row(session: Session, name: str = "node-1") -> Node:
    """The node as the database holds it (not as the session remembers it)."""
    session.expire_all()
    node = session.scalars(select(Node).where(Node.name == name)).one()
    return node


def enrolled(session: Session, clock: ManualClock, name: str = "node-1") -> EnrolReply:
    token = registry.create_node(session, clock, name).token
    return registry.enrol(session, clock, request(token, name), PEM, MASTER_ID)


# --- enrolment -----------------------------------------------------------------------------


def test_create_node_stores_only_the_hash_of_its_token(
    session: Session, clock: ManualClock
) -> None:
    issued = registry.create_node(session, clock, "node-1", description="Gate house")

    node = node_row(session)
    assert node.state == NodeState.PENDING
    assert node.description == "Gate house"
    assert node.enrolment_token_hash == sha256(issued.token) != issued.token
    assert node.enrolment_expires == issued.expires == instant(clock) + registry.ENROLMENT_TTL
    assert issued.node_id == "node-1"
    assert node.credential_hash is None


def test_enrolment_records_the_node_and_issues_a_credential(
    session: Session, clock: ManualClock
) -> None:
    token = registry.create_node(session, clock, "node-1").token
    clock.advance(60)

    reply = registry.enrol(session, clock, request(token), PEM, MASTER_ID)

    assert reply.node_id == "node-1"
    assert reply.master_public_key == PEM
    assert reply.master_id == MASTER_ID
    assert reply.protocol_version == PROTOCOL_VERSION
    assert len(reply.credential) >= 40
    node = node_row(session)
    assert node.state == NodeState.ENROLLED
    assert node.state_reason == ""
    assert node.credential_hash == sha256(reply.credential) != reply.credential
    assert node.enrolment_token_hash is None
    assert node.enrolment_expires is None
    assert node.platform_version == __version__
    assert node.architecture == "x86_64"
    assert node.os == "Linux 6.1 (Debian 12)"
    assert node.wheel_tags == TAGS
    assert node.listen_address == "http://10.0.0.7:5009"
    assert node.last_heartbeat == instant(clock)


def test_unknown_token_is_refused(session: Session, clock: ManualClock) -> None:
    registry.create_node(session, clock, "node-1")

    with pytest.raises(EnrolmentRefused, match="unknown or already used"):
        registry.enrol(session, clock, request("not-a-token"), PEM, MASTER_ID)
    assert node_row(session).state == NodeState.PENDING


def test_used_token_is_refused(session: Session, clock: ManualClock) -> None:
    token = registry.create_node(session, clock, "node-1").token
    first = registry.enrol(session, clock, request(token), PEM, MASTER_ID)

    with pytest.raises(EnrolmentRefused, match="unknown or already used"):
        registry.enrol(session, clock, request(token), PEM, MASTER_ID)
    assert node_row(session).credential_hash == sha256(first.credential)


def test_expired_token_is_refused(session: Session, clock: ManualClock) -> None:
    token = registry.create_node(session, clock, "node-1", ttl=dt.timedelta(hours=1)).token
    clock.advance(3600)

    with pytest.raises(EnrolmentRefused, match="expired"):
        registry.enrol(session, clock, request(token), PEM, MASTER_ID)
    assert node_row(session).state == NodeState.PENDING


def test_token_is_valid_until_it_expires(session: Session, clock: ManualClock) -> None:
    token = registry.create_node(session, clock, "node-1", ttl=dt.timedelta(hours=1)).token
    clock.advance(3599)

    registry.enrol(session, clock, request(token), PEM, MASTER_ID)
    assert node_row(session).state == NodeState.ENROLLED


def test_token_for_another_node_is_refused(session: Session, clock: ManualClock) -> None:
    token = registry.create_node(session, clock, "node-1").token
    registry.create_node(session, clock, "node-2")

    with pytest.raises(EnrolmentRefused, match="'node-1', not 'node-2'"):
        registry.enrol(session, clock, request(token, "node-2"), PEM, MASTER_ID)
    assert node_row(session, "node-2").state == NodeState.PENDING


def test_a_new_token_replaces_the_old_one(session: Session, clock: ManualClock) -> None:
    old = registry.create_node(session, clock, "node-1").token
    new = registry.issue_enrolment_token(session, clock, "node-1").token

    with pytest.raises(EnrolmentRefused):
        registry.enrol(session, clock, request(old), PEM, MASTER_ID)
    registry.enrol(session, clock, request(new), PEM, MASTER_ID)


def test_node_names_are_unique_and_valid(session: Session, clock: ManualClock) -> None:
    registry.create_node(session, clock, "node-1")

    with pytest.raises(Conflict):
        registry.create_node(session, clock, "node-1")
    with pytest.raises(Conflict):
        registry.create_node(session, clock, "NODE-1")
    with pytest.raises(Invalid):
        registry.create_node(session, clock, "node 1")
    with pytest.raises(Invalid, match="lifetime"):
        registry.create_node(session, clock, "node-2", ttl=dt.timedelta(0))
    assert session.scalar(select(func.count()).select_from(Node)) == 1
    with pytest.raises(NotFound):
        registry.issue_enrolment_token(session, clock, "node-9")


# --- version policy ------------------------------------------------------------------------


def test_a_version_8_master_accepting_6_to_8_refuses_5(
    session: Session, clock: ManualClock
) -> None:
    registry.set_version_policy(session, ">=6,<9")
    token = registry.create_node(session, clock, "node-1").token

    with pytest.raises(VersionRefused) as refused:
        registry.enrol(session, clock, request(token, version="5.2"), PEM, MASTER_ID)

    message = str(refused.value)
    assert "5.2" in message
    assert ">=6,<9" in message
    assert __version__ in message
    node = node_row(session)
    assert node.state == NodeState.REFUSED
    assert node.state_reason == message
    assert node.platform_version == "5.2"
    assert node.credential_hash is None
    # The node upgrades and enrols with the same token.
    registry.enrol(session, clock, request(token, version="8.1"), PEM, MASTER_ID)
    assert node_row(session).state == NodeState.ENROLLED


@pytest.mark.parametrize(
    ("version", "accepted"),
    [
        ("5.2", False),
        ("5.99.1", False),
        ("6.0", True),
        ("7.4.1", True),
        ("8.9.9", True),
        ("8.1rc1", True),
        ("9.0", False),
        ("9.0a1", False),
    ],
)
def test_version_policy_range(version: str, accepted: bool) -> None:
    policy = registry.VersionPolicy(">=6,<9", master_version="8.0")

    refusal = policy.refusal(version)

    assert (refusal is None) is accepted
    if refusal is not None:
        assert refusal == (
            f"node version {version} is outside >=6,<9, the node versions this master "
            "(version 8.0) accepts"
        )


def test_malformed_version_is_refused(session: Session, clock: ManualClock) -> None:
    token = registry.create_node(session, clock, "node-1").token

    with pytest.raises(VersionRefused, match="'six-ish' is not a valid version"):
        registry.enrol(session, clock, request(token, version="six-ish"), PEM, MASTER_ID)
    assert node_row(session).state == NodeState.REFUSED


def test_default_policy_accepts_this_platform(session: Session) -> None:
    policy = registry.version_policy(session)

    assert policy.spec == registry.DEFAULT_VERSION_POLICY
    assert policy.refusal(__version__) is None


def test_set_version_policy_validates_and_stores(session: Session) -> None:
    with pytest.raises(Invalid, match="not a valid version policy"):
        registry.set_version_policy(session, ">=6,,banana")

    registry.set_version_policy(session, ">=6,<9")
    registry.set_version_policy(session, " >=7,<9 ")

    session.expire_all()
    rows = session.scalars(select(Setting).where(Setting.key == registry.VERSION_POLICY_KEY))
    assert [row.value for row in rows] == [">=7,<9"]
    assert registry.version_policy(session).spec == ">=7,<9"


# --- heartbeats ----------------------------------------------------------------------------


def test_heartbeat_updates_the_node(session: Session, clock: ManualClock) -> None:
    credential = enrolled(session, clock).credential
    node_row(session).desired_config_version = 4
    clock.advance(10)

    reply = registry.heartbeat(session, clock, credential, beat(version="0.1.1", applied=3))

    assert reply.master_time == clock.now()
    assert reply.desired_config_version == 4
    assert reply.must_re_enrol is False
    node = node_row(session)
    assert node.last_heartbeat == instant(clock)
    assert node.platform_version == "0.1.1"
    assert node.applied_config_version == 3


def test_heartbeat_with_a_wrong_credential_is_refused(session: Session, clock: ManualClock) -> None:
    credential = enrolled(session, clock).credential
    before = node_row(session).last_heartbeat
    clock.advance(10)

    with pytest.raises(NodeAuthenticationFailed):
        registry.heartbeat(session, clock, credential + "x", beat())
    with pytest.raises(NodeAuthenticationFailed):
        registry.heartbeat(session, clock, credential, beat(node_id="node-2"))
    assert node_row(session).last_heartbeat == before


def test_heartbeat_of_a_node_never_enrolled_is_refused(
    session: Session, clock: ManualClock
) -> None:
    registry.create_node(session, clock, "node-1")

    with pytest.raises(NodeAuthenticationFailed):
        registry.heartbeat(session, clock, "", beat())


def test_heartbeat_outside_a_new_policy_is_refused_then_accepted_again(
    session: Session, clock: ManualClock
) -> None:
    credential = enrolled(session, clock).credential
    registry.set_version_policy(session, ">=6,<9")

    with pytest.raises(VersionRefused, match=r"0\.1\.0 is outside >=6,<9"):
        registry.heartbeat(session, clock, credential, beat(version="0.1.0"))
    assert node_row(session).state == NodeState.REFUSED

    clock.advance(5)
    registry.heartbeat(session, clock, credential, beat(version="6.0.0"))
    node = node_row(session)
    assert (node.state, node.state_reason) == (NodeState.ENROLLED, "")
    assert node.last_heartbeat == instant(clock)


def test_disabled_node_is_refused(session: Session, clock: ManualClock) -> None:
    credential = enrolled(session, clock).credential
    node = node_row(session)
    node.state, node.state_reason = NodeState.DISABLED, "replaced by node-2"

    with pytest.raises(NodeRefused, match="disabled: replaced by node-2"):
        registry.heartbeat(session, clock, credential, beat())


def test_new_enrolment_token_asks_the_node_to_enrol_again(
    session: Session, clock: ManualClock
) -> None:
    old = enrolled(session, clock).credential
    token = registry.issue_enrolment_token(session, clock, "node-1").token
    before = node_row(session).last_heartbeat
    clock.advance(10)

    reply = registry.heartbeat(session, clock, old, beat())

    assert reply.must_re_enrol is True
    assert node_row(session).last_heartbeat == before
    new = registry.enrol(session, clock, request(token), PEM, MASTER_ID).credential
    with pytest.raises(NodeAuthenticationFailed):
        registry.heartbeat(session, clock, old, beat())
    assert registry.heartbeat(session, clock, new, beat()).must_re_enrol is False


# --- clock offsets -------------------------------------------------------------------------


def offset(seconds: float) -> Estimate:
    return Estimate(offset=seconds, error=0.002, samples=8, spread=0.001)


def clock_events(session: Session) -> list[WatchdogEvent]:
    session.expire_all()
    query = select(WatchdogEvent).where(WatchdogEvent.kind == WatchdogKind.CLOCK_OFFSET)
    return list(session.scalars(query.order_by(WatchdogEvent.id)))


def test_clock_offset_beyond_threshold_raises_an_event_until_back_within(
    session: Session, clock: ManualClock
) -> None:
    enrolled(session, clock)
    node = node_row(session)

    assert registry.record_clock_offset(session, clock, node, offset(0.4), threshold=1.0) is None
    assert clock_events(session) == []
    assert node_row(session).clock_offset_us == 400_000

    clock.advance(60)
    opened = registry.record_clock_offset(session, clock, node, offset(-2.5), threshold=1.0)
    clock.advance(60)
    again = registry.record_clock_offset(session, clock, node, offset(-3.0), threshold=1.0)

    assert opened is not None and again is None
    [event] = clock_events(session)
    assert (event.node_id, event.source, event.ended) == (node.id, "node-1", None)
    assert event.started == instant(clock) - dt.timedelta(seconds=60)
    assert event.details == {"offset": -2.5, "error": 0.002, "samples": 8, "threshold": 1.0}
    stored = node_row(session)
    assert stored.clock_offset_us == -3_000_000
    assert stored.clock_measured == instant(clock)

    clock.advance(60)
    ended = registry.record_clock_offset(session, clock, stored, offset(0.01), threshold=1.0)
    assert ended is not None
    [event] = clock_events(session)
    assert event.ended == instant(clock)


def test_heartbeats_leave_clock_offset_events_alone(session: Session, clock: ManualClock) -> None:
    credential = enrolled(session, clock).credential
    registry.record_clock_offset(session, clock, node_row(session), offset(5.0))

    registry.heartbeat(session, clock, credential, beat())

    [event] = clock_events(session)
    assert event.ended is None
    count = session.scalar(select(func.count()).select_from(WatchdogEvent))
    assert count == 1
