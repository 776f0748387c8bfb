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

import hashlib
import time
from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import FileResponse

from argus.master.api.auth import Running
from argus.master.api.nodes import NodeCredential
from argus.master.runtime import Master
from argus.master.services import registry
from argus.master.services.errors import NotFound
from argus.protocol import NODE_ID_PATTERN

router = APIRouter(tags=["repository"])
#: Seconds a node's credential, once checked, is taken without asking the database.
REMEMBER_SECONDS = 15.0
NodeId = Annotated[
    str, Header(alias="X-Argus-Node", pattern=NODE_ID_PATTERN, description="The node id.")
]


class PackageFile(FileResponse):
    """A file sent in 1 MiB reads: a package goes out in a sixteenth of the event-loop
    turns of the default 64 KiB (a rollout sends the same megabytes to every node)."""

    chunk_size = 1 << 20


class NotInRepository(NotFound):
    """The repository has no such metadata or package file (HTTP 404)."""


def authenticate(master: Master, node: str, credential: str) -> None:
    """Pass an enrolled node's credential; remembered for :data:`REMEMBER_SECONDS`.

    A rollout has every node fetch several files at once: checking each request against
    the database (a write transaction on SQLite) would queue them behind heartbeats. A
    node re-enrolled or deleted meanwhile can read the repository for at most that long
    — what it reads is public to every enrolled node and verified by the node anyway.

    :raises NodeAuthenticationFailed: unknown node or wrong credential.
    """
    key = (node, hashlib.sha256(credential.encode()).hexdigest())
    now = time.monotonic()
    known = master.repository_readers
    if known.get(key, 0.0) > now:
        return
    with master.session() as session:
        registry.authenticate_node(session, node, credential, lock=False)
    if len(known) > 10_000:
        for stale in [k for k, until in known.items() if until <= now]:
            known.pop(stale, None)
    known[key] = now + REMEMBER_SECONDS


@router.get("/repository/metadata/{name}", response_class=FileResponse)
def metadata(name: str, master: Running, credential: NodeCredential, node: NodeId) -> FileResponse:
    """One signed metadata file (nodes)."""
    authenticate(master, node, credential)
    try:
        path = master.repository.metadata(name)
    except KeyError:
        raise NotInRepository(f"the repository has no metadata {name!r}") from None
    return FileResponse(path, media_type="application/json")


@router.get("/repository/targets/{path:path}", response_class=FileResponse)
def target(path: str, master: Running, credential: NodeCredential, node: NodeId) -> FileResponse:
    """One package file, by the hashed name the signed targets give it (nodes)."""
    authenticate(master, node, credential)
    try:
        file = master.repository.target_file(path)
    except KeyError:
        raise NotInRepository(f"the repository has no package {path!r}") from None
    return PackageFile(file, media_type="application/octet-stream")
