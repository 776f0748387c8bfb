"""Rights: from a profile's grants to what a user may do with each camera."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from argus.protocol import Right

Scope = Literal["all", "group", "camera"]


@dataclass(frozen=True, slots=True)
class Grant:
    """One line of a profile: a right on all cameras, on a camera group, or on one camera."""

    scope: Scope
    right: Right
    target: str = ""  # group or camera id; empty for "all"


def effective_rights(
    grants: Iterable[Grant], cameras: Iterable[str], groups: Mapping[str, frozenset[str]]
) -> dict[str, frozenset[Right]]:
    """Camera id → rights, for ``cameras`` (the ones the caller asks about).

    Rights only add up: there is no deny. ``administer`` is not a camera right and
    is reported by :func:`is_admin`.
    """
    per_camera: dict[str, set[Right]] = {c: set() for c in cameras}
    for grant in grants:
        if grant.right is Right.ADMINISTER:
            continue
        if grant.scope == "all":
            targets: Iterable[str] = per_camera
        elif grant.scope == "group":
            targets = groups.get(grant.target, frozenset()) & per_camera.keys()
        else:
            targets = [grant.target] if grant.target in per_camera else []
        for camera in targets:
            per_camera[camera].add(grant.right)
    return {c: frozenset(r) for c, r in per_camera.items() if r}


def is_admin(grants: Iterable[Grant]) -> bool:
    return any(g.right is Right.ADMINISTER for g in grants)
