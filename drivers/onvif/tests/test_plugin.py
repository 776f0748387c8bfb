from __future__ import annotations

from importlib.metadata import entry_points

import pluggy

from argus_driver_onvif import plugin
from argus_driver_onvif.settings import OnvifCameraSettings
from argus_sdk import CameraDriver, PluginContext
from argus_sdk.hookspecs import camera


def test_registered_through_the_camera_driver_entry_point() -> None:
    (ep,) = [e for e in entry_points(group="argus.camera_drivers") if e.name == "onvif"]
    assert ep.value == "argus_driver_onvif.plugin"
    assert ep.load() is plugin


def test_hooks_validate_and_open_does_not_contact_the_camera(context: PluginContext) -> None:
    pm = pluggy.PluginManager("argus")
    pm.add_hookspecs(camera)
    pm.register(plugin, name="onvif")
    pm.check_pending()
    ((driver_type,),) = pm.hook.argus_camera_drivers()
    assert (driver_type.name, driver_type.settings) == ("onvif", OnvifCameraSettings)
    cam = driver_type.open(OnvifCameraSettings(host="127.0.0.1", port=9), context)
    assert isinstance(cam, CameraDriver)
    cam.close()
    cam.close()


def test_importing_the_driver_leaves_logging_alone() -> None:
    """onvif-zeep's own package calls logging.basicConfig at import; the driver takes only
    its WSDL files and never imports it."""
    import sys

    import argus_driver_onvif.device  # noqa: F401

    assert "onvif" not in sys.modules
