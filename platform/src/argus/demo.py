"""The demo system: what ``argus demo`` runs. Configuration as data, nothing else.

Eight simulated cameras: four IP cameras (two with PTZ, one with audio) and a
four-channel encoder, all through the ``sim`` driver plugin. The loading dock
records only around its door contact (event mode with a pre-event buffer); the
others record continuously, to the ``segments`` backend when it is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from argus.node.config import NodeConfig

_DOOR = [
    {
        "id": "door",
        "name": "Door contact",
        "script": {"active_seconds": 3, "period_seconds": 20, "offset_seconds": 5},
    }
]

_DEVICES: list[dict[str, Any]] = [
    {
        "id": "entrance",
        "driver": "sim",
        "record": ["main", "sub"],
        "settings": {"name": "Entrance", "main_profile": "720p", "ptz": True},
    },
    {
        "id": "lobby",
        "driver": "sim",
        "settings": {"name": "Lobby", "main_profile": "720p", "ptz": True},
    },
    {
        "id": "parking",
        "driver": "sim",
        "settings": {"name": "Parking", "main_profile": "720p", "audio": True},
    },
    {
        "id": "dock",
        "driver": "sim",
        "settings": {"name": "Loading dock", "main_profile": "360p", "inputs": _DOOR},
        "recording": {"mode": "event", "pre_seconds": 4, "post_seconds": 5},
    },
    {
        "id": "yard",
        "driver": "sim-encoder",
        "settings": {"name": "Yard", "channel_count": 4, "channel": {"main_profile": "360p"}},
    },
]


def demo_config(data_dir: Path, *, with_storage: bool) -> NodeConfig:
    storage = None
    if with_storage:
        storage = {
            "backend": "segments",
            "settings": {
                "disks": [{"path": str(data_dir / "disk1"), "min_free_mb": 512}],
                "max_age_days": 1,
            },
        }
    return NodeConfig.model_validate(
        {
            "node": {"id": "demo", "data_dir": str(data_dir)},
            "storage": storage,
            "devices": _DEVICES,
        }
    )
