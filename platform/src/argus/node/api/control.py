"""PTZ and digital I/O through the node API, each call checked against the caller's rights.

PTZ needs the ``ptz`` right on the camera; I/O ports belong to a device, so reading
or switching them needs the ``io`` right on one of the device's cameras. Every PTZ
command and output switch is reported for the master's audit trail. Driver calls
block (they talk to the device), so the routes run in FastAPI's thread pool.
"""

from __future__ import annotations

import threading
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from argus.node.api.auth import Caller, Who
from argus.node.api.reports import audit
from argus.node.runtime import Camera, Node
from argus.protocol import Right
from argus_sdk import (
    AbsoluteMove,
    ArgusError,
    ClearPreset,
    ContinuousMove,
    DeviceUnavailable,
    GotoHome,
    GotoPreset,
    InvalidRequest,
    IoDirection,
    LensMove,
    PtzCommand,
    PtzPosition,
    PtzStatus,
    PtzStop,
    RelativeMove,
    SetPreset,
    Unsupported,
)

Axis = Annotated[float, Field(ge=-1, le=1)]


class PtzCommandIn(BaseModel):
    """One PTZ command. ``continuous``: velocities pan/tilt/zoom in -1..1 until ``stop`` or
    ``timeout``; ``absolute``: pan/tilt in -1..1, zoom in 0..1; ``relative``: offsets;
    ``goto_preset`` / ``set_preset`` / ``clear_preset``: ``preset``; ``home``; ``lens``:
    focus (near -1 .. far 1) and iris (close -1 .. open 1) speeds until ``stop`` or
    ``timeout``; ``stop``."""

    action: Literal[
        "continuous",
        "stop",
        "absolute",
        "relative",
        "goto_preset",
        "set_preset",
        "clear_preset",
        "home",
        "lens",
    ]
    pan: Axis = 0.0
    tilt: Axis = 0.0
    zoom: Axis = 0.0
    focus: Axis = 0.0
    iris: Axis = 0.0
    timeout: float | None = Field(
        None, gt=0, le=60, description="continuous, lens: stop after (s)."
    )
    preset: str = Field("", max_length=64)
    name: str = Field("", max_length=255, description="set_preset: a name for the preset.")

    def command(self) -> PtzCommand:
        """:raises HTTPException: 422 for a preset action without a preset."""
        match self.action:
            case "continuous":
                return ContinuousMove(self.pan, self.tilt, self.zoom, self.timeout)
            case "stop":
                return PtzStop()
            case "absolute":
                if self.zoom < 0:
                    raise _invalid("an absolute zoom is between 0 and 1")
                return AbsoluteMove(PtzPosition(self.pan, self.tilt, self.zoom))
            case "relative":
                return RelativeMove(self.pan, self.tilt, self.zoom)
            case "home":
                return GotoHome()
            case "lens":
                return LensMove(self.focus, self.iris, self.timeout)
        if not self.preset:
            raise _invalid(f"{self.action} needs a preset")
        if self.action == "goto_preset":
            return GotoPreset(self.preset)
        if self.action == "clear_preset":
            return ClearPreset(self.preset)
        return SetPreset(self.preset, self.name)


class PtzCapabilitiesOut(BaseModel):
    continuous: bool
    absolute: bool
    relative: bool
    presets: bool
    home: bool
    max_presets: int
    focus: bool
    iris: bool


class PtzOut(BaseModel):
    camera: str
    capabilities: PtzCapabilitiesOut
    position: dict[str, float] | None = Field(
        description="pan, tilt (-1..1) and zoom (0..1) after the last command; None: unknown."
    )
    moving: bool
    presets: list[str]


class PortOut(BaseModel):
    id: str
    name: str
    active: bool | None = Field(
        description="Inputs: the current state. Outputs: as last switched through this node "
        "(None: not switched since the node started)."
    )


class IoOut(BaseModel):
    device: str
    inputs: list[PortOut]
    outputs: list[PortOut]


class OutputIn(BaseModel):
    active: bool


def router(node: Node) -> APIRouter:
    """The PTZ and I/O routes of ``node``."""
    api = APIRouter(tags=["control"])
    last_ptz: dict[str, PtzStatus] = {}
    outputs: dict[tuple[str, str], bool] = {}
    lock = threading.Lock()

    def ptz_camera(camera: str, caller: Caller) -> Camera:
        found = node.cameras.get(camera)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no camera {camera}")
        caller.require(camera, Right.PTZ)
        if found.ptz is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"camera {camera} has no PTZ")
        return found

    def ptz_out(camera: Camera, state: PtzStatus | None) -> PtzOut:
        assert camera.ptz is not None
        caps = camera.ptz
        position = state.position if state is not None else None
        return PtzOut(
            camera=camera.id,
            capabilities=PtzCapabilitiesOut(
                continuous=caps.continuous,
                absolute=caps.absolute,
                relative=caps.relative,
                presets=caps.presets,
                home=caps.home,
                max_presets=caps.max_presets,
                focus=caps.focus,
                iris=caps.iris,
            ),
            position=None
            if position is None
            else {"pan": position.pan, "tilt": position.tilt, "zoom": position.zoom},
            moving=state.moving if state is not None else False,
            presets=list(state.presets) if state is not None else [],
        )

    @api.get("/cameras/{camera}/ptz", response_model=PtzOut)
    def ptz_state(camera: str, caller: Who) -> PtzOut:
        """The camera's PTZ capabilities and its state after the last command."""
        found = ptz_camera(camera, caller)
        with lock:
            state = last_ptz.get(camera)
        return ptz_out(found, state)

    @api.post("/cameras/{camera}/ptz", response_model=PtzOut)
    def ptz(camera: str, body: PtzCommandIn, caller: Who) -> PtzOut:
        """Move the camera (needs the ptz right on it); reported to the audit trail."""
        found = ptz_camera(camera, caller)
        command = body.command()
        try:
            state = node.device(found.device).ptz(found.channel, command)
        except KeyError as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no camera {camera}") from exc
        except ArgusError as exc:
            raise _driver_error(exc) from exc
        with lock:
            last_ptz[camera] = state
        audit(node, caller, "ptz", camera=camera, command=body.action)
        return ptz_out(found, state)

    def io_device(device: str, caller: Caller) -> None:
        if device not in node.descriptions:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no device {device}")
        cameras = [c.id for c in node.cameras.values() if c.device == device]
        if not any(caller.may(c, Right.IO) for c in cameras):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"{caller.name} has no io right on device {device}"
            )

    @api.get("/devices/{device}/io", response_model=IoOut)
    def io_state(device: str, caller: Who) -> IoOut:
        """The device's inputs with their states and its outputs (needs the io right on one
        of the device's cameras)."""
        io_device(device, caller)
        description = node.descriptions[device]
        try:
            states = node.device(device).input_states() if description.inputs else {}
        except ArgusError as exc:
            raise _driver_error(exc) from exc
        with lock:
            switched = {port: on for (d, port), on in outputs.items() if d == device}
        return IoOut(
            device=device,
            inputs=[
                PortOut(id=p.id, name=p.name or p.id, active=states.get(p.id))
                for p in description.io_ports
                if p.direction is IoDirection.INPUT
            ],
            outputs=[
                PortOut(id=p.id, name=p.name or p.id, active=switched.get(p.id))
                for p in description.io_ports
                if p.direction is IoDirection.OUTPUT
            ],
        )

    @api.put("/devices/{device}/outputs/{port}", response_model=IoOut)
    def set_output(
        device: str,
        port: str,
        body: OutputIn,
        caller: Who,
    ) -> IoOut:
        """Switch a relay output; reported to the audit trail."""
        io_device(device, caller)
        ports = {p.id for p in node.descriptions[device].outputs}
        if port not in ports:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"device {device} has no output {port}")
        try:
            node.device(device).set_output(port, body.active)
        except ArgusError as exc:
            raise _driver_error(exc) from exc
        with lock:
            outputs[(device, port)] = body.active
        audit(node, caller, "io", device=device, port=port, active=body.active)
        return io_state(device, caller)

    return api


def _invalid(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


def _driver_error(exc: ArgusError) -> HTTPException:
    if isinstance(exc, Unsupported | InvalidRequest):
        return _invalid(str(exc))
    if isinstance(exc, DeviceUnavailable):
        return HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc))
    return HTTPException(status.HTTP_502_BAD_GATEWAY, str(exc))
