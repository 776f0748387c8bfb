"""The simulated PTZ head: a position integrated over the injected clock, and presets.

Absolute, relative, preset and home moves arrive instantly; a continuous move
integrates its velocity over clock time (``PTZ_PAN_TILT_SPEED`` normalised units
per second at velocity 1) until :class:`PtzStop`, its timeout, or the end of the
range. The picture follows the position rounded to ``PTZ_*_STEP`` (see :meth:`view`).
"""

from __future__ import annotations

import threading
from dataclasses import replace

from argus_driver_sim import const
from argus_driver_sim.pattern import View
from argus_sdk import (
    AbsoluteMove,
    ClearPreset,
    Clock,
    ContinuousMove,
    GotoHome,
    GotoPreset,
    InvalidRequest,
    PtzCapabilities,
    PtzCommand,
    PtzPosition,
    PtzStatus,
    PtzStop,
    RelativeMove,
    SetPreset,
    Unsupported,
)

CAPABILITIES = PtzCapabilities(
    continuous=True,
    absolute=True,
    relative=True,
    presets=True,
    home=True,
    max_presets=const.PTZ_MAX_PRESETS,
)

_LIMITS = {"pan": (-1.0, 1.0), "tilt": (-1.0, 1.0), "zoom": (0.0, 1.0)}


def _unit(value: float) -> float:
    return min(1.0, max(-1.0, value))


def _quantise(value: float, step: float) -> float:
    return round(value / step) * step + 0.0


class PtzHead:
    """Position and presets of one PTZ channel. Thread-safe."""

    def __init__(self, clock: Clock, home: PtzPosition | None = None) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._home = home or PtzPosition()
        self._origin = self._home
        self._since = clock.monotonic()
        self._velocity = (0.0, 0.0, 0.0)
        self._until: float | None = None
        self._presets: dict[str, PtzPosition] = {}

    def position(self) -> PtzPosition:
        with self._lock:
            return self._position_at(self._clock.monotonic())

    def view(self) -> View:
        """The position rounded to the steps the picture is rendered at."""
        pos = self.position()
        return View(
            pan=_quantise(pos.pan, const.PTZ_PAN_TILT_STEP),
            tilt=_quantise(pos.tilt, const.PTZ_PAN_TILT_STEP),
            zoom=_quantise(pos.zoom, const.PTZ_ZOOM_STEP),
        )

    def status(self) -> PtzStatus:
        with self._lock:
            now = self._clock.monotonic()
            pos = self._position_at(now)
            return PtzStatus(
                position=pos, moving=self._moving(pos, now), presets=tuple(sorted(self._presets))
            )

    def execute(self, command: PtzCommand) -> PtzStatus:
        """Apply ``command``; raises ``ConfigurationError`` for an unknown or excess preset."""
        with self._lock:
            now = self._clock.monotonic()
            current = self._position_at(now)
            target = self._target(command, current)
            self._origin, self._since = target, now
            if isinstance(command, ContinuousMove):
                self._start_continuous(command, now)
            elif not isinstance(command, SetPreset | ClearPreset):
                self._velocity, self._until = (0.0, 0.0, 0.0), None
        return self.status()

    def _target(self, command: PtzCommand, current: PtzPosition) -> PtzPosition:
        if isinstance(command, ContinuousMove | PtzStop):
            return current
        if isinstance(command, AbsoluteMove):
            return command.position.clamped()
        if isinstance(command, RelativeMove):
            moved = PtzPosition(
                current.pan + command.pan, current.tilt + command.tilt, current.zoom + command.zoom
            )
            return moved.clamped()
        if isinstance(command, GotoHome):
            return self._home
        if isinstance(command, GotoPreset):
            if command.preset not in self._presets:
                raise InvalidRequest(f"no PTZ preset {command.preset!r}")
            return self._presets[command.preset]
        if isinstance(command, SetPreset):
            self._store_preset(command.preset, current)
            return current
        if isinstance(command, ClearPreset):
            if self._presets.pop(command.preset, None) is None:
                raise InvalidRequest(f"no PTZ preset {command.preset!r}")
            return current
        raise Unsupported(f"PTZ command {type(command).__name__} is not supported")

    def _store_preset(self, preset: str, position: PtzPosition) -> None:
        if preset not in self._presets and len(self._presets) >= const.PTZ_MAX_PRESETS:
            raise InvalidRequest(f"at most {const.PTZ_MAX_PRESETS} PTZ presets")
        self._presets[preset] = position

    def _start_continuous(self, move: ContinuousMove, now: float) -> None:
        self._velocity = (_unit(move.pan), _unit(move.tilt), _unit(move.zoom))
        self._until = now + move.timeout if move.timeout is not None else None

    def _position_at(self, now: float) -> PtzPosition:
        end = now if self._until is None else min(now, self._until)
        elapsed = max(0.0, end - self._since)
        vp, vt, vz = self._velocity
        pan_tilt = const.PTZ_PAN_TILT_SPEED * elapsed
        moved = replace(
            self._origin,
            pan=self._origin.pan + vp * pan_tilt,
            tilt=self._origin.tilt + vt * pan_tilt,
            zoom=self._origin.zoom + vz * const.PTZ_ZOOM_SPEED * elapsed,
        )
        return moved.clamped()

    def _moving(self, pos: PtzPosition, now: float) -> bool:
        if self._until is not None and now >= self._until:
            return False
        for axis, velocity in zip(("pan", "tilt", "zoom"), self._velocity, strict=True):
            low, high = _LIMITS[axis]
            value = getattr(pos, axis)
            if (velocity > 0 and value < high) or (velocity < 0 and value > low):
                return True
        return False
