"""Configuration services: devices, cameras, groups, storage, the desired configuration
and encrypted credentials, on every engine."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from argus import __version__
from argus.master.db.enums import AuditResult, NodeState, Right, Scope
from argus.master.db.models import AppUser, AuditEntry, Camera, Device, Node
from argus.master.services import accounts, configuration, profiles, registry
from argus.master.services.audit import SYSTEM, Actor
from argus.master.services.configuration import CameraSpec
from argus.master.services.errors import Conflict, Forbidden, Invalid, NotFound
from argus.master.services.registry import NodeRefused
from argus.master.services.secrets import KEY_FILE, CredentialsUnavailable, CredentialVault
from argus.protocol import EnrolRequest
from argus.security.tokens import public_pem
from argus_sdk.testing import ManualClock

PASSWORD = "s3cret-Pa55word-xyzzy"
PEM = public_pem(Ed25519PrivateKey.generate())


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def vault(tmp_path: Path) -> CredentialVault:
    return CredentialVault.in_directory(tmp_path / "master")


def enrolled(session: Session, clock: ManualClock, name: str) -> Node:
    token = registry.create_node(session, clock, name).token
    request = EnrolRequest(
        token=token,
        node_id=name,
        platform_version=__version__,
        architecture="x86_64",
        os="Linux",
        listen_address="http://127.0.0.1:5009",
    )
    registry.enrol(session, clock, request, PEM, "master-test")
    return session.scalars(select(Node).where(Node.name == name)).one()


def add(
    session: Session,
    clock: ManualClock,
    vault: CredentialVault,
    ident: str = "cam1",
    node: str = "node-a",
    **kwargs: object,
) -> Device:
    return configuration.add_device(
        session,
        clock,
        SYSTEM,
        vault,
        node=node,
        ident=ident,
        driver="onvif",
        settings={"address": "10.0.0.5"},
        credentials={"username": "viewer", "password": PASSWORD},
        **kwargs,  # type: ignore[arg-type]
    )


def audit_text(session: Session) -> str:
    """Every column of every audit row, as text."""
    rows = session.execute(text("SELECT * FROM audit_entry")).all()
    return "\n".join(repr(tuple(row)) for row in rows)


def test_a_device_added_bumps_the_version_and_the_trail_has_no_password(
    session: Session, clock: ManualClock, vault: CredentialVault
) -> None:
    node = enrolled(session, clock, "node-a")
    start = node.desired_config_version
    device = add(session, clock, vault)
    assert node.desired_config_version == start + 1
    assert [c.ident for c in device.cameras] == ["cam1"]
    assert device.credentials is not None and PASSWORD.encode() not in device.credentials
    assert "password" not in device.settings
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "device.create")).one()
    assert entry.after is not None and entry.after["has_credentials"] is True
    assert entry.after["settings"] == {"address": "10.0.0.5"} and entry.node == "node-a"
    assert PASSWORD not in audit_text(session)
    assert "viewer" not in audit_text(session)


def test_desired_config_decrypts_the_credentials_for_its_own_node_only(
    session: Session, clock: ManualClock, vault: CredentialVault
) -> None:
    node_a = enrolled(session, clock, "node-a")
    node_b = enrolled(session, clock, "node-b")
    add(session, clock, vault, recording={"mode": "continuous"}, record_streams=["main", "sub"])
    config = configuration.desired_config(session, node_a, vault)
    assert config.version == node_a.desired_config_version
    [device] = config.devices
    assert device.id == "cam1" and device.driver == "onvif"
    assert device.settings == {"address": "10.0.0.5", "username": "viewer", "password": PASSWORD}
    assert device.record == ["main", "sub"] and device.recording == {"mode": "continuous"}
    other = configuration.desired_config(session, node_b, vault)
    assert other.devices == [] and PASSWORD not in other.model_dump_json()


def test_removing_a_device_bumps_the_version(
    session: Session, clock: ManualClock, vault: CredentialVault
) -> None:
    node = enrolled(session, clock, "node-a")
    add(session, clock, vault)
    version = node.desired_config_version
    configuration.remove_device(session, clock, SYSTEM, "cam1")
    assert node.desired_config_version == version + 1
    assert session.scalars(select(Camera).where(Camera.ident == "cam1")).first() is None
    assert configuration.desired_config(session, node, vault).devices == []
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "device.delete")).one()
    assert entry.before is not None and entry.before["ident"] == "cam1"
    with pytest.raises(NotFound):
        configuration.remove_device(session, clock, SYSTEM, "cam1")


def test_disabled_devices_are_left_out(
    session: Session, clock: ManualClock, vault: CredentialVault
) -> None:
    node = enrolled(session, clock, "node-a")
    add(session, clock, vault, "cam1")
    add(session, clock, vault, "cam2", enabled=False)
    assert [d.id for d in configuration.desired_config(session, node, vault).devices] == ["cam1"]
    version = node.desired_config_version
    configuration.update_device(session, clock, SYSTEM, vault, "cam2", enabled=True)
    assert node.desired_config_version == version + 1
    config = configuration.desired_config(session, node, vault)
    assert [d.id for d in config.devices] == ["cam1", "cam2"]


def test_update_changes_credentials_without_auditing_them(
    session: Session, clock: ManualClock, vault: CredentialVault
) -> None:
    node = enrolled(session, clock, "node-a")
    add(session, clock, vault)
    configuration.update_device(
        session, clock, SYSTEM, vault, "cam1", credentials={"username": "u2", "password": "pw-2!"}
    )
    [device] = configuration.desired_config(session, node, vault).devices
    assert device.settings["password"] == "pw-2!"
    assert "pw-2!" not in audit_text(session)
    configuration.update_device(session, clock, SYSTEM, vault, "cam1", credentials={})
    [device] = configuration.desired_config(session, node, vault).devices
    assert device.settings == {"address": "10.0.0.5"}


def test_secrets_in_settings_and_clashes_are_refused(
    session: Session, clock: ManualClock, vault: CredentialVault
) -> None:
    enrolled(session, clock, "node-a")
    with pytest.raises(Invalid, match="secrets"):
        configuration.add_device(
            session, clock, SYSTEM, vault, node="node-a", ident="x", driver="d",
            settings={"password": PASSWORD},
        )  # fmt: skip
    with pytest.raises(Invalid, match="not a valid device id"):
        add(session, clock, vault, "bad id!")
    add(session, clock, vault)
    with pytest.raises(Conflict):
        add(session, clock, vault)
    with pytest.raises(NotFound):
        add(session, clock, vault, "cam9", node="no-such-node")
    assert PASSWORD not in audit_text(session)


def test_cameras_of_a_multi_channel_device_follow_the_node_naming(
    session: Session, clock: ManualClock, vault: CredentialVault
) -> None:
    enrolled(session, clock, "node-a")
    device = add(session, clock, vault, "enc", cameras=[CameraSpec(0), CameraSpec(1, name="Gate")])
    assert sorted((c.channel, c.ident, c.name) for c in device.cameras) == [
        (0, "enc-ch1", "enc-ch1"),
        (1, "enc-ch2", "Gate"),
    ]
    with pytest.raises(Invalid):
        add(session, clock, vault, "enc2", cameras=[CameraSpec(0), CameraSpec(0, "other")])


def test_storage_bumps_the_version_and_is_sent(
    session: Session, clock: ManualClock, vault: CredentialVault
) -> None:
    node = enrolled(session, clock, "node-a")
    version = node.desired_config_version
    configuration.set_storage(session, clock, SYSTEM, "node-a", "segments", {"disks": ["/srv"]})
    configuration.set_storage(session, clock, SYSTEM, "node-a", "other", {"x": 1})
    assert node.desired_config_version == version + 2
    storage = configuration.desired_config(session, node, vault).storage
    assert storage is not None and storage.backend == "other" and storage.settings == {"x": 1}
    assert len(node.storages) == 1


def test_camera_groups_are_audited_and_do_not_bump(
    session: Session, clock: ManualClock, vault: CredentialVault
) -> None:
    node = enrolled(session, clock, "node-a")
    add(session, clock, vault, "cam1")
    add(session, clock, vault, "cam2")
    version = node.desired_config_version
    configuration.create_group(session, clock, SYSTEM, "Lobby")
    with pytest.raises(Conflict):
        configuration.create_group(session, clock, SYSTEM, "lobby")
    configuration.rename_group(session, clock, SYSTEM, "Lobby", name="Hall")
    group = configuration.set_group_members(session, clock, SYSTEM, "Hall", ["cam2", "cam1"])
    assert sorted(c.ident for c in group.cameras) == ["cam1", "cam2"]
    with pytest.raises(NotFound):
        configuration.set_group_members(session, clock, SYSTEM, "Hall", ["ghost"])
    configuration.delete_group(session, clock, SYSTEM, "Hall")
    assert node.desired_config_version == version
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.startswith("camera_group."))
    ).all()
    assert sorted(actions) == [
        "camera_group.create",
        "camera_group.delete",
        "camera_group.members",
        "camera_group.update",
    ]


def test_a_non_admin_is_refused_and_audited(
    session: Session, clock: ManualClock, vault: CredentialVault
) -> None:
    enrolled(session, clock, "node-a")
    profile = profiles.create_profile(session, clock, SYSTEM, name="Viewers", grants=[])
    user = accounts.create_user(
        session, clock, SYSTEM, username="olga", password="olga password 1", profile=profile
    )
    actor = Actor.of_user(session.get(AppUser, user.id) or user)
    with pytest.raises(Forbidden):
        configuration.add_device(
            session, clock, actor, vault, node="node-a", ident="cam1", driver="d"
        )
    denied = session.scalars(
        select(AuditEntry).where(AuditEntry.result == AuditResult.DENIED)
    ).one()
    assert denied.action == "device.create"
    assert session.scalars(select(Device)).first() is None


def test_a_node_not_enrolled_gets_no_configuration(
    session: Session, clock: ManualClock, vault: CredentialVault
) -> None:
    node = enrolled(session, clock, "node-a")
    node.state = NodeState.DISABLED
    with pytest.raises(NodeRefused):
        configuration.desired_config(session, node, vault)
    node.state = NodeState.ENROLLED
    registry.issue_enrolment_token(session, clock, "node-a")
    with pytest.raises(NodeRefused, match="enrol again"):
        configuration.desired_config(session, node, vault)


# --- The vault ----------------------------------------------------------------------------


def test_the_key_is_created_private_on_first_use(tmp_path: Path) -> None:
    vault = CredentialVault.in_directory(tmp_path)
    token = vault.encrypt({"password": PASSWORD})
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    assert PASSWORD.encode() not in token
    assert vault.decrypt(token) == {"password": PASSWORD}
    assert CredentialVault.in_directory(tmp_path).decrypt(token) == {"password": PASSWORD}


def test_a_missing_or_wrong_key_is_an_error_not_empty_credentials(tmp_path: Path) -> None:
    vault = CredentialVault.in_directory(tmp_path)
    token = vault.encrypt({"password": PASSWORD})
    (tmp_path / KEY_FILE).unlink()
    with pytest.raises(CredentialsUnavailable, match="missing"):
        vault.decrypt(token)
    (tmp_path / KEY_FILE).write_bytes(Fernet.generate_key())
    with pytest.raises(CredentialsUnavailable, match="do not decrypt"):
        vault.decrypt(token)
    (tmp_path / KEY_FILE).write_text("not a key")
    with pytest.raises(CredentialsUnavailable, match="not a credentials key"):
        vault.decrypt(token)


def test_a_granted_camera_or_group_cannot_be_removed(
    session: Session, clock: ManualClock, vault: CredentialVault
) -> None:
    enrolled(session, clock, "node-a")
    add(session, clock, vault, "cam1")
    configuration.create_group(session, clock, SYSTEM, "Lobby")
    grants = [
        profiles.GrantSpec(Scope.CAMERA, Right.LIVE, "cam1"),
        profiles.GrantSpec(Scope.GROUP, Right.LIVE, "Lobby"),
    ]
    profiles.create_profile(session, clock, SYSTEM, name="Guards", grants=grants)
    with pytest.raises(Conflict, match="'Guards'"):
        configuration.remove_device(session, clock, SYSTEM, "cam1")
    with pytest.raises(Conflict, match="'Guards'"):
        configuration.delete_group(session, clock, SYSTEM, "Lobby")
    assert configuration.device_named(session, "cam1").ident == "cam1"
