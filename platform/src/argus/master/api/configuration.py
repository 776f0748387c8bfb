"""Configuration: administrators edit devices, cameras, camera groups and node storage;
nodes fetch their desired configuration (``GET /api/v1/nodes/config``).

Credentials go in (device create/update) and out only to the node that runs the
device, never back to an administrator.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, status

from argus.master.api.auth import Running, Tx, Who
from argus.master.api.models import (
    CameraGroupIn,
    CameraGroupMembers,
    CameraGroupOut,
    CameraGroupUpdate,
    CameraOut,
    CameraUpdate,
    DeviceCreate,
    DeviceOut,
    DeviceUpdate,
    StorageIn,
    StorageOut,
)
from argus.master.api.nodes import NodeCredential
from argus.master.db import Node
from argus.master.db.models import CameraGroup, Device
from argus.master.runtime import Master
from argus.master.services import configuration, registry
from argus.master.services.audit import Target
from argus.master.services.configuration import CameraSpec
from argus.master.services.errors import Unauthenticated
from argus.master.services.secrets import CredentialVault
from argus.protocol import NODE_ID_PATTERN, NodeDesiredConfig

router = APIRouter(tags=["configuration"])


def vault_of(master: Master) -> CredentialVault:
    """The master's credential vault (its key file in the data directory)."""
    return CredentialVault.in_directory(master.data_dir)


# --- Node-facing --------------------------------------------------------------------------


@router.get("/nodes/config", response_model=NodeDesiredConfig)
def node_config(
    db: Tx,
    master: Running,
    credential: NodeCredential,
    node_id: str | None = Query(None, pattern=NODE_ID_PATTERN, description="The node id."),
) -> NodeDesiredConfig:
    """The calling node's desired configuration, device credentials included; authenticated
    by the node's credential as the bearer token, as the heartbeat is."""
    if not node_id:
        raise Unauthenticated("name the node: GET /api/v1/nodes/config?node_id=<node id>")
    node = registry.authenticate_node(db, node_id, credential)
    return configuration.desired_config(db, node, vault_of(master))


# --- Devices and cameras ------------------------------------------------------------------


@router.get("/nodes/{name}/devices", response_model=list[DeviceOut])
def list_devices(name: str, db: Tx, master: Running, caller: Who) -> list[DeviceOut]:
    """The node's devices and their cameras (credentials are never shown)."""
    caller.require_admin_on(db, master, "device.list", Target("node", name, name))
    return [device_out(d) for d in configuration.devices_of(db, name)]


@router.post("/nodes/{name}/devices", response_model=DeviceOut, status_code=status.HTTP_201_CREATED)
def add_device(name: str, body: DeviceCreate, db: Tx, master: Running, caller: Who) -> DeviceOut:
    """Add a device and its cameras to the node; bumps its configuration version."""
    device = configuration.add_device(
        db,
        master.clock,
        caller.actor,
        vault_of(master),
        node=name,
        ident=body.ident,
        driver=body.driver,
        name=body.name,
        settings=body.settings,
        credentials=body.credentials,
        record_streams=body.record_streams,
        recording=body.recording,
        enabled=body.enabled,
        cameras=[CameraSpec(c.channel, c.ident, c.name, c.enabled) for c in body.cameras],
    )
    return device_out(device)


@router.get("/devices/{ident}", response_model=DeviceOut)
def get_device(ident: str, db: Tx, master: Running, caller: Who) -> DeviceOut:
    caller.require_admin_on(db, master, "device.get", Target("device", ident))
    return device_out(configuration.device_named(db, ident))


@router.patch("/devices/{ident}", response_model=DeviceOut)
def update_device(
    ident: str, body: DeviceUpdate, db: Tx, master: Running, caller: Who
) -> DeviceOut:
    """Change a device (fields left out are unchanged); bumps its node's version."""
    device = configuration.update_device(
        db,
        master.clock,
        caller.actor,
        vault_of(master),
        ident,
        name=body.name,
        driver=body.driver,
        settings=body.settings,
        credentials=body.credentials,
        record_streams=body.record_streams,
        recording=body.recording,
        enabled=body.enabled,
        cameras=None
        if body.cameras is None
        else [CameraSpec(c.channel, c.ident, c.name, c.enabled) for c in body.cameras],
    )
    return device_out(device)


@router.patch("/cameras/{ident}", response_model=DeviceOut)
def update_camera(
    ident: str, body: CameraUpdate, db: Tx, master: Running, caller: Who
) -> DeviceOut:
    """Rename, disable or enable one camera; bumps its node's version. Returns its device."""
    camera = configuration.update_camera(
        db, master.clock, caller.actor, ident, name=body.name, enabled=body.enabled
    )
    return device_out(camera.device)


@router.delete("/devices/{ident}", status_code=status.HTTP_204_NO_CONTENT)
def remove_device(ident: str, db: Tx, master: Running, caller: Who) -> None:
    """Remove a device and its cameras; bumps its node's version."""
    configuration.remove_device(db, master.clock, caller.actor, ident)


# --- Node storage -------------------------------------------------------------------------


@router.get("/nodes/{name}/storage", response_model=StorageOut)
def get_storage(name: str, db: Tx, master: Running, caller: Who) -> StorageOut:
    caller.require_admin_on(db, master, "node.storage.get", Target("node", name, name))
    node = configuration.node_named(db, name)
    storages = sorted(node.storages, key=lambda s: s.backend)
    first = storages[0] if storages else None
    return StorageOut(
        node=node.name,
        backend=first.backend if first else None,
        settings=dict(first.settings) if first else {},
        desired_config_version=node.desired_config_version,
    )


@router.put("/nodes/{name}/storage", response_model=StorageOut)
def set_storage(name: str, body: StorageIn, db: Tx, master: Running, caller: Who) -> StorageOut:
    """Set the node's storage backend and settings (applied at the node's next start)."""
    storage = configuration.set_storage(
        db, master.clock, caller.actor, name, body.backend, body.settings
    )
    node: Node = storage.node
    return StorageOut(
        node=node.name,
        backend=storage.backend,
        settings=dict(storage.settings),
        desired_config_version=node.desired_config_version,
    )


# --- Camera groups ------------------------------------------------------------------------


@router.get("/camera-groups", response_model=list[CameraGroupOut])
def list_groups(db: Tx, master: Running, caller: Who) -> list[CameraGroupOut]:
    caller.require_admin(db, master, "camera_group.list")
    return [group_out(g) for g in configuration.groups(db)]


@router.post("/camera-groups", response_model=CameraGroupOut, status_code=status.HTTP_201_CREATED)
def create_group(body: CameraGroupIn, db: Tx, master: Running, caller: Who) -> CameraGroupOut:
    group = configuration.create_group(db, master.clock, caller.actor, body.name, body.description)
    return group_out(group)


@router.patch("/camera-groups/{name}", response_model=CameraGroupOut)
def update_group(
    name: str, body: CameraGroupUpdate, db: Tx, master: Running, caller: Who
) -> CameraGroupOut:
    group = configuration.rename_group(
        db, master.clock, caller.actor, name, name=body.name, description=body.description
    )
    return group_out(group)


@router.put("/camera-groups/{name}/members", response_model=CameraGroupOut)
def set_members(
    name: str, body: CameraGroupMembers, db: Tx, master: Running, caller: Who
) -> CameraGroupOut:
    group = configuration.set_group_members(db, master.clock, caller.actor, name, body.cameras)
    return group_out(group)


@router.delete("/camera-groups/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_group(name: str, db: Tx, master: Running, caller: Who) -> None:
    configuration.delete_group(db, master.clock, caller.actor, name)


# --- Bodies -------------------------------------------------------------------------------


def device_out(device: Device) -> DeviceOut:
    return DeviceOut(
        ident=device.ident,
        node=device.node.name,
        name=device.name,
        driver=device.driver,
        settings=dict(device.settings),
        has_credentials=device.credentials is not None,
        record_streams=list(device.record_streams),
        recording=dict(device.recording),
        enabled=device.enabled,
        cameras=[
            CameraOut(channel=c.channel, ident=c.ident, name=c.name, enabled=c.enabled)
            for c in sorted(device.cameras, key=lambda c: c.channel)
        ],
        updated=device.updated,
    )


def group_out(group: CameraGroup) -> CameraGroupOut:
    return CameraGroupOut(
        id=group.id,
        name=group.name,
        description=group.description,
        cameras=sorted(c.ident for c in group.cameras),
    )
