"""Vendor signatures of plugin packages: detached Ed25519 signatures of the file's bytes.

A vendor makes a key pair once (:func:`generate_vendor_key`), gives the public key
(``<vendor>.pem``) to the administrators of the masters that should trust it, and signs
every package it publishes (:func:`sign_package`), which writes ``<file>.sig`` next to
the package: the raw 64-byte signature of the whole file. The master, at admission, and
``argus-sdk check``, before publication, verify it the same way (:func:`check_signature`):
the vendor is the name of the trusted key that verifies it.

Ed25519 signs the message itself, not a digest, so a file is read into memory once and
signed or verified in one call; a plugin package is bounded in size by what admission
accepts anyway.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from argus_sdk.packages import PackageRefused

SIGNATURE_SUFFIX = ".sig"
SIGNATURE_SIZE = 64
#: A vendor name is the stem of its key files and what the master records.
VENDOR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class VendorKeyError(ValueError):
    """A key file cannot be used (missing, unreadable, not an Ed25519 key); the message
    names the file and says why."""


def signature_path(path: Path) -> Path:
    """Where the detached signature of ``path`` lives: ``<file>.sig`` beside it."""
    return path.with_name(path.name + SIGNATURE_SUFFIX)


def generate_vendor_key(private_path: Path, public_path: Path) -> Ed25519PublicKey:
    """Make a new vendor key pair: the private key (PEM, PKCS#8, mode 0600) at
    ``private_path``, the public key (PEM, SubjectPublicKeyInfo) at ``public_path``.

    :raises FileExistsError: either file exists already; neither is then written.
    """
    for path in (private_path, public_path):
        if path.exists():
            raise FileExistsError(f"{path} exists already: a key is never overwritten")
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key()
    public_pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write_new(private_path, private_pem, 0o600)
    try:
        _write_new(public_path, public_pem, 0o644)
    except FileExistsError:
        private_path.unlink()  # created by someone else meanwhile: leave no half pair
        raise
    return public


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """A vendor's private key from its PEM file (unencrypted PKCS#8, as
    :func:`generate_vendor_key` writes it).

    :raises VendorKeyError: missing, unreadable, or not an Ed25519 private key.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise VendorKeyError(f"{path}: cannot read the private key ({exc.strerror})") from exc
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise VendorKeyError(f"{path}: not an unencrypted PEM private key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise VendorKeyError(f"{path}: not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A vendor's public key from its PEM file.

    :raises VendorKeyError: missing, unreadable, or not an Ed25519 public key.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise VendorKeyError(f"{path}: cannot read the public key ({exc.strerror})") from exc
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise VendorKeyError(f"{path}: not a PEM public key ({exc})") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise VendorKeyError(f"{path}: not an Ed25519 public key")
    return key


def load_vendor_keys(folder: Path) -> dict[str, Ed25519PublicKey]:
    """The trusted vendors' public keys: one ``<vendor>.pem`` per vendor in ``folder``,
    keyed by vendor name, in name order. Other files are ignored.

    :raises VendorKeyError: ``folder`` is not a folder, or a ``.pem`` in it is not an
        Ed25519 public key.
    """
    if not folder.is_dir():
        raise VendorKeyError(f"{folder}: not a folder of <vendor>.pem public keys")
    return {pem.stem: load_public_key(pem) for pem in sorted(folder.glob("*.pem"))}


def sign_package(path: Path, private_key_path: Path) -> Path:
    """Sign the bytes of ``path`` and write the signature to ``<file>.sig`` (replacing
    an older one); the file itself is not checked here (``argus-sdk sign`` does).

    :returns: the signature file.
    :raises VendorKeyError: the key cannot be used.
    :raises OSError: the package cannot be read or the signature written.
    """
    key = load_private_key(private_key_path)
    signature = key.sign(path.read_bytes())
    target = signature_path(path)
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(signature)
    partial.replace(target)
    return target


def verify_signature(path: Path, signature: bytes, keys: Mapping[str, Ed25519PublicKey]) -> str:
    """Which trusted vendor signed the bytes of ``path``.

    :param signature: the raw 64-byte Ed25519 signature (the content of ``<file>.sig``).
    :param keys: the trusted vendors' public keys by name (:func:`load_vendor_keys`).
    :returns: the name of the first key that verifies the signature.
    :raises PackageRefused: the signature is malformed, no key is trusted, or no trusted
        key verifies it (signed by another key, or the file changed since).
    """
    if len(signature) != SIGNATURE_SIZE:
        raise PackageRefused(
            f"{path.name}: its signature is {len(signature)} bytes, not a raw "
            f"{SIGNATURE_SIZE}-byte Ed25519 signature"
        )
    if not keys:
        raise PackageRefused(f"{path.name}: signed, but no vendor key is trusted here")
    data = path.read_bytes()
    for vendor, key in keys.items():
        try:
            key.verify(signature, data)
        except InvalidSignature:
            continue
        return vendor
    raise PackageRefused(
        f"{path.name}: its signature is not by a trusted vendor ({', '.join(keys)}): "
        "signed with another key, or the file changed after signing"
    )


def check_signature(
    path: Path,
    signature: bytes | None,
    keys: Mapping[str, Ed25519PublicKey],
    *,
    required: bool = False,
) -> str:
    """The admission rule for vendor signatures, shared by the master and
    ``argus-sdk check``: an unsigned package passes unless a signature is ``required``;
    a signed one must verify with a trusted key.

    :returns: the vendor's name, or ``""`` for an unsigned package.
    :raises PackageRefused: unsigned though required, or the signature does not verify.
    """
    if signature is None:
        if required:
            raise PackageRefused(
                f"{path.name}: unsigned, and admission requires a vendor signature "
                f"(a {SIGNATURE_SUFFIX} file beside the package, made by `argus-sdk sign`)"
            )
        return ""
    return verify_signature(path, signature, keys)


def _write_new(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
