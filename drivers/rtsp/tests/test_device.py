"""The camera driver against a real RTSP server: describe, open_stream, credentials, errors."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from fractions import Fraction

import pytest

from argus.testing.rtsp import AUTH_MOUNT, RtspServer
from argus_driver_rtsp.device import RtspCamera, open_camera
from argus_driver_rtsp.settings import RtspCameraSettings
from argus_sdk import (
    ArgusError,
    AuthenticationFailed,
    CameraDriver,
    ConfigurationError,
    DeviceUnavailable,
    GotoHome,
    InvalidRequest,
    PacketSource,
    PluginContext,
    StreamPacket,
    StreamProfile,
    Unsupported,
)

Settings = Callable[..., RtspCameraSettings]
Read = Callable[[PacketSource, int], list[StreamPacket]]
PATIENCE = 15.0


def test_describe_probes_each_stream_once(
    own_server: RtspServer, settings_for: Settings, context: PluginContext
) -> None:
    settings = settings_for(own_server, "/h264-aac", sub_url=own_server.url("/h265"))
    camera = open_camera(settings, context)
    assert isinstance(camera, CameraDriver)
    d = camera.describe()
    assert (d.vendor, d.model, d.io_ports, d.serial_ports) == ("Generic", "RTSP camera", (), ())
    (channel,) = d.channels
    assert (channel.index, channel.ptz) == (0, None)
    fps = Fraction(25)
    assert channel.streams == (
        StreamProfile("main", "h264", 640, 360, fps, 0, "aac"),
        StreamProfile("sub", "hevc", 640, 360, fps, 0, None),
    )
    own_server.stop()
    assert camera.describe() == d  # learnt once, kept
    camera.close()


def test_open_stream_refuses_what_the_camera_lacks(
    server: RtspServer, settings_for: Settings, context: PluginContext
) -> None:
    camera = open_camera(settings_for(server, "/h264"), context)
    with pytest.raises(InvalidRequest, match="no stream 'sub'"):
        camera.open_stream(0, "sub")
    with pytest.raises(InvalidRequest, match="no channel 1"):
        camera.open_stream(1, "main")
    with pytest.raises(Unsupported):
        camera.ptz(0, GotoHome())
    with pytest.raises(Unsupported):
        camera.set_output("out1", True)
    assert camera.input_states() == {}
    camera.close()
    with pytest.raises(DeviceUnavailable, match="closed"):
        camera.open_stream(0, "main")


def test_close_closes_every_open_stream(
    server: RtspServer, settings_for: Settings, context: PluginContext, read: Read
) -> None:
    camera = open_camera(settings_for(server, "/h264", sub_url=server.url("/h265")), context)
    main, sub = camera.open_stream(0, "main"), camera.open_stream(0, "sub")
    read(main, 2)
    read(sub, 2)
    camera.close()
    camera.close()
    for source in (main, sub):
        with pytest.raises(DeviceUnavailable, match="closed"):
            source.read(0)


def _text_of(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)) + repr(exc) + repr(exc.args)


@pytest.mark.parametrize("method", ["digest", "basic"])
def test_credentials_work_and_a_wrong_password_never_shows(
    method: str,
    settings_for: Settings,
    context: PluginContext,
    read: Read,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    from argus.testing.rtsp import rtsp_peer_missing

    if reason := rtsp_peer_missing():
        pytest.skip(reason)
    password, wrong = "p@ss:w/rd 1", "Wr0ng-pa55word!"
    caplog.set_level(logging.DEBUG)
    with RtspServer(auth=method, password=password) as srv:  # type: ignore[arg-type]
        good = open_camera(
            settings_for(srv, AUTH_MOUNT, username="argus", password=password), context
        )
        source = good.open_stream(0, "main")
        assert read(source, 3)[0].keyframe
        good.close()
        caplog.set_level(logging.DEBUG)
        for settings in (
            settings_for(srv, AUTH_MOUNT, username="argus", password=wrong),
            RtspCameraSettings(main_url=srv.url(AUTH_MOUNT).replace("//", f"//argus:{wrong}@")),
        ):
            bad = open_camera(settings, context)
            for attempt in (bad.describe, lambda cam=bad: cam.open_stream(0, "main")):
                with pytest.raises(AuthenticationFailed) as info:
                    attempt()
                assert str(info.value).startswith(srv.url(AUTH_MOUNT).replace("//", "//argus:***@"))
                assert wrong not in _text_of(info.value)
            assert wrong not in repr(bad) and wrong not in repr(settings)
            bad.close()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "argus:***@" in logged  # the connections were logged, masked
    out, err = capfd.readouterr()
    for text in (logged, out, err):
        assert wrong not in text and password not in text


def test_no_credentials_for_a_protected_stream(
    server: RtspServer, settings_for: Settings, context: PluginContext
) -> None:
    camera = open_camera(settings_for(server, AUTH_MOUNT), context)
    with pytest.raises(AuthenticationFailed):
        camera.open_stream(0, "main")
    camera.close()


@pytest.mark.parametrize(
    ("url", "error", "words"),
    [
        ("/no-such-mount", ConfigurationError, "no stream at this path"),
        ("rtsp://127.0.0.1:9/h264", DeviceUnavailable, "connection refused"),
    ],
)
def test_a_wrong_url_says_what_is_wrong(
    server: RtspServer,
    settings_for: Settings,
    context: PluginContext,
    url: str,
    error: type[ArgusError],
    words: str,
) -> None:
    settings = (
        settings_for(server, url) if url.startswith("/") else RtspCameraSettings(main_url=url)
    )
    camera = open_camera(settings, context)
    with pytest.raises(error, match=words):
        camera.open_stream(0, "main")
    camera.close()


def test_open_camera_validates_foreign_settings(context: PluginContext) -> None:
    from pydantic import BaseModel

    class Loose(BaseModel):
        main_url: str
        password: str = ""

    camera = open_camera(Loose(main_url="rtsp://u:pw@127.0.0.1:9/x"), context)
    assert isinstance(camera, RtspCamera) and "pw" not in repr(camera)
    camera.close()
    with pytest.raises(ConfigurationError) as info:
        open_camera(Loose(main_url="http://127.0.0.1/x", password="hunter2"), context)
    assert "hunter2" not in str(info.value)
