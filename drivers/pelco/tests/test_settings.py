from __future__ import annotations

import pytest
from pydantic import ValidationError

from argus_driver_pelco.settings import PelcoSettings


def test_defaults_are_one_pelco_d_dome_at_2400_8n1() -> None:
    s = PelcoSettings(port="/dev/ttyUSB0")
    assert (s.protocol, s.baud_rate, s.data_bits, s.parity, s.stop_bits) == (
        "d",
        2400,
        8,
        "none",
        1,
    )
    assert [d.address for d in s.domes] == [1]
    assert not s.query_position and not s.domes[0].positioning


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"domes": [{"address": 1}, {"address": 1}]}, "same address"),
        ({"domes": []}, "at least 1"),
        ({"domes": [{"address": 0}]}, "greater than or equal to 1"),
        ({"domes": [{"address": 256}]}, "less than or equal to 255"),
        ({"protocol": "p", "query_position": True}, "needs Pelco-D"),
        ({"baud_rate": 1000}, "2400"),
        ({"domes": [{"address": 1, "aux_outputs": 9}]}, "less than or equal to 8"),
        ({"speed": 3}, "Extra inputs"),
    ],
)
def test_invalid_settings_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PelcoSettings(port="/dev/ttyS0", **fields)  # type: ignore[arg-type]


def test_every_field_documents_itself() -> None:
    schema = PelcoSettings.model_json_schema()
    for name, prop in schema["properties"].items():
        assert prop.get("title") and prop.get("description"), name
    for name, prop in schema["$defs"]["DomeSettings"]["properties"].items():
        assert prop.get("title") and prop.get("description"), name
