"""A node's configuration file (TOML), validated by pydantic.

Until the master holds configuration, a node runs from this file; later the
master sends the same models as the node's desired configuration.

```toml
[node]
id = "node-1"
data_dir = "/var/lib/argus"
listen = "127.0.0.1:5009"
token_file = "/etc/argus/node-token"     # node-local API token until the master's tokens

[storage]
backend = "segments"
settings = { disks = [{ path = "/srv/rec1" }], segment_seconds = 60 }

[[devices]]
id = "entrance"
driver = "rtsp"
record = ["main", "sub"]
settings = { main_url = "rtsp://10.0.0.5/stream1", username = "viewer", password = "…" }
recording = { mode = "event", pre_seconds = 5, post_seconds = 10 }
```
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from argus_sdk import ConfigurationError

_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NodeSection(_Model):
    id: str = Field("node-1", pattern=_ID, title="Node id")
    data_dir: Path = Field(
        Path("argus-data"),
        title="Data directory",
        description="Index, plugin state, exports and the node token.",
    )
    listen: str = Field("127.0.0.1:5009", title="HTTP API address (host:port)")
    token_file: Path | None = Field(
        None,
        title="API token file",
        description="Bearer token for the node API; created with a random token if missing. "
        "Default: <data_dir>/node-token.",
    )
    public_url: str | None = Field(
        None,
        pattern=r"^https?://[^\s/]+(/\S*)?$",
        title="Public API URL",
        description="Where clients and the master reach this node's API, e.g. "
        "http://10.0.0.7:5009; default: http://<listen>. Set it when listening on 0.0.0.0.",
    )
    master_url: str | None = Field(
        None,
        title="Master URL",
        description="e.g. http://master.example:5008; none: the node "
        "runs alone with its local token.",
    )
    enrolment_token_file: Path | None = Field(
        None,
        title="Enrolment token file",
        description="The one-time token an administrator made for this node on the master "
        "(or set ARGUS_ENROLMENT_TOKEN). Used once, at the first start.",
    )
    heartbeat_seconds: float = Field(5.0, ge=0.5, le=300, title="Heartbeat interval (s)")
    wheel_tags: list[str] | None = Field(
        None,
        title="Wheel tags",
        description="The wheel tags this node reports to the master, most preferred first, "
        "instead of its own (packaging.tags.sys_tags()): which variant of a package it is "
        "sent, e.g. ['cp311-cp311-linux_i686', 'py3-none-any'] for a 32-bit fleet.",
    )
    plugin_health_seconds: float = Field(
        30.0,
        ge=1,
        le=600,
        title="Plugin health check (s)",
        description="After a new plugin version is activated, the seconds its cameras have "
        "to deliver packets before it is rolled back.",
    )
    master_public_key_file: Path | None = Field(
        None,
        title="Master public key (PEM)",
        description="When set, the node also accepts tokens signed by this master and "
        "enforces the rights they carry, without calling the master.",
    )


class StorageSection(_Model):
    backend: str = Field("segments", title="Storage backend plugin")
    settings: dict[str, Any] = Field(default_factory=dict, title="Backend settings")


Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ALL_DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ScheduleWindow(_Model):
    days: list[Day] = Field(default_factory=lambda: list(ALL_DAYS), title="Days")
    start: str = Field("00:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", title="From (HH:MM)")
    end: str = Field("24:00", pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$", title="To (HH:MM)")


class RecordingSection(_Model):
    """How a device's cameras record."""

    mode: Literal["continuous", "scheduled", "event"] = Field(
        "continuous",
        title="Mode",
        description="continuous: always; scheduled: inside the weekly windows (node local "
        "time); event: around events, with a pre-event buffer kept in memory.",
    )
    schedule: list[ScheduleWindow] = Field(default_factory=list, title="Weekly windows")
    timezone: str | None = Field(None, title="Time zone of the schedule (default: the node's)")
    pre_seconds: float = Field(5.0, ge=0, le=120, title="Pre-event buffer (s)")
    post_seconds: float = Field(10.0, ge=0, le=3600, title="Post-event time (s)")
    triggers: list[str] = Field(
        default_factory=lambda: ["argus.io.input"],
        title="Trigger event topics",
        description="Events of these topics from the same device start event recording.",
    )


class CameraSection(_Model):
    channel: int = Field(ge=0, title="Channel", description="Channel index, from 0.")
    id: str = Field(pattern=_ID, title="Camera id")
    name: str = Field("", max_length=255, title="Name", description="'' keeps the driver's.")
    enabled: bool = Field(True, title="Recorded")


class DeviceSection(_Model):
    id: str = Field(pattern=_ID, title="Device id")
    driver: str = Field(min_length=1, title="Driver")
    settings: dict[str, Any] = Field(default_factory=dict, title="Driver settings")
    record: list[str] = Field(default_factory=lambda: ["main"], title="Streams to record")
    recording: RecordingSection = Field(default_factory=RecordingSection, title="Recording")
    cameras: list[CameraSection] = Field(
        default_factory=list,
        title="Cameras",
        description="Which channels are cameras, with their ids; empty: every channel, as "
        "<device> (one channel) or <device>-ch<n>.",
    )


class NodeConfig(_Model):
    node: NodeSection = Field(default_factory=NodeSection)
    storage: StorageSection | None = Field(default_factory=StorageSection)
    devices: list[DeviceSection] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_source_of_devices(self) -> NodeConfig:
        host = self.node.listen.rpartition(":")[0].strip("[]")
        unreachable = host in ("", "0.0.0.0", "::")
        if self.node.master_url is not None and not self.node.public_url and unreachable:
            raise ValueError(
                f"node.listen {self.node.listen} is no address the master can reach: "
                "set node.public_url"
            )
        if self.node.master_url is not None and self.devices:
            raise ValueError(
                "a node joined to a master (node.master_url) takes its devices from the "
                "master: configure them there and remove the [[devices]] entries"
            )
        return self


def load(path: Path) -> NodeConfig:
    """Read and validate a node configuration file.

    :raises ConfigurationError: unreadable file, bad TOML or invalid settings (the
        message names the file and the field).
    """
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path} is not valid TOML: {exc}") from exc
    try:
        return NodeConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigurationError(f"{path}: {exc}") from exc
