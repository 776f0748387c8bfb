from __future__ import annotations

from importlib.metadata import entry_points

import pluggy

from argus_driver_sim import plugin
from argus_driver_sim.settings import SimCameraSettings, SimEncoderSettings
from argus_sdk import CameraDriver, EncoderDriver, PluginContext
from argus_sdk.hookspecs import KINDS, camera, encoder


def test_registered_through_both_entry_point_groups() -> None:
    for group in ("argus.camera_drivers", "argus.encoder_drivers"):
        assert group in KINDS
        (ep,) = [e for e in entry_points(group=group) if e.name == "sim"]
        assert ep.value == "argus_driver_sim.plugin"
        assert ep.load() is plugin


def test_hooks_validate_against_the_specs_and_build_drivers(context: PluginContext) -> None:
    pm = pluggy.PluginManager("argus")
    pm.add_hookspecs(camera)
    pm.add_hookspecs(encoder)
    pm.register(plugin, name="sim")
    pm.check_pending()
    ((camera_type,),) = pm.hook.argus_camera_drivers()
    ((encoder_type,),) = pm.hook.argus_encoder_drivers()
    assert (camera_type.name, camera_type.settings) == ("sim", SimCameraSettings)
    assert (encoder_type.name, encoder_type.settings) == ("sim-encoder", SimEncoderSettings)
    cam = camera_type.open(SimCameraSettings(), context)
    enc = encoder_type.open(SimEncoderSettings(), context)
    assert isinstance(cam, CameraDriver) and isinstance(enc, EncoderDriver)
    cam.close()
    enc.close()
