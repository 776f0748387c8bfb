"""The SDK's conformance kit against the simulated camera and encoder: CI fails with them."""

from __future__ import annotations

from typing import Any

import pytest

from argus_sdk.conformance import CameraDriverConformance, DeviceUnderTest
from argus_sdk.testing import ManualClock


def _disconnect(driver: Any) -> None:
    driver.disconnect()


class TestSimCamera(CameraDriverConformance):
    """A camera with every feature on: main and sub, audio, PTZ, an input and an output."""

    @pytest.fixture
    def argus_device(self) -> DeviceUnderTest:
        settings = {
            "name": "Conformance",
            "main_profile": "360p",
            "sub_profile": "360p",
            "loop_seconds": 2,
            "audio": True,
            "ptz": True,
        }
        return DeviceUnderTest("sim", settings, drop=_disconnect, clock=ManualClock())


class TestSimEncoder(CameraDriverConformance):
    """An encoder of two channels without sub streams, with a serial port, on the real clock."""

    @pytest.fixture
    def argus_device(self) -> DeviceUnderTest:
        settings = {
            "name": "Enc",
            "channel_count": 2,
            "channel": {"main_profile": "360p", "sub_profile": None, "loop_seconds": 2},
        }
        return DeviceUnderTest("sim-encoder", settings, drop=_disconnect, packets=30)
