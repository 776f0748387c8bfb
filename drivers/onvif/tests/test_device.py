"""The driver against an independent ONVIF camera (PyPI ipycam): what it says, streams,
snapshots and errors."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import av
import pytest

from argus.testing import free_port
from argus_driver_onvif.device import OnvifCamera, open_camera
from argus_driver_onvif.settings import OnvifCameraSettings
from argus_driver_onvif.soap import OnvifClient
from argus_sdk import (
    AuthenticationFailed,
    ChannelKind,
    ConfigurationError,
    DeviceUnavailable,
    InvalidRequest,
    PluginContext,
    Unsupported,
)

#: Bounds every wait; never an assertion on duration.
PATIENCE = 20.0
#: The ipycam camera of conftest.py (``ipycam`` and ``own_ipycam`` fixtures).
IpyCam = Any


@pytest.fixture
def camera(ipycam: IpyCam, context: PluginContext) -> Iterator[OnvifCamera]:
    cam = open_camera(ipycam.settings(), context)
    try:
        yield cam
    finally:
        cam.close()


def test_device_information_and_profiles(camera: OnvifCamera) -> None:
    d = camera.describe()
    assert (d.vendor, d.model, d.firmware, d.serial_number) == (
        "PythonCam", "VirtualCam-1", "1.3.0", "PY-000001",
    )  # fmt: skip
    (channel,) = d.channels
    main, sub = channel.streams
    assert (main.name, main.codec, main.width, main.height, main.frame_rate) == (
        "main", "h264", 640, 360, Fraction(10),
    )  # fmt: skip
    assert (sub.name, sub.codec, sub.width, sub.height) == ("sub", "h264", 320, 180)
    assert main.bit_rate == 1_000_000
    assert channel.ptz is not None and channel.ptz.continuous and channel.ptz.home
    assert camera.describe() == d


def test_profile_choice_by_name(ipycam: IpyCam, context: PluginContext) -> None:
    cam = open_camera(ipycam.settings(main_profile="SubStream", sub_profile=None), context)
    try:
        (channel,) = cam.describe().channels
        assert [(s.name, s.width) for s in channel.streams] == [("main", 320)]
    finally:
        cam.close()
    cam = open_camera(ipycam.settings(main_profile="Profile_Nope"), context)
    try:
        with pytest.raises(ConfigurationError, match="Profile_Main \\(MainStream\\)"):
            cam.describe()
    finally:
        cam.close()


@pytest.mark.parametrize("stream,size", [("main", (640, 360)), ("sub", (320, 180))])
def test_streams_are_recorded_through_the_rtsp_driver(
    camera: OnvifCamera, stream: str, size: tuple[int, int]
) -> None:
    source = camera.open_stream(0, stream)
    try:
        video = source.description.video
        assert video is not None and video.kind is ChannelKind.VIDEO
        assert (video.codec, video.width, video.height) == ("h264", *size)
        packets = []
        while len(packets) < 25:
            packet = source.read(PATIENCE)
            assert packet is not None, "no packet within the patience"
            packets.append(packet)
    finally:
        source.close()
    assert packets[0].keyframe, "the first packet must be a keyframe"
    assert sum(p.keyframe for p in packets) >= 1
    assert all(b.dts > a.dts for a, b in itertools.pairwise(packets))
    decoder = av.CodecContext.create("h264", "r")
    decoder.extradata = video.extradata
    frames = decoder.decode(av.Packet(packets[0].data))  # type: ignore[attr-defined]
    frames += decoder.decode(None)  # type: ignore[attr-defined]
    assert (frames[0].width, frames[0].height) == size


def test_unknown_streams_and_channels(camera: OnvifCamera) -> None:
    with pytest.raises(InvalidRequest):
        camera.open_stream(0, "third")
    with pytest.raises(InvalidRequest):
        camera.open_stream(1, "main")


def test_snapshot(camera: OnvifCamera, ipycam: IpyCam) -> None:
    assert camera.snapshot_uri() == f"http://127.0.0.1:{ipycam.onvif_port}/snapshot.jpg"
    picture = camera.snapshot()
    assert picture.startswith(b"\xff\xd8") and len(picture) > 1000
    (frame,) = av.open(__import__("io").BytesIO(picture)).decode(video=0)
    assert (frame.width, frame.height) == (640, 360)


def test_no_relay_outputs_and_no_inputs_yet(camera: OnvifCamera) -> None:
    with pytest.raises(Unsupported):
        camera.set_output("1", True)
    assert camera.input_states() == {}


def test_a_wrong_password_is_an_authentication_failure(
    ipycam: IpyCam, context: PluginContext
) -> None:
    cam = open_camera(ipycam.settings(password="wrong-password"), context)
    try:
        with pytest.raises(AuthenticationFailed, match="refused the credentials") as err:
            cam.describe()
        assert "wrong-password" not in str(err.value)
    finally:
        cam.close()


def test_a_camera_that_does_not_answer_is_unavailable(context: PluginContext) -> None:
    cam = open_camera(OnvifCameraSettings(host="127.0.0.1", port=free_port()), context)
    try:
        with pytest.raises(DeviceUnavailable, match="connection refused"):
            cam.describe()
    finally:
        cam.close()


def test_a_camera_that_goes_away_is_unavailable_and_comes_back(
    own_ipycam: IpyCam, context: PluginContext
) -> None:
    cam = open_camera(own_ipycam.settings(), context)
    try:
        source = cam.open_stream(0, "sub")
        assert source.read(PATIENCE) is not None
        own_ipycam.kill()
        with pytest.raises(DeviceUnavailable):
            while source.read(PATIENCE) is not None:
                pass
        source.close()
        with pytest.raises(DeviceUnavailable):
            cam.open_stream(0, "main")  # and the driver asks the camera everything again
        with pytest.raises(DeviceUnavailable, match="connection refused"):
            cam.describe()
        own_ipycam.start()
        assert cam.describe().vendor == "PythonCam"
        source = _open_retrying(cam, "sub")  # its RTSP server starts after its ONVIF service
        try:
            packet = source.read(PATIENCE)
            assert packet is not None and packet.keyframe
        finally:
            source.close()
    finally:
        cam.close()


def _open_retrying(cam: OnvifCamera, stream: str) -> Any:
    """``open_stream`` retried while the camera is unavailable, as the node's backoff does."""
    deadline = time.monotonic() + PATIENCE
    while True:
        try:
            return cam.open_stream(0, stream)
        except DeviceUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_a_closed_driver_refuses_work(camera: OnvifCamera) -> None:
    camera.close()
    with pytest.raises(DeviceUnavailable):
        camera.describe()


def test_the_password_never_reaches_the_log(
    ipycam: IpyCam, context: PluginContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cam = open_camera(ipycam.settings(), context)
    try:
        cam.describe()
        source = cam.open_stream(0, "sub")
        source.read(PATIENCE)
        source.close()
        cam.snapshot()
    finally:
        cam.close()
    bad = open_camera(ipycam.settings(password=ipycam.password + "x"), context)
    with pytest.raises(AuthenticationFailed):
        bad.describe()
    bad.close()
    assert caplog.records
    assert ipycam.password not in caplog.text


def test_a_device_without_get_services_is_asked_get_capabilities(
    ipycam: IpyCam, context: PluginContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ipycam answers both; GetServices is swapped for an operation ipycam lacks (its
    fault is what a device before ONVIF 2.0 answers)."""
    original = OnvifClient.call
    asked: list[str] = []

    def call(self: OnvifClient, service: str, operation: str, **kwargs: Any) -> Any:
        asked.append(operation)
        if operation == "GetServices":
            return original(self, service, "GetHostname", faults_as=kwargs["faults_as"])
        return original(self, service, operation, **kwargs)

    monkeypatch.setattr(OnvifClient, "call", call)
    cam = open_camera(ipycam.settings(), context)
    try:
        assert cam.describe().channels[0].ptz is not None
    finally:
        cam.close()
    assert asked[:2] == ["GetServices", "GetCapabilities"]


def test_a_camera_that_keeps_dropping_does_not_pile_up_rtsp_readers(
    context: PluginContext,
) -> None:
    class Reader:
        closed = False

        def close(self) -> None:
            self.closed = True

    cam = open_camera(OnvifCameraSettings(host="127.0.0.1", port=free_port()), context)
    readers = [Reader() for _ in range(5)]
    for reader in readers:
        cam._rtsp = reader  # type: ignore[assignment]
        cam._forget()
    assert [r.closed for r in readers] == [True, True, True, False, False]
    cam.close()
    assert all(r.closed for r in readers)
