"""What the kit is pointed at: a driver, the settings of one device, and how to make it drop."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from argus_sdk._clock import Clock, SystemClock
from argus_sdk._context import PluginContext
from argus_sdk._drivers import (
    CameraDriver,
    CameraDriverType,
    EncoderDriverType,
    MetadataDriver,
    MetadataDriverType,
)
from argus_sdk._events import Event

DriverType = CameraDriverType | EncoderDriverType | MetadataDriverType

#: Entry-point group → the hook that declares its driver types.
_GROUPS = {
    "argus.camera_drivers": "argus_camera_drivers",
    "argus.encoder_drivers": "argus_encoder_drivers",
    "argus.metadata_drivers": "argus_metadata_drivers",
}


class KitConfigurationError(Exception):
    """The kit was pointed at something it cannot use; the message says how to fix it."""


@dataclass
class DeviceUnderTest:
    """The device the conformance kit checks, returned by the ``argus_device`` fixture.

    :param driver: the driver type's name as its plugin declares it (``sim``,
        ``sim-encoder``, ``rtsp``), found through the installed entry points exactly as
        the node finds it; or ``"module:attribute"`` naming a driver type object.
    :param settings: the device settings, validated with the driver type's model.
    :param drop: makes the device drop every connection, as a camera losing its
        network does (kill the test server, call the simulator's ``disconnect()`` …);
        given the open driver. Without it the disconnect check is skipped.
    :param restore: brings the device back after ``drop`` (restart the server);
        without it the device is expected to come back by itself.
    :param keyframe_timeout: seconds an opened stream may take to deliver its first
        keyframe (and a dropped stream to report it).
    :param packets: how many packets of each stream the timestamp check reads.
    :param close_grace: seconds ``close()`` may take to end its threads and sockets.
    :param clock: the clock in the driver's context (a ``ManualClock`` makes a
        simulated device run as fast as the CPU allows); the real clock by default.
    :param owner: the context's owner (the device id the host would give).

    The kit opens the driver with a :class:`PluginContext` of this clock and owner, private
    cache and data folders, and a ``publish`` that appends to :attr:`events`.
    """

    driver: str | DriverType
    settings: Mapping[str, Any] | BaseModel = field(default_factory=dict)
    drop: Callable[[Any], None] | None = None
    restore: Callable[[Any], None] | None = None
    keyframe_timeout: float = 10.0
    packets: int = 60
    close_grace: float = 5.0
    clock: Clock = field(default_factory=SystemClock)
    owner: str = "conformance"
    events: list[Event] = field(default_factory=list)

    def driver_type(self) -> DriverType:
        """The driver type this device is opened with."""
        return resolve_driver(self.driver)

    def plugin_module(self) -> Any | None:
        """Where the driver's other hooks (``argus_camera_discover``) live: the module of a
        ``"module:attribute"`` name, else the plugin module that declares the type."""
        if isinstance(self.driver, str) and ":" in self.driver:
            return importlib.import_module(self.driver.partition(":")[0])
        return plugin_module_of(self.driver_type())

    def validated_settings(self) -> BaseModel:
        return self._validated(self.driver_type().settings)

    def _validated(self, model: type[BaseModel]) -> BaseModel:
        if isinstance(self.settings, model):
            return self.settings
        values = (
            self.settings.model_dump() if isinstance(self.settings, BaseModel) else self.settings
        )
        try:
            return model.model_validate(dict(values))
        except ValidationError as exc:
            raise KitConfigurationError(
                f"the settings given to the kit are not valid {model.__name__}: {exc}"
            ) from exc

    def context(self, folder: Path) -> PluginContext:
        """The context the kit opens the driver with, its folders under ``folder``."""
        (folder / "cache").mkdir(parents=True, exist_ok=True)
        (folder / "data").mkdir(parents=True, exist_ok=True)
        return PluginContext(
            owner=self.owner,
            clock=self.clock,
            publish=self.events.append,
            cache_dir=folder / "cache",
            data_dir=folder / "data",
            log=logging.getLogger(f"argus.plugin.{self.owner}"),
        )

    def open(self, folder: Path) -> Any:
        """Open the driver for this device (a camera, encoder or metadata driver)."""
        dtype = self.driver_type()  # resolved once: by name it loads every driver plugin
        return dtype.open(self._validated(dtype.settings), self.context(folder))


def resolve_driver(driver: str | DriverType) -> DriverType:
    """The driver type named by ``driver`` (see :attr:`DeviceUnderTest.driver`)."""
    if isinstance(driver, DriverType):
        return driver
    if ":" in driver:
        module, _, attribute = driver.partition(":")
        try:
            obj = getattr(importlib.import_module(module), attribute)
        except (ImportError, AttributeError) as exc:
            raise KitConfigurationError(f"cannot load driver {driver!r}: {exc}") from exc
        if callable(obj) and not isinstance(obj, type) and not hasattr(obj, "open"):
            obj = obj()
        if isinstance(obj, DriverType):
            return obj
        raise KitConfigurationError(
            f"{driver!r} is a {type(obj).__name__}, not a CameraDriverType, "
            "EncoderDriverType or MetadataDriverType"
        )
    errors: list[str] = []
    found = dict(declared_driver_types(errors))
    if driver not in found:
        known = ", ".join(sorted(found)) or "none"
        broken = "".join(f"; {e}" for e in errors)
        raise KitConfigurationError(
            f"no installed plugin declares a driver type named {driver!r} (installed: {known}"
            f"{broken}); install your project (pip install -e .) so its entry points exist, "
            "or name the type as 'module:attribute'"
        )
    return found[driver]


def _plugins(errors: list[str] | None = None) -> Iterable[tuple[str, Any]]:
    """(declaring hook, plugin module) of every installed driver plugin that imports."""
    for group, hook in _GROUPS.items():
        for ep in entry_points(group=group):
            try:
                module = ep.load()
            except Exception as exc:  # noqa: BLE001 - reported in the kit's message
                if errors is not None:
                    errors.append(f"{group} {ep.name} = {ep.value} fails to import: {exc!r}")
                continue
            yield hook, module


def declared_driver_types(errors: list[str] | None = None) -> Iterable[tuple[str, DriverType]]:
    """Every driver type the installed plugins declare, by name; plugins that fail to
    import are skipped and described in ``errors``."""
    for hook, module in _plugins(errors):
        declare = getattr(module, hook, None)
        if declare is not None:
            for dtype in declare():
                yield dtype.name, dtype


def plugin_module_of(dtype: DriverType) -> Any | None:
    """The plugin module that declares ``dtype`` (where its other hooks live), if any."""
    for hook, module in _plugins():
        declare = getattr(module, hook, None)
        if declare is not None and any(t is dtype or t == dtype for t in declare()):
            return module
    return None


__all__ = [
    "CameraDriver",
    "DeviceUnderTest",
    "DriverType",
    "KitConfigurationError",
    "MetadataDriver",
    "declared_driver_types",
    "plugin_module_of",
    "resolve_driver",
]
