"""What the kernel knows about each plugin it found."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class PluginStatus(enum.StrEnum):
    LOADED = "loaded"
    QUARANTINED = "quarantined"
    DISABLED = "disabled"


@dataclass
class PluginRecord:
    """One plugin: an entry-point name, possibly registered under several groups.

    :param kinds: plugin kinds from the entry-point groups (``camera-driver`` …).
    :param reason: why it is quarantined or disabled; empty when loaded.
    :param detail: the traceback or validation message behind ``reason``.
    :param failures: consecutive failed hook calls; reset by a successful one.
    """

    name: str
    distribution: str
    version: str
    target: str
    kinds: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    requires_sdk: str = ""
    status: PluginStatus = PluginStatus.LOADED
    reason: str = ""
    detail: str = ""
    failures: int = 0
    total_failures: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "version": self.version,
            "kinds": list(self.kinds),
            "distribution": self.distribution,
            "status": self.status.value,
            "reason": self.reason,
            "target": self.target,
            "requires_sdk": self.requires_sdk,
            "failures": self.total_failures,
        }
