"""PTZ commands as ONVIF requests, against a recording stand-in for the SOAP client."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest

from argus_driver_onvif import const
from argus_driver_onvif.ptz import OnvifPtz, capabilities
from argus_sdk import (
    ContinuousMove,
    DeviceUnavailable,
    GotoPreset,
    InvalidRequest,
    PtzCapabilities,
    PtzPosition,
    PtzStop,
    SetPreset,
    Unsupported,
)

ALL = PtzCapabilities(
    continuous=True, absolute=True, relative=True, presets=True, home=True, max_presets=8
)


class FakeClient:
    where = "onvif://cam:80"

    def __init__(self, presets: list[tuple[str, str]] | None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.presets = presets

    def call(self, service: str, operation: str, *, reply: bool = True, **params: Any) -> Any:
        self.calls.append((operation, params))
        if operation == "GetPresets":
            if self.presets is None:
                raise DeviceUnavailable("unreadable")
            return [SimpleNamespace(token=t, Name=n) for t, n in self.presets]
        if operation == "GetStatus":
            return SimpleNamespace(
                Position=SimpleNamespace(
                    PanTilt=SimpleNamespace(x=0.5, y=-0.5), Zoom=SimpleNamespace(x=0.25)
                )
            )
        return None


def _ptz(presets: list[tuple[str, str]] | None, caps: PtzCapabilities = ALL) -> Any:
    client = FakeClient(presets)
    return OnvifPtz(client, "P1", caps, logging.getLogger("t")), client  # type: ignore[arg-type]


def _last(client: FakeClient, operation: str) -> dict[str, Any]:
    return [params for op, params in client.calls if op == operation][-1]


def test_node_spaces_make_the_capabilities() -> None:
    node = SimpleNamespace(
        SupportedPTZSpaces=SimpleNamespace(
            ContinuousPanTiltVelocitySpace=[object()], AbsolutePanTiltPositionSpace=[]
        ),
        MaximumNumberOfPresets=0,
        HomeSupported=False,
    )
    assert capabilities(node) == PtzCapabilities(continuous=True)


def test_a_continuous_move_in_generic_velocity_space_with_timeout() -> None:
    ptz, client = _ptz([])
    status = ptz.execute(ContinuousMove(pan=0.5, zoom=-0.2, timeout=2.5))
    op, params = client.calls[0]
    assert op == "ContinuousMove"
    assert params["Velocity"]["PanTilt"] == {"x": 0.5, "y": 0.0, "space": const.PAN_TILT_VELOCITY}
    assert params["Timeout"].total_seconds() == 2.5
    assert status.moving and status.position == PtzPosition(0.5, -0.5, 0.25)


def test_presets_are_found_by_token_or_name() -> None:
    ptz, client = _ptz([("1", "Gate"), ("2", "Door")])
    ptz.execute(GotoPreset("Door"))
    assert _last(client, "GotoPreset") == {"ProfileToken": "P1", "PresetToken": "2"}
    with pytest.raises(InvalidRequest, match="no PTZ preset 'Yard'"):
        ptz.execute(GotoPreset("Yard"))
    ptz.execute(SetPreset("Gate"))  # overwrites token 1
    assert _last(client, "SetPreset") == {
        "ProfileToken": "P1",
        "PresetName": "Gate",
        "PresetToken": "1",
    }
    ptz.execute(SetPreset("Yard", "Back yard"))  # a new one: the camera picks the token
    assert _last(client, "SetPreset") == {"ProfileToken": "P1", "PresetName": "Back yard"}


def test_an_unreadable_preset_list_takes_the_preset_as_its_token() -> None:
    ptz, client = _ptz(None)
    status = ptz.execute(GotoPreset("7"))
    assert ("GotoPreset", {"ProfileToken": "P1", "PresetToken": "7"}) in client.calls
    assert status.presets == ()


def test_undeclared_capabilities_are_unsupported() -> None:
    ptz, client = _ptz([], PtzCapabilities(continuous=True))
    with pytest.raises(Unsupported, match="no presets"):
        ptz.execute(GotoPreset("1"))
    ptz.execute(PtzStop())
    assert client.calls[0] == ("Stop", {"ProfileToken": "P1", "PanTilt": True, "Zoom": True})
