"""Plugin packages: administrators admit them (upload), and list what was admitted.

``POST /api/v1/packages?filename=<file>`` takes the file's bytes as the body
(``application/octet-stream``), with an optional vendor signature (base64, detached
Ed25519 over the file's bytes). The body is streamed to the master's incoming folder,
never held in memory whole, then checked (:mod:`argus.master.services.packages`).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, HTTPException, Query, Request, status
from pydantic import BaseModel

from argus.master.api.auth import Running, Tx, Who
from argus.master.db import PluginPackage
from argus.master.services import packages
from argus_sdk import ArgusError

log = logging.getLogger(__name__)
router = APIRouter(tags=["packages"])

#: The largest package accepted (bytes).
MAX_UPLOAD = 512 << 20


class PackageOut(BaseModel):
    name: str
    version: str
    filename: str
    sha256: str
    size: int
    kinds: list[str]
    tags: list[str]
    sdk: str
    spotter: bool
    vendor: str
    admitted_by: str
    admitted: dt.datetime


def package_out(row: PluginPackage) -> PackageOut:
    return PackageOut(
        name=row.name,
        version=row.version,
        filename=row.filename,
        sha256=row.sha256,
        size=row.size,
        kinds=[str(k) for k in row.kinds],
        tags=[str(t) for t in row.tags],
        sdk=row.sdk,
        spotter=row.spotter,
        vendor=row.vendor,
        admitted_by=row.admitted_by,
        admitted=row.admitted,
    )


@router.get("/packages", response_model=list[PackageOut])
def list_packages(db: Tx, master: Running, caller: Who) -> list[PackageOut]:
    """Every admitted package (administrators)."""
    caller.require_admin(db, master, "package.list")
    return [package_out(p) for p in packages.packages(db)]


@router.post(
    "/packages",
    response_model=PackageOut,
    status_code=status.HTTP_201_CREATED,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            }
        }
    },
)
async def admit(
    request: Request,
    db: Tx,
    master: Running,
    caller: Who,
    filename: Annotated[str, Query(description="The package's file name (.whl or .spi).")],
    signature: Annotated[
        str | None, Query(description="Vendor signature: base64 of a detached Ed25519 one.")
    ] = None,
    dependency: Annotated[
        bool,
        Query(
            description="A dependency wheel plugins need (no Argus plugin of its own), "
            "served with them to nodes that lack it."
        ),
    ] = False,
) -> PackageOut:
    """Admit a package: checked before anything of it is unpacked or imported; a refused
    one leaves nothing behind (and its reason in the audit trail)."""
    raw_signature = None
    if signature is not None:
        try:
            raw_signature = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, "the signature is not base64"
            ) from exc
    upload = await anyio.to_thread.run_sync(packages.incoming_path, master.package_store, filename)
    size = 0
    try:
        with upload.open("wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_UPLOAD:
                    raise HTTPException(
                        status.HTTP_413_CONTENT_TOO_LARGE,
                        f"a package is at most {MAX_UPLOAD >> 20} MiB",
                    )
                out.write(chunk)
    except BaseException:
        await anyio.to_thread.run_sync(packages.discard, upload)
        raise

    def run() -> PluginPackage:
        return packages.admit(
            db,
            master.clock,
            caller.actor,
            upload,
            master.package_store,
            signature=raw_signature,
            vendors=packages.vendor_keys(master.vendor_keys_dir),
            require_vendor=master.require_vendor_signature,
            library=dependency,
        )

    row = await anyio.to_thread.run_sync(run)
    # Published at once: the repository is re-synchronised with the database at every
    # start, so a row whose transaction fails after this is withdrawn again then.
    await anyio.to_thread.run_sync(
        master.repository.publish, packages.target_path(row), packages.target_info(row)
    )
    if row.spotter:
        try:
            await anyio.to_thread.run_sync(master.serve_spotter_plugin, row)
        except (ArgusError, ValueError, OSError):  # admitted all the same; the log says why
            log.exception("admitted Spotter plugin %s cannot be served", row.filename)
    return package_out(row)
