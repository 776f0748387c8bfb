"""What the host hands to plugins: who it is, a clock, where to put files, how to publish events."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from argus_sdk._clock import Clock, SystemClock
from argus_sdk._events import Event


def _drop(event: Event) -> None:
    """Default event sink for contexts built outside a host (scripts, tests)."""


@dataclass(frozen=True, slots=True)
class HostInfo:
    """The process a plugin runs in.

    :param role: ``node``, ``master`` or ``demo`` (master and node in one process).
    :param platform_version: the ``argus`` distribution version.
    :param api_version: ``argus_sdk.API_VERSION``.
    """

    role: str
    node_id: str
    platform_version: str
    api_version: str
    data_dir: Path


@dataclass(frozen=True, slots=True)
class PluginContext:
    """Given to every object a plugin creates (driver, backend, analyzer).

    :param owner: what the object serves: a device id, a storage name, an analyzer instance.
    :param publish: puts an :class:`Event` on the node's bus; thread-safe, never blocks.
    :param cache_dir: a private directory the plugin may fill and that the host may wipe.
    :param data_dir: a private directory for state the plugin must keep (an index, keys);
        the host never wipes it. Created by the host before the plugin is opened.
    """

    owner: str
    clock: Clock = field(default_factory=SystemClock)
    publish: Callable[[Event], None] = _drop
    cache_dir: Path = field(default_factory=lambda: Path.home() / ".cache" / "argus")
    data_dir: Path = field(default_factory=lambda: Path.home() / ".local" / "share" / "argus")
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("argus.plugin"))
