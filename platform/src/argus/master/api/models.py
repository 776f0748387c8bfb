"""Bodies of the master API: one pydantic model per request and response.

Node-facing bodies (enrolment, heartbeat) are :mod:`argus.protocol`'s, shared with nodes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from argus.master.db.enums import ActorKind, AuditResult, NodeState, Scope, WatchdogKind
from argus.master.services.accounts import DISPLAY_NAME_LENGTH
from argus.protocol import DiskReport, Right, StreamReport

# --- Sessions ---------------------------------------------------------------------------


class LoginRequest(BaseModel):
    username: str = Field(max_length=1024)
    password: str = Field(max_length=1024)


class CameraAccessOut(BaseModel):
    ident: str = Field(description="Camera id, as nodes and tokens name it.")
    name: str
    rights: list[Right]


class NodeAccessOut(BaseModel):
    name: str = Field(description="Node id: the key of its token in 'tokens'.")
    address: str | None = Field(description="Base URL of the node's API; None until enrolled.")
    cameras: list[CameraAccessOut]


class ProfileDownload(BaseModel):
    """What the user may use: per node, the cameras and the rights on each."""

    user_id: int
    username: str
    display_name: str
    profile: str
    admin: bool = Field(description="The user may administer (every camera, every node).")
    nodes: list[NodeAccessOut]


class LoginReply(BaseModel):
    session: str = Field(
        description="The session secret: send it as 'Authorization: Bearer …' to this API."
    )
    expires: dt.datetime = Field(description="The session ends at the latest then.")
    profile: ProfileDownload
    tokens: dict[str, str] = Field(
        description="Node id → a short-lived token signed by the master for that node only."
    )


class TokensOut(BaseModel):
    tokens: dict[str, str] = Field(description="Node id → a fresh token for that node.")


# --- Users and profiles -----------------------------------------------------------------


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    enabled: bool
    profile_id: int
    profile: str
    locked_until: dt.datetime | None
    last_login: dt.datetime | None
    created: dt.datetime
    updated: dt.datetime


class UserCreate(BaseModel):
    username: str = Field(max_length=150)
    password: str | None = Field(
        max_length=1024, description="None: the account cannot log in with a password."
    )
    profile_id: int
    display_name: str = Field("", max_length=DISPLAY_NAME_LENGTH)
    enabled: bool = True


class UserUpdate(BaseModel):
    """Fields left out (None) are unchanged."""

    display_name: str | None = Field(None, max_length=DISPLAY_NAME_LENGTH)
    enabled: bool | None = None
    profile_id: int | None = None


class PasswordChange(BaseModel):
    new_password: str = Field(max_length=1024)
    old_password: str | None = Field(
        None, max_length=1024, description="Required when changing one's own password."
    )


class Grant(BaseModel):
    scope: Scope
    right: Right
    target: str = Field(
        "", description="Camera id (scope 'camera'), group name (scope 'group'), '' for 'all'."
    )


class ProfileOut(BaseModel):
    id: int
    name: str
    description: str
    grants: list[Grant]
    created: dt.datetime
    updated: dt.datetime


class ProfileCreate(BaseModel):
    name: str = Field(max_length=255)
    description: str = Field("", max_length=1024)
    grants: list[Grant] = Field(default_factory=list)


class ProfileUpdate(BaseModel):
    """Fields left out (None) are unchanged."""

    name: str | None = Field(None, max_length=255)
    description: str | None = Field(None, max_length=1024)


class GrantsIn(BaseModel):
    grants: list[Grant] = Field(description="The profile's grants from now on (all of them).")


# --- Nodes and watchdog -----------------------------------------------------------------


class NodeCreate(BaseModel):
    name: str = Field(max_length=64, description="The node id, as in the node's configuration.")
    description: str = Field("", max_length=1024)
    ttl_hours: float = Field(24.0, gt=0, le=24 * 30, description="Enrolment token lifetime.")


class EnrolmentTokenRequest(BaseModel):
    ttl_hours: float = Field(24.0, gt=0, le=24 * 30, description="Enrolment token lifetime.")


class EnrolmentTokenOut(BaseModel):
    node_id: str
    token: str = Field(description="One-time enrolment token: shown only this once.")
    expires: dt.datetime


class NodeHealth(BaseModel):
    """What the node's last accepted heartbeat said about its streams and disks."""

    streams: list[StreamReport] = Field(default_factory=list)
    disks: list[DiskReport] = Field(default_factory=list)


class NodeOut(BaseModel):
    name: str
    description: str
    state: NodeState
    state_reason: str
    platform_version: str | None
    architecture: str | None
    os: str | None
    listen_address: str | None
    last_heartbeat: dt.datetime | None
    clock_offset_us: int | None = Field(
        description="The node's clock minus the master's (microseconds), last measured."
    )
    clock_measured: dt.datetime | None = Field(description="When clock_offset_us was measured.")
    desired_config_version: int
    applied_config_version: int | None
    enrolment_pending: bool = Field(description="An enrolment token is waiting to be used.")
    health: NodeHealth | None = Field(
        None, description="Streams and disks from the last heartbeat; None before the first."
    )


class WatchdogEventOut(BaseModel):
    id: int
    node: str | None = Field(description="Node id; None for the master itself.")
    kind: WatchdogKind
    source: str
    started: dt.datetime
    ended: dt.datetime | None = Field(description="None while the condition lasts.")
    details: dict[str, Any]


# --- Audit ------------------------------------------------------------------------------


class AuditEntryOut(BaseModel):
    id: int
    at: dt.datetime
    actor_kind: ActorKind
    actor_id: int | None
    actor_name: str
    action: str
    target_kind: str | None
    target_id: str | None
    target_name: str | None
    node: str | None
    client_address: str | None
    result: AuditResult
    detail: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(BaseModel):
    entries: list[AuditEntryOut] = Field(description="Newest first.")
    limit: int
    offset: int


# --- Configuration: devices, cameras, camera groups, node storage -------------------------


class CameraIn(BaseModel):
    channel: int = Field(ge=0, description="Channel index on the device, from 0.")
    ident: str = Field(
        "",
        max_length=64,
        description="Camera id; '' derives it as the node does: the device id for a device "
        "with one camera, else '<device>-ch<channel + 1>'.",
    )
    name: str = Field("", max_length=255, description="Shown to users; '' uses the id.")
    enabled: bool = True


class CameraOut(BaseModel):
    channel: int
    ident: str
    name: str
    enabled: bool


class DeviceCreate(BaseModel):
    ident: str = Field(max_length=64, description="Device id; never changes.")
    name: str = Field("", max_length=255, description="Shown to users; '' uses the id.")
    driver: str = Field(min_length=1, max_length=64)
    settings: dict[str, Any] = Field(
        default_factory=dict, description="The driver's settings, without credentials."
    )
    credentials: dict[str, Any] | None = Field(
        None,
        description="Secrets (username, password …), stored encrypted and sent only to the "
        "node, merged into its settings; never returned.",
    )
    record_streams: list[str] = Field(default_factory=lambda: ["main"])
    recording: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True
    cameras: list[CameraIn] = Field(default_factory=lambda: [CameraIn(channel=0)], min_length=1)


class DeviceUpdate(BaseModel):
    """Fields left out (None) are unchanged; ``credentials: {}`` removes them."""

    name: str | None = Field(None, max_length=255)
    driver: str | None = Field(None, min_length=1, max_length=64)
    settings: dict[str, Any] | None = None
    credentials: dict[str, Any] | None = None
    record_streams: list[str] | None = None
    recording: dict[str, Any] | None = None
    enabled: bool | None = None
    cameras: list[CameraIn] | None = Field(
        None,
        min_length=1,
        description="The whole camera list: cameras on channels already present keep their "
        "ids; new channels add cameras, missing ones remove theirs.",
    )


class CameraUpdate(BaseModel):
    """Fields left out (None) are unchanged."""

    name: str | None = Field(None, min_length=1, max_length=255)
    enabled: bool | None = Field(
        None, description="A disabled camera is neither shown nor recorded."
    )


class DeviceOut(BaseModel):
    ident: str
    node: str
    name: str
    driver: str
    settings: dict[str, Any]
    has_credentials: bool = Field(description="Credentials are stored (they are never shown).")
    record_streams: list[str]
    recording: dict[str, Any]
    enabled: bool
    cameras: list[CameraOut]
    updated: dt.datetime


class CameraGroupIn(BaseModel):
    name: str = Field(max_length=255)
    description: str = Field("", max_length=1024)


class CameraGroupUpdate(BaseModel):
    """Fields left out (None) are unchanged."""

    name: str | None = Field(None, max_length=255)
    description: str | None = Field(None, max_length=1024)


class CameraGroupMembers(BaseModel):
    cameras: list[str] = Field(description="Camera ids: the group's members from now on.")


class CameraGroupOut(BaseModel):
    id: int
    name: str
    description: str
    cameras: list[str] = Field(description="Member camera ids.")


class StorageIn(BaseModel):
    backend: str = Field(min_length=1, max_length=64, description="Storage plugin name.")
    settings: dict[str, Any] = Field(default_factory=dict)


class StorageOut(BaseModel):
    node: str
    backend: str | None = Field(description="None: the node has no storage configured.")
    settings: dict[str, Any]
    desired_config_version: int
