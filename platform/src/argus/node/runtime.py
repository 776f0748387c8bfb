"""A node's running parts: devices opened through drivers, one recorder worker per
camera stream, the event bus, and the host lifecycle hooks.

Components start in order and stop in reverse: event bus, devices, workers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from argus import __version__
from argus.kernel import Kernel
from argus.node.drivers import DriverTable
from argus.node.events import EventBus
from argus.node.recorder import StreamWorker
from argus_sdk import (
    API_VERSION,
    CameraDriver,
    Clock,
    HostInfo,
    PluginContext,
    StorageBackend,
    StorageWriter,
    StreamDescription,
    StreamKey,
    StreamPacket,
    SystemClock,
)

log = logging.getLogger("argus.node")


@dataclass(frozen=True)
class DeviceConfig:
    """One device as configured: which driver, its settings, which streams to record."""

    id: str
    driver: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    record: tuple[str, ...] = ("main",)


@dataclass(frozen=True)
class Camera:
    """A channel of a device, as the rest of the system sees it."""

    id: str
    name: str
    device: str
    channel: int
    streams: tuple[str, ...]


class DiscardWriter:
    """The writer used when no storage backend is configured: packets are counted, not kept."""

    def write(self, packet: StreamPacket) -> None:
        pass

    def close(self) -> None:
        pass


class Node:
    """Everything one recording node runs. Not thread-safe: configure, then start, then stop."""

    def __init__(
        self,
        kernel: Kernel,
        *,
        node_id: str,
        data_dir: Path,
        storage: StorageBackend | None = None,
        clock: Clock | None = None,
        role: str = "node",
    ) -> None:
        self.kernel = kernel
        self.clock = clock or SystemClock()
        self.host = HostInfo(role, node_id, __version__, API_VERSION, data_dir)
        self.events = EventBus(kernel, self.clock)
        self.drivers = DriverTable(kernel)
        self.storage = storage
        self.cameras: dict[str, Camera] = {}
        self.workers: list[StreamWorker] = []
        self._devices: dict[str, CameraDriver] = {}

    def context(self, owner: str) -> PluginContext:
        return PluginContext(
            owner=owner,
            clock=self.clock,
            publish=self.events.publish,
            cache_dir=self.host.data_dir / "cache",
            log=logging.getLogger(f"argus.device.{owner}"),
        )

    def add_device(self, config: DeviceConfig) -> list[Camera]:
        """Open a device and plan a recorder worker per channel and recorded stream.

        :raises ConfigurationError: unknown driver or invalid settings.
        """
        device = self.drivers.open(config.driver, config.settings, self.context(config.id))
        self._devices[config.id] = device
        description = device.describe()
        added = []
        for channel in description.channels:
            cam_id = (
                config.id if len(description.channels) == 1 else f"{config.id}-ch{channel.index}"
            )
            offered = {p.name for p in channel.streams}
            streams = tuple(s for s in config.record if s in offered)
            camera = Camera(cam_id, channel.name, config.id, channel.index, streams)
            self.cameras[cam_id] = camera
            for stream in streams:
                self.workers.append(self._worker(device, camera, stream))
            added.append(camera)
        return added

    def _worker(self, device: CameraDriver, camera: Camera, stream: str) -> StreamWorker:
        def open_source() -> Any:
            return device.open_stream(camera.channel, stream)

        return StreamWorker(
            camera.id,
            stream,
            open_source,
            self._writer_opener(camera.id, stream),
            self.events.publish,
            clock=self.clock,
        )

    def _writer_opener(
        self, camera: str, stream: str
    ) -> Callable[[StreamDescription], StorageWriter]:
        storage = self.storage
        if storage is None:
            return lambda _description: DiscardWriter()
        key = StreamKey(camera, stream)
        return lambda description: storage.open_writer(key, description)

    def device(self, device_id: str) -> CameraDriver:
        return self._devices[device_id]

    def start(self) -> None:
        self.events.start()
        self.kernel.call("argus_host_started", host=self.host)
        for worker in self.workers:
            worker.start()
        log.info("node %s recording %d streams", self.host.node_id, len(self.workers))

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        for device_id, device in self._devices.items():
            try:
                device.close()
            except Exception:
                log.exception("closing device %s failed", device_id)
        if self.storage is not None:
            self.storage.close()
        self.kernel.call("argus_host_stopping", host=self.host)
        self.events.stop()
