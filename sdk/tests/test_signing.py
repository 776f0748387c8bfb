"""Vendor signatures: real Ed25519 keys written and read as files, real wheels signed,
and every way a signature can fail refused with its own reason."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from argus_sdk.packages import PackageRefused
from argus_sdk.signing import (
    VendorKeyError,
    check_signature,
    generate_vendor_key,
    load_private_key,
    load_public_key,
    load_vendor_keys,
    sign_package,
    signature_path,
    verify_signature,
)
from argus_sdk.testing import make_wheel

WHEEL = "acme_driver-2.4.0-py3-none-any.whl"


def vendor(folder: Path, name: str) -> tuple[Path, Ed25519PublicKey]:
    """A vendor's key pair in ``folder``: (private key file, public key)."""
    folder.mkdir(exist_ok=True)
    private = folder / f"{name}.key"
    return private, generate_vendor_key(private, folder / f"{name}.pem")


def refused(path: Path, signature: bytes, keys: dict[str, Ed25519PublicKey]) -> str:
    with pytest.raises(PackageRefused) as caught:
        verify_signature(path, signature, keys)
    return str(caught.value)


def test_a_new_key_pair_is_pem_with_a_private_file_only_its_owner_reads(tmp_path: Path) -> None:
    private, public = tmp_path / "acme.key", tmp_path / "acme.pem"
    key = generate_vendor_key(private, public)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    assert load_public_key(public).public_bytes_raw() == key.public_bytes_raw()
    assert load_private_key(private).public_key().public_bytes_raw() == key.public_bytes_raw()


def test_a_key_is_never_overwritten(tmp_path: Path) -> None:
    private, public = tmp_path / "acme.key", tmp_path / "acme.pem"
    generate_vendor_key(private, public)
    before = private.read_bytes(), public.read_bytes()
    with pytest.raises(FileExistsError, match="never overwritten"):
        generate_vendor_key(private, public)
    assert (private.read_bytes(), public.read_bytes()) == before
    other = tmp_path / "other.key"
    with pytest.raises(FileExistsError, match=r"acme\.pem exists already"):
        generate_vendor_key(other, public)  # the public half exists: nothing is written
    assert not other.exists()


def test_a_signed_package_verifies_as_its_vendor(tmp_path: Path) -> None:
    path = make_wheel(tmp_path / WHEEL)
    private, acme = vendor(tmp_path / "keys", "acme")
    _, globex = vendor(tmp_path / "keys", "globex")
    sig = sign_package(path, private)
    assert sig == signature_path(path) == tmp_path / f"{WHEEL}.sig"
    signature = sig.read_bytes()
    assert len(signature) == 64
    acme.verify(signature, path.read_bytes())  # the raw format the master reads
    assert verify_signature(path, signature, {"globex": globex, "acme": acme}) == "acme"
    assert check_signature(path, signature, {"acme": acme}) == "acme"


def test_signatures_that_do_not_verify_are_refused_with_their_reason(tmp_path: Path) -> None:
    path = make_wheel(tmp_path / WHEEL)
    private, acme = vendor(tmp_path / "keys", "acme")
    evil, _ = vendor(tmp_path / "keys", "evil")
    by_acme = sign_package(path, private).read_bytes()
    by_evil = sign_package(path, evil).read_bytes()
    assert "not by a trusted vendor (acme)" in refused(path, by_evil, {"acme": acme})
    assert "no vendor key is trusted" in refused(path, by_acme, {})
    assert "is 10 bytes, not a raw 64-byte" in refused(path, by_acme[:10], {"acme": acme})
    make_wheel(path, files={"acme_driver/extra.py": b"x = 1\n"})  # rebuilt after signing
    assert "changed after signing" in refused(path, by_acme, {"acme": acme})


def test_an_unsigned_package_passes_unless_a_signature_is_required(tmp_path: Path) -> None:
    path = make_wheel(tmp_path / WHEEL)
    assert check_signature(path, None, {}) == ""
    with pytest.raises(PackageRefused, match="requires a vendor signature"):
        check_signature(path, None, {}, required=True)


def test_vendor_keys_are_named_by_their_pem_files(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    _, acme = vendor(keys, "acme")
    vendor(keys, "globex")
    (keys / "README").write_text("not a key")
    loaded = load_vendor_keys(keys)
    assert list(loaded) == ["acme", "globex"]
    assert loaded["acme"].public_bytes_raw() == acme.public_bytes_raw()
    with pytest.raises(VendorKeyError, match="not a folder"):
        load_vendor_keys(tmp_path / "missing")


def test_unusable_key_files_are_named_with_the_reason(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    private, _ = vendor(keys, "acme")
    with pytest.raises(VendorKeyError, match=r"missing\.key: cannot read"):
        load_private_key(tmp_path / "missing.key")
    with pytest.raises(VendorKeyError, match="not an unencrypted PEM private key"):
        load_private_key(keys / "acme.pem")  # the public half
    ec = generate_private_key(SECP256R1())
    (tmp_path / "ec.key").write_bytes(
        ec.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(VendorKeyError, match="not an Ed25519 private key"):
        load_private_key(tmp_path / "ec.key")
    (keys / "broken.pem").write_bytes(private.read_bytes())  # a private key as a vendor key
    with pytest.raises(VendorKeyError, match=r"broken\.pem: not a PEM public key"):
        load_vendor_keys(keys)
    (keys / "broken.pem").write_bytes(
        ec.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    with pytest.raises(VendorKeyError, match=r"broken\.pem: not an Ed25519 public key"):
        load_vendor_keys(keys)
