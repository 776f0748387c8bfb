"""The node's versioned plugin store: unpacked plugin wheels, one folder per version.

Layout under ``root`` (``<data_dir>/plugin-store``)::

    active.json                   {"active": {project: version}, "previous": {...}}
    <project>/<version>/          one importable site folder: the plugin's wheel and
                                  its dependency wheels unpacked, ``.dist-info`` and all
    <project>/.<version>.partial-<random>/    an install in progress
    <project>/.<version>.removing-<random>/   a removal in progress

A version folder exists complete or not at all: it is filled under a hidden
``.partial`` name, synced, and renamed in one step. ``active.json`` is replaced
in one rename too. After a crash at any point (``kill -9``, power loss after
the syncs), :meth:`PluginStore.recover` removes the leftovers and
:meth:`PluginStore.active` reads either the state before the interrupted
operation or the state after it — never one in between.

Every wheel is checked again here with the SDK's package checks (hash-checked
members, no traversal, no links) before anything is written, and each member's
bytes are hashed again as they are unpacked. One process owns a store; the
methods are thread-safe within it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import sys
import threading
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from packaging.tags import Tag, parse_tag, sys_tags
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from argus.repository.publisher import atomic_write, fsync_dir
from argus_sdk import ArgusError
from argus_sdk.packages import (
    PackageRefused,
    dist_info_dir,
    inspect_package,
    record_of,
)

log = logging.getLogger("argus.node.plugins")

#: The store's folder in a node's data folder.
FOLDER = "plugin-store"
ACTIVE = "active.json"
MARKER = ".argus-store.json"  # in each version folder: which wheels made it
_PROJECT = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_PARTIAL = ".partial-"
_REMOVING = ".removing-"
_TEMP = f".{ACTIVE}."  # atomic_write's temporary files beside active.json
#: Import packages that belong to the host; no wheel in the store may provide them.
RESERVED_PACKAGES = frozenset({"argus", "argus_sdk"})
_CHUNK = 1 << 16


class StoreError(ArgusError):
    """The store refuses the request; the message says why (nothing was changed)."""


@dataclass(frozen=True, slots=True)
class _Wheel:
    path: Path
    name: str  # canonical project name
    version: Version
    sha256: str


class PluginStore:
    """Installed plugin versions and which one of each project is active.

    :param root: the store's folder (``<data_dir>/plugin-store``), created if missing.
    :param tags: the wheel tags this node accepts (``[node] wheel_tags``); default: its
        own ``packaging.tags.sys_tags()``. A wheel with none of them is refused.
    :param spotter: the store holds Spotter plugins (``.spi``, on the master, which serves
        them to clients); a node's store refuses them.
    """

    def __init__(
        self, root: Path, tags: Iterable[str] | None = None, *, spotter: bool = False
    ) -> None:
        self.root = root
        self._spotter = spotter
        self._tags = (
            frozenset(t for text in tags for t in parse_tag(text))
            if tags is not None
            else frozenset(sys_tags())
        )
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()

    # -- crash recovery ----------------------------------------------------

    def recover(self) -> list[str]:
        """Remove what an interrupted install, removal or activation left behind.

        Call at start, before anything reads the store. Also drops from the
        active set a version whose folder is gone (removed by hand).

        :returns: the store-relative paths removed, and ``active:<project>`` for
            each activation dropped.
        """
        removed: list[str] = []
        with self._lock:
            for entry in sorted(self.root.iterdir()):
                if entry.name.startswith(_TEMP):
                    entry.unlink()
                    removed.append(entry.name)
                elif entry.is_dir() and not entry.name.startswith("."):
                    for child in sorted(entry.iterdir()):
                        if child.name.startswith(".") and (
                            _PARTIAL in child.name or _REMOVING in child.name
                        ):
                            shutil.rmtree(child)
                            removed.append(f"{entry.name}/{child.name}")
            state = self._read_state()
            gone = [p for p, v in state["active"].items() if not self.path(p, v).is_dir()]
            if gone:
                for project in gone:
                    del state["active"][project]
                    removed.append(f"active:{project}")
                self._write_state(state)
            if removed:
                fsync_dir(self.root)
        if removed:
            log.warning("plugin store: removed after an interrupted operation: %s", removed)
        return removed

    # -- installing --------------------------------------------------------

    def install(self, project: str, version: str, wheels: Sequence[Path]) -> Path:
        """Unpack ``wheels`` — the plugin's own and its dependencies' — as ``project`` ``version``.

        Idempotent: a version already complete is left as it is (when made from
        the same plugin wheel).

        :returns: the version's folder.
        :raises PackageRefused: a wheel failed the checks; nothing was written.
        :raises StoreError: bad name or version, wheels that do not fit together
            or the node, or the version already installed from other bytes.
        """
        target = self.path(project, version)
        checked = _check_wheels(project, Version(version), wheels, self._tags, self._spotter)
        with self._lock:
            if target.is_dir():
                self._same_install(target, checked[0])
                return target
            target.parent.mkdir(exist_ok=True)
            partial = target.parent / f".{version}{_PARTIAL}{secrets.token_hex(6)}"
            partial.mkdir()
            try:
                written: set[str] = set()
                for wheel in checked:
                    _unpack(wheel, partial, written)
                _write_durably(partial / MARKER, _marker(project, version, checked))
                _fsync_tree(partial)
                partial.rename(target)
                fsync_dir(target.parent)
                fsync_dir(self.root)
            except BaseException:
                shutil.rmtree(partial, ignore_errors=True)
                raise
        log.info("plugin store: installed %s %s", project, version)
        return target

    def plugin_wheel(self, project: str, version: str) -> tuple[str, str]:
        """The file name and SHA-256 of the plugin wheel an installed version was made from.

        :raises StoreError: not installed, or its marker is unreadable.
        """
        target = self.path(project, version)
        try:
            marker = json.loads((target / MARKER).read_text())
            wheel = marker["wheels"][0]
            return str(wheel["file"]), str(wheel["sha256"])
        except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
            raise StoreError(f"{target.name} of {target.parent.name}: unreadable {MARKER}") from exc

    def _same_install(self, target: Path, plugin: _Wheel) -> None:
        _file, sha = self.plugin_wheel(target.parent.name, target.name)
        if sha != plugin.sha256:
            raise StoreError(
                f"{plugin.name} {plugin.version} is already installed from a different "
                f"wheel ({sha[:12]}…, offered {plugin.sha256[:12]}…); versions are immutable"
            )

    def remove(self, project: str, version: str) -> None:
        """Delete an installed version; never the active one.

        :raises StoreError: it is active.
        """
        target = self.path(project, version)
        with self._lock:
            if self.active().get(project) == version:
                raise StoreError(f"{project} {version} is active; activate another version first")
            if not target.is_dir():
                return
            doomed = target.parent / f".{version}{_REMOVING}{secrets.token_hex(6)}"
            target.rename(doomed)
            fsync_dir(target.parent)
            shutil.rmtree(doomed)
        log.info("plugin store: removed %s %s", project, version)

    def prune(self, project: str, keep: int = 2) -> None:
        """Remove old versions of ``project``: the active and the previous one always stay,
        then the newest others up to ``keep`` versions in all."""
        with self._lock:
            state = self._read_state()
            kept = {state["active"].get(project), state["previous"].get(project)} - {None}
            for version in sorted(self.installed().get(project, []), key=Version, reverse=True):
                if version in kept:
                    continue
                if len(kept) < keep:
                    kept.add(version)
                else:
                    self.remove(project, version)

    # -- activating --------------------------------------------------------

    def activate(self, project: str, version: str | None) -> None:
        """Make ``version`` the active one of ``project``; ``None`` deactivates it.

        The version it replaces becomes :meth:`previous` (for a rollback).

        :raises StoreError: that version is not installed.
        """
        with self._lock:
            if version is not None and not self.path(project, version).is_dir():
                raise StoreError(f"{project} {version} is not installed")
            _check_project(project)
            state = self._read_state()
            current = state["active"].get(project)
            if current == version:
                return
            if version is None:
                del state["active"][project]
            else:
                state["active"][project] = version
            if current is not None:
                state["previous"][project] = current
            self._write_state(state)
        log.info("plugin store: %s active version %s (was %s)", project, version, current)

    def active(self) -> dict[str, str]:
        """project → active version."""
        with self._lock:
            return dict(self._read_state()["active"])

    def previous(self, project: str) -> str | None:
        """The version that was active before the current one (or before deactivation)."""
        with self._lock:
            return self._read_state()["previous"].get(project)

    def installed(self) -> dict[str, list[str]]:
        """project → complete versions, oldest first."""
        found: dict[str, list[str]] = {}
        with self._lock:
            for entry in sorted(self.root.iterdir()):
                if not entry.is_dir() or not _PROJECT.fullmatch(entry.name):
                    continue
                versions = [v.name for v in entry.iterdir() if v.is_dir() and _valid(v.name)]
                if versions:
                    found[entry.name] = sorted(versions, key=Version)
        return found

    def path(self, project: str, version: str) -> Path:
        """The folder of ``project`` ``version`` (whether installed or not).

        :raises StoreError: not a canonical project name or a normalized version.
        """
        _check_project(project)
        _check_version(version)
        return self.root / project / version

    def sys_path_entries(self) -> list[Path]:
        """One folder per active version, to put at the front of ``sys.path``."""
        return [self.path(p, v) for p, v in sorted(self.active().items())]

    # -- active.json -------------------------------------------------------

    def _read_state(self) -> dict[str, dict[str, str]]:
        try:
            raw: Any = json.loads((self.root / ACTIVE).read_text())
        except FileNotFoundError:
            return {"active": {}, "previous": {}}
        except (OSError, ValueError) as exc:
            raise StoreError(f"{self.root / ACTIVE} is unreadable: {exc}") from exc
        state = {key: dict(raw.get(key, {})) for key in ("active", "previous")}
        for versions in state.values():
            for project, version in versions.items():
                _check_project(project)
                _check_version(version)
        return state

    def _write_state(self, state: dict[str, dict[str, str]]) -> None:
        """Replace active.json atomically (its temporary file is named ``_TEMP…``)."""
        data = json.dumps({"format": 1, **state}, indent=2, sort_keys=True) + "\n"
        atomic_write(self.root / ACTIVE, data.encode())


# -- checks ------------------------------------------------------------------


def _valid(version: str) -> bool:
    try:
        _check_version(version)
    except StoreError:
        return False
    return True


def _check_project(project: str) -> None:
    if not _PROJECT.fullmatch(project) or canonicalize_name(project) != project:
        raise StoreError(f"{project!r} is not a canonical project name")


def _check_version(version: str) -> None:
    try:
        normal = str(Version(version))
    except InvalidVersion as exc:
        raise StoreError(f"{version!r} is not a version") from exc
    if normal != version:
        raise StoreError(f"version {version!r} is not in normal form (write {normal!r})")


def _check_wheels(
    project: str,
    version: Version,
    wheels: Sequence[Path],
    accepted: frozenset[Tag],
    spotter: bool = False,
) -> list[_Wheel]:
    """Check every wheel; the plugin's own first in the result. ``project`` and
    ``version`` were checked already (by :meth:`PluginStore.path`).

    :raises PackageRefused: a wheel fails the package checks.
    :raises StoreError: the wheels do not make ``project`` ``version`` for this node.
    """
    checked: list[_Wheel] = []
    plugin: _Wheel | None = None
    for path in wheels:
        name, found_version = _wheel_name(path, accepted)
        if name == project:
            if plugin is not None:
                raise StoreError(f"two wheels of {project}")
            info = inspect_package(path)
            if info.version != version:
                raise StoreError(f"{path.name} is {project} {info.version}, not {version}")
            if info.spotter != spotter:
                raise StoreError(
                    f"{path.name}: Spotter plugins are not run by nodes"
                    if info.spotter
                    else f"{path.name}: this store holds Spotter plugins (.spi) only"
                )
            plugin = _Wheel(path, name, info.version, info.sha256)
        else:
            sha256 = inspect_package(path, library=True).sha256  # a dependency's checks
            checked.append(_Wheel(path, name, found_version, sha256))
    if plugin is None:
        raise StoreError(f"no wheel of {project} among {', '.join(p.name for p in wheels)}")
    names = [w.name for w in checked]
    if len(set(names)) != len(names) or project in names:
        raise StoreError("two wheels of the same project")
    if set(names) & {"argus", "argus-sdk"}:
        raise StoreError("a plugin cannot ship the platform or the SDK")
    return [plugin, *checked]


def _wheel_name(path: Path, accepted: frozenset[Tag]) -> tuple[str, Version]:
    wheel_name = path.name.removesuffix(".spi") + ".whl" if path.suffix == ".spi" else path.name
    try:
        name, version, _build, tags = parse_wheel_filename(wheel_name)
    except InvalidWheelFilename as exc:
        raise PackageRefused(f"{path.name}: not a wheel file name ({exc})") from exc
    if not tags & accepted:
        raise StoreError(f"{path.name}: built for another platform ({sorted(map(str, tags))})")
    return canonicalize_name(name), version


# -- unpacking ---------------------------------------------------------------


def _unpack(wheel: _Wheel, into: Path, written: set[str]) -> None:
    """Extract ``wheel``'s members into the site folder ``into``, hashing them again.

    ``<name>.data/purelib`` and ``platlib`` go to the site folder; scripts,
    headers and data files are not needed by a plugin and are left out.

    :raises StoreError: a member collides with another wheel's, leaves ``into``
        or provides a host package.
    """
    with zipfile.ZipFile(wheel.path) as archive:
        info_dir = dist_info_dir(archive, wheel.name, wheel.version)
        data_dir = info_dir.removesuffix(".dist-info") + ".data"
        hashes = {member: sha for member, (sha, _size) in record_of(archive, info_dir).items()}
        for member in archive.infolist():
            if member.is_dir():
                continue
            parts = PurePosixPath(member.filename).parts
            if parts[0] == data_dir:
                if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                    continue
                parts = parts[2:]
            relative = "/".join(parts)
            if parts[0] in RESERVED_PACKAGES or parts[0].removesuffix(".py") in RESERVED_PACKAGES:
                raise StoreError(f"{wheel.path.name}: provides {parts[0]}, a package of the host")
            if relative.lower() in written:
                raise StoreError(f"{wheel.path.name}: {relative} is also in another wheel")
            written.add(relative.lower())
            target = into.joinpath(*parts)
            if not target.resolve().is_relative_to(into.resolve()):
                raise StoreError(f"{wheel.path.name}: {member.filename} leaves the package")
            target.parent.mkdir(parents=True, exist_ok=True)
            _extract(archive, member, target, hashes.get(member.filename))


def _extract(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path, sha: str | None
) -> None:
    digest = hashlib.sha256()
    with archive.open(member) as source, target.open("xb") as out:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    actual = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
    unhashed = member.filename.endswith(("/RECORD", "/RECORD.jws", "/RECORD.p7s"))
    if actual != sha and not (sha is None and unhashed):
        raise PackageRefused(f"{member.filename}: its bytes changed since they were checked")


def _marker(project: str, version: str, wheels: Sequence[_Wheel]) -> bytes:
    return json.dumps(
        {
            "project": project,
            "version": version,
            "wheels": [{"file": w.path.name, "sha256": w.sha256} for w in wheels],
        },
        indent=2,
    ).encode()


# -- durability --------------------------------------------------------------


def _write_durably(path: Path, data: bytes) -> None:
    with path.open("xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _fsync_tree(root: Path) -> None:
    """Sync every folder under ``root`` (the files were synced as they were written)."""
    for folder, _dirs, _files in os.walk(root, topdown=False):
        fsync_dir(Path(folder))


def use_store(store: PluginStore) -> list[str]:
    """Recover ``store`` from an interrupted operation and put its active versions at the
    front of ``sys.path``; call before the kernel discovers plugins. Returns what the
    recovery removed."""
    removed = store.recover()
    entries = [str(p) for p in store.sys_path_entries()]
    sys.path[:0] = [e for e in entries if e not in sys.path]
    return removed
