"""The web clients the master serves: Spotter (operators) under ``/spotter/`` and the
System Manager (administrators) under ``/manager/``.

Buildless: plain ES modules and CSS shipped inside this package, served as they are
(no CDN, no bundler). The pages call the master API (``/api/v1``) with the session
from the login, and each node's API directly with the per-node token the master
signed (nodes answer CORS for that).
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.staticfiles import PathLike
from starlette.types import Scope

from argus.web import plugins
from argus.web.plugins import LoadedSpi

SPOTTER = Path(__file__).parent / "spotter"
MANAGER = Path(__file__).parent / "manager"


class _Revalidated(StaticFiles):
    """Static files a browser must revalidate (ETag) before reuse: a new Argus version's
    pages reach clients on their next load."""

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        return response


def mount(app: FastAPI, spotter_plugins: dict[str, LoadedSpi] | None = None) -> None:
    """Serve Spotter at ``/spotter/`` with its plugins' assets; ``/`` leads there."""
    app.include_router(plugins.router(spotter_plugins or {}))
    app.mount("/spotter", _Revalidated(directory=SPOTTER, html=True), name="spotter")
    app.mount("/manager", _Revalidated(directory=MANAGER, html=True), name="manager")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/spotter/")
