"""The hook implementations of the ONVIF driver plugin.

Registered through the ``argus.camera_drivers`` entry point, which names this module.
"""

from __future__ import annotations

from argus_driver_onvif import const
from argus_driver_onvif.device import open_camera
from argus_driver_onvif.settings import OnvifCameraSettings
from argus_sdk import CameraDriverType, hookimpl


@hookimpl
def argus_camera_drivers() -> list[CameraDriverType]:
    return [
        CameraDriverType(
            name=const.DRIVER,
            title="ONVIF camera",
            settings=OnvifCameraSettings,
            open=open_camera,
        )
    ]
