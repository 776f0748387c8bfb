"""What crosses between master, nodes and clients: one pydantic model per message.

Versioned with the platform (``PROTOCOL_VERSION``); the master, the nodes and the
CLI all import these models and nothing else of each other.
"""

from __future__ import annotations

import enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

PROTOCOL_VERSION = 1


class Right(enum.StrEnum):
    """What a user may do with a camera (``administer`` applies to the whole system)."""

    LIVE = "live"
    PLAYBACK = "playback"
    EXPORT = "export"
    PTZ = "ptz"
    IO = "io"
    ACKNOWLEDGE_ALARMS = "acknowledge_alarms"
    ADMINISTER = "administer"


class TokenClaims(BaseModel):
    """The claims of an access token the master signs for one node.

    A client gets one token per node it may use; the node verifies the signature
    with the master's public key and enforces ``rights`` without calling the master.

    :param aud: ``argus-node:<node id>`` — a token is valid on that node only.
    :param rights: camera id → rights on that camera, for this node's cameras only.
    """

    model_config = ConfigDict(frozen=True)

    iss: str = Field(description="The master's id.")
    sub: str = Field(description="User id.")
    name: str = Field(description="User name, for the node's audit reports.")
    aud: str
    iat: int
    exp: int
    jti: str = Field(description="Token id, for audit correlation.")
    rights: dict[str, list[Right]] = Field(default_factory=dict)
    admin: bool = Field(False, description="The user may administer the system.")

    def may(self, camera: str, right: Right) -> bool:
        return self.admin or right in self.rights.get(camera, ())


def node_audience(node_id: str) -> str:
    return f"argus-node:{node_id}"


# --- Node registry: enrolment and heartbeats -------------------------------------------------

#: A node id: what ``argus.master.db.models.Node.name`` holds.
NODE_ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"


class EnrolRequest(BaseModel):
    """A node's first call to the master: it presents the one-time enrolment token an admin
    gave it and describes itself. The master answers with an :class:`EnrolReply` or refuses
    (unknown, used or expired token; a platform version outside the master's version policy).

    ``platform_version`` is any string here: the master parses it (PEP 440) so that a
    malformed version is refused with a message, not a validation error.
    """

    model_config = ConfigDict(frozen=True)

    token: str = Field(min_length=1, max_length=256, description="The one-time enrolment token.")
    node_id: str = Field(
        pattern=NODE_ID_PATTERN,
        description="The node id from the node's configuration; must be the one the token "
        "was issued for.",
    )
    platform_version: str = Field(
        max_length=64, description="Argus version the node runs (PEP 440, e.g. '8.1.0')."
    )
    architecture: str = Field(
        max_length=32, description="platform.machine() of the node: x86_64, i686, aarch64 …"
    )
    os: str = Field(max_length=255, description="Operating system name and version.")
    wheel_tags: list[str] = Field(
        default_factory=list,
        description="str() of packaging.tags.sys_tags() on the node, most preferred first: "
        "decides which variant (32/64-bit, OS) of a package the node gets.",
    )
    listen_address: str = Field(
        max_length=255,
        description="Base URL of the node's API, where clients fetch streams "
        "(http://10.0.0.7:5009).",
    )


class EnrolReply(BaseModel):
    """The master's answer to an accepted :class:`EnrolRequest`.

    ``credential`` is shown this once: the master keeps only its hash. The node stores it
    (mode 0600) and presents it with every call; it stays valid until the node is enrolled
    again or deleted.
    """

    model_config = ConfigDict(frozen=True)

    node_id: str = Field(description="The node id the master filed the node under.")
    credential: str = Field(description="The node's long-lived secret for calling the master.")
    master_public_key: str = Field(
        description="The master's Ed25519 public key (PEM): verifies user tokens offline."
    )
    master_id: str = Field(description="The master's id: the issuer ('iss') of its tokens.")
    protocol_version: int = Field(
        default=PROTOCOL_VERSION, description="The master's PROTOCOL_VERSION."
    )
    repository_root: str | None = Field(
        default=None,
        description="Version 1 of the master's package repository root metadata (TUF, "
        "JSON): the keys the node trusts for the packages it installs.",
    )


class StreamState(enum.StrEnum):
    """What a recorder worker is doing; the values of ``argus.node.recorder.StreamState``."""

    STARTING = "starting"  # opening the stream, or waiting for its first keyframe
    RECORDING = "recording"  # packets arrive (whether they are written is ``writing``)
    RECONNECTING = "reconnecting"  # the device dropped or stalled; retrying with backoff
    NEEDS_CREDENTIALS = "needs-credentials"  # the device refused the credentials
    STOPPED = "stopped"  # the worker ended (node stopping, camera removed)


class StreamReport(BaseModel):
    """One recorded stream of a camera, as a heartbeat reports it."""

    model_config = ConfigDict(frozen=True)

    camera: str = Field(max_length=64, description="Camera id.")
    stream: str = Field(max_length=64, description="Stream name (main, sub …).")
    state: StreamState = Field(description="What the stream's recorder worker is doing.")
    writing: bool = Field(description="Packets are going to storage right now.")
    recording_expected: bool = Field(
        description="The stream's recording policy wants it written now (always for "
        "continuous recording; during an event or schedule otherwise). Expected but not "
        "writing is a stopped recording."
    )
    last_packet: float | None = Field(
        default=None, description="Node wall time (UTC epoch seconds) of the last packet read."
    )
    last_error: str = Field(
        default="", max_length=1024, description="Why the stream last went offline; '' if never."
    )


class DiskReport(BaseModel):
    """One disk of the node's storage backend (``argus_sdk.DiskStatus``)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(max_length=128, description="The backend's disk id; '' when unknown.")
    path: str = Field(max_length=255, description="Where the disk is mounted on the node.")
    online: bool = Field(description="Usable for recording.")
    reason: str = Field(default="", max_length=1024, description="Why it is not usable.")
    total_bytes: int = Field(ge=0, description="Capacity; 0 when unknown.")
    free_bytes: int = Field(ge=0, description="Free space; 0 when unknown.")


class AuditReport(BaseModel):
    """One use of video on a node (playback, snapshot, export, live) by a user."""

    model_config = ConfigDict(frozen=True)

    at: float = Field(description="Node wall time (UTC epoch seconds).")
    user: str = Field(max_length=255, description="User name from the token.")
    action: str = Field(max_length=64, description="playback, snapshot, export or live.")
    cameras: list[str] = Field(default_factory=list, max_length=64)
    details: dict[str, Any] = Field(default_factory=dict, description="Stream, times, token id.")


class PluginState(enum.StrEnum):
    """Where a plugin package stands on a node (:class:`PluginReport`)."""

    INSTALLING = "installing"  # downloading, verifying, unpacking, activating, checking
    ACTIVE = "active"  # the desired version runs and passed its health check
    FAILED = "failed"  # could not be installed; the previous version (if any) still runs
    ROLLED_BACK = "rolled-back"  # activated, failed its health check, previous one back
    REMOVED = "removed"  # removed as the master asked


class PluginReport(BaseModel):
    """One plugin package of the node's plugin store, as a heartbeat reports it."""

    model_config = ConfigDict(frozen=True)

    project: str = Field(max_length=128, description="Canonical project name.")
    version: str | None = Field(
        default=None, max_length=64, description="The version active now; None: none."
    )
    target: str = Field(
        default="",
        max_length=512,
        description="The repository target (package file) the state is about: the one the "
        "master asked for.",
    )
    state: PluginState
    detail: str = Field(
        default="", max_length=2048, description="Why it failed or was rolled back."
    )
    rollout: int | None = Field(
        default=None,
        description="The rollout whose request the state answers (DesiredPlugin.rollout).",
    )


class Heartbeat(BaseModel):
    """What a node tells the master every few seconds: that it is alive, and its health.

    The node authenticates with its credential (not part of this body). Every heartbeat
    is a full picture: a stream or disk left out is one the node no longer has.
    """

    model_config = ConfigDict(frozen=True)

    node_id: str = Field(pattern=NODE_ID_PATTERN, description="The node id.")
    sent: float = Field(
        description="Node wall time (UTC epoch seconds) when sent; informational, clock "
        "offsets are measured separately."
    )
    platform_version: str = Field(max_length=64, description="Argus version the node runs.")
    streams: list[StreamReport] = Field(
        default_factory=list, description="Every stream the node records."
    )
    disks: list[DiskReport] = Field(
        default_factory=list, description="Every disk of the node's storage."
    )
    applied_config_version: int | None = Field(
        default=None,
        description="The desired-configuration version the node has applied; None: none yet.",
    )
    audit: list[AuditReport] = Field(
        default_factory=list,
        max_length=1000,
        description="Uses of video on this node since the last accepted heartbeat, oldest "
        "first, for the master's audit trail.",
    )
    api_version: str | None = Field(
        default=None,
        max_length=64,
        description="The platform API (argus_sdk.API_VERSION) the node offers plugins: "
        "which packages' argus-sdk ranges fit it.",
    )
    wheel_tags: list[str] | None = Field(
        default=None,
        max_length=4000,
        description="The node's wheel tags, most preferred first (as at enrolment); None: "
        "unchanged.",
    )
    plugins: list[PluginReport] | None = Field(
        default=None,
        max_length=500,
        description="The packages of the node's plugin store; None: the node does not "
        "manage plugin packages.",
    )


class HeartbeatReply(BaseModel):
    """The master's answer to a :class:`Heartbeat`."""

    model_config = ConfigDict(frozen=True)

    master_time: float = Field(description="Master wall time (UTC epoch seconds).")
    desired_config_version: int = Field(
        description="The configuration version the node should run; it fetches its "
        "configuration when this differs from the one it applied."
    )
    must_re_enrol: bool = Field(
        default=False,
        description="An admin issued a new enrolment token for this node: the node must "
        "enrol again with it; nothing else in this heartbeat was recorded.",
    )
    clock_offset: float | None = Field(
        default=None,
        description="The node's clock minus the master's, in seconds, as the master last "
        "measured it (NTP-style exchanges with the node's /api/v1/clock); None: not measured "
        "yet. The node subtracts it from its recording timestamps.",
    )
    plugins: list[DesiredPlugin] | None = Field(
        default=None,
        description="Every plugin package the node should run from its plugin store; "
        "packages of the store not listed are deactivated. None: the node reported no "
        "plugin store.",
    )


class DesiredPlugin(BaseModel):
    """A plugin package the master wants a node to run: one variant (file) of one version,
    published in the master's package repository as ``target``."""

    model_config = ConfigDict(frozen=True)

    project: str = Field(max_length=128, description="Canonical project name.")
    version: str = Field(max_length=64)
    target: str = Field(
        max_length=512, description="Repository target path: <project>/<version>/<file>."
    )
    dependencies: list[str] = Field(
        default_factory=list,
        description="Repository targets of the dependency wheels it needs on this node.",
    )
    rollout: int | None = Field(
        default=None,
        description="The rollout asking for it (echoed in the node's reports); None: a pin.",
    )


class ClockReading(BaseModel):
    """The node's half of one clock exchange: its own uncorrected wall time when the
    master's request arrived and when the reply left (``t2`` and ``t3`` of
    :class:`argus.clocksync.Exchange`)."""

    model_config = ConfigDict(frozen=True)

    received: float = Field(description="Node wall time (UTC epoch seconds) at receipt.")
    replied: float = Field(description="Node wall time (UTC epoch seconds) at reply.")


class CameraConfig(BaseModel):
    """A channel of a device as the master configures it: which id and name it has, and
    whether it is recorded at all."""

    model_config = ConfigDict(frozen=True)

    channel: int = Field(ge=0, description="Channel index on the device, from 0.")
    id: str = Field(pattern=NODE_ID_PATTERN, description="Camera id.")
    name: str = Field("", max_length=255, description="Shown to users; '' keeps the driver's.")
    enabled: bool = Field(True, description="A disabled camera is not recorded.")


class DeviceConfig(BaseModel):
    """One device as the master wants a node to run it (the node's ``[[devices]]`` entry).

    ``settings`` are the driver's settings with credentials included: the master stores
    them encrypted and sends them only to the node, over its authenticated channel.
    """

    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=NODE_ID_PATTERN, description="Device id (the master's ident).")
    driver: str = Field(min_length=1, max_length=64)
    settings: dict[str, Any] = Field(default_factory=dict)
    record: list[str] = Field(default_factory=lambda: ["main"], description="Streams to record.")
    recording: dict[str, Any] = Field(
        default_factory=dict, description="The node's RecordingSection (mode, schedule …)."
    )
    cameras: list[CameraConfig] = Field(
        default_factory=list,
        description="The device's cameras; empty: every channel, ids derived by the node "
        "(the device id, or <device>-ch<n> when it has several channels).",
    )


class StorageConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    backend: str = Field(min_length=1, max_length=64)
    settings: dict[str, Any] = Field(default_factory=dict)


class NodeDesiredConfig(BaseModel):
    """Everything a node should run, at a configuration ``version``.

    The node fetches it (``GET /api/v1/nodes/config`` with its credential) when a
    heartbeat reply names a version other than the one it applied, applies it
    without restarting devices whose configuration did not change, and reports
    the version in its next heartbeat. A change of storage takes effect at the
    node's next start.
    """

    model_config = ConfigDict(frozen=True)

    version: int = Field(ge=0)
    storage: StorageConfig | None = None
    devices: list[DeviceConfig] = Field(default_factory=list)
