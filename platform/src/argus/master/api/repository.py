"""The package repository nodes update from: TUF metadata and package files.

``GET /api/v1/repository/metadata/{name}`` (``N.root.json``, ``N.targets.json``,
``N.snapshot.json``, ``timestamp.json``) and ``GET /api/v1/repository/targets/{path}``
(``<project>/<version>/<sha256>.<file>``, consistent snapshots). Only enrolled nodes
may read them: the node's credential as the bearer token and its id in
``X-Argus-Node``. What a node gets is checked by the node against the signed metadata
(:mod:`argus.repository.updater`); the credential only keeps the packages private to
the system's nodes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import FileResponse

from argus.master.api.auth import Running, Tx
from argus.master.api.nodes import NodeCredential
from argus.master.services import registry
from argus.master.services.errors import NotFound
from argus.protocol import NODE_ID_PATTERN

router = APIRouter(tags=["repository"])
NodeId = Annotated[
    str, Header(alias="X-Argus-Node", pattern=NODE_ID_PATTERN, description="The node id.")
]


class NotInRepository(NotFound):
    """The repository has no such metadata or package file (HTTP 404)."""


@router.get("/repository/metadata/{name}", response_class=FileResponse)
def metadata(
    name: str, db: Tx, master: Running, credential: NodeCredential, node: NodeId
) -> FileResponse:
    """One signed metadata file (nodes)."""
    registry.authenticate_node(db, node, credential, lock=False)
    try:
        path = master.repository.metadata(name)
    except KeyError:
        raise NotInRepository(f"the repository has no metadata {name!r}") from None
    return FileResponse(path, media_type="application/json")


@router.get("/repository/targets/{path:path}", response_class=FileResponse)
def target(
    path: str, db: Tx, master: Running, credential: NodeCredential, node: NodeId
) -> FileResponse:
    """One package file, by the hashed name the signed targets give it (nodes)."""
    registry.authenticate_node(db, node, credential, lock=False)
    try:
        file = master.repository.target_file(path)
    except KeyError:
        raise NotInRepository(f"the repository has no package {path!r}") from None
    return FileResponse(file, media_type="application/octet-stream")
