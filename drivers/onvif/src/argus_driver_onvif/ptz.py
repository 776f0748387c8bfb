"""PTZ through the ONVIF PTZ service: capabilities from the node, SDK commands as requests.

Positions, translations and velocities are sent in ONVIF's generic spaces,
whose ranges are the SDK's normalised ones (pan/tilt -1..1, zoom 0..1 for
positions), so values pass unchanged. A status after a command comes from
GetStatus and GetPresets; a camera whose replies cannot be read there still
moves, and the status then says only what the driver knows (no position).
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from argus_driver_onvif import const
from argus_driver_onvif.soap import OnvifClient
from argus_sdk import (
    AbsoluteMove,
    ArgusError,
    AuthenticationFailed,
    ClearPreset,
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


def capabilities(node: Any) -> PtzCapabilities:
    """What a PTZ node (GetNode) offers, in the SDK's terms."""
    spaces = getattr(node, "SupportedPTZSpaces", None)

    def has(*names: str) -> bool:
        return any(bool(getattr(spaces, n, None)) for n in names) if spaces is not None else False

    presets = int(getattr(node, "MaximumNumberOfPresets", 0) or 0)
    return PtzCapabilities(
        continuous=has("ContinuousPanTiltVelocitySpace", "ContinuousZoomVelocitySpace"),
        absolute=has("AbsolutePanTiltPositionSpace", "AbsoluteZoomPositionSpace"),
        relative=has("RelativePanTiltTranslationSpace", "RelativeZoomTranslationSpace"),
        presets=presets > 0,
        home=bool(getattr(node, "HomeSupported", False)),
        max_presets=presets,
    )


def _vector(pan: float, tilt: float, zoom: float, pt_space: str, z_space: str) -> dict[str, Any]:
    return {
        "PanTilt": {"x": pan, "y": tilt, "space": pt_space},
        "Zoom": {"x": zoom, "space": z_space},
    }


class OnvifPtz:
    """The PTZ of one media profile (the main stream's)."""

    def __init__(
        self,
        client: OnvifClient,
        profile: str,
        caps: PtzCapabilities,
        log: logging.Logger,
    ) -> None:
        self._client = client
        self._profile = profile
        self.capabilities = caps
        self._log = log

    def execute(self, command: PtzCommand) -> PtzStatus:
        caps, token = self.capabilities, self._profile
        call = self._client.call
        match command:
            case ContinuousMove(pan=pan, tilt=tilt, zoom=zoom, timeout=timeout):
                self._need(caps.continuous, "continuous moves")
                params: dict[str, Any] = {
                    "ProfileToken": token,
                    "Velocity": _vector(
                        pan, tilt, zoom, const.PAN_TILT_VELOCITY, const.ZOOM_VELOCITY
                    ),
                }
                if timeout is not None:
                    params["Timeout"] = datetime.timedelta(seconds=timeout)
                call("ptz", "ContinuousMove", reply=False, **params)
            case AbsoluteMove(position=position):
                self._need(caps.absolute, "absolute moves")
                p = position.clamped()
                call(
                    "ptz",
                    "AbsoluteMove",
                    reply=False,
                    ProfileToken=token,
                    Position=_vector(
                        p.pan, p.tilt, p.zoom, const.PAN_TILT_POSITION, const.ZOOM_POSITION
                    ),
                )
            case RelativeMove(pan=pan, tilt=tilt, zoom=zoom):
                self._need(caps.relative, "relative moves")
                call(
                    "ptz",
                    "RelativeMove",
                    reply=False,
                    ProfileToken=token,
                    Translation=_vector(
                        pan, tilt, zoom, const.PAN_TILT_TRANSLATION, const.ZOOM_TRANSLATION
                    ),
                )
            case PtzStop():
                call("ptz", "Stop", reply=False, ProfileToken=token, PanTilt=True, Zoom=True)
            case GotoHome():
                self._need(caps.home, "a home position")
                call("ptz", "GotoHomePosition", reply=False, ProfileToken=token)
            case GotoPreset(preset=preset):
                self._need(caps.presets, "presets")
                known = self._presets()  # a recall leaves them as they are: the status's too
                call(
                    "ptz",
                    "GotoPreset",
                    reply=False,
                    ProfileToken=token,
                    PresetToken=self._token(preset, known),
                )
                return PtzStatus(position=self._current_position(), presets=_names(known))
            case SetPreset(preset=preset, name=name):
                self._need(caps.presets, "presets")
                params = {"ProfileToken": token, "PresetName": name or preset}
                existing = self._token(preset, self._presets(), must_exist=False)
                if existing is not None:  # overwrite; else the camera makes a new token
                    params["PresetToken"] = existing
                call("ptz", "SetPreset", reply=False, **params)
            case ClearPreset(preset=preset):
                self._need(caps.presets, "presets")
                call(
                    "ptz",
                    "RemovePreset",
                    reply=False,
                    ProfileToken=token,
                    PresetToken=self._token(preset, self._presets()),
                )
            case _:
                # LensMove (focus, iris) needs the imaging service: not supported yet.
                raise Unsupported(f"{self._client.where}: unsupported PTZ command {command!r}")
        return self.status(moving=isinstance(command, ContinuousMove))

    def status(self, moving: bool = False) -> PtzStatus:
        """Position and presets as far as the camera's replies can be read."""
        position = self._current_position()
        return PtzStatus(position=position, moving=moving, presets=_names(self._presets()))

    def _current_position(self) -> PtzPosition | None:
        """Where the camera is (GetStatus); ``None`` when its reply cannot be read."""
        try:
            reply = self._client.call("ptz", "GetStatus", ProfileToken=self._profile)
        except AuthenticationFailed:
            raise
        except ArgusError as exc:
            self._log.debug("%s: no PTZ status: %s", self._client.where, exc)
            return None
        return _position(getattr(reply, "Position", None))

    def _presets(self) -> list[tuple[str, str]] | None:
        """``(token, name)`` of every preset; ``None`` when the camera's reply cannot be read."""
        if not self.capabilities.presets:
            return []
        try:
            reply = self._client.call("ptz", "GetPresets", ProfileToken=self._profile)
        except AuthenticationFailed:
            raise
        except ArgusError as exc:
            self._log.debug("%s: no PTZ presets: %s", self._client.where, exc)
            return None
        return [(str(p.token), str(getattr(p, "Name", "") or p.token)) for p in reply or ()]

    def _token(
        self, preset: str, known: list[tuple[str, str]] | None, must_exist: bool = True
    ) -> str | None:
        """The camera's token of ``preset`` (given as a token or a name) among ``known``
        (:meth:`_presets`).

        When the camera's preset list cannot be read, ``preset`` is taken as the token.
        :raises InvalidRequest: ``must_exist`` and the camera has no such preset.
        """
        if known is None:
            return preset
        for token, name in known:
            if preset in (token, name):
                return token
        if must_exist:
            raise InvalidRequest(f"{self._client.where}: no PTZ preset {preset!r}")
        return None

    def _need(self, offered: bool, what: str) -> None:
        if not offered:
            raise Unsupported(f"{self._client.where}: the camera's PTZ node offers no {what}")


def _names(presets: list[tuple[str, str]] | None) -> tuple[str, ...]:
    return tuple(name for _, name in presets or ())


def _position(vector: Any) -> PtzPosition | None:
    if vector is None:
        return None
    pan_tilt, zoom = getattr(vector, "PanTilt", None), getattr(vector, "Zoom", None)
    return PtzPosition(
        pan=float(getattr(pan_tilt, "x", 0.0) or 0.0),
        tilt=float(getattr(pan_tilt, "y", 0.0) or 0.0),
        zoom=float(getattr(zoom, "x", 0.0) or 0.0),
    )
