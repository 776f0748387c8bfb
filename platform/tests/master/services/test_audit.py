"""The audit trail: written, queried, exported as CSV, and free of secrets, on every engine."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from sqlalchemy.orm import Session

from argus.master.db.enums import ActorKind, AuditResult, NodeState
from argus.master.db.models import AppUser, AuditEntry, Camera, Device, Node, Profile, UserSession
from argus.master.services import audit
from argus.master.services.audit import SECRET, SYSTEM, Actor, Target
from argus.master.services.errors import Invalid
from argus_sdk.testing import ManualClock

UTC = dt.UTC
ALICE = Actor(ActorKind.USER, 7, "alice", "10.0.0.7")
NODE = Actor(ActorKind.NODE, 3, "node-1")
HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1_700_000_000.0)


def add(session: Session, clock: ManualClock, **kwargs: object) -> AuditEntry:
    """Record an entry one second after the previous one."""
    clock.advance(1)
    fields: dict[str, object] = {"actor": ALICE, "action": "camera.update"} | kwargs
    return audit.record(session, clock, **fields)  # type: ignore[arg-type]


def test_an_entry_keeps_every_field(session: Session, clock: ManualClock) -> None:
    before, after = {"name": "Entrée", "fps": 25}, {"name": "Entrée 東京", "fps": 12.5}
    entry = add(
        session,
        clock,
        target=Target("camera", "entrance", "Entrance"),
        before=before,
        after=after,
        result="failed",
        detail="driver said no",
        node="node-1",
    )
    session.commit()
    session.expunge_all()
    (again,) = audit.query(session)
    assert again.id == entry.id
    assert again.at == dt.datetime.fromtimestamp(clock.now(), UTC)
    assert (again.actor_kind, again.actor_id, again.actor_name) == (ActorKind.USER, 7, "alice")
    assert again.client_address == "10.0.0.7"  # the actor's address by default
    assert (again.target_kind, again.target_id, again.target_name) == (
        "camera",
        "entrance",
        "Entrance",
    )
    assert (again.before, again.after) == (before, after)
    assert (again.result, again.detail, again.node) == (
        AuditResult.FAILED,
        "driver said no",
        "node-1",
    )


def test_overlong_values_are_cut_not_refused(session: Session, clock: ManualClock) -> None:
    """A failed login with an absurd user name must still be recorded (PostgreSQL and
    MariaDB refuse values longer than the column)."""
    entry = add(
        session,
        clock,
        actor=Actor(ActorKind.USER, None, "x" * 10_000),
        target=Target("user", "9" * 100, "n" * 300),
        client="a" * 100,
        detail="d" * 5000,
    )
    session.commit()
    session.expire_all()
    assert len(entry.actor_name) == 255
    assert len(entry.detail) == 1024
    assert entry.client_address is not None and len(entry.client_address) == 64
    assert entry.target_id is not None and len(entry.target_id) == 64


def test_query_filters_and_orders_newest_first(session: Session, clock: ManualClock) -> None:
    first = add(session, clock, action="login")
    t1 = dt.datetime.fromtimestamp(clock.now(), UTC)
    second = add(session, clock, actor=NODE, action="playback", target=Target("camera", "c1"))
    third = add(session, clock, actor=SYSTEM, action="user.create", target=Target("user", "5"))
    fourth = add(session, clock, action="user.delete", result=AuditResult.DENIED)
    t4 = dt.datetime.fromtimestamp(clock.now(), UTC)
    session.commit()

    def ids(**kwargs: object) -> list[int]:
        return [e.id for e in audit.query(session, **kwargs)]  # type: ignore[arg-type]

    assert ids() == [fourth.id, third.id, second.id, first.id]
    assert ids(since=t1, until=t4) == [third.id, second.id, first.id]
    assert ids(actor=ALICE) == [fourth.id, first.id]
    assert ids(actor="node-1") == [second.id]
    assert ids(actor=SYSTEM) == [third.id]
    assert ids(action="user.*") == [fourth.id, third.id]
    assert ids(action="user") == []
    assert ids(target_kind="camera", target_id="c1") == [second.id]
    assert ids(result="denied") == [fourth.id]
    assert ids(limit=2) == [fourth.id, third.id]
    assert ids(limit=2, offset=2) == [second.id, first.id]


def test_entries_in_the_same_instant_keep_write_order(session: Session, clock: ManualClock) -> None:
    entries = [audit.record(session, clock, actor=SYSTEM, action=f"a{i}") for i in range(3)]
    assert [e.id for e in audit.query(session)] == [e.id for e in reversed(entries)]


def test_action_prefix_is_not_a_pattern(session: Session, clock: ManualClock) -> None:
    add(session, clock, action="user_x")
    assert audit.query(session, action="user.*") == []


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (10_001, 0), (10, -1)])
def test_query_refuses_silly_pages(session: Session, limit: int, offset: int) -> None:
    with pytest.raises(Invalid, match="limit"):
        audit.query(session, limit=limit, offset=offset)


def test_csv_is_rfc4180_with_iso_times_and_compact_json(
    session: Session, clock: ManualClock
) -> None:
    entry = add(
        session,
        clock,
        target=Target("camera", "c1", 'Hall, "north"\nside'),
        before={"name": "a", "n": [1, 2]},
        after={"name": "b"},
    )
    text = audit.to_csv([entry])
    assert text.startswith(",".join(audit.CSV_COLUMNS) + "\r\n")
    assert text.endswith("\r\n")
    header, row = list(csv.reader(io.StringIO(text, newline="")))
    cells = dict(zip(header, row, strict=True))
    assert cells["at"] == "2023-11-14T22:13:21.000000Z"
    assert cells["target_name"] == 'Hall, "north"\nside'
    assert cells["before"] == '{"n":[1,2],"name":"a"}'
    assert json.loads(cells["after"]) == {"name": "b"}
    assert cells["actor_id"] == "7" and cells["result"] == "ok"


@pytest.mark.parametrize(
    "payload",
    ['=HYPERLINK("http://x","y")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1"],
)
def test_csv_defuses_spreadsheet_formulas(
    session: Session, clock: ManualClock, payload: str
) -> None:
    entry = add(
        session,
        clock,
        actor=Actor(ActorKind.USER, None, payload),
        target=Target("camera", payload, payload),
        detail=payload,
    )
    header, row = list(csv.reader(io.StringIO(audit.to_csv([entry]), newline="")))
    cells = dict(zip(header, row, strict=True))
    for column in ("actor_name", "target_id", "target_name", "detail"):
        assert cells[column] == "'" + payload, column


def test_csv_leaves_harmless_text_alone(session: Session, clock: ManualClock) -> None:
    entry = add(session, clock, detail="a=b, c-d @e")
    header, row = list(csv.reader(io.StringIO(audit.to_csv([entry]), newline="")))
    assert dict(zip(header, row, strict=True))["detail"] == "a=b, c-d @e"


def test_snapshot_of_a_user_hides_the_password_hash(session: Session) -> None:
    user = AppUser(
        username="alice",
        password_hash=HASH,
        profile=Profile(name="p"),
        locked_until=dt.datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
    )
    session.add(user)
    session.flush()
    state = audit.snapshot(user)
    assert state["password_hash"] == SECRET
    assert state["username"] == "alice"
    assert state["locked_until"] == "2024-05-01T12:00:00.000000Z"
    assert HASH not in json.dumps(state)


def test_a_missing_secret_stays_visible_as_none(session: Session) -> None:
    user = AppUser(username="svc", password_hash=None, profile=Profile(name="p"))
    session.add(user)
    session.flush()
    assert audit.snapshot(user)["password_hash"] is None


def test_snapshot_hides_node_device_and_session_secrets(session: Session) -> None:
    node = Node(
        name="node-1",
        enrolment_token_hash="tokenhash",
        credential_hash="credhash",
        state=NodeState.ENROLLED,
    )
    device = Device(
        node=node,
        ident="d1",
        name="d1",
        driver="rtsp",
        credentials=b"\x01ciphertext",
        settings={"url": "rtsp://x", "password": "hunter2", "auth": {"admin_password": "pw"}},
    )
    camera = Camera(device=device, channel=0, ident="c1", name="c1")
    user = AppUser(username="bob", password_hash=HASH, profile=Profile(name="p"))
    row = UserSession(
        user=user, secret_hash="sessionhash", expires=dt.datetime(2030, 1, 1, tzinfo=UTC)
    )
    session.add_all([camera, row])
    session.flush()
    node_state, device_state = audit.snapshot(node), audit.snapshot(device)
    assert node_state["enrolment_token_hash"] == node_state["credential_hash"] == SECRET
    assert node_state["state"] == "enrolled"
    assert device_state["credentials"] == SECRET
    assert device_state["settings"] == {
        "url": "rtsp://x",
        "password": SECRET,
        "auth": {"admin_password": SECRET},
    }
    assert audit.snapshot(row)["secret_hash"] == SECRET
    everything = json.dumps([node_state, device_state, audit.snapshot(row)])
    for secret in ("tokenhash", "credhash", "ciphertext", "hunter2", "sessionhash"):
        assert secret not in everything


def test_record_redacts_hand_made_before_and_after(session: Session, clock: ManualClock) -> None:
    entry = add(session, clock, before={"password_hash": HASH}, after={"password": "hunter2"})
    session.commit()
    session.expire_all()
    assert entry.before == {"password_hash": SECRET}
    assert entry.after == {"password": SECRET}
    assert HASH not in audit.to_csv([entry]) and "hunter2" not in audit.to_csv([entry])


def test_targets_name_objects_as_users_and_nodes_know_them(session: Session) -> None:
    node = Node(name="node-1")
    device = Device(node=node, ident="enc1", name="Encoder", driver="rtsp")
    camera = Camera(device=device, channel=2, ident="enc1-ch2", name="Gate")
    session.add(camera)
    session.flush()
    assert Target.of(camera) == Target("camera", "enc1-ch2", "Gate")
    assert Target.of(device) == Target("device", "enc1", "Encoder")
    assert Target.of(node) == Target("node", "node-1", "node-1")
