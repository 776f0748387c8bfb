"""The node's event bus delivers every event, in order, to plugins and subscribers."""

from __future__ import annotations

import sys
import threading

from argus.kernel import Kernel
from argus.node.events import EventBus
from argus.testing import DistFactory
from argus_sdk import Event, EventPhase, EventSource
from argus_sdk.testing import ManualClock

OBSERVER = """
from argus_sdk import hookimpl

seen = []

@hookimpl
def argus_event(event):
    seen.append(event)
"""


def test_events_reach_plugins_and_subscribers_in_order(dists: DistFactory) -> None:
    module = DistFactory.unique("observer")
    dists.make(
        "argus-observer", entry_points={"argus.system": {"obs": module}}, modules={module: OBSERVER}
    )
    kernel = Kernel()
    kernel.load()
    clock = ManualClock(start=5000.0)
    bus = EventBus(kernel, clock)
    got: list[Event] = []

    def broken(_event: Event) -> None:
        raise RuntimeError("subscriber bug")

    bus.subscribe(broken)
    bus.subscribe(got.append)
    bus.start()
    sent = [
        Event("argus.test", EventSource("camera", f"c{i}"), EventPhase.PULSE, {"n": i})
        for i in range(50)
    ]
    for event in sent:
        bus.publish(event)
    bus.stop()
    seen = sys.modules[module].seen
    assert [e.id for e in seen] == [e.id for e in sent]
    assert [e.id for e in got] == [e.id for e in sent]
    assert all(e.received_time == 5000.0 for e in got)


def test_publish_from_many_threads_loses_nothing() -> None:
    kernel = Kernel(enabled=set())
    kernel.load()
    bus = EventBus(kernel)
    got: list[Event] = []
    bus.subscribe(got.append)
    bus.start()

    def burst(i: int) -> None:
        for n in range(200):
            bus.publish(Event("argus.test", EventSource("t", str(i)), data={"n": n}))

    threads = [threading.Thread(target=burst, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bus.stop()
    assert len(got) == 800
    for i in range(4):
        mine = [e.data["n"] for e in got if e.source.id == str(i)]
        assert mine == list(range(200))
