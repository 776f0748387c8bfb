"""The hook implementations of the simulated driver plugin (camera and encoder kinds).

Registered through the ``argus.camera_drivers`` and ``argus.encoder_drivers``
entry points, both naming this module.
"""

from __future__ import annotations

from argus_driver_sim import const
from argus_driver_sim.device import open_camera, open_encoder
from argus_driver_sim.settings import SimCameraSettings, SimEncoderSettings
from argus_sdk import CameraDriverType, EncoderDriverType, hookimpl


@hookimpl
def argus_camera_drivers() -> list[CameraDriverType]:
    return [
        CameraDriverType(
            name=const.CAMERA_DRIVER,
            title="Simulated camera",
            settings=SimCameraSettings,
            open=open_camera,
        )
    ]


@hookimpl
def argus_encoder_drivers() -> list[EncoderDriverType]:
    return [
        EncoderDriverType(
            name=const.ENCODER_DRIVER,
            title="Simulated encoder",
            settings=SimEncoderSettings,
            open=open_encoder,
        )
    ]
