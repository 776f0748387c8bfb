"""The system as a whole: the node version policy, backups and restores (administrators
only, each change audited by :mod:`argus.master.services.system`).

A backup downloaded here is the same document ``argus master backup`` writes; a system
backup is restored through the API only onto a fresh master (one holding no more than
its first start created), and ends every login session.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from argus.master.api.auth import Running, Tx, Who
from argus.master.services import system
from argus.master.services.system import PolicyChange

router = APIRouter(prefix="/system", tags=["system"])

Server = Annotated[
    str | None,
    Query(max_length=64, description="A node id: only that node's settings (a server backup)."),
]


class VersionPolicyIn(BaseModel):
    spec: str = Field(
        max_length=255,
        description="PEP 440 specifier set of the node versions to accept ('~=0.1', "
        "'>=0.1,<1'); '' accepts any version.",
    )


class VersionPolicyOut(BaseModel):
    spec: str = Field(description="The node versions this master accepts ('' for any).")
    master_version: str = Field(description="This master's own version.")
    nodes_outside: list[str] = Field(
        description="Nodes whose last reported version the policy refuses: refused from "
        "their next heartbeat until upgraded or the policy widened."
    )


class BackupDocument(BaseModel):
    """A backup, as ``argus master backup`` writes it and ``GET /system/backup`` gives it."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    format: str = Field(description="Always 'argus-backup'.")
    version: int = Field(description="Backup format version (1).")
    kind: str = Field(description="'system' (the whole configuration) or 'server' (one node).")
    created: str | None = Field(None, description="When the backup was made (ISO 8601).")
    argus: str | None = Field(None, description="The Argus version that made it.")
    schema_: str | None = Field(
        None, alias="schema", description="The database schema revision the rows are of."
    )
    server: str | None = Field(None, description="For a server backup: the node backed up.")
    tables: dict[str, list[dict[str, Any]]] = Field(description="Table name → its rows.")


class RestoreOut(BaseModel):
    kind: str = Field(description="'system' or 'server'.")
    server: str | None = Field(description="The node restored (server backups).")
    rows: dict[str, int] = Field(description="Rows restored per table.")
    detail: str = Field(description="What happened, and what to do next.")


@router.get("/version-policy", response_model=VersionPolicyOut)
def get_version_policy(db: Tx, master: Running, caller: Who) -> VersionPolicyOut:
    """The node platform versions this master accepts at enrolment and heartbeats."""
    return _policy_out(system.get_version_policy(db, master.clock, caller.actor))


@router.put("/version-policy", response_model=VersionPolicyOut)
def set_version_policy(
    body: VersionPolicyIn, db: Tx, master: Running, caller: Who
) -> VersionPolicyOut:
    """Set the node version policy; nodes are checked against it from their next heartbeat."""
    return _policy_out(system.set_version_policy(db, master.clock, caller.actor, body.spec))


@router.get(
    "/backup",
    response_model=BackupDocument,
    response_model_by_alias=True,
    responses={
        200: {
            "description": "The backup, as a file to download (keep it private: "
            "it holds password hashes)."
        }
    },
)
def download_backup(db: Tx, master: Running, caller: Who, server: Server = None) -> JSONResponse:
    """The whole configuration as a backup document, or with ``server`` one node's settings."""
    document = system.backup_document(db, master.clock, caller.actor, server)
    name = f"{server or 'system'}.argus-backup"
    return JSONResponse(document, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/restore", response_model=RestoreOut)
def restore_backup(
    body: BackupDocument, db: Tx, master: Running, caller: Who, server: Server = None
) -> RestoreOut:
    """Restore a system backup onto this master, which must be fresh (409 otherwise); or,
    with ``server``, a server backup onto that node, replacing its settings.

    A system restore ends every login session, the caller's too: log in again with an
    account from the backup.
    """
    document = body.model_dump(by_alias=True)
    rows = system.restore(db, master.clock, caller.actor, document, server)
    if server is None:
        detail = "system restored; every session ended: log in with an account from the backup"
    else:
        detail = f"node {server} restored; it fetches its configuration at its next heartbeat"
    return RestoreOut(kind=body.kind, server=server, rows=rows, detail=detail)


def _policy_out(change: PolicyChange) -> VersionPolicyOut:
    return VersionPolicyOut(
        spec=change.policy.spec,
        master_version=change.policy.master_version,
        nodes_outside=list(change.outside),
    )
