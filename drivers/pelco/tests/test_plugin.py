from __future__ import annotations

from importlib.metadata import entry_points

import pluggy
import pytest

from argus_driver_pelco import plugin
from argus_driver_pelco.settings import PelcoSettings
from argus_driver_pelco.testing import Pty
from argus_sdk import CameraDriver, ConfigurationError, PluginContext
from argus_sdk.hookspecs import KINDS, camera


def test_registered_through_the_camera_drivers_entry_point() -> None:
    assert "argus.camera_drivers" in KINDS
    (ep,) = [e for e in entry_points(group="argus.camera_drivers") if e.name == "pelco"]
    assert ep.value == "argus_driver_pelco.plugin"
    assert ep.load() is plugin


def test_hook_validates_against_the_spec_and_builds_a_driver(
    context: PluginContext, pty: Pty
) -> None:
    pm = pluggy.PluginManager("argus")
    pm.add_hookspecs(camera)
    pm.register(plugin, name="pelco")
    pm.check_pending()
    ((driver_type,),) = pm.hook.argus_camera_drivers()
    assert (driver_type.name, driver_type.settings) == ("pelco", PelcoSettings)
    device = driver_type.open(PelcoSettings(port=pty.path), context)
    assert isinstance(device, CameraDriver)
    device.close()
    with pytest.raises(ConfigurationError, match="PelcoSettings"):
        driver_type.open(camera, context)
