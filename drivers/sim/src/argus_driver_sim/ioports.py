"""Simulated digital inputs and relay outputs, and the events their changes publish.

An input or output that goes active publishes an ``argus.io.input`` /
``argus.io.output`` event with phase START; going inactive publishes END with the
same event id. Scripted inputs switch on the injected clock: transitions are
applied whenever :meth:`IoPorts.poll` runs (from a small background thread, from
:meth:`IoPorts.input_states`, or from a test after advancing a ``ManualClock``),
and each event carries the device time the transition was due, not when it was
noticed.
"""

from __future__ import annotations

import logging
import math
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from argus_driver_sim import const
from argus_driver_sim.settings import InputScript, InputSettings, OutputSettings
from argus_sdk import (
    Clock,
    Event,
    EventPhase,
    EventSource,
    InvalidRequest,
    IoDirection,
    IoPort,
)

#: Longest real-time wait of the script thread, so a test clock that jumps is noticed.
_MAX_POLL_WAIT = 0.25
#: Transitions applied one by one per poll; past that the input jumps to its current state.
_MAX_REPLAYED_TRANSITIONS = 1000
_EPSILON = 1e-9


@dataclass(slots=True)
class _Port:
    port: IoPort
    active: bool = False
    event_id: str | None = None
    script: InputScript | None = None
    next_change: float = math.inf


def _scripted_state(script: InputScript, elapsed: float) -> tuple[bool, float]:
    """Whether a scripted input is active ``elapsed`` s after the start, and when that
    state ends (seconds after the start)."""
    if elapsed < script.offset_seconds:
        return False, script.offset_seconds
    cycles, phase = divmod(elapsed - script.offset_seconds, script.period_seconds)
    start = script.offset_seconds + cycles * script.period_seconds
    if phase < script.active_seconds:
        return True, start + script.active_seconds
    return False, start + script.period_seconds


class IoPorts:
    """The inputs and outputs of one simulated device. Thread-safe."""

    def __init__(
        self,
        owner: str,
        inputs: Sequence[InputSettings],
        outputs: Sequence[OutputSettings],
        clock: Clock,
        publish: Callable[[Event], None],
        log: logging.Logger,
    ) -> None:
        self._owner, self._clock, self._publish, self._log = owner, clock, publish, log
        self._lock = threading.Lock()
        self._start = clock.monotonic()
        self._inputs = {
            s.id: _Port(IoPort(s.id, IoDirection.INPUT, s.name), script=s.script, next_change=0.0)
            if s.script is not None
            else _Port(IoPort(s.id, IoDirection.INPUT, s.name))
            for s in inputs
        }
        self._outputs = {s.id: _Port(IoPort(s.id, IoDirection.OUTPUT, s.name)) for s in outputs}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def ports(self) -> tuple[IoPort, ...]:
        return tuple(p.port for p in (*self._inputs.values(), *self._outputs.values()))

    def start(self) -> None:
        """Start the script thread if any input has a script (and apply due transitions)."""
        self.poll()
        if self._thread is None and any(p.script for p in self._inputs.values()):
            self._thread = threading.Thread(target=self._run, name="argus-sim-io", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Stop the script thread. Idempotent."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def input_states(self) -> dict[str, bool]:
        self.poll()
        with self._lock:
            return {port_id: p.active for port_id, p in self._inputs.items()}

    def output_states(self) -> dict[str, bool]:
        with self._lock:
            return {port_id: p.active for port_id, p in self._outputs.items()}

    def set_input(self, port: str, active: bool) -> None:
        """Switch an input now (a scripted input follows its script again at its next change)."""
        self._set(self._inputs, "input", port, active)

    def set_output(self, port: str, active: bool) -> None:
        self._set(self._outputs, "output", port, active)

    def poll(self) -> float:
        """Apply every scripted transition that is due; seconds until the next one."""
        with self._lock:
            elapsed = self._clock.monotonic() - self._start
            for p in self._inputs.values():
                if p.script is not None:
                    self._advance_script(p, p.script, elapsed)
            upcoming = min((p.next_change for p in self._inputs.values()), default=math.inf)
            return max(0.0, upcoming - elapsed)

    def _advance_script(self, p: _Port, script: InputScript, elapsed: float) -> None:
        for _ in range(_MAX_REPLAYED_TRANSITIONS):
            at = p.next_change
            if at > elapsed:
                return
            # Evaluated just after the boundary, so rounding never lands a step early.
            active, p.next_change = _scripted_state(script, at + _EPSILON)
            self._change(p, "input", active, self._start + at)
        active, p.next_change = _scripted_state(script, elapsed)
        self._change(p, "input", active, self._start + elapsed)

    def _set(self, ports: dict[str, _Port], kind: str, port: str, active: bool) -> None:
        with self._lock:
            if port not in ports:
                raise InvalidRequest(f"{self._owner} has no {kind} {port!r}")
            self._change(ports[port], kind, active, self._clock.monotonic())

    def _change(self, p: _Port, kind: str, active: bool, at_mono: float) -> None:
        """Record a new state and publish START/END if it changed. Lock held."""
        if p.active == active:
            return
        p.active = active
        if active:
            p.event_id = uuid.uuid4().hex
        event_id = p.event_id or uuid.uuid4().hex
        if not active:
            p.event_id = None
        wall = self._clock.now() - (self._clock.monotonic() - at_mono)
        self._publish(
            Event(
                topic=const.TOPIC_INPUT if kind == "input" else const.TOPIC_OUTPUT,
                source=EventSource(kind, f"{self._owner}:{p.port.id}"),
                phase=EventPhase.START if active else EventPhase.END,
                data={"port": p.port.id, "name": p.port.name, "active": active},
                device_time=wall,
                id=event_id,
            )
        )

    def _run(self) -> None:
        while not self._stop.is_set():
            wait = self.poll()
            self._stop.wait(min(wait, _MAX_POLL_WAIT))
