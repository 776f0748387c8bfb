"""PTZ against the independent ONVIF camera (ipycam), checked through its own ``/api/ptz``.

ipycam's PTZ GetStatus and GetPresets replies cannot be parsed by zeep, so the
positions are read from the camera itself, never from the driver's status.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from argus_driver_onvif.device import OnvifCamera, open_camera
from argus_sdk import (
    AbsoluteMove,
    ContinuousMove,
    GotoHome,
    GotoPreset,
    InvalidRequest,
    PluginContext,
    PtzPosition,
    PtzStatus,
    PtzStop,
    RelativeMove,
    SetPreset,
    Unsupported,
)

IpyCam = Any  # the camera of conftest.py


@pytest.fixture
def camera(own_ipycam: IpyCam, context: PluginContext) -> Iterator[OnvifCamera]:
    cam = open_camera(own_ipycam.settings(), context)
    try:
        yield cam
    finally:
        cam.close()


def _at(cam: IpyCam, pan: float, tilt: float, zoom: float) -> bool:
    p = cam.ptz_position()
    return bool(
        abs(p["pan"] - pan) < 1e-3 and abs(p["tilt"] - tilt) < 1e-3 and abs(p["zoom"] - zoom) < 1e-3
    )


def test_capabilities_come_from_the_ptz_node(camera: OnvifCamera) -> None:
    caps = camera.describe().channels[0].ptz
    assert caps is not None
    assert (caps.continuous, caps.absolute, caps.relative, caps.home, caps.presets) == (
        True, True, True, True, True,
    )  # fmt: skip
    assert caps.max_presets == 10 and not caps.focus and not caps.iris


def test_continuous_move_and_stop(
    camera: OnvifCamera, own_ipycam: IpyCam, wait_until: Callable[..., bool]
) -> None:
    status = camera.ptz(0, ContinuousMove(pan=0.8, tilt=-0.5))
    assert isinstance(status, PtzStatus) and status.moving
    assert wait_until(lambda: own_ipycam.ptz_position()["pan"] > 0.05)
    assert own_ipycam.ptz_position()["moving"]
    assert own_ipycam.ptz_position()["tilt"] < 0
    status = camera.ptz(0, PtzStop())
    assert not status.moving
    assert wait_until(lambda: not own_ipycam.ptz_position()["moving"])
    stopped = own_ipycam.ptz_position()
    assert wait_until(lambda: own_ipycam.ptz_position() == stopped, 1.0)


def test_absolute_relative_and_home(camera: OnvifCamera, own_ipycam: IpyCam) -> None:
    camera.ptz(0, AbsoluteMove(PtzPosition(pan=0.25, tilt=-0.25, zoom=0.5)))
    assert _at(own_ipycam, 0.25, -0.25, 0.5)
    camera.ptz(0, AbsoluteMove(PtzPosition(pan=3.0, tilt=0.0, zoom=-1.0)))  # clamped
    assert _at(own_ipycam, 1.0, 0.0, 0.0)
    camera.ptz(0, AbsoluteMove(PtzPosition(pan=0.5, tilt=0.0, zoom=0.2)))
    camera.ptz(0, RelativeMove(pan=-0.1, tilt=0.2, zoom=0.1))
    assert _at(own_ipycam, 0.4, 0.2, 0.3)
    camera.ptz(0, GotoHome())
    assert _at(own_ipycam, 0.0, 0.0, 0.0)


def test_presets(camera: OnvifCamera, own_ipycam: IpyCam) -> None:
    """ipycam takes a SetPreset's token from an attribute (ONVIF sends an element), so it
    makes a token of its own, which its unparseable replies do not tell: the test reads it
    from the presets file ipycam keeps in its folder, and goes there by that token."""
    camera.ptz(0, AbsoluteMove(PtzPosition(pan=-0.3, tilt=0.4, zoom=0.6)))
    camera.ptz(0, SetPreset("3", "Gate"))
    saved = json.loads((own_ipycam.folder / "ptz_presets.json").read_text())
    ((token, preset),) = [(t, p) for t, p in saved.items() if p["name"] == "Gate"]
    assert (preset["pan"], preset["tilt"], preset["zoom"]) == pytest.approx((-0.3, 0.4, 0.6))
    camera.ptz(0, GotoHome())
    assert _at(own_ipycam, 0.0, 0.0, 0.0)
    camera.ptz(0, GotoPreset(token))
    assert _at(own_ipycam, -0.3, 0.4, 0.6)


def test_other_channels_and_lens_commands(camera: OnvifCamera) -> None:
    with pytest.raises(InvalidRequest):
        camera.ptz(1, GotoHome())
    import argus_sdk

    lens = getattr(argus_sdk, "LensMove", None)
    if lens is not None:  # newer SDKs: focus and iris need the imaging service
        with pytest.raises(Unsupported):
            camera.ptz(0, lens(focus=0.5))
