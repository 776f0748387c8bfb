from __future__ import annotations

from importlib.metadata import entry_points

import pluggy

from argus_driver_rtsp import plugin
from argus_driver_rtsp.settings import RtspCameraSettings
from argus_sdk import CameraDriver, PluginContext
from argus_sdk.hookspecs import KINDS, camera


def test_registered_through_the_camera_driver_entry_point() -> None:
    group = "argus.camera_drivers"
    assert group in KINDS
    (ep,) = [e for e in entry_points(group=group) if e.name == "rtsp"]
    assert ep.value == "argus_driver_rtsp.plugin"
    assert ep.load() is plugin


def test_hooks_validate_against_the_specs_and_build_a_driver(context: PluginContext) -> None:
    pm = pluggy.PluginManager("argus")
    pm.add_hookspecs(camera)
    pm.register(plugin, name="rtsp")
    pm.check_pending()
    ((driver_type,),) = pm.hook.argus_camera_drivers()
    assert (driver_type.name, driver_type.settings) == ("rtsp", RtspCameraSettings)
    cam = driver_type.open(RtspCameraSettings(main_url="rtsp://127.0.0.1:9/x"), context)
    assert isinstance(cam, CameraDriver)
    cam.close()
