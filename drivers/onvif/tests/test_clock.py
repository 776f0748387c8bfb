"""A camera whose clock is off: WS-Security tokens follow the camera's time.

The camera is ipycam with its ONVIF clock an hour ahead (``ipycam_peer.py
--clock-offset``); it refuses tokens created more than 5 minutes from its own time.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from argus_driver_onvif.device import open_camera
from argus_driver_onvif.soap import OnvifClient
from argus_sdk import AuthenticationFailed, PluginContext


def test_the_token_follows_a_camera_clock_an_hour_ahead(
    skewed_ipycam: Any, context: PluginContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    cam = open_camera(skewed_ipycam.settings(), context)
    try:
        assert cam.describe().vendor == "PythonCam"
        assert cam.snapshot().startswith(b"\xff\xd8")
    finally:
        cam.close()
    (warning,) = [r.getMessage() for r in caplog.records if "clock" in r.getMessage()]
    # The HTTP Date has whole seconds: 3599 to 3601.
    assert re.search(r"clock is \+(3599|3600|3601) s off the node's", warning), warning


def test_a_wrong_password_stays_refused_on_a_skewed_camera(
    skewed_ipycam: Any, context: PluginContext
) -> None:
    cam = open_camera(skewed_ipycam.settings(password="not-it"), context)
    try:
        with pytest.raises(AuthenticationFailed):
            cam.describe()
    finally:
        cam.close()


def test_without_following_its_clock_the_camera_refuses(
    skewed_ipycam: Any, context: PluginContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The camera really is skewed: a token on the host's time is refused."""
    monkeypatch.setattr(OnvifClient, "_follow_camera_clock", lambda self: False)
    cam = open_camera(skewed_ipycam.settings(), context)
    try:
        with pytest.raises(AuthenticationFailed):
            cam.describe()
    finally:
        cam.close()
