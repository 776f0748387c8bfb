"""The declarative base of the master's tables, and the names of their constraints.

Every constraint and index gets its name from :data:`NAMING_CONVENTION`, so a
migration can refer to it by the same name on every database (otherwise each
database invents its own, and ``ALTER``/``DROP`` differ per site). Names stay
within 63 characters, PostgreSQL's limit (MariaDB/MySQL allow 64, SQL Server 128).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from argus.master.db.types import UtcDateTime

NAMING_CONVENTION = {
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}
#: The longest identifier every supported database accepts (PostgreSQL's limit).
MAX_IDENTIFIER_LENGTH = 63


class Base(DeclarativeBase):
    """Base of every master table; ``Base.metadata`` is what the migrations must produce."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # A bare ``Mapped[datetime]`` is an aware UTC instant too, never a naive DATETIME.
    type_annotation_map = {dt.datetime: UtcDateTime}
