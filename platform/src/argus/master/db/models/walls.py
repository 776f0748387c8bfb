"""Video walls: named full-screen layouts that operators (and later alarms) drive."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Integer, Unicode
from sqlalchemy.orm import Mapped, mapped_column

from argus.master.db.base import Base
from argus.master.db.types import UtcDateTime, utcnow


class VideoWall(Base):
    """A video wall: what its screens (Spotter in wall mode) show, changed remotely."""

    __tablename__ = "video_wall"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="Row id.")
    name: Mapped[str] = mapped_column(
        Unicode(64), unique=True, comment="The wall's name, in its screens' address (?wall=…)."
    )
    layout: Mapped[int] = mapped_column(Integer, default=4, comment="Tiles shown: 1, 4, 9 or 16.")
    cameras: Mapped[list[Any]] = mapped_column(
        JSON, default=list, comment="Camera ids per tile, in order; null for an empty tile."
    )
    version: Mapped[int] = mapped_column(
        Integer, default=1, comment="Raised at every change: screens poll for a newer one."
    )
    changed_by: Mapped[str] = mapped_column(
        Unicode(255), default="", comment="Who set the current content."
    )
    updated: Mapped[dt.datetime] = mapped_column(
        UtcDateTime, default=utcnow, onupdate=utcnow, comment="Last change."
    )
