"""Admitting plugin packages: checked, optionally vendor-signed, stored, recorded.

A package is checked by :func:`argus_sdk.packages.inspect_package` — the archive's
structure, its ``RECORD`` hashes, its metadata, its entry points and its ``argus-sdk``
range — while it still sits in the incoming folder under its own name. A detached
Ed25519 vendor signature over the file's bytes, when given, must verify with one of
the trusted vendor keys (and is required when the master says so). Only then is the
file moved (one rename on the same disk) to ``packages/<name>/<version>/<file>`` and
recorded. A refused package leaves nothing behind but the audit entry that says why.
"""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.master.db import PluginPackage
from argus.master.db.enums import AuditResult
from argus.master.services import access
from argus.master.services.audit import Actor, Target, record
from argus.master.services.errors import Conflict, Invalid
from argus_sdk import Clock
from argus_sdk.packages import PackageInfo, PackageRefused, inspect_package
from argus_sdk.signing import check_signature, load_vendor_keys

FILENAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,250}\.(whl|spi)")
INCOMING = ".incoming"


class PackageNotAdmitted(Invalid):
    """The package was refused; the reason is the message (and in the audit trail)."""


def incoming_path(store: Path, filename: str) -> Path:
    """A fresh place for an upload named ``filename``, in the store's incoming folder.

    :raises PackageNotAdmitted: the name is not a package file name.
    """
    if not FILENAME.fullmatch(filename):
        raise PackageNotAdmitted(f"{filename!r} is not a plugin package file name (.whl, .spi)")
    folder = store / INCOMING / secrets.token_hex(8)
    folder.mkdir(parents=True)
    return folder / filename


def discard(upload: Path) -> None:
    """Remove an upload with its own incoming folder (made by :func:`incoming_path`)."""
    shutil.rmtree(upload.parent, ignore_errors=True)


def vendor_keys(folder: Path | None) -> dict[str, Ed25519PublicKey]:
    """The trusted vendors' public keys: ``<vendor>.pem`` files in ``folder`` (none
    when it is unset or missing).

    :raises argus_sdk.signing.VendorKeyError: a ``.pem`` there is not an Ed25519 public key.
    """
    if folder is None or not folder.is_dir():
        return {}
    return load_vendor_keys(folder)


def admit(
    session: Session,
    clock: Clock,
    actor: Actor,
    upload: Path,
    store: Path,
    *,
    signature: bytes | None = None,
    vendors: Mapping[str, Ed25519PublicKey] | None = None,
    require_vendor: bool = False,
    library: bool = False,
) -> PluginPackage:
    """Check the uploaded file, then store and record it; the upload is gone either way.

    :param library: the file is a dependency wheel plugins need (served with them to the
        nodes that lack it), not a plugin package.

    :raises Forbidden: the actor may not administer.
    :raises PackageNotAdmitted: refused (the reason is recorded as a failed admission).
    :raises Conflict: this very file (name, version, tags) was admitted already.
    """
    target = Target("package", upload.name, upload.name)
    try:
        access.require_admin(session, clock, actor, action="package.admit", target=target)
        try:
            info = inspect_package(upload, library=library)
            vendor = check_signature(upload, signature, vendors or {}, required=require_vendor)
        except PackageRefused as exc:
            record(
                session,
                clock,
                actor=actor,
                action="package.admit",
                target=target,
                result=AuditResult.FAILED,
                detail=str(exc),
            )
            raise PackageNotAdmitted(str(exc)) from exc
        if (
            session.scalars(
                select(PluginPackage.id).where(PluginPackage.filename == upload.name)
            ).first()
            is not None
        ):
            raise Conflict(f"{upload.name} was admitted already")
        package = PluginPackage(
            name=info.name,
            version=str(info.version),
            filename=upload.name,
            sha256=info.sha256,
            size=info.size,
            kinds=list(info.kinds),
            tags=sorted(str(t) for t in info.tags),
            sdk=info.sdk,
            spotter=info.spotter,
            vendor=vendor,
            requires=list(info.requires),
            admitted_by=actor.name,
        )
        session.add(package)
        session.flush()  # a row that cannot be written stops it before the file moves
        final = store / info.name / str(info.version) / upload.name
        final.parent.mkdir(parents=True, exist_ok=True)
        upload.replace(final)
        record(
            session,
            clock,
            actor=actor,
            action="package.admit",
            target=target,
            after=_snapshot(package, info),
        )
        return package
    finally:
        discard(upload)


def packages(session: Session) -> list[PluginPackage]:
    return list(
        session.scalars(select(PluginPackage).order_by(PluginPackage.name, PluginPackage.version))
    )


def _snapshot(package: PluginPackage, info: PackageInfo) -> dict[str, object]:
    return {
        "name": package.name,
        "version": package.version,
        "filename": package.filename,
        "sha256": package.sha256,
        "kinds": list(info.kinds),
        "tags": package.tags,
        "sdk": package.sdk,
        "vendor": package.vendor,
        "requires": list(info.requires),
    }


def target_path(package: PluginPackage) -> str:
    """The package's path in the repository and in the master's package store."""
    return f"{package.name}/{package.version}/{package.filename}"


def target_info(package: PluginPackage) -> dict[str, object]:
    """What the repository says about a package besides its hashes (TUF custom info)."""
    return {
        "project": package.name,
        "version": package.version,
        "kinds": list(package.kinds),
        "tags": list(package.tags),
        "argus_sdk": package.sdk,
        "spotter": package.spotter,
        "vendor": package.vendor,
    }


def backfill_requires(session: Session, store: Path) -> int:
    """Record the dependencies of packages admitted before they were recorded, read from
    their files; how many rows were filled."""
    filled = 0
    for row in session.scalars(select(PluginPackage).where(PluginPackage.requires.is_(None))):
        try:
            info = inspect_package(store / target_path(row), library=not row.kinds)
        except (PackageRefused, OSError):
            continue
        row.requires = list(info.requires)
        filled += 1
    session.flush()
    return filled
