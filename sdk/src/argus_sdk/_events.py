"""Events: something that happened, with a source, a time and data."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


class EventPhase(enum.StrEnum):
    """Where an event stands in its life.

    A long condition (motion, an input held active) is one event: ``start``,
    any number of ``update``, then ``end``, all with the same id. Something
    instantaneous is a single ``pulse``.
    """

    START = "start"
    UPDATE = "update"
    END = "end"
    PULSE = "pulse"


@dataclass(frozen=True, slots=True)
class EventSource:
    """What raised the event: ``kind`` is ``camera``, ``device``, ``input``, ``output``,
    ``disk``, ``node``, ``plugin`` …; ``id`` names it within its kind."""

    kind: str
    id: str


def _new_id() -> str:
    return uuid.uuid4().hex


def _frozen(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(data))


@dataclass(frozen=True, slots=True)
class Event:
    """One event on a node's bus.

    :param topic: namespaced type, e.g. ``argus.io.input``, ``argus.camera.offline``,
        ``acme.lpr.plate``. Argus's own topics start with ``argus.``.
    :param device_time: when the device says it happened (UTC seconds), if it says.
    :param state_sync: true when a device re-sends a current state (after a reconnect):
        it updates state and is never a trigger.
    """

    topic: str
    source: EventSource
    phase: EventPhase = EventPhase.PULSE
    data: Mapping[str, Any] = field(default_factory=dict)
    device_time: float | None = None
    received_time: float | None = None
    state_sync: bool = False
    id: str = field(default_factory=_new_id)

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", _frozen(self.data))
