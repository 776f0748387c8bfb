"""The node's table of driver types, built from the plugins' declarations."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from typing import Any

from pydantic import ValidationError

from argus.kernel import Kernel
from argus_sdk import (
    CameraDriver,
    CameraDriverType,
    ConfigurationError,
    EncoderDriverType,
    PluginContext,
)

log = logging.getLogger("argus.node.drivers")

DriverType = CameraDriverType | EncoderDriverType


class DriverTable:
    """Driver name → (plugin, type), from ``argus_camera_drivers`` and ``argus_encoder_drivers``.

    A driver name declared by two plugins is kept for the first and refused,
    loudly, for the second.
    """

    HOOKS = ("argus_camera_drivers", "argus_encoder_drivers")

    def __init__(self, kernel: Kernel) -> None:
        self._kernel = kernel
        self._types: dict[str, tuple[str, DriverType]] = {}
        for hook in self.HOOKS:
            for result in kernel.collect(hook):
                self._add(result.plugin, result.value)

    def rebuild(self, plugins: Collection[str]) -> list[str]:
        """Drop the drivers of ``plugins`` and ask those plugins (as the kernel has them
        now) again; the other plugins' drivers keep their entries and their owners.

        Called after the kernel reloaded ``plugins``.

        :returns: the driver names those plugins now provide, sorted.
        """
        self._types = {n: t for n, t in self._types.items() if t[0] not in plugins}
        for hook in self.HOOKS:
            for result in self._kernel.collect(hook):
                if result.plugin in plugins:
                    self._add(result.plugin, result.value)
        return sorted(n for n, (owner, _) in self._types.items() if owner in plugins)

    def _add(self, plugin: str, kind: DriverType) -> None:
        if kind.name in self._types:
            owner = self._types[kind.name][0]
            log.error("driver %r of plugin %s ignored: plugin %s has it", kind.name, plugin, owner)
            return
        self._types[kind.name] = (plugin, kind)

    def names(self) -> list[str]:
        return sorted(self._types)

    def plugin_of(self, driver: str) -> str:
        return self._lookup(driver)[0]

    def open(
        self, driver: str, settings: Mapping[str, Any], context: PluginContext
    ) -> CameraDriver:
        """Validate ``settings`` against the driver's model and open the device.

        :raises ConfigurationError: unknown driver or invalid settings.
        """
        kind = self._lookup(driver)[1]
        try:
            parsed = kind.settings.model_validate(dict(settings))
        except ValidationError as exc:
            raise ConfigurationError(f"invalid settings for driver {driver!r}: {exc}") from exc
        return kind.open(parsed, context)

    def _lookup(self, driver: str) -> tuple[str, DriverType]:
        try:
            return self._types[driver]
        except KeyError:
            installed = ", ".join(self.names()) or "none"
            raise ConfigurationError(
                f"no driver named {driver!r} is installed (installed: {installed})"
            ) from None
