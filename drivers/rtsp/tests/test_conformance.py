"""The SDK's conformance kit against a real RTSP camera (GStreamer's RTSP server).

Every check runs with both engines (the ``engine`` fixture). The camera is this test's
own server, so the disconnect check can kill it (``drop``) and start it again on the
same port (``restore``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from argus.testing.rtsp import RtspServer
from argus_driver_rtsp.settings import RtspCameraSettings
from argus_sdk.conformance import CameraDriverConformance, DeviceUnderTest


class TestRtspCamera(CameraDriverConformance):
    """An H.264 main stream with AAC audio and an H.265 sub stream."""

    @pytest.fixture
    def argus_device(
        self, own_server: RtspServer, settings_for: Callable[..., RtspCameraSettings]
    ) -> DeviceUnderTest:
        settings = settings_for(own_server, "/h264-aac", sub_url=own_server.url("/h265"))

        def drop(driver: Any) -> None:
            own_server.kill()

        def restore(driver: Any) -> None:
            own_server.start()

        return DeviceUnderTest(
            "rtsp", settings, drop=drop, restore=restore, keyframe_timeout=15.0, packets=40
        )
