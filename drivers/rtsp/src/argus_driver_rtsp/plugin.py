"""The hook implementations of the RTSP driver plugin.

Registered through the ``argus.camera_drivers`` entry point, which names this module.
"""

from __future__ import annotations

from argus_driver_rtsp import const
from argus_driver_rtsp.device import open_camera
from argus_driver_rtsp.settings import RtspCameraSettings
from argus_sdk import CameraDriverType, hookimpl


@hookimpl
def argus_camera_drivers() -> list[CameraDriverType]:
    return [
        CameraDriverType(
            name=const.DRIVER,
            title="RTSP camera",
            settings=RtspCameraSettings,
            open=open_camera,
        )
    ]
