"""The node's link to its master: enrolment, then heartbeats.

On first start with a ``[node] master_url`` and an enrolment token, the node
enrols and keeps what the master returns in its data directory: the node
credential (0600) and the master's public key, with which it verifies the
tokens users bring. Then it sends a heartbeat every ``heartbeat_seconds``:
every stream's state and every disk. The master being away never stops
recording; the node retries and logs each outage once.

Heartbeat replies carry the node's clock offset as the master measured it; when the
node's clock is a :class:`~argus.clocksync.CorrectedClock` the offset is applied to it,
kept in the data directory for the next start, and a change of more than
:data:`CLOCK_STEP` seconds reopens each stream at its next keyframe so that recordings
take the corrected time at once (smaller changes apply at the next reconnection: a
connection's timestamps never step).
"""

from __future__ import annotations

import collections
import logging
import os
import platform as host
import threading
from pathlib import Path

import httpx
from packaging.tags import sys_tags
from pydantic import ValidationError

from argus import __version__
from argus.clocksync import CorrectedClock
from argus.node.config import DeviceSection
from argus.node.runtime import Node
from argus.node.updates import PluginUpdates
from argus.protocol import (
    AuditReport,
    DiskReport,
    EnrolReply,
    EnrolRequest,
    Heartbeat,
    HeartbeatReply,
    NodeDesiredConfig,
    StreamReport,
)
from argus.repository import PackageUpdater
from argus_sdk import API_VERSION, ConfigurationError, Event

log = logging.getLogger("argus.node.uplink")

CREDENTIAL_FILE = "master-credential"
AUDIT_BACKLOG = 10_000  # uses of video kept while the master is away (oldest dropped)
AUDIT_PER_HEARTBEAT = 1000
MASTER_KEY_FILE = "master-public-key.pem"
REPOSITORY_ROOT_FILE = "repository-root.json"
REPOSITORY_DIR = "repository"  # the TUF metadata this node trusts
CLOCK_OFFSET_FILE = "clock-offset"
#: Seconds of change in the clock correction that make streams reopen at once.
CLOCK_STEP = 0.5


def load_clock_offset(data_dir: Path) -> float:
    """The clock offset the master last sent (seconds), or 0 when none is known."""
    try:
        return float((data_dir / CLOCK_OFFSET_FILE).read_text().strip())
    except (OSError, ValueError):
        return 0.0


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


class Uplink:
    """Enrols the node and keeps heartbeating. ``start``/``stop`` from the main thread."""

    def __init__(
        self,
        node: Node,
        master_url: str,
        *,
        interval: float = 5.0,
        client: httpx.Client | None = None,
    ) -> None:
        self._node = node
        #: Installs the plugin packages the master asks for (see :meth:`manage_plugins`).
        self.updates: PluginUpdates | None = None
        self._tags_sent = False
        # Idle connections are dropped after 2 s, before the master's server drops them
        # (5 s): a heartbeat must never go out on a connection being closed under it.
        self._http = client or httpx.Client(
            base_url=master_url.rstrip("/"),
            timeout=10,
            limits=httpx.Limits(keepalive_expiry=2.0),
        )
        self._interval = interval
        self._shared_client = client is not None  # given (tests): the updater uses it too
        self._dir = node.host.data_dir
        self._stop = threading.Event()
        self._nudged = threading.Event()  # send the next heartbeat now
        self._thread = threading.Thread(target=self._run, name="uplink", daemon=True)
        self.last_reply: HeartbeatReply | None = None
        self.applied_version: int | None = None
        self._audit: collections.deque[AuditReport] = collections.deque(maxlen=AUDIT_BACKLOG)
        self._audit_lock = threading.Lock()
        self._reachable = True
        node.events.subscribe(self._collect_audit)

    def _collect_audit(self, event: Event) -> None:
        """Keep uses of video (``argus.audit.*`` events) until a heartbeat delivers them."""
        if not event.topic.startswith("argus.audit."):
            return
        data = dict(event.data)
        cameras = data.pop("cameras", None) or [data.pop("camera", "")]
        report = AuditReport(
            at=event.device_time or event.received_time or 0.0,
            user=event.source.id,
            action=event.topic.removeprefix("argus.audit."),
            cameras=[str(c) for c in cameras],
            details={k: v for k, v in data.items() if isinstance(v, str | int | float | bool)},
        )
        with self._audit_lock:
            self._audit.append(report)

    @property
    def enrolled(self) -> bool:
        return (self._dir / CREDENTIAL_FILE).exists()

    def wheel_tags(self) -> list[str]:
        """The tags this node reports: its configured ones, or all of ``sys_tags()``."""
        configured = self._node.config.node.wheel_tags
        return list(configured) if configured is not None else [str(t) for t in sys_tags()]

    def credential(self) -> str:
        return (self._dir / CREDENTIAL_FILE).read_text().strip()

    def repository_root(self) -> bytes | None:
        """The package repository's root metadata the master gave at enrolment, if any."""
        path = self._dir / REPOSITORY_ROOT_FILE
        return path.read_bytes() if path.exists() else None

    def package_updater(self) -> PackageUpdater:
        """A TUF updater on the master's package repository, authenticated as this node;
        its trusted metadata persists in ``<data_dir>/repository``."""
        node_id = self._node.host.node_id
        return PackageUpdater(
            self._dir / REPOSITORY_DIR,
            f"{self._http.base_url}".rstrip("/") + "/api/v1/repository",
            headers=lambda: {
                "Authorization": f"Bearer {self.credential()}",
                "X-Argus-Node": node_id,
            },
            bootstrap_root=self.repository_root(),
            client=self._http if self._shared_client else None,
        )

    def manage_plugins(self, health_seconds: float) -> PluginUpdates:
        """From now on, run the plugin packages the master asks for (reports go with every
        heartbeat); it starts and stops with the uplink."""
        self.updates = PluginUpdates(
            self._node, self.package_updater, health_seconds=health_seconds, on_result=self.nudge
        )
        return self.updates

    def nudge(self) -> None:
        """Send the next heartbeat now rather than at the end of the interval."""
        self._nudged.set()

    def master_public_key(self) -> str | None:
        path = self._dir / MASTER_KEY_FILE
        return path.read_text() if path.exists() else None

    def enrol(self, token: str, listen_address: str) -> EnrolReply:
        """Enrol with a one-time token; keep the credential and the master's public key.

        :raises ConfigurationError: the master refused (bad token, version outside its
            policy …) — the message is the master's.
        """
        request = EnrolRequest(
            token=token,
            node_id=self._node.host.node_id,
            platform_version=__version__,
            architecture=host.machine(),
            os=f"{host.system()} {host.release()}",
            wheel_tags=self.wheel_tags(),
            listen_address=listen_address,
        )
        response = self._http.post("/api/v1/nodes/enrol", json=request.model_dump(mode="json"))
        if response.status_code != 200:
            raise ConfigurationError(f"the master refused enrolment: {_detail(response)}")
        reply = EnrolReply.model_validate(response.json())
        _write_private(self._dir / CREDENTIAL_FILE, reply.credential)
        (self._dir / MASTER_KEY_FILE).write_text(reply.master_public_key)
        if reply.repository_root is not None:
            (self._dir / REPOSITORY_ROOT_FILE).write_text(reply.repository_root)
        self._tags_sent = True
        log.info("enrolled with master %s", reply.master_id)
        return reply

    def heartbeat(self) -> HeartbeatReply:
        """Send one heartbeat. :raises httpx.HTTPError: the master is unreachable or refused."""
        credential = self.credential()
        with self._audit_lock:
            pending = list(self._audit)[:AUDIT_PER_HEARTBEAT]
        report = self.report().model_copy(update={"audit": pending})
        response = self._http.post(
            "/api/v1/nodes/heartbeat",
            json=report.model_dump(mode="json"),
            headers={"Authorization": f"Bearer {credential}"},
        )
        response.raise_for_status()
        self._tags_sent = True
        with self._audit_lock:  # delivered: forget exactly those (newer ones stay queued)
            sent = {id(r) for r in pending}
            while self._audit and id(self._audit[0]) in sent:
                self._audit.popleft()
        reply = HeartbeatReply.model_validate(response.json())
        if reply.clock_offset is not None:
            self.correct_clock(reply.clock_offset)
        if reply.plugins is not None and self.updates is not None:
            self.updates.want(reply.plugins)
        if reply.must_re_enrol:
            log.error("the master asks this node to enrol again with a new token")
        elif reply.desired_config_version != self.applied_version:
            self.apply(self.fetch_config(credential))
        self.last_reply = reply
        return reply

    def correct_clock(self, offset: float) -> None:
        """Apply the master's measurement of this node's clock (its clock minus the master's,
        seconds) to the node's clock, if that is correctable."""
        clock = self._node.clock
        if not isinstance(clock, CorrectedClock) or offset == clock.offset:
            return
        step = offset - clock.offset
        clock.set_offset(offset)
        try:  # atomically: a crash mid-write must not leave a torn number
            partial = self._dir / f"{CLOCK_OFFSET_FILE}.partial"
            partial.write_text(f"{offset!r}\n")
            partial.replace(self._dir / CLOCK_OFFSET_FILE)
        except OSError as exc:
            log.warning("cannot keep the clock offset for the next start: %s", exc)
        if abs(step) > CLOCK_STEP:
            log.warning(
                "clock corrected by %+.3f s (now %+.3f s off the master); streams reopen",
                -step,
                offset,
            )
            self._node.reanchor_streams()
        else:
            log.info("clock offset to the master now %+.4f s", offset)

    def fetch_config(self, credential: str) -> NodeDesiredConfig:
        """The configuration the master wants this node to run."""
        response = self._http.get(
            "/api/v1/nodes/config",
            params={"node_id": self._node.host.node_id},
            headers={"Authorization": f"Bearer {credential}"},
        )
        response.raise_for_status()
        return NodeDesiredConfig.model_validate(response.json())

    def apply(self, desired: NodeDesiredConfig) -> None:
        """Run the master's devices; unchanged ones are not touched. Storage changes wait for
        the next start (recordings must not move under a running writer)."""
        sections = []
        for device in desired.devices:
            try:
                sections.append(DeviceSection.model_validate(device.model_dump()))
            except ValidationError as exc:
                log.error("device %s from the master is invalid here: %s", device.id, exc)
        added, changed, removed = self._node.apply_devices(sections)
        log.info(
            "configuration %d applied: %d devices added, %d changed, %d removed",
            desired.version,
            added,
            changed,
            removed,
        )
        if desired.storage is not None and self._node.storage_section() != desired.storage:
            log.warning("the master changed this node's storage; it applies at the next start")
        self.applied_version = desired.version

    def report(self) -> Heartbeat:
        node, now = self._node, self._node.clock.now()
        streams = [
            StreamReport(
                camera=w.camera,
                stream=w.stream,
                state=w.stats.state,
                writing=w.stats.writing,
                recording_expected=w.recording_expected(now),
                last_packet=w.stats.last_packet_wall,
                last_error=w.stats.last_error[:1024],
            )
            for w in node.workers
        ]
        disks = [
            DiskReport(
                id=d.id,
                path=d.path[:255],
                online=d.online,
                reason=d.reason[:1024],
                total_bytes=d.total_bytes,
                free_bytes=d.free_bytes,
            )
            for d in (node.storage.disks() if node.storage is not None else [])
        ]
        return Heartbeat(
            node_id=node.host.node_id,
            sent=now,
            platform_version=__version__,
            streams=streams,
            disks=disks,
            applied_config_version=self.applied_version,
            api_version=API_VERSION,
            # The tags once per start (they are long); the plugins with every heartbeat.
            wheel_tags=None if self._tags_sent else self.wheel_tags(),
            plugins=self.updates.reports() if self.updates is not None else None,
        )

    def start(self) -> None:
        if self.updates is not None:
            self.updates.start()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._nudged.set()
        if self._thread.is_alive():
            self._thread.join(timeout=15)
        if self.updates is not None:
            self.updates.stop()
        self._http.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.heartbeat()
                if not self._reachable:
                    log.info("master reachable again")
                self._reachable = True
            except httpx.HTTPError as exc:
                if self._reachable:
                    log.warning("master unreachable, recording goes on: %s", exc)
                self._reachable = False
            self._nudged.wait(self._interval)
            self._nudged.clear()


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    return str(body.get("detail", body)) if isinstance(body, dict) else str(body)
