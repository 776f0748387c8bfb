"""Plugin packages the master has admitted, ready to distribute to its nodes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Integer, String, Unicode
from sqlalchemy.orm import Mapped, mapped_column

from argus.master.db.base import Base
from argus.master.db.types import UtcDateTime, utcnow


class PluginPackage(Base):
    """One admitted package file (a wheel or a .spi): one variant of one version."""

    __tablename__ = "plugin_package"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="Row id.")
    name: Mapped[str] = mapped_column(String(128), comment="Canonical project name.")
    version: Mapped[str] = mapped_column(String(64), comment="PEP 440 version.")
    filename: Mapped[str] = mapped_column(
        String(255), unique=True, comment="The file's name: name, version and wheel tags."
    )
    sha256: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the whole file, hex.")
    size: Mapped[int] = mapped_column(BigInteger, comment="Bytes.")
    kinds: Mapped[list[Any]] = mapped_column(JSON, comment="Plugin kinds it provides.")
    tags: Mapped[list[Any]] = mapped_column(
        JSON, comment="Its wheel tags (interpreter-abi-platform), for picking the variant."
    )
    sdk: Mapped[str] = mapped_column(
        String(255), comment="Its argus-sdk requirement: the platform APIs it supports."
    )
    spotter: Mapped[bool] = mapped_column(Boolean, comment="A Spotter plugin (.spi).")
    vendor: Mapped[str] = mapped_column(
        Unicode(255), default="", comment="Vendor whose signature was verified; '' unsigned."
    )
    admitted_by: Mapped[str] = mapped_column(Unicode(255), comment="Who admitted it.")
    admitted: Mapped[dt.datetime] = mapped_column(
        UtcDateTime, default=utcnow, comment="When it was admitted."
    )
