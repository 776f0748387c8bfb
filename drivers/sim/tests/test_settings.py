from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from argus_driver_sim.settings import (
    ChannelSettings,
    InputScript,
    InputSettings,
    OutputSettings,
    SimCameraSettings,
    SimEncoderSettings,
)

MODELS: list[type[BaseModel]] = [
    SimCameraSettings,
    SimEncoderSettings,
    ChannelSettings,
    InputSettings,
    OutputSettings,
    InputScript,
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_documents_itself(model: type[BaseModel]) -> None:
    for name, info in model.model_fields.items():
        assert info.title, f"{model.__name__}.{name} has no title"
        assert info.description, f"{model.__name__}.{name} has no description"


def _bounded(prop: dict[str, Any]) -> bool:
    options = [prop, *prop.get("anyOf", [])]
    keys = {"maximum", "exclusiveMaximum", "maxLength", "maxItems", "enum", "const", "$ref"}
    return any(keys & set(o) or o.get("type") in ("boolean", "null") for o in options)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_is_bounded(model: type[BaseModel]) -> None:
    schema = model.model_json_schema()
    for name, prop in schema["properties"].items():
        assert _bounded(prop), f"{model.__name__}.{name} has no upper bound: {prop}"


def test_defaults_are_a_usable_camera() -> None:
    s = SimCameraSettings()
    assert (s.main_profile, s.sub_profile, s.fps, s.audio, s.ptz) == (
        "1080p",
        "360p",
        25,
        False,
        False,
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"fps": 0},
        {"fps": 61},
        {"loop_seconds": 3},
        {"main_profile": "4k"},
        {"name": ""},
        {"name": "caf\u00e9"},
        {"inputs": [{"id": "a"}], "outputs": [{"id": "a"}]},
        {"unknown": 1},
    ],
)
def test_invalid_camera_settings_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SimCameraSettings.model_validate(bad)


def test_script_must_be_active_for_less_than_its_period() -> None:
    with pytest.raises(ValidationError):
        InputScript(active_seconds=5, period_seconds=5)


def test_encoder_serial_port_names_are_unique() -> None:
    with pytest.raises(ValidationError):
        SimEncoderSettings(serial_ports=["a", "a"])
    with pytest.raises(ValidationError):
        SimEncoderSettings(serial_ports=["x" * 33])
    with pytest.raises(ValidationError):
        SimEncoderSettings(channel_count=65)
