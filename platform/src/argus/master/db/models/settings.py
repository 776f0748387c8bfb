"""System-wide settings of the master, one JSON value per key."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from argus.master.db.base import Base
from argus.master.db.types import UtcDateTime, utcnow


class Setting(Base):
    """A master setting: the node version policy, lockout thresholds, token lifetimes …

    Values are validated by the pydantic model that owns the key, not here.
    """

    __tablename__ = "setting"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="Row id.")
    key: Mapped[str] = mapped_column(
        String(128), unique=True, comment="Dotted name, e.g. 'nodes.version_policy'."
    )
    value: Mapped[Any] = mapped_column(
        JSON, comment="The value (any JSON: a specifier string, a number, an object)."
    )
    updated: Mapped[dt.datetime] = mapped_column(
        UtcDateTime, default=utcnow, onupdate=utcnow, comment="Last change."
    )
