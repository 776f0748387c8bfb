from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from argus_driver_rtsp.settings import RtspCameraSettings

PASSWORD = "Tr0ub4dor&3"


def test_every_field_documents_itself() -> None:
    for name, info in RtspCameraSettings.model_fields.items():
        assert info.title, f"{name} has no title"
        assert info.description, f"{name} has no description"


def _bounded(prop: dict[str, Any]) -> bool:
    options = [prop, *prop.get("anyOf", [])]
    keys = {"maximum", "exclusiveMaximum", "maxLength", "maxItems", "enum", "const", "$ref"}
    return any(keys & set(o) or o.get("type") in ("boolean", "null") for o in options)


def test_every_field_is_bounded() -> None:
    schema = RtspCameraSettings.model_json_schema()
    for name, prop in schema["properties"].items():
        assert _bounded(prop), f"{name} has no upper bound: {prop}"
    assert schema["required"] == ["main_url"]
    assert schema["properties"]["password"]["writeOnly"] is True


def test_defaults() -> None:
    s = RtspCameraSettings(main_url="rtsp://cam/s1")
    assert (s.sub_url, s.username, s.password.get_secret_value(), s.transport) == (
        None,
        "",
        "",
        "tcp",
    )
    assert (s.open_timeout, s.read_timeout) == (10.0, 10.0)
    assert s.url("main") == "rtsp://cam/s1" and s.url("sub") is None and s.url("x") is None


def test_credentials_in_urls_move_to_their_fields() -> None:
    s = RtspCameraSettings(
        main_url=f"rtsp://admin:{PASSWORD.replace('&', '%26')}@cam/s1",
        sub_url=f"rtsp://admin:{PASSWORD}@cam/s2",
    )
    assert (s.main_url, s.sub_url) == ("rtsp://cam/s1", "rtsp://cam/s2")
    assert (s.username, s.password.get_secret_value()) == ("admin", PASSWORD)
    same = RtspCameraSettings(
        main_url=f"rtsp://admin:{PASSWORD}@cam/s1", username="admin", password=PASSWORD
    )
    assert same.password.get_secret_value() == PASSWORD


@pytest.mark.parametrize(
    "values",
    [
        {"main_url": "rtsp://a:one@cam/s1", "sub_url": "rtsp://a:two@cam/s2"},
        {"main_url": "rtsp://a:one@cam/s1", "username": "b", "password": "two"},
    ],
)
def test_conflicting_credentials_are_refused(values: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as info:
        RtspCameraSettings(**values)
    assert "one" not in str(info.value) and "two" not in str(info.value)


@pytest.mark.parametrize(
    "changes",
    [
        {"main_url": f"http://admin:{PASSWORD}@cam/s1"},
        {"main_url": f"rtsp://admin:{PASSWORD}@cam:70000/s1"},
        {"sub_url": f"rtsp://admin:{PASSWORD}@/s2"},
        {"transport": "http"},
        {"open_timeout": 0},
        {"read_timeout": 1000},
        {"password": PASSWORD * 20},
        {"extra": PASSWORD},
    ],
)
def test_errors_never_echo_the_input(changes: dict[str, Any]) -> None:
    values: dict[str, Any] = {"main_url": "rtsp://cam/s1", "password": PASSWORD, **changes}
    with pytest.raises(ValidationError) as info:
        RtspCameraSettings(**values)
    assert PASSWORD not in str(info.value)
    assert PASSWORD not in repr(info.value.errors(include_input=False))


def test_the_password_stays_secret() -> None:
    s = RtspCameraSettings(main_url=f"rtsp://admin:{PASSWORD}@cam/s1")
    assert isinstance(s.password, SecretStr)
    for text in (repr(s), str(s), s.model_dump_json(), str(s.model_dump(mode="json"))):
        assert PASSWORD not in text
    assert s.secrets() == (PASSWORD,)
