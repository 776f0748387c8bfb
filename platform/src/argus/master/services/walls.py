"""Video walls: named layouts that wall screens show and operators drive from afar.

Administrators create and delete walls. Any user may put on a wall the cameras they
may watch live (the wall's screens then show them with the screen user's own
rights); each change raises the wall's version, which the screens poll for, and is
recorded in the audit trail.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from argus.master.db import AppUser, VideoWall
from argus.master.db.enums import ActorKind, AuditResult, Right
from argus.master.services import access
from argus.master.services.audit import Actor, Target, record
from argus.master.services.errors import Conflict, Forbidden, Invalid, NotFound
from argus_sdk import Clock

LAYOUTS = (1, 4, 9, 16)
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}")


def walls(session: Session) -> list[VideoWall]:
    return list(session.scalars(select(VideoWall).order_by(VideoWall.name)))


def wall_named(session: Session, name: str) -> VideoWall:
    """:raises NotFound: no wall has this name."""
    wall = session.scalars(select(VideoWall).where(VideoWall.name == name)).first()
    if wall is None:
        raise NotFound(f"no video wall named {name!r}")
    return wall


def create_wall(
    session: Session, clock: Clock, actor: Actor, name: str, layout: int = 4
) -> VideoWall:
    """:raises Forbidden: not an administrator. :raises Invalid, Conflict: bad or taken name."""
    access.require_admin(session, clock, actor, action="wall.create", target=_target(name))
    if not NAME.fullmatch(name):
        raise Invalid("a wall name has 1 to 64 letters, digits, spaces, '.', '_' or '-'")
    _check_layout(layout)
    if session.scalars(select(VideoWall.id).where(VideoWall.name == name)).first() is not None:
        raise Conflict(f"a video wall named {name!r} exists already")
    wall = VideoWall(name=name, layout=layout, cameras=[], version=1, changed_by=actor.name)
    session.add(wall)
    session.flush()
    record(
        session, clock, actor=actor, action="wall.create", target=_target(name), after=_state(wall)
    )
    return wall


def delete_wall(session: Session, clock: Clock, actor: Actor, name: str) -> None:
    access.require_admin(session, clock, actor, action="wall.delete", target=_target(name))
    wall = wall_named(session, name)
    before = _state(wall)
    session.delete(wall)
    session.flush()
    record(session, clock, actor=actor, action="wall.delete", target=_target(name), before=before)


def show(
    session: Session,
    clock: Clock,
    actor: Actor,
    name: str,
    layout: int,
    cameras: Sequence[str | None],
) -> VideoWall:
    """Put ``cameras`` (one per tile, None for an empty one) on the wall in ``layout``.

    :raises Forbidden: the user may not watch one of the cameras live (recorded as denied).
    :raises Invalid: an unknown layout, more cameras than tiles.
    :raises NotFound: no such wall.
    """
    _check_layout(layout)
    if len(cameras) > layout:
        raise Invalid(f"a layout of {layout} has {layout} tiles, not {len(cameras)}")
    wall = wall_named(session, name)
    placed = {c for c in cameras if c}
    if placed and not access.is_admin(session, actor):
        allowed = _live_cameras(session, actor)
        denied = sorted(placed - allowed)
        if denied:
            detail = f"no live right on {', '.join(denied)}"
            record(
                session,
                clock,
                actor=actor,
                action="wall.show",
                target=_target(name),
                result=AuditResult.DENIED,
                detail=detail,
            )
            raise Forbidden(f"wall.show: {detail}")
    before = _state(wall)
    wall.layout, wall.cameras = layout, list(cameras)
    wall.version += 1
    wall.changed_by = actor.name
    session.flush()
    record(
        session,
        clock,
        actor=actor,
        action="wall.show",
        target=_target(name),
        before=before,
        after=_state(wall),
    )
    return wall


def _live_cameras(session: Session, actor: Actor) -> set[str]:
    if actor.kind is not ActorKind.USER or actor.id is None:
        return set()
    user = session.get(AppUser, actor.id)
    if user is None:
        return set()
    profile = access.profile_for(session, user)
    return {c.ident for n in profile.nodes for c in n.cameras if Right.LIVE in c.rights}


def _check_layout(layout: int) -> None:
    if layout not in LAYOUTS:
        raise Invalid(f"a wall layout has 1, 4, 9 or 16 tiles, not {layout}")


def _target(name: str) -> Target:
    return Target("wall", name, name)


def _state(wall: VideoWall) -> dict[str, object]:
    return {"layout": wall.layout, "cameras": list(wall.cameras), "version": wall.version}
