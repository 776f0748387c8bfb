"""The demo system: what ``argus demo`` runs. Configuration as data, nothing else.

Eight simulated cameras: four IP cameras (two with PTZ, one with audio) and a
four-channel encoder, all through the ``sim`` driver plugin.
"""

from __future__ import annotations

from argus.node.runtime import DeviceConfig

_SCRIPTED_INPUT = [
    {
        "id": "door",
        "name": "Door contact",
        "script": {"active_seconds": 3, "period_seconds": 20, "offset_seconds": 5},
    },
]

DEMO_DEVICES: tuple[DeviceConfig, ...] = (
    DeviceConfig(
        "entrance",
        "sim",
        {"name": "Entrance", "main_profile": "720p", "ptz": True, "inputs": _SCRIPTED_INPUT},
        ("main", "sub"),
    ),
    DeviceConfig("lobby", "sim", {"name": "Lobby", "main_profile": "720p", "ptz": True}),
    DeviceConfig("parking", "sim", {"name": "Parking", "main_profile": "720p", "audio": True}),
    DeviceConfig("dock", "sim", {"name": "Loading dock", "main_profile": "360p"}),
    DeviceConfig(
        "yard",
        "sim-encoder",
        {"name": "Yard", "channel_count": 4, "channel": {"main_profile": "360p"}},
    ),
)
