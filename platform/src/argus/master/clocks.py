"""The master measures each online node's clock offset and keeps it for the node.

The :class:`ClockWatch` thread looks every few seconds for nodes that heartbeated
recently and whose offset was not measured in the last ``clock_sync_seconds`` (a newly
enrolled node is measured within seconds of its first heartbeat). For each it runs a
few NTP-style exchanges with the node's ``GET /api/v1/clock``
(:func:`argus.clocksync.estimate`: the exchange with the shortest round trip wins) and
stores the result (:func:`argus.master.services.registry.record_clock_offset`), which
opens a ``clock-offset`` watchdog event while the offset exceeds the threshold. The
node learns its offset from its next heartbeat reply and corrects its recording
timestamps by it.

The master calls the node with a token it signs for that node, carrying no rights:
the node's clock route needs only an authenticated caller.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

import httpx
from pydantic import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError

from argus.clocksync import Estimate, estimate
from argus.master.db import Node
from argus.master.db.enums import NodeState
from argus.master.db.types import instant
from argus.master.runtime import Master
from argus.master.services import registry
from argus.protocol import ClockReading

log = logging.getLogger("argus.master.clocks")

#: Exchanges per measurement; the one with the shortest round trip is kept.
SAMPLES = 8
#: Seconds one exchange may take before the measurement of that node is abandoned.
EXCHANGE_TIMEOUT = 3.0
#: The user name the node sees on the master's clock token (in its logs, never audited).
MASTER_CALLER = "master"
#: Longest wait between two looks for nodes whose measurement is due.
TICK = 5.0


class ClockUnreachable(Exception):
    """The node's clock could not be read; the message says why."""


def node_base_url(listen_address: str) -> str:
    """The node API's base URL from what the node gave at enrolment (a URL, or an older
    ``host:port``)."""
    address = listen_address.rstrip("/")
    return address if "://" in address else f"http://{address}"


class ClockWatch:
    """Measures each online node's clock offset every ``master.clock_sync_seconds``.

    :param client: HTTP client for calling nodes (tests pass one with an ASGI transport).
    """

    def __init__(self, master: Master, *, client: httpx.Client | None = None) -> None:
        self._master = master
        self._http = client or httpx.Client(timeout=EXCHANGE_TIMEOUT)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="clock-watch", daemon=True)
        self._failing: set[str] = set()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._http.close()

    def measure(self, name: str, address: str) -> Estimate:
        """The clock offset of node ``name`` whose API is at ``address``.

        :raises ClockUnreachable: the node did not answer, refused, or answered nonsense.
        """
        token = self._master.issuer.issue(
            user_id=MASTER_CALLER, user_name=MASTER_CALLER, node_id=name, rights={}
        )
        url = f"{node_base_url(address)}/api/v1/clock"
        headers = {"Authorization": f"Bearer {token}"}

        def ask() -> tuple[float, float]:
            response = self._http.get(url, headers=headers)
            response.raise_for_status()
            reading = ClockReading.model_validate(response.json())
            return reading.received, reading.replied

        try:
            return estimate(ask, self._master.clock, samples=SAMPLES)
        except httpx.HTTPStatusError as exc:
            raise ClockUnreachable(f"{url} answered HTTP {exc.response.status_code}") from exc
        except httpx.HTTPError as exc:
            raise ClockUnreachable(f"{url}: {exc}") from exc
        except (ValidationError, ValueError) as exc:
            raise ClockUnreachable(f"{url} did not return a clock reading") from exc

    def measure_due(self, *, everyone: bool = False) -> dict[str, Estimate]:
        """Measure the online nodes (heartbeat within the offline timeout) whose offset is
        older than ``clock_sync_seconds`` (or all of them) and store the offsets.

        Nodes that cannot be reached are logged, once until they answer again.
        """
        measured: dict[str, Estimate] = {}
        for name, address in self._online_nodes(everyone):
            if self._stop.is_set():
                break
            try:
                result = self.measure(name, address)
            except ClockUnreachable as exc:
                if name not in self._failing:
                    log.warning("cannot measure the clock of node %s: %s", name, exc)
                    self._failing.add(name)
                continue
            self._failing.discard(name)
            self._store(name, result)
            measured[name] = result
        return measured

    def _online_nodes(self, everyone: bool) -> list[tuple[str, str]]:
        now = instant(self._master.clock)
        since = now - dt.timedelta(seconds=self._master.offline_timeout)
        stale = now - dt.timedelta(seconds=self._master.clock_sync_seconds)
        query = select(Node.name, Node.listen_address).where(
            Node.state == NodeState.ENROLLED,
            Node.last_heartbeat >= since,
            Node.listen_address.is_not(None),
        )
        if not everyone:
            query = query.where(or_(Node.clock_measured.is_(None), Node.clock_measured <= stale))
        with self._master.session() as session:
            rows = session.execute(query.order_by(Node.name)).all()
        return [(name, address) for name, address in rows if address]

    def _store(self, name: str, result: Estimate) -> None:
        with self._master.session() as session:
            node = session.scalars(
                select(Node).where(Node.name == name).with_for_update()
            ).one_or_none()
            if node is None:  # removed while measured
                return
            event = registry.record_clock_offset(
                session,
                self._master.clock,
                node,
                result,
                threshold=self._master.clock_offset_threshold,
            )
            session.commit()
        if event is not None and event.ended is None:
            log.warning(
                "node %s clock is %+.3f s off the master's (± %.3f s)",
                name,
                result.offset,
                result.error,
            )

    def _run(self) -> None:
        tick = min(TICK, self._master.clock_sync_seconds)
        while True:
            self._guarded(self.measure_due)
            if self._stop.wait(tick):
                return

    def _guarded(self, job: Callable[[], object]) -> None:
        try:
            job()
        except SQLAlchemyError:
            log.exception("clock measurement failed; retrying next round")
