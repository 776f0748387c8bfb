"""Node configuration files: valid ones load, bad ones say exactly what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from argus.node.config import load
from argus_sdk import ConfigurationError

GOOD = """
[node]
id = "node-7"
data_dir = "data"

[storage]
backend = "segments"
settings = { disks = [{ path = "/srv/rec1" }] }

[[devices]]
id = "gate"
driver = "rtsp"
record = ["main", "sub"]
settings = { main_url = "rtsp://10.0.0.5/stream1" }
recording = { mode = "scheduled", schedule = [{ days = ["mon"], start = "08:00", end = "17:30" }] }
"""


def test_a_valid_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "node.toml"
    path.write_text(GOOD)
    config = load(path)
    assert config.node.id == "node-7"
    assert config.devices[0].recording.schedule[0].end == "17:30"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[node\nid = 1", "is not valid TOML"),
        ('[node]\nid = "bad id!"', "node.id"),
        (
            '[[devices]]\nid = "a"\ndriver = "sim"\nrecording = { mode = "sometimes" }',
            "devices.0.recording.mode",
        ),
        ('[node]\nidd = "typo"', "idd"),
    ],
)
def test_errors_name_the_file_and_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "node.toml"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=r"node\.toml") as info:
        load(path)
    assert message in str(info.value)


def test_a_missing_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read"):
        load(tmp_path / "absent.toml")


def test_a_node_joined_to_a_master_takes_devices_only_from_it(tmp_path: Path) -> None:
    path = tmp_path / "node.toml"
    path.write_text(
        '[node]\nmaster_url = "http://m:5008"\n\n[[devices]]\nid = "a"\ndriver = "sim"\n'
    )
    with pytest.raises(ConfigurationError, match="takes its devices from the master"):
        load(path)


def test_a_node_listening_on_every_address_must_say_where_the_master_reaches_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "node.toml"
    path.write_text('[node]\nlisten = "0.0.0.0:5009"\nmaster_url = "http://m:5008"\n')
    with pytest.raises(ConfigurationError, match=r"set node\.public_url"):
        load(path)
    path.write_text(
        '[node]\nlisten = "0.0.0.0:5009"\nmaster_url = "http://m:5008"\n'
        'public_url = "http://10.0.0.7:5009"\n'
    )
    assert load(path).node.public_url == "http://10.0.0.7:5009"
    path.write_text('[node]\npublic_url = "10.0.0.7:5009"\n')
    with pytest.raises(ConfigurationError, match="public_url"):
        load(path)
