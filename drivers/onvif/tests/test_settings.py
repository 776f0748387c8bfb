from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from argus_driver_onvif.settings import OnvifCameraSettings


def test_defaults_and_the_device_service_url() -> None:
    s = OnvifCameraSettings(host="cam.local")
    assert (s.port, s.username, s.transport, s.main_profile, s.sub_profile) == (
        80, "", "tcp", "", "",
    )  # fmt: skip
    assert s.device_url == "http://cam.local:80/onvif/device_service"
    assert OnvifCameraSettings(host="fe80::1", port=8080).device_url == (
        "http://[fe80::1]:8080/onvif/device_service"
    )


def test_the_password_stays_out_of_repr_errors_and_where() -> None:
    s = OnvifCameraSettings(host="10.0.0.5", username="admin", password="hunter2")
    assert isinstance(s.password, SecretStr)
    assert "hunter2" not in repr(s) and "hunter2" not in str(s.model_dump())
    assert s.where == "onvif://admin@10.0.0.5:80"
    with pytest.raises(ValidationError) as err:
        OnvifCameraSettings(host="10.0.0.5", password="hunter2" * 40)
    assert "hunter2" not in str(err.value)


@pytest.mark.parametrize("host", ["", " ", "http://cam", "cam/onvif", "user@cam"])
def test_a_host_is_an_address_or_a_name(host: str) -> None:
    with pytest.raises(ValidationError):
        OnvifCameraSettings(host=host)


@pytest.mark.parametrize("field,value", [("port", 0), ("port", 65536), ("timeout", 0.1)])
def test_bounds(field: str, value: float) -> None:
    with pytest.raises(ValidationError):
        OnvifCameraSettings(host="cam", **{field: value})


def test_every_field_documents_itself() -> None:
    for name, field in OnvifCameraSettings.model_fields.items():
        assert field.title and field.description, name
