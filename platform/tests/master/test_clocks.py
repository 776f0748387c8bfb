"""The master's clock measurement against real node APIs (in-process), on each engine.

Two nodes run the real node app, each on a manual clock: one 4 s ahead of the master,
one true. The master reaches them through an HTTP transport that routes by port.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from argus.clocksync import CorrectedClock
from argus.kernel import Kernel
from argus.master.clocks import ClockUnreachable, ClockWatch, node_base_url
from argus.master.config import MasterConfig, MasterSection
from argus.master.db import Node as NodeRow
from argus.master.db import WatchdogEvent
from argus.master.db.enums import WatchdogKind
from argus.master.runtime import ADMIN_PASSWORD_ENV, Master
from argus.master.services import registry
from argus.node.api import NodeAuth, create_app
from argus.node.config import NodeConfig
from argus.node.runtime import Node
from argus.node.status import RateSampler
from argus.protocol import EnrolRequest, Heartbeat
from argus.security.tokens import TokenVerifier, load_public_key
from argus_sdk.testing import ManualClock

T0 = 1_800_000_000.0
#: node id → (port, how far its clock is ahead of the master's)
NODES = {"ahead": (7001, 4.0), "true": (7002, 0.0)}
#: node id → its credential at the master (filled by the ``nodes`` fixture)
CREDENTIALS: dict[str, str] = {}


@pytest.fixture(scope="module")
def master(migrated: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Master]:
    data: Path = tmp_path_factory.mktemp("master")
    config = MasterConfig(
        master=MasterSection(id="m", data_dir=data, clock_sync_seconds=60, offline_seconds=30)
    )
    master = Master(config, engine=migrated, clock=ManualClock(T0))
    master.start({ADMIN_PASSWORD_ENV: "a password for the test"})
    yield master
    master.close()


@pytest.fixture(scope="module")
def nodes(
    master: Master, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, TestClient]]:
    """The node apps by port, enrolled at the master and heartbeating once."""
    clients: dict[str, TestClient] = {}
    running: list[Node] = []
    for name, (port, ahead) in NODES.items():
        with master.session() as session:
            token = registry.create_node(session, master.clock, name).token
            request = EnrolRequest(
                token=token,
                node_id=name,
                platform_version="0.1.0",
                architecture="x86_64",
                os="Linux",
                listen_address=f"http://127.0.0.1:{port}",
            )
            reply = registry.enrol(session, master.clock, request, master.public_key_pem, "m")
            beat = Heartbeat(node_id=name, sent=T0, platform_version="0.1.0")
            assert (
                registry.heartbeat(session, master.clock, reply.credential, beat).clock_offset
                is None
            )
            CREDENTIALS[name] = reply.credential
            session.commit()
        clock = CorrectedClock(ManualClock(T0 + ahead))
        config = NodeConfig.model_validate(
            {
                "node": {"id": name, "data_dir": str(tmp_path_factory.mktemp(name))},
                "storage": None,
            }
        )
        node = Node(Kernel(enabled=set()), config, clock=clock)
        running.append(node)
        verifier = TokenVerifier(load_public_key(master.public_key_pem), name, clock)
        app = create_app(node, NodeAuth("local token", verifier), RateSampler(node.workers))
        clients[str(port)] = TestClient(app)
    yield clients
    for node in running:
        node.stop()


def routed(nodes: dict[str, TestClient]) -> httpx.Client:
    """An HTTP client whose requests reach the node app listening on the URL's port."""

    def handle(request: httpx.Request) -> httpx.Response:
        app = nodes.get(str(request.url.port))
        if app is None:
            raise httpx.ConnectError("connection refused", request=request)
        reply = app.request(
            request.method, request.url.raw_path.decode(), headers=dict(request.headers)
        )
        return httpx.Response(reply.status_code, content=reply.content, headers=reply.headers)

    return httpx.Client(transport=httpx.MockTransport(handle))


def test_offsets_are_measured_stored_and_reported_beyond_the_threshold(
    master: Master, nodes: dict[str, TestClient]
) -> None:
    watch = ClockWatch(master, client=routed(nodes))
    measured = watch.measure_due()
    assert set(measured) == {"ahead", "true"}
    assert measured["ahead"].offset == pytest.approx(4.0)
    assert measured["true"].offset == pytest.approx(0.0)
    assert measured["ahead"].samples == 8
    with master.session() as session:
        rows = {n.name: n for n in session.scalars(select(NodeRow))}
        assert rows["ahead"].clock_offset_us == 4_000_000
        assert rows["true"].clock_offset_us == 0
        events = session.scalars(
            select(WatchdogEvent).where(WatchdogEvent.kind == WatchdogKind.CLOCK_OFFSET)
        ).all()
        assert [(e.source, e.ended) for e in events] == [("ahead", None)]
        assert events[0].details["offset"] == pytest.approx(4.0)
    # Measured just now: nothing is due until clock_sync_seconds have passed.
    assert watch.measure_due() == {}
    assert set(watch.measure_due(everyone=True)) == {"ahead", "true"}
    # The next heartbeat hands the node its offset.
    with master.session() as session:
        beat = Heartbeat(node_id="ahead", sent=T0, platform_version="0.1.0")
        reply = registry.heartbeat(session, master.clock, CREDENTIALS["ahead"], beat)
        session.commit()
    assert reply.clock_offset == pytest.approx(4.0)


def test_a_node_that_stopped_heartbeating_is_not_measured(
    master: Master, nodes: dict[str, TestClient]
) -> None:
    with master.session() as session:
        row = session.scalars(select(NodeRow).where(NodeRow.name == "true")).one()
        row.last_heartbeat = row.last_heartbeat - dt.timedelta(minutes=5)  # type: ignore[operator]
        session.commit()
    try:
        watch = ClockWatch(master, client=routed(nodes))
        assert set(watch.measure_due(everyone=True)) == {"ahead"}
    finally:
        with master.session() as session:
            row = session.scalars(select(NodeRow).where(NodeRow.name == "true")).one()
            row.last_heartbeat = row.last_heartbeat + dt.timedelta(minutes=5)  # type: ignore[operator]
            session.commit()


def test_unreachable_and_refusing_nodes_are_reported_once_not_raised(
    master: Master, nodes: dict[str, TestClient], caplog: pytest.LogCaptureFixture
) -> None:
    watch = ClockWatch(master, client=routed({}))
    with caplog.at_level(logging.WARNING, "argus.master.clocks"):
        assert watch.measure_due(everyone=True) == {}
        assert watch.measure_due(everyone=True) == {}
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2  # one per node, not one per round
    assert all("cannot measure the clock" in w for w in warnings)

    # A token signed for one node is refused by another: the node's 401 is the reason.
    watch = ClockWatch(master, client=routed(nodes))
    with pytest.raises(ClockUnreachable, match="HTTP 401"):
        watch.measure("ahead", "http://127.0.0.1:7002")


def test_the_clock_route_needs_a_caller(nodes: dict[str, TestClient]) -> None:
    client = nodes["7001"]
    assert client.get("/api/v1/clock").status_code == 401
    reply = client.get("/api/v1/clock", headers={"Authorization": "Bearer local token"})
    assert reply.status_code == 200
    assert reply.json() == {"received": T0 + 4.0, "replied": T0 + 4.0}


def test_older_nodes_gave_host_and_port_only() -> None:
    assert node_base_url("10.0.0.7:5009") == "http://10.0.0.7:5009"
    assert node_base_url("https://n1.example:5009/") == "https://n1.example:5009"
