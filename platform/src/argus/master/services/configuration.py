"""Configuration as the single source of truth: devices and cameras on nodes, camera
groups, node storage, and the desired configuration a node fetches.

Every function here is for administrators: it checks ``administer``
(:func:`~argus.master.services.access.require_admin`, a refusal is audited as
``denied``) and records its change with the object before and after. Device
credentials are stored encrypted (:mod:`argus.master.services.secrets`) in their own
column, never in ``settings``: they reach neither the audit trail nor list/get
answers, only the node that runs the device (:func:`desired_config`).

A change that affects what a node runs (its devices, their cameras, its storage)
bumps the node's ``desired_config_version`` in the same transaction, so the node
sees the new version in its next heartbeat reply and fetches its configuration.
Camera groups do not affect nodes and bump nothing.

**Credential merge rule** (:func:`desired_config`): the device's decrypted credentials
are merged into its ``settings`` at the top level, credentials winning on a key both
have (``{"address": …}`` + ``{"username": "u", "password": "p"}`` →
``{"address": …, "username": "u", "password": "p"}``). Settings given to
:func:`add_device` / :func:`update_device` must therefore not hold the credential keys:
a settings key that is also a credentials key is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from argus.master.db.enums import NodeState
from argus.master.db.models import (
    Camera,
    CameraGroup,
    Device,
    Node,
    NodeStorage,
    Profile,
    ProfileRight,
)
from argus.master.services.access import require_admin
from argus.master.services.audit import Actor, Target, record, snapshot
from argus.master.services.errors import Conflict, Invalid, NotFound
from argus.master.services.registry import NodeRefused
from argus.master.services.secrets import CredentialVault
from argus.protocol import (
    NODE_ID_PATTERN,
    CameraConfig,
    DeviceConfig,
    NodeDesiredConfig,
    StorageConfig,
)
from argus_sdk import Clock

__all__ = [
    "CameraSpec",
    "add_device",
    "create_group",
    "delete_group",
    "desired_config",
    "device_named",
    "devices_of",
    "group_named",
    "groups",
    "node_named",
    "remove_device",
    "rename_group",
    "set_group_members",
    "set_storage",
    "update_camera",
    "update_device",
]

_NAME_LENGTH = 255
#: Settings keys refused as secrets: they belong in the (encrypted) credentials.
_SECRET_KEYS = frozenset({"password", "passphrase", "secret", "credentials", "token", "api_key"})
_SECRET_SUFFIXES = ("_password", "_secret", "_token")


@dataclass(frozen=True, slots=True)
class CameraSpec:
    """A channel of a device to show as a camera.

    :param ident: the camera id; '' derives it by the node's rule: the device's ident when
        the device has one camera, else ``<device>-ch<channel + 1>``.
    :param name: shown to users; '' uses the ident.
    """

    channel: int
    ident: str = ""
    name: str = ""
    enabled: bool = True


# --- Devices and cameras --------------------------------------------------------------------


def node_named(session: Session, name: str) -> Node:
    """:raises NotFound: no node has this name."""
    return _node(session, name)


def devices_of(session: Session, node_name: str) -> list[Device]:
    """The node's devices, by ident. :raises NotFound: no such node."""
    node = _node(session, node_name)
    return list(
        session.scalars(select(Device).where(Device.node_id == node.id).order_by(Device.ident))
    )


def device_named(session: Session, ident: str) -> Device:
    """:raises NotFound: no device has this ident."""
    device = session.scalars(select(Device).where(Device.ident == ident)).first()
    if device is None or device.ident != ident:
        raise NotFound(f"device {ident!r} does not exist")
    return device


def add_device(
    session: Session,
    clock: Clock,
    actor: Actor,
    vault: CredentialVault,
    *,
    node: str,
    ident: str,
    driver: str,
    name: str = "",
    settings: Mapping[str, Any] | None = None,
    credentials: Mapping[str, Any] | None = None,
    record_streams: Sequence[str] = ("main",),
    recording: Mapping[str, Any] | None = None,
    enabled: bool = True,
    cameras: Sequence[CameraSpec] = (CameraSpec(0),),
) -> Device:
    """Add a device with its cameras to a node; bumps the node's configuration version.

    :raises Forbidden: the actor may not administer (audited as denied).
    :raises NotFound: no such node.
    :raises Invalid: a malformed ident, a settings key that is a credentials key, cameras
        with the same channel or ident.
    :raises Conflict: the ident (of the device or a camera) or the name (on this node) is
        taken.
    """
    require_admin(session, clock, actor, action="device.create", target=Target("device", ident))
    row = _node(session, node, lock=True)
    _check_ident(ident, "device")
    if not driver or len(driver) > 64:
        raise Invalid("give the device's driver (at most 64 characters)")
    name = name or ident
    settings = dict(settings or {})
    _check_settings(settings, credentials)
    specs = _camera_specs(ident, cameras)
    if session.scalar(select(func.count(Device.id)).where(Device.ident == ident)):
        raise Conflict(f"a device {ident!r} exists already: device ids are unique")
    _check_device_name(session, row, name, None)
    for spec in specs:
        if session.scalar(select(func.count(Camera.id)).where(Camera.ident == spec.ident)):
            raise Conflict(f"a camera {spec.ident!r} exists already: camera ids are unique")
    device = Device(
        node=row,
        ident=ident,
        name=name[:_NAME_LENGTH],
        driver=driver,
        settings=settings,
        credentials=vault.encrypt(credentials) if credentials else None,
        record_streams=list(record_streams),
        recording=dict(recording or {}),
        enabled=enabled,
        cameras=[
            Camera(channel=s.channel, ident=s.ident, name=s.name, enabled=s.enabled) for s in specs
        ],
    )
    session.add(device)
    session.flush()
    _bump(row)
    record(
        session,
        clock,
        actor=actor,
        action="device.create",
        target=Target.of(device),
        after=_device_snapshot(device),
        node=row.name,
    )
    return device


def update_device(
    session: Session,
    clock: Clock,
    actor: Actor,
    vault: CredentialVault,
    ident: str,
    *,
    name: str | None = None,
    driver: str | None = None,
    settings: Mapping[str, Any] | None = None,
    credentials: Mapping[str, Any] | None = None,
    record_streams: Sequence[str] | None = None,
    recording: Mapping[str, Any] | None = None,
    enabled: bool | None = None,
    cameras: Sequence[CameraSpec] | None = None,
) -> Device:
    """Change a device; arguments left ``None`` are unchanged. ``credentials={}`` removes
    them. Bumps the node's configuration version.

    ``cameras`` is the device's whole camera list: a camera on a channel already present
    keeps its id (an explicit other id is refused: recordings are filed under it) and
    takes the new name and enabled state; new channels add cameras; missing ones remove
    theirs (refused while a profile grants rights on them).

    :raises Forbidden, NotFound, Invalid, Conflict: as :func:`add_device`.
    """
    target = Target("device", ident)
    require_admin(session, clock, actor, action="device.update", target=target)
    device = device_named(session, ident)
    node = _node(session, device.node.name, lock=True)
    before = _device_snapshot(device)
    if driver is not None and (not driver or len(driver) > 64):
        raise Invalid("give the device's driver (at most 64 characters)")
    new_settings = dict(settings) if settings is not None else dict(device.settings)
    if settings is not None or credentials:
        existing = None
        if credentials is None and device.credentials is not None:
            existing = vault.decrypt(device.credentials)
        _check_settings(new_settings, credentials if credentials is not None else existing)
    if name is not None:
        _check_device_name(session, node, name, device.id)
        device.name = name[:_NAME_LENGTH]
    if driver is not None:
        device.driver = driver
    if settings is not None:
        device.settings = new_settings
    if credentials is not None:
        device.credentials = vault.encrypt(credentials) if credentials else None
    if record_streams is not None:
        device.record_streams = list(record_streams)
    if recording is not None:
        device.recording = dict(recording)
    if enabled is not None:
        device.enabled = enabled
    if cameras is not None:
        _set_cameras(session, device, cameras)
    session.flush()
    _bump(node)
    after = _device_snapshot(device)
    if credentials is not None:
        after["credentials_changed"] = True
    record(
        session,
        clock,
        actor=actor,
        action="device.update",
        target=Target.of(device),
        before=before,
        after=after,
        node=node.name,
    )
    return device


def _set_cameras(session: Session, device: Device, cameras: Sequence[CameraSpec]) -> None:
    """Make the device's cameras those of ``cameras``, matched by channel."""
    existing = {c.channel: c for c in device.cameras}
    for spec in cameras:
        known = existing.get(spec.channel)
        if known is not None and spec.ident and spec.ident != known.ident:
            raise Invalid(
                f"camera {known.ident!r} keeps its id: its recordings are filed under it "
                f"(remove the channel and add it again for a new camera)"
            )
    specs = _camera_specs(
        device.ident,
        [
            CameraSpec(s.channel, existing[s.channel].ident, s.name, s.enabled)
            if s.channel in existing
            else s
            for s in cameras
        ],
    )
    wanted = {s.channel for s in specs}
    leaving = [c for c in device.cameras if c.channel not in wanted]
    granted = _profiles_granting(session, ProfileRight.camera_id.in_([c.id for c in leaving]))
    if leaving and granted:
        raise Conflict(
            f"profiles {', '.join(granted)} grant rights on cameras "
            f"{', '.join(sorted(c.ident for c in leaving))}: remove those grants first"
        )
    for spec in specs:
        if spec.channel in existing:
            continue
        if session.scalar(select(func.count(Camera.id)).where(Camera.ident == spec.ident)):
            raise Conflict(f"a camera {spec.ident!r} exists already: camera ids are unique")
    for camera in leaving:
        device.cameras.remove(camera)
        session.delete(camera)
    for spec in specs:
        kept = existing.get(spec.channel)
        if kept is None:
            device.cameras.append(
                Camera(channel=spec.channel, ident=spec.ident, name=spec.name, enabled=spec.enabled)
            )
        else:
            kept.name, kept.enabled = spec.name, spec.enabled


def update_camera(
    session: Session,
    clock: Clock,
    actor: Actor,
    ident: str,
    *,
    name: str | None = None,
    enabled: bool | None = None,
) -> Camera:
    """Rename, disable or enable one camera (a disabled camera is neither shown nor
    recorded); bumps its node's configuration version.

    :raises Forbidden: the actor may not administer (audited as denied).
    :raises NotFound: no camera has this id.
    :raises Invalid: an empty or too long name.
    """
    require_admin(session, clock, actor, action="camera.update", target=Target("camera", ident))
    found = session.scalars(select(Camera).where(Camera.ident == ident)).first()
    if found is None or found.ident != ident:
        raise NotFound(f"camera {ident!r} does not exist")
    camera = found
    node = _node(session, camera.device.node.name, lock=True)
    before = _camera_snapshot(camera)
    if name is not None:
        if not name.strip() or len(name) > _NAME_LENGTH:
            raise Invalid("a camera name has 1 to 255 characters")
        camera.name = name.strip()
    if enabled is not None:
        camera.enabled = enabled
    session.flush()
    _bump(node)
    record(
        session,
        clock,
        actor=actor,
        action="camera.update",
        target=Target("camera", camera.ident, camera.name),
        before=before,
        after=_camera_snapshot(camera),
        node=node.name,
    )
    return camera


def remove_device(session: Session, clock: Clock, actor: Actor, ident: str) -> None:
    """Remove a device and its cameras; bumps the node's configuration version.

    :raises Forbidden, NotFound: as :func:`add_device`.
    :raises Conflict: a profile grants rights on one of its cameras.
    """
    require_admin(session, clock, actor, action="device.delete", target=Target("device", ident))
    device = device_named(session, ident)
    node = _node(session, device.node.name, lock=True)
    granted = _profiles_granting(
        session, ProfileRight.camera_id.in_([c.id for c in device.cameras])
    )
    if granted:
        raise Conflict(
            f"profiles {', '.join(granted)} grant rights on cameras of device {ident!r}: "
            "remove those grants first"
        )
    before = _device_snapshot(device)
    target = Target.of(device)
    session.delete(device)
    session.flush()
    _bump(node)
    record(
        session,
        clock,
        actor=actor,
        action="device.delete",
        target=target,
        before=before,
        node=node.name,
    )


# --- Node storage -------------------------------------------------------------------------


def set_storage(
    session: Session,
    clock: Clock,
    actor: Actor,
    node: str,
    backend: str,
    settings: Mapping[str, Any] | None = None,
) -> NodeStorage:
    """Make ``backend`` with ``settings`` the node's storage (replacing any other);
    bumps the node's configuration version. The node applies it at its next start.

    :raises Forbidden, NotFound: as :func:`add_device`.
    :raises Invalid: no backend name, or one longer than 64 characters.
    """
    require_admin(session, clock, actor, action="node.storage", target=Target("node", node, node))
    row = _node(session, node, lock=True)
    if not backend or len(backend) > 64:
        raise Invalid("give the storage backend (at most 64 characters)")
    current = list(row.storages)
    before = {"storages": [_storage_snapshot(s) for s in current]}
    keep = next((s for s in current if s.backend == backend), None)
    for storage in current:
        if storage is not keep:
            row.storages.remove(storage)  # delete-orphan: the row goes
    session.flush()
    if keep is None:
        keep = NodeStorage(backend=backend)
        row.storages.append(keep)
    keep.settings = dict(settings or {})
    session.flush()
    _bump(row)
    record(
        session,
        clock,
        actor=actor,
        action="node.storage",
        target=Target.of(row),
        before=before,
        after={"storages": [_storage_snapshot(keep)]},
        node=row.name,
    )
    return keep


# --- Camera groups ------------------------------------------------------------------------


def groups(session: Session) -> list[CameraGroup]:
    return list(session.scalars(select(CameraGroup).order_by(CameraGroup.name)))


def group_named(session: Session, name: str) -> CameraGroup:
    """:raises NotFound: no group has this name."""
    group = session.scalars(select(CameraGroup).where(CameraGroup.name == name)).first()
    if group is None:
        raise NotFound(f"camera group {name!r} does not exist")
    return group


def create_group(
    session: Session, clock: Clock, actor: Actor, name: str, description: str = ""
) -> CameraGroup:
    """:raises Forbidden; Invalid: empty name; Conflict: the name is taken."""
    require_admin(session, clock, actor, action="camera_group.create")
    name = _group_name(session, name, None)
    group = CameraGroup(name=name, description=description[:1024])
    session.add(group)
    session.flush()
    record(
        session,
        clock,
        actor=actor,
        action="camera_group.create",
        target=Target.of(group),
        after=_group_snapshot(group),
    )
    return group


def rename_group(
    session: Session,
    clock: Clock,
    actor: Actor,
    group: str,
    *,
    name: str | None = None,
    description: str | None = None,
) -> CameraGroup:
    """:raises Forbidden, NotFound; Invalid, Conflict: as :func:`create_group`."""
    target = Target("camera_group", None, group)
    require_admin(session, clock, actor, action="camera_group.update", target=target)
    row = group_named(session, group)
    before = _group_snapshot(row)
    if name is not None:
        row.name = _group_name(session, name, row.id)
    if description is not None:
        row.description = description[:1024]
    session.flush()
    record(
        session,
        clock,
        actor=actor,
        action="camera_group.update",
        target=Target.of(row),
        before=before,
        after=_group_snapshot(row),
    )
    return row


def set_group_members(
    session: Session, clock: Clock, actor: Actor, group: str, cameras: Sequence[str]
) -> CameraGroup:
    """Make the cameras named (by ident) the group's members, replacing the others.

    :raises Forbidden, NotFound: also when a camera does not exist.
    """
    target = Target("camera_group", None, group)
    require_admin(session, clock, actor, action="camera_group.members", target=target)
    row = group_named(session, group)
    wanted = sorted(set(cameras))
    rows = list(session.scalars(select(Camera).where(Camera.ident.in_(wanted)))) if wanted else []
    found = {c.ident for c in rows}
    missing = [ident for ident in wanted if ident not in found]
    if missing:
        raise NotFound(f"no camera {', '.join(map(repr, missing))}")
    before = _group_snapshot(row)
    row.cameras = sorted(rows, key=lambda c: c.ident)
    session.flush()
    record(
        session,
        clock,
        actor=actor,
        action="camera_group.members",
        target=Target.of(row),
        before=before,
        after=_group_snapshot(row),
    )
    return row


def delete_group(session: Session, clock: Clock, actor: Actor, group: str) -> None:
    """Delete a group (its cameras stay).

    :raises Forbidden, NotFound.
    :raises Conflict: a profile grants rights on the group.
    """
    target = Target("camera_group", None, group)
    require_admin(session, clock, actor, action="camera_group.delete", target=target)
    row = group_named(session, group)
    granted = _profiles_granting(session, ProfileRight.camera_group_id == row.id)
    if granted:
        raise Conflict(
            f"profiles {', '.join(granted)} grant rights on camera group {row.name!r}: "
            "remove those grants first"
        )
    before = _group_snapshot(row)
    target = Target.of(row)
    session.delete(row)
    session.flush()
    record(session, clock, actor=actor, action="camera_group.delete", target=target, before=before)


# --- What a node runs ---------------------------------------------------------------------


def desired_config(session: Session, node: Node, vault: CredentialVault) -> NodeDesiredConfig:
    """What ``node`` should run: its enabled devices, credentials decrypted and merged into
    ``settings`` (see the module doc), its storage, and its configuration version.

    Only for the node itself, authenticated (the answer holds device passwords).

    :raises NodeRefused: the node is not enrolled and accepted (pending, refused, disabled)
        or must enrol again.
    :raises CredentialsUnavailable: stored credentials cannot be decrypted.
    """
    if node.enrolment_token_hash is not None:
        raise NodeRefused(f"node {node.name} must enrol again with its new enrolment token")
    if node.state != NodeState.ENROLLED:
        raise NodeRefused(
            f"node {node.name} is {node.state.value}: {node.state_reason or 'ask an admin'}"
        )
    stmt = (
        select(Device)
        .where(Device.node_id == node.id, Device.enabled.is_(True))
        .order_by(Device.ident)
    )
    devices = []
    for device in session.scalars(stmt):
        settings = dict(device.settings)
        if device.credentials is not None:
            settings.update(vault.decrypt(device.credentials))
        devices.append(
            DeviceConfig(
                id=device.ident,
                driver=device.driver,
                settings=settings,
                record=list(device.record_streams),
                recording=dict(device.recording),
                cameras=[
                    CameraConfig(channel=c.channel, id=c.ident, name=c.name, enabled=c.enabled)
                    for c in sorted(device.cameras, key=lambda c: c.channel)
                ],
            )
        )
    storages = sorted(node.storages, key=lambda s: s.backend)
    storage = (
        StorageConfig(backend=storages[0].backend, settings=dict(storages[0].settings))
        if storages
        else None
    )
    return NodeDesiredConfig(version=node.desired_config_version, storage=storage, devices=devices)


# --- Helpers ------------------------------------------------------------------------------


def _node(session: Session, name: str, *, lock: bool = False) -> Node:
    stmt = select(Node).where(Node.name == name)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    node = session.scalars(stmt).first()
    # MariaDB compares names without regard to case; a node id is exact.
    if node is None or node.name != name:
        raise NotFound(f"node {name!r} does not exist")
    return node


def _profiles_granting(session: Session, condition: ColumnElement[bool]) -> list[str]:
    """Names of the profiles with a grant meeting ``condition`` (which blocks a delete)."""
    stmt = (
        select(Profile.name)
        .join(ProfileRight, ProfileRight.profile_id == Profile.id)
        .where(condition)
        .distinct()
    )
    return sorted(repr(name) for name in session.scalars(stmt))


def _bump(node: Node) -> None:
    node.desired_config_version = (node.desired_config_version or 0) + 1


def _check_ident(ident: str, kind: str) -> None:
    if not re.fullmatch(NODE_ID_PATTERN, ident):
        raise Invalid(
            f"{ident!r} is not a valid {kind} id (letters, digits, '.', '_', '-'; at most 64)"
        )


def _check_settings(settings: Mapping[str, Any], credentials: Mapping[str, Any] | None) -> None:
    secret = sorted(k for k in settings if _looks_secret(str(k)))
    if secret:
        raise Invalid(
            f"settings {', '.join(secret)} look like secrets: give them as credentials, "
            "which are stored encrypted"
        )
    clash = sorted(set(settings) & set(credentials or {}))
    if clash:
        raise Invalid(f"settings {', '.join(clash)} are credentials: give them as credentials only")


def _looks_secret(key: str) -> bool:
    lowered = key.lower()
    return lowered in _SECRET_KEYS or lowered.endswith(_SECRET_SUFFIXES)


def _check_device_name(session: Session, node: Node, name: str, device_id: int | None) -> None:
    if not name.strip():
        raise Invalid("a device name cannot be empty")
    stmt = select(Device.id).where(Device.node_id == node.id, Device.name == name[:_NAME_LENGTH])
    for other in session.scalars(stmt):
        if other != device_id:
            raise Conflict(f"node {node.name} has a device named {name!r} already")


def _camera_specs(device: str, cameras: Sequence[CameraSpec]) -> list[CameraSpec]:
    if not cameras:
        raise Invalid("a device provides at least one camera")
    specs = []
    for spec in cameras:
        if spec.channel < 0:
            raise Invalid(f"camera channels count from 0, not {spec.channel}")
        ident = spec.ident or (device if len(cameras) == 1 else f"{device}-ch{spec.channel + 1}")
        _check_ident(ident, "camera")
        specs.append(CameraSpec(spec.channel, ident, (spec.name or ident)[:255], spec.enabled))
    if len({s.channel for s in specs}) != len(specs):
        raise Invalid("two cameras name the same channel")
    if len({s.ident for s in specs}) != len(specs):
        raise Invalid("two cameras have the same id")
    return specs


def _group_name(session: Session, name: str, group_id: int | None) -> str:
    name = name.strip()
    if not name or len(name) > 255:
        raise Invalid("a camera group name has 1 to 255 characters")
    stmt = select(CameraGroup).where(func.lower(CameraGroup.name) == name.lower())
    for other in session.scalars(stmt):
        if other.id != group_id:
            raise Conflict(f"a camera group named {other.name!r} exists already")
    return name


def _device_snapshot(device: Device) -> dict[str, Any]:
    """The device as the trail keeps it: ``credentials`` only says whether there are some."""
    data = snapshot(device)
    data.pop("credentials", None)
    data["has_credentials"] = device.credentials is not None
    data["node"] = device.node.name
    data["cameras"] = [
        {"channel": c.channel, "ident": c.ident, "name": c.name, "enabled": c.enabled}
        for c in sorted(device.cameras, key=lambda c: c.channel)
    ]
    return data


def _camera_snapshot(camera: Camera) -> dict[str, Any]:
    return {
        "device": camera.device.ident,
        "channel": camera.channel,
        "ident": camera.ident,
        "name": camera.name,
        "enabled": camera.enabled,
    }


def _storage_snapshot(storage: NodeStorage) -> dict[str, Any]:
    return {"backend": storage.backend, "settings": dict(storage.settings or {})}


def _group_snapshot(group: CameraGroup) -> dict[str, Any]:
    data = snapshot(group)
    data["cameras"] = sorted(c.ident for c in group.cameras)
    return data
