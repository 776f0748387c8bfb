"""The SDK's conformance kit against the independent ONVIF camera (ipycam).

The camera is this test's own, so the disconnect check can kill it (``drop``) and
start it again on the same ports (``restore``).

Nine of the ten checks pass. The PTZ check cannot pass against ipycam, for gaps of
ipycam that the driver cannot work around (docs/admin/onvif.md lists them): ipycam has
no RemovePreset (``ClearPreset`` is answered "Action not supported"), and it ignores a
GotoPreset to an unknown token while its GetPresets reply cannot be parsed, so an
unknown preset cannot be told from a known one. The check is expected to fail (strict:
it fails the run when ipycam learns these and the check passes); the kit is unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest

from argus_sdk.conformance import CameraDriverConformance, DeviceUnderTest


class TestOnvifCamera(CameraDriverConformance):
    """ipycam's H.264 main (640x360) and sub (320x180) profiles, with its digital PTZ."""

    @pytest.fixture
    def argus_device(self, own_ipycam: Any) -> DeviceUnderTest:
        return DeviceUnderTest(
            "onvif",
            own_ipycam.settings(),
            drop=lambda driver: own_ipycam.kill(),
            restore=lambda driver: own_ipycam.start(),
            keyframe_timeout=15.0,
            packets=40,
        )

    @pytest.mark.xfail(
        strict=True,
        reason="ipycam has no PTZ RemovePreset, ignores GotoPreset to unknown tokens and "
        "sends a GetPresets reply that cannot be parsed",
    )
    def test_ptz_matches_capabilities(self, argus_driver: Any, argus_note: Any) -> None:
        super().test_ptz_matches_capabilities(argus_driver, argus_note)
