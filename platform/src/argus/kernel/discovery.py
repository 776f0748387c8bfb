"""Finding plugins: stevedore lists the entry points, packaging judges their metadata.

Nothing here imports plugin code. A plugin is imported only after it is known
to be enabled and compatible with this platform's API.
"""

from __future__ import annotations

import importlib.metadata as md
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from stevedore import ExtensionManager, NamedExtensionManager

SDK_DISTRIBUTION = "argus-sdk"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One entry point in one Argus group, with the distribution that declares it."""

    name: str
    group: str
    target: str
    distribution: str
    version: str
    requires: tuple[str, ...]


def find_distribution(name: str, path: Iterable[str] | None = None) -> md.Distribution | None:
    """The first distribution whose canonical name is ``name`` (already canonical) on
    ``path`` (default ``sys.path``), or ``None``."""
    found = md.distributions() if path is None else md.distributions(path=list(path))
    for dist in found:
        if canonicalize_name(dist.metadata["Name"] or "") == name:
            return dist
    return None


def list_entry_points(group: str) -> list[md.EntryPoint]:
    """The entry points of ``group`` as stevedore sees them, read afresh.

    stevedore keeps a per-process cache per group; it is dropped first so a
    package installed while the host runs (a rollout) is seen. A manager with no
    names to load imports nothing.
    """
    ExtensionManager.ENTRY_POINT_CACHE.pop(group, None)
    manager: NamedExtensionManager[object] = NamedExtensionManager(
        group, names=[], on_missing_entrypoints_callback=None
    )
    return list(manager.list_entry_points())


def _owners(groups: Iterable[str]) -> dict[tuple[str, str, str], md.Distribution]:
    """Map (group, name, target) to the first distribution on ``sys.path`` declaring it."""
    wanted = set(groups)
    owners: dict[tuple[str, str, str], md.Distribution] = {}
    for dist in md.distributions():
        for ep in dist.entry_points:
            if ep.group in wanted:
                owners.setdefault((ep.group, ep.name, ep.value), dist)
    return owners


def find_candidates(groups: Iterable[str]) -> list[Candidate]:
    """Every entry point of ``groups`` that an installed distribution declares.

    Entry points from stevedore's cache that no installed distribution declares
    any more (a package removed since the cache was written) are left out.
    """
    groups = list(groups)
    owners = _owners(groups)
    found: list[Candidate] = []
    for group in groups:
        for ep in list_entry_points(group):
            dist = owners.get((group, ep.name, ep.value))
            if dist is None:
                continue
            found.append(
                Candidate(
                    name=ep.name,
                    group=group,
                    target=ep.value,
                    distribution=dist.metadata["Name"],
                    version=dist.version,
                    requires=tuple(dist.requires or ()),
                )
            )
    return found


def sdk_requirement(requires: Iterable[str]) -> Requirement | None:
    """The ``argus-sdk`` requirement among ``Requires-Dist`` lines, ignoring extras-only ones."""
    for line in requires:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if canonicalize_name(req.name) != SDK_DISTRIBUTION:
            continue
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        return req
    return None


def incompatibility(requires: Iterable[str], api_version: str) -> str | None:
    """Why a distribution cannot run on platform API ``api_version``, or ``None`` if it can."""
    req = sdk_requirement(requires)
    if req is None:
        return (
            f"declares no {SDK_DISTRIBUTION} requirement; a plugin must state the platform "
            f"API range it supports (e.g. Requires-Dist: {SDK_DISTRIBUTION}>=1.0,<2)"
        )
    if not req.specifier.contains(api_version, prereleases=True):
        return (
            f"requires {SDK_DISTRIBUTION}{req.specifier} but this platform provides "
            f"API {api_version}"
        )
    return None
