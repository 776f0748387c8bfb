"""Spotter plugins (.spi): the master lists the enabled ones and serves their assets.

A plugin package declares its client side through ``argus_spotter_plugins``
(entry-point group ``argus.spi``): an ES module and optional CSS inside one of its
Python packages. The master serves a plugin's files at

    /spotter/plugins/<name>/<version>/<path>

— a new version is a new URL, so a browser never uses a stale copy, and the files of
one version can be cached for good. Spotter asks ``GET /api/v1/spotter/plugins`` at
start and loads every module listed: a new .spi version reaches each client on its
next start. Only files in the folder of the declared module (and below) are served,
and only of web asset types.
"""

from __future__ import annotations

import logging
import mimetypes
import re
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import PurePosixPath

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from argus.kernel import Kernel, PluginStatus
from argus_sdk import SpotterPlugin

#: File types a plugin may serve (the rest is refused: no .py, no data files).
ASSET_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
}
IMMUTABLE = "public, max-age=31536000, immutable"
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
log = logging.getLogger("argus.web.plugins")


@dataclass(frozen=True, slots=True)
class LoadedSpi:
    plugin: SpotterPlugin
    version: str
    distribution: str

    @property
    def base(self) -> str:
        return f"/spotter/plugins/{self.plugin.name}/{self.version}"

    def root(self) -> Traversable:
        """The folder of the module inside the plugin's package: what may be served."""
        folder = PurePosixPath(self.plugin.module).parent
        node = resources.files(self.plugin.package)
        for part in folder.parts:
            node = node.joinpath(part)
        return node

    def relative(self, path: str) -> str:
        """``path`` (inside the package) relative to :meth:`root`."""
        return str(PurePosixPath(path).relative_to(PurePosixPath(self.plugin.module).parent))


class SpiOut(BaseModel):
    name: str
    title: str
    version: str
    distribution: str
    module: str = Field(description="URL of the plugin's ES module.")
    styles: list[str] = Field(description="URLs of its style sheets.")


def collect(kernel: Kernel) -> dict[str, LoadedSpi]:
    """The Spotter plugins of the loaded plugin packages, by plugin name (first wins).

    A declaration that cannot be served (a module that is not a file of its package, a
    style sheet outside the module's folder) is logged and left out.
    """
    records = {r.name: r for r in kernel.plugins() if r.status is PluginStatus.LOADED}
    found: dict[str, LoadedSpi] = {}
    for result in kernel.collect("argus_spotter_plugins"):
        plugin = result.value
        record = records.get(result.plugin)
        if not isinstance(plugin, SpotterPlugin) or record is None:
            continue
        if plugin.name in found or not NAME.fullmatch(plugin.name):
            log.error(
                "Spotter plugin %r of %s left out: bad or taken name", plugin.name, record.name
            )
            continue
        spi = LoadedSpi(plugin, record.version, record.distribution)
        try:
            for path in (plugin.module, *plugin.styles):
                asset(spi, spi.relative(path))
        except (ValueError, HTTPException, ModuleNotFoundError) as exc:
            log.error("Spotter plugin %s of %s left out: %s", plugin.name, record.name, exc)
            continue
        found[plugin.name] = spi
    return found


def asset(spi: LoadedSpi, path: str) -> tuple[bytes, str]:
    """The bytes and media type of ``path`` (relative to the module's folder).

    :raises HTTPException: 404 for anything but an existing web asset in that folder:
        no ``..``, no hidden files, no other types.
    """
    parts = PurePosixPath(path).parts
    suffix = PurePosixPath(path).suffix.lower()
    if not parts or any(p in ("..", ".", "") or p.startswith(".") for p in parts):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such file")
    if suffix not in ASSET_TYPES:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "not a web asset")
    node = spi.root()
    for part in parts:
        node = node.joinpath(part)
    if not node.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such file")
    return node.read_bytes(), ASSET_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or ""


def router(plugins: dict[str, LoadedSpi]) -> APIRouter:
    """The asset route (public, like Spotter's own files); the list is an API route."""
    api = APIRouter(include_in_schema=False)

    @api.get("/spotter/plugins/{name}/{version}/{path:path}")
    def plugin_asset(name: str, version: str, path: str, request: Request) -> Response:
        spi = plugins.get(name)
        if spi is None or spi.version != version:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no Spotter plugin {name} {version}")
        data, media_type = asset(spi, path)
        return Response(data, media_type=media_type, headers={"Cache-Control": IMMUTABLE})

    return api


def listing(plugins: dict[str, LoadedSpi]) -> list[SpiOut]:
    return [
        SpiOut(
            name=spi.plugin.name,
            title=spi.plugin.title,
            version=spi.version,
            distribution=spi.distribution,
            module=f"{spi.base}/{spi.relative(spi.plugin.module)}",
            styles=[f"{spi.base}/{spi.relative(s)}" for s in spi.plugin.styles],
        )
        for spi in sorted(plugins.values(), key=lambda s: s.plugin.name)
    ]
