"""Admitting plugin packages through the API, on every engine: a good package is stored
and recorded; a refused one leaves nothing behind but its reason in the audit trail."""

from __future__ import annotations

import base64
import itertools
import zipfile
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from argus.master.runtime import Master
from argus_sdk.testing import make_wheel

_n = itertools.count()


def package(tmp_path: Path, **kwargs: Any) -> Path:
    """A wheel of a new project (names are unique across the module's master)."""
    name = f"acme-driver{next(_n)}"
    path = tmp_path / f"{name.replace('-', '_')}-1.0.0-py3-none-any.whl"
    return make_wheel(path, name=name, version="1.0.0", **kwargs)


def upload(
    client: TestClient, headers: dict[str, str], path: Path, signature: bytes | None = None
) -> Any:
    params = {"filename": path.name}
    if signature is not None:
        params["signature"] = base64.b64encode(signature).decode()
    return client.post(
        "/api/v1/packages",
        params=params,
        content=path.read_bytes(),
        headers={**headers, "Content-Type": "application/octet-stream"},
    )


def stored(master: Master) -> list[Path]:
    return sorted(p for p in master.package_store.rglob("*") if p.is_file())


def test_a_good_package_is_stored_recorded_and_listed(
    client: TestClient, admin: dict[str, str], master: Master, tmp_path: Path
) -> None:
    path = package(tmp_path)
    reply = upload(client, admin, path)
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert body["kinds"] == ["camera-driver"] and body["tags"] == ["py3-none-any"]
    assert body["sdk"] == "<2,>=1.0" and body["vendor"] == "" and body["admitted_by"] == "admin"
    kept = master.package_store / body["name"] / "1.0.0" / path.name
    assert kept.read_bytes() == path.read_bytes()
    assert path.name in [
        p["filename"] for p in client.get("/api/v1/packages", headers=admin).json()
    ]
    again = upload(client, admin, path)
    assert again.status_code == 409 and "admitted already" in again.json()["detail"]
    trail = client.get("/api/v1/audit", params={"action": "package.admit"}, headers=admin).json()
    entry = next(e for e in trail["entries"] if e["target_id"] == path.name)
    assert entry["result"] == "ok" and entry["after"]["sha256"] == body["sha256"]


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        ({"record": lambda members: "".join(f"{n},,\n" for n in members)}, "no sha256 hash"),
        (
            {"extra": lambda a: a.writestr(zipfile.ZipInfo("../evil.py"), b"x")},
            "leaves the package",
        ),
        ({"entry_points": None}, "provides no Argus plugin"),
        ({"requires": ("argus-sdk>=9",)}, "admits no released platform API"),
    ],
    ids=["bad-record", "zip-slip", "no-plugin", "sdk-range"],
)
def test_a_refused_package_leaves_nothing_but_its_reason(
    client: TestClient,
    admin: dict[str, str],
    master: Master,
    tmp_path: Path,
    spoil: dict[str, Any],
    reason: str,
) -> None:
    before = stored(master)
    path = package(tmp_path, **spoil)
    reply = upload(client, admin, path)
    assert reply.status_code == 422 and reason in reply.json()["detail"], reply.text
    assert stored(master) == before
    assert not any((master.package_store / ".incoming").iterdir())
    trail = client.get(
        "/api/v1/audit", params={"action": "package.admit", "result": "failed"}, headers=admin
    ).json()
    entry = next(e for e in trail["entries"] if e["target_id"] == path.name)
    assert reason in entry["detail"]


def test_names_that_are_not_package_files_are_refused(
    client: TestClient, admin: dict[str, str]
) -> None:
    reply = client.post(
        "/api/v1/packages",
        params={"filename": "../../etc/cron.d/evil.whl"},
        content=b"x",
        headers=admin,
    )
    assert reply.status_code == 422 and "not a plugin package file name" in reply.text


def test_vendor_signatures_are_checked_against_trusted_keys(
    client: TestClient, admin: dict[str, str], master: Master, tmp_path: Path
) -> None:
    vendor = Ed25519PrivateKey.generate()
    keys = tmp_path / "vendors"
    keys.mkdir()
    (keys / "acme.pem").write_bytes(
        vendor.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    master.vendor_keys_dir = keys
    try:
        signed = package(tmp_path)
        reply = upload(client, admin, signed, vendor.sign(signed.read_bytes()))
        assert reply.status_code == 201 and reply.json()["vendor"] == "acme", reply.text
        forged = package(tmp_path)
        other = Ed25519PrivateKey.generate().sign(forged.read_bytes())
        refused = upload(client, admin, forged, other)
        assert refused.status_code == 422 and "not by a trusted vendor" in refused.text
        master.require_vendor_signature = True
        unsigned = upload(client, admin, package(tmp_path))
        assert unsigned.status_code == 422 and "requires a vendor signature" in unsigned.text
    finally:
        master.vendor_keys_dir = None
        master.require_vendor_signature = False
