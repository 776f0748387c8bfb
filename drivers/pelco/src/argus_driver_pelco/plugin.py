"""The hook implementation of the Pelco driver plugin (camera kind).

Registered through the ``argus.camera_drivers`` entry point, naming this module.
"""

from __future__ import annotations

from argus_driver_pelco import const
from argus_driver_pelco.device import open_device
from argus_driver_pelco.settings import PelcoSettings
from argus_sdk import CameraDriverType, hookimpl


@hookimpl
def argus_camera_drivers() -> list[CameraDriverType]:
    return [
        CameraDriverType(
            name=const.DRIVER,
            title="Pelco-D/P serial PTZ domes",
            settings=PelcoSettings,
            open=open_device,
        )
    ]
