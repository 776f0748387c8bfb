"""When a stream is written: continuously, on a weekly schedule, or around events."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from typing import Protocol
from zoneinfo import ZoneInfo

from argus.node.config import RecordingSection, ScheduleWindow
from argus_sdk import Event, EventPhase

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class RecordingPolicy(Protocol):
    """Asked by the recorder for every packet; must be cheap and thread-safe."""

    @property
    def pre_seconds(self) -> float: ...

    def active(self, wall: float) -> bool: ...


class Continuous:
    pre_seconds = 0.0

    def active(self, wall: float) -> bool:
        return True


class Scheduled:
    """Active inside any weekly window, in the schedule's time zone (default: the node's)."""

    pre_seconds = 0.0

    def __init__(self, windows: Sequence[ScheduleWindow], timezone: str | None = None) -> None:
        self._tz = ZoneInfo(timezone) if timezone else None
        self._windows = [(frozenset(w.days), _minutes(w.start), _minutes(w.end)) for w in windows]

    def active(self, wall: float) -> bool:
        local = (
            dt.datetime.fromtimestamp(wall, self._tz)
            if self._tz
            else dt.datetime.fromtimestamp(wall).astimezone()
        )
        day, minute = _DAYS[local.weekday()], local.hour * 60 + local.minute
        return any(day in days and start <= minute < end for days, start, end in self._windows)


class EventTriggered:
    """Active while a trigger event of the device is on, and ``post_seconds`` after it.

    Fed by the node's event bus (``on_event``, dispatcher thread); read by the
    recorder (``active``, worker thread). A state re-sent after a reconnect
    (``state_sync``) never triggers.
    """

    def __init__(self, device: str, triggers: Sequence[str], pre: float, post: float) -> None:
        self._device = device
        self._triggers = frozenset(triggers)
        self.pre_seconds = pre
        self._post = post
        self._open: set[str] = set()
        self._until = float("-inf")
        self._lock = threading.Lock()

    def on_event(self, event: Event) -> None:
        if event.topic not in self._triggers or event.state_sync or not self._mine(event):
            return
        when = event.device_time or event.received_time or 0.0
        with self._lock:
            if event.phase is EventPhase.START:
                self._open.add(event.id)
            elif event.phase is EventPhase.END:
                self._open.discard(event.id)
            self._until = max(self._until, when + self._post)

    def _mine(self, event: Event) -> bool:
        source = event.source.id
        return source == self._device or source.startswith(self._device + ":")

    def active(self, wall: float) -> bool:
        with self._lock:
            return bool(self._open) or wall < self._until


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def policy_for(device: str, section: RecordingSection) -> RecordingPolicy:
    if section.mode == "scheduled":
        return Scheduled(section.schedule, section.timezone)
    if section.mode == "event":
        return EventTriggered(device, section.triggers, section.pre_seconds, section.post_seconds)
    return Continuous()
