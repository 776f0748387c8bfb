"""Error translation at the driver's edge, and URI rewriting, without a camera."""

from __future__ import annotations

import pytest
import requests
import zeep.exceptions
from lxml import etree

from argus_driver_onvif.soap import rehost, translate, wsdl_dir
from argus_sdk import (
    ArgusError,
    AuthenticationFailed,
    DeviceUnavailable,
    InvalidRequest,
    Unsupported,
)

TER = "http://www.onvif.org/ver10/error"


def _fault(message: str, code: str = "s:Sender", *subcodes: str) -> zeep.exceptions.Fault:
    return zeep.exceptions.Fault(
        message, code=code, subcodes=[etree.QName(TER, s) for s in subcodes]
    )


@pytest.mark.parametrize(
    "exc,expected",
    [
        (_fault("Sender not authorized", "s:Receiver"), AuthenticationFailed),
        (_fault("denied", "s:Sender", "NotAuthorized"), AuthenticationFailed),
        (zeep.exceptions.TransportError(status_code=401), AuthenticationFailed),
        (_fault("x", "s:Receiver", "ActionNotSupported"), Unsupported),
        (_fault("Action not supported: RemovePreset"), Unsupported),
        (_fault("x", "s:Sender", "InvalidArgVal", "NoToken"), InvalidRequest),
        (_fault("internal", "s:Receiver"), DeviceUnavailable),
        (zeep.exceptions.TransportError(status_code=500), DeviceUnavailable),
        (requests.ConnectionError("[Errno 111] Connection refused"), DeviceUnavailable),
        (requests.ReadTimeout("read timed out"), DeviceUnavailable),
        (zeep.exceptions.XMLParseError("bad"), DeviceUnavailable),
        (ValueError("Invalid tag name 'ptz:X'"), DeviceUnavailable),
    ],
)
def test_translation(exc: Exception, expected: type[ArgusError]) -> None:
    error = translate(exc, "onvif://admin@cam:80", "ptz.GetStatus")
    assert type(error) is expected
    assert str(error).startswith("onvif://admin@cam:80: ")


def test_a_refused_connection_says_so_without_the_url() -> None:
    exc = requests.ConnectionError(
        "HTTPConnectionPool(host='cam', port=80): Max retries exceeded with url: "
        "/onvif/device_service ([Errno 111] Connection refused)"
    )
    assert str(translate(exc, "onvif://cam:80", "x")) == (
        "onvif://cam:80: cannot connect (connection refused)"
    )


def test_rehost_keeps_path_user_and_port_unless_told() -> None:
    assert rehost("rtsp://192.168.0.9:554/live?x=1", "cam.example") == (
        "rtsp://cam.example:554/live?x=1"
    )
    assert rehost("http://u@10.0.0.1/onvif/media", "1.2.3.4", 8080) == (
        "http://u@1.2.3.4:8080/onvif/media"
    )


def test_the_wsdls_come_from_onvif_zeep() -> None:
    assert (wsdl_dir() / "ptz.wsdl").is_file()
