"""A node's running parts, built from its configuration.

Storage backend and drivers come from plugins; one recorder worker per camera
stream; the event bus; the host lifecycle hooks. Components start in order
(event bus, workers) and stop in reverse, storage last.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from pydantic import ValidationError

from argus import __version__
from argus.kernel import Kernel, PluginRecord, PluginStatus
from argus.kernel.discovery import find_distribution
from argus.node.config import DeviceSection, NodeConfig, StorageSection
from argus.node.drivers import DriverTable
from argus.node.events import EventBus
from argus.node.plugins import FOLDER, PluginStore
from argus.node.policy import EventTriggered, RecordingPolicy, policy_for
from argus.node.recorder import StreamWorker
from argus.protocol import StorageConfig
from argus_sdk import (
    API_VERSION,
    ArgusError,
    CameraDriver,
    Clock,
    ConfigurationError,
    DeviceDescription,
    Event,
    HostInfo,
    PluginContext,
    PtzCapabilities,
    StorageBackend,
    StorageBackendType,
    StorageWriter,
    StreamDescription,
    StreamKey,
    StreamPacket,
    SystemClock,
)

log = logging.getLogger("argus.node")


@dataclass(frozen=True)
class Camera:
    """A channel of a device, as the rest of the system sees it."""

    id: str
    name: str
    device: str
    channel: int
    streams: tuple[str, ...]
    ptz: PtzCapabilities | None = None


#: Entry-point groups whose plugins a running node cannot swap: they apply at the next start.
NOT_LIVE_GROUPS = frozenset({"argus.storage"})


@dataclass(frozen=True, slots=True)
class ReloadedPlugin:
    """One plugin of a reloaded distribution, as the kernel has it after the reload."""

    name: str
    version: str
    status: PluginStatus
    reason: str = ""


@dataclass(frozen=True)
class PluginReloadReport:
    """What :meth:`Node.reload_plugin` did.

    :param plugins: the distribution's plugins after the reload (none when it was
        removed or ``deferred``).
    :param restarted: devices reopened with the new code, sorted.
    :param failed: device → why it did not open again (e.g. its plugin is now
        quarantined); the node retries it at the next reload or device change.
    :param deferred: nothing was reloaded because the distribution cannot be
        swapped in a running node (a storage backend); it applies at the next start.
    """

    distribution: str
    plugins: tuple[ReloadedPlugin, ...] = ()
    restarted: tuple[str, ...] = ()
    failed: Mapping[str, str] = field(default_factory=dict)
    deferred: bool = False
    reason: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "distribution": self.distribution,
            "plugins": [
                {"name": p.name, "version": p.version, "status": p.status.value, "reason": p.reason}
                for p in self.plugins
            ],
            "restarted": list(self.restarted),
            "failed": dict(self.failed),
            "deferred": self.deferred,
            "reason": self.reason,
        }


class DiscardWriter:
    """The writer when a node runs without storage: packets are counted, not kept."""

    def write(self, packet: StreamPacket) -> None:
        pass

    def close(self) -> None:
        pass


class Node:
    """Everything one recording node runs. Configure (constructor), start, stop."""

    def __init__(
        self,
        kernel: Kernel,
        config: NodeConfig,
        *,
        clock: Clock | None = None,
        role: str = "node",
    ) -> None:
        self.kernel = kernel
        self.config = config
        self.clock = clock or SystemClock()
        data_dir = config.node.data_dir.resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        self.host = HostInfo(role, config.node.id, __version__, API_VERSION, data_dir)
        #: Installed plugin versions; the active ones were put on sys.path at start.
        self.plugin_store = PluginStore(data_dir / FOLDER, config.node.wheel_tags)
        self.events = EventBus(kernel, self.clock)
        self.drivers = DriverTable(kernel)
        self.cameras: dict[str, Camera] = {}
        self.workers: list[StreamWorker] = []
        self._devices: dict[str, CameraDriver] = {}
        #: What each open device reported about itself (channels, PTZ, I/O ports).
        self.descriptions: dict[str, DeviceDescription] = {}
        self._sections: dict[str, DeviceSection] = {}
        #: Wanted devices that could not be opened (retried when plugins change).
        self._unapplied: dict[str, DeviceSection] = {}
        self._subscribed: dict[str, Callable[[Event], None]] = {}
        self._apply_lock = threading.Lock()
        self._started = False
        self.storage: StorageBackend | None = (
            self._open_storage(config.storage) if config.storage is not None else None
        )
        try:
            for device in config.devices:
                self.add_device(device)
        except BaseException:
            self._close_devices_and_storage()
            raise

    def context(self, owner: str, state_dir: Path | None = None) -> PluginContext:
        return PluginContext(
            owner=owner,
            clock=self.clock,
            publish=self.events.publish,
            cache_dir=self.host.data_dir / "cache",
            data_dir=state_dir or self.host.data_dir / "plugins" / owner,
            log=logging.getLogger(f"argus.plugin.{owner}"),
        )

    def _open_storage(self, section: StorageSection) -> StorageBackend:
        kinds: dict[str, StorageBackendType] = {
            r.value.name: r.value for r in self.kernel.collect("argus_storage_backends")
        }
        kind = kinds.get(section.backend)
        if kind is None:
            installed = ", ".join(sorted(kinds)) or "none"
            raise ConfigurationError(
                f"no storage backend named {section.backend!r} is installed (installed: "
                f"{installed})"
            )
        try:
            settings = kind.settings.model_validate(section.settings)
        except ValidationError as exc:
            raise ConfigurationError(f"invalid storage settings: {exc}") from exc
        state = self.host.data_dir / "storage" / kind.name
        state.mkdir(parents=True, exist_ok=True)
        return kind.open(settings, self.context(f"storage.{kind.name}", state))

    def add_device(self, section: DeviceSection) -> list[Camera]:
        """Open a device and plan a recorder worker per channel and recorded stream.

        :raises ConfigurationError: unknown driver or invalid settings.
        """
        device = self.drivers.open(section.driver, section.settings, self.context(section.id))
        self._devices[section.id] = device
        self._sections[section.id] = section
        policy = policy_for(section.id, section.recording)
        if isinstance(policy, EventTriggered):
            self._subscribed[section.id] = policy.on_event
            self.events.subscribe(policy.on_event)
        description = device.describe()
        self.descriptions[section.id] = description
        configured = {c.channel: c for c in section.cameras}
        missing = set(configured) - {c.index for c in description.channels}
        if missing:
            log.warning(
                "device %s has no channel %s of its configured cameras",
                section.id,
                ", ".join(str(m) for m in sorted(missing)),
            )
        added = []
        for channel in description.channels:
            single = len(description.channels) == 1
            cam_id = section.id if single else f"{section.id}-ch{channel.index + 1}"
            name = channel.name
            if configured:
                spec = configured.get(channel.index)
                if spec is None or not spec.enabled:
                    continue
                cam_id, name = spec.id, spec.name or channel.name
            offered = {p.name for p in channel.streams}
            streams = tuple(s for s in section.record if s in offered)
            camera = Camera(cam_id, name, section.id, channel.index, streams, channel.ptz)
            self.cameras[cam_id] = camera
            new = [self._worker(device, camera, s, policy) for s in streams]
            self.workers.extend(new)  # in place: the rate sampler holds this list
            if self._started:
                for worker in new:
                    worker.start()
            added.append(camera)
        return added

    def remove_device(self, device_id: str) -> None:
        """Stop a device's recorder workers, close it and forget its cameras."""
        cameras = {c.id for c in self.cameras.values() if c.device == device_id}
        leaving = [w for w in self.workers if w.camera in cameras]
        for worker in leaving:
            worker.stop()
            self.workers.remove(worker)
        for camera in cameras:
            del self.cameras[camera]
        self._unapplied.pop(device_id, None)
        subscriber = self._subscribed.pop(device_id, None)
        if subscriber is not None:
            self.events.unsubscribe(subscriber)
        self._sections.pop(device_id, None)
        self.descriptions.pop(device_id, None)
        device = self._devices.pop(device_id, None)
        if device is not None:
            try:
                device.close()
            except Exception:
                log.exception("closing device %s failed", device_id)

    def apply_devices(self, sections: Iterable[DeviceSection]) -> tuple[int, int, int]:
        """Make the running devices those of ``sections``, touching only what changed.

        A device whose section is unchanged keeps its driver and recorder workers
        running; a changed one is reopened; new ones start; missing ones stop.
        A device that cannot be opened is reported and left out; the others still apply.

        :returns: (added, changed, removed) device counts.
        """
        with self._apply_lock:
            wanted = {s.id: s for s in sections}
            removed = [d for d in self._sections if d not in wanted]
            changed = [
                d for d, s in wanted.items() if d in self._sections and self._sections[d] != s
            ]
            added = [d for d in wanted if d not in self._sections]
            for device_id in removed + changed:
                self.remove_device(device_id)
            self._unapplied = {}
            for device_id in changed + added:
                self._try_add(wanted[device_id])
            return len(added), len(changed), len(removed)

    def _try_add(self, section: DeviceSection) -> str | None:
        """Add a device; if it cannot be opened, undo what was done and remember it as
        unapplied.

        :returns: why it was not added, or ``None``.
        """
        try:
            self.add_device(section)
        except ArgusError as exc:
            log.error("device %s not applied: %s", section.id, exc)
            problem = str(exc)
        except Exception as exc:  # a driver's bug: logged with its traceback, contained
            log.exception("device %s not applied: its driver failed", section.id)
            problem = f"driver failed: {type(exc).__name__}: {exc}"
        else:
            self._unapplied.pop(section.id, None)
            return None
        self.remove_device(section.id)
        self._unapplied[section.id] = section
        return problem

    # -- plugin rollout ------------------------------------------------------

    def activate_plugin(self, project: str, version: str | None) -> PluginReloadReport:
        """Make ``version`` (installed in :attr:`plugin_store`) the active one of ``project``
        and run it; ``None`` deactivates the project. A rollback activates
        ``plugin_store.previous(project)``.

        :raises StoreError: that version is not installed (nothing changed).
        """
        store = self.plugin_store
        old = store.active().get(project)
        store.activate(project, version)
        return self.reload_plugin(
            project,
            old=store.path(project, old) if old is not None else None,
            new=store.path(project, version) if version is not None else None,
        )

    def reload_plugin(
        self, distribution: str, *, old: Path | None = None, new: Path | None = None
    ) -> PluginReloadReport:
        """Run the distribution now active — from ``new`` instead of ``old`` (plugin store
        folders; either may be ``None`` for one added or removed) — in the running node.

        Only the devices whose driver the distribution provides stop: they are
        removed, the kernel reloads the distribution, the driver table takes its
        new drivers and the same device sections are added again (with devices
        that could not be opened before because their driver was missing). Every
        other device keeps its driver and its recorder workers running. A storage
        backend is not swapped: the report says it applies at the next start.
        """
        with self._apply_lock:
            running = self._records_of(distribution)
            if self._not_live(distribution, running, new):
                reason = "a storage backend changes at the next start of the node"
                log.warning("plugin %s not reloaded: %s", distribution, reason)
                return PluginReloadReport(distribution, deferred=True, reason=reason)
            before = {r.name for r in running}
            affected = [
                section
                for section in self._sections.values()
                if section.driver in self.drivers.names()
                and self.drivers.plugin_of(section.driver) in before
            ]
            for section in affected:
                self.remove_device(section.id)
            records = self.kernel.reload(distribution, old=old, new=new)
            provided = self.drivers.rebuild(before | {r.name for r in records})
            retry = [s for s in self._unapplied.values() if s.driver in provided]
            restarted: list[str] = []
            failed: dict[str, str] = {}
            for section in [*affected, *retry]:
                problem = self._try_add(section)
                if problem is None:
                    restarted.append(section.id)
                else:
                    failed[section.id] = problem
            report = PluginReloadReport(
                distribution,
                plugins=tuple(
                    ReloadedPlugin(r.name, r.version, r.status, r.reason) for r in records
                ),
                restarted=tuple(sorted(restarted)),
                failed=failed,
            )
        log.info("plugin %s reloaded: %s", distribution, report.as_dict())
        return report

    def _records_of(self, distribution: str) -> list[PluginRecord]:
        wanted = canonicalize_name(distribution)
        return [r for r in self.kernel.plugins() if canonicalize_name(r.distribution) == wanted]

    @staticmethod
    def _not_live(distribution: str, running: Iterable[PluginRecord], new: Path | None) -> bool:
        """Whether the running or the new version provides a kind a node cannot swap live."""
        groups = {g for r in running for g in r.groups}
        if new is not None:
            dist = find_distribution(canonicalize_name(distribution), [str(new)])
            if dist is not None:
                groups |= {ep.group for ep in dist.entry_points}
        return bool(groups & NOT_LIVE_GROUPS)

    def _worker(
        self, device: CameraDriver, camera: Camera, stream: str, policy: RecordingPolicy
    ) -> StreamWorker:
        def open_source() -> Any:
            return device.open_stream(camera.channel, stream)

        return StreamWorker(
            camera.id,
            stream,
            open_source,
            self._writer_opener(camera.id, stream),
            self.events.publish,
            clock=self.clock,
            policy=policy,
        )

    def _writer_opener(
        self, camera: str, stream: str
    ) -> Callable[[StreamDescription], StorageWriter]:
        storage = self.storage
        if storage is None:
            return lambda _description: DiscardWriter()
        key = StreamKey(camera, stream)
        return lambda description: storage.open_writer(key, description)

    def storage_section(self) -> StorageConfig | None:
        """The storage this node runs, in the master's terms (to notice a change)."""
        section = self.config.storage
        if section is None:
            return None
        return StorageConfig(backend=section.backend, settings=section.settings)

    def reanchor_streams(self) -> None:
        """Have every stream take its timestamps from the clock afresh, each at its next
        keyframe (see :meth:`StreamWorker.reanchor`)."""
        for worker in self.workers:
            worker.reanchor()

    def worker(self, camera: str, stream: str) -> StreamWorker | None:
        return next((w for w in self.workers if (w.camera, w.stream) == (camera, stream)), None)

    def device(self, device_id: str) -> CameraDriver:
        """:raises KeyError: no such device runs here."""
        return self._devices[device_id]

    def start(self) -> None:
        self.events.start()
        self.kernel.call("argus_host_started", host=self.host)
        for worker in self.workers:
            worker.start()
        self._started = True
        log.info("node %s recording %d streams", self.host.node_id, len(self.workers))

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        self._close_devices_and_storage()
        self.kernel.call("argus_host_stopping", host=self.host)
        self.events.stop()

    def _close_devices_and_storage(self) -> None:
        for device_id, device in self._devices.items():
            try:
                device.close()
            except Exception:
                log.exception("closing device %s failed", device_id)
        if self.storage is not None:
            self.storage.close()
            self.storage = None
