"""Video walls: administrators create them; users put cameras on them; screens follow."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from argus.master.api.auth import Running, Tx, Who
from argus.master.db import VideoWall
from argus.master.services import walls

router = APIRouter(tags=["walls"])


class WallCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    layout: int = Field(4, description="Tiles: 1, 4, 9 or 16.")


class WallShow(BaseModel):
    layout: int = Field(description="Tiles: 1, 4, 9 or 16.")
    cameras: list[str | None] = Field(
        default_factory=list, max_length=16, description="Camera id per tile; null: empty."
    )


class WallOut(BaseModel):
    name: str
    layout: int
    cameras: list[str | None]
    version: int = Field(description="Raised at every change: screens poll for a newer one.")
    changed_by: str
    updated: dt.datetime


def wall_out(wall: VideoWall) -> WallOut:
    return WallOut(
        name=wall.name,
        layout=wall.layout,
        cameras=list(wall.cameras),
        version=wall.version,
        changed_by=wall.changed_by,
        updated=wall.updated,
    )


@router.get("/walls", response_model=list[WallOut])
def list_walls(db: Tx, master: Running, caller: Who) -> list[WallOut]:
    """Every video wall (any logged-in user: operators send layouts to them)."""
    return [wall_out(w) for w in walls.walls(db)]


@router.post("/walls", response_model=WallOut, status_code=status.HTTP_201_CREATED)
def create_wall(body: WallCreate, db: Tx, master: Running, caller: Who) -> WallOut:
    """Add a wall (administrators)."""
    return wall_out(walls.create_wall(db, master.clock, caller.actor, body.name, body.layout))


@router.get("/walls/{name}", response_model=WallOut)
def get_wall(name: str, db: Tx, master: Running, caller: Who) -> WallOut:
    """What the wall shows now; its screens poll this for a newer version."""
    return wall_out(walls.wall_named(db, name))


@router.put("/walls/{name}", response_model=WallOut)
def show(name: str, body: WallShow, db: Tx, master: Running, caller: Who) -> WallOut:
    """Put cameras on the wall (each needs the caller's live right); audited."""
    wall = walls.show(db, master.clock, caller.actor, name, body.layout, body.cameras)
    return wall_out(wall)


@router.delete("/walls/{name}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def delete_wall(name: str, db: Tx, master: Running, caller: Who) -> Response:
    """Remove a wall (administrators)."""
    walls.delete_wall(db, master.clock, caller.actor, name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
