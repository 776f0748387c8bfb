"""The node's event path: publish from any thread, delivered in order by one dispatcher.

Drivers, the recorder and (later) analytics publish here; the dispatcher stamps
``received_time`` and hands each event to the plugins' ``argus_event`` hook
and to in-process subscribers (the forwarder to the master, the demo's view).
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
from collections.abc import Callable

from argus.kernel import Kernel
from argus_sdk import Clock, Event, SystemClock

log = logging.getLogger("argus.node.events")

Subscriber = Callable[[Event], None]


class EventBus:
    """One per node. ``publish`` never blocks; delivery happens on the dispatcher thread."""

    def __init__(self, kernel: Kernel, clock: Clock | None = None) -> None:
        self._kernel = kernel
        self._clock = clock or SystemClock()
        self._queue: queue.SimpleQueue[Event | None] = queue.SimpleQueue()
        self._subscribers: list[Subscriber] = []
        self._thread: threading.Thread | None = None

    def subscribe(self, subscriber: Subscriber) -> None:
        """Call ``subscriber`` on the dispatcher thread for every event. Must not block."""
        self._subscribers.append(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Stop calling ``subscriber`` (a removed device's policy). Unknown ones are ignored."""
        self._subscribers = [s for s in self._subscribers if s is not subscriber]

    def publish(self, event: Event) -> None:
        """Queue ``event`` for delivery. Thread-safe; usable as ``PluginContext.publish``."""
        self._queue.put(dataclasses.replace(event, received_time=self._clock.now()))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="argus-events", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Deliver what is queued, then stop the dispatcher."""
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        while (event := self._queue.get()) is not None:
            self._kernel.call("argus_event", event=event)
            for subscriber in self._subscribers:
                try:
                    subscriber(event)
                except Exception:
                    log.exception("event subscriber %r failed on %s", subscriber, event.topic)
