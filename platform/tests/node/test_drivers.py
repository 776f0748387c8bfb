"""The driver table: names from plugins, settings validated by the driver's own model."""

from __future__ import annotations

import pytest

from argus.kernel import Kernel
from argus.node.drivers import DriverTable
from argus.testing import DistFactory
from argus_sdk import ConfigurationError, PluginContext

DRIVER = """
from pydantic import BaseModel, Field
from argus_sdk import CameraDriverType, hookimpl

class Settings(BaseModel):
    address: str = Field(title="Address")
    port: int = Field(554, ge=1, le=65535)

def open_device(settings, context):
    return ("{tag}", settings, context.owner)

@hookimpl
def argus_camera_drivers():
    return [CameraDriverType("{driver}", "Test", Settings, open_device)]
"""


def install(dists: DistFactory, plugin: str, driver: str, tag: str) -> None:
    module = DistFactory.unique(plugin)
    dists.make(
        f"argus-driver-{plugin}",
        entry_points={"argus.camera_drivers": {plugin: module}},
        modules={module: DRIVER.format(driver=driver, tag=tag)},
    )


def table(dists: DistFactory, enabled: set[str]) -> DriverTable:
    kernel = Kernel(enabled=enabled)
    kernel.load()
    return DriverTable(kernel)


def test_open_validates_settings_with_the_driver_model(dists: DistFactory) -> None:
    install(dists, "cam", "testcam", "first")
    drivers = table(dists, {"cam"})
    assert drivers.names() == ["testcam"]
    tag, settings, owner = drivers.open(  # type: ignore[misc]
        "testcam", {"address": "10.0.0.5"}, PluginContext(owner="cam-1")
    )
    assert (tag, settings.port, owner) == ("first", 554, "cam-1")
    with pytest.raises(ConfigurationError, match="invalid settings for driver 'testcam'"):
        drivers.open("testcam", {"address": "x", "port": 0}, PluginContext(owner="cam-1"))


def test_unknown_driver_names_what_is_installed(dists: DistFactory) -> None:
    install(dists, "cam", "testcam", "first")
    drivers = table(dists, {"cam"})
    with pytest.raises(ConfigurationError, match=r"no driver named 'nope'.*testcam"):
        drivers.open("nope", {}, PluginContext(owner="x"))


def test_a_driver_name_claimed_twice_keeps_one_owner(dists: DistFactory) -> None:
    install(dists, "one", "shared", "one")
    install(dists, "two", "shared", "two")
    drivers = table(dists, {"one", "two"})
    assert drivers.names() == ["shared"]
    tag = drivers.open("shared", {"address": "a"}, PluginContext(owner="x"))[0]  # type: ignore[index]
    assert tag == drivers.plugin_of("shared")
