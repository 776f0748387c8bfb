"""The master's database: schema (SQLAlchemy 2 ORM), migrations (Alembic) and engines.

Supported databases: SQLite (the embedded default), PostgreSQL
(``postgresql+psycopg``), MariaDB/MySQL (``mysql+pyodbc``) and SQL Server
(``mssql+pyodbc``). The first three are tested against real servers; no SQL
Server can run on the test machines, so for it the tests prove that every
table's DDL and the migration script compile for the ``mssql`` dialect and that
:func:`mssql_url` builds the exact connection string pyodbc receives.

Typical start of a master::

    engine = make_engine(url)
    upgrade(engine)          # refuses a database written by a newer Argus
    require_head(engine)
"""

from argus.master.db.base import NAMING_CONVENTION, Base
from argus.master.db.engine import UnsupportedDatabase, make_engine
from argus.master.db.migrate import (
    DatabaseOutOfDate,
    DatabaseTooNew,
    SchemaVersionError,
    current_revision,
    downgrade,
    head_revision,
    migration_sql,
    require_head,
    upgrade,
)
from argus.master.db.models import (
    AppUser,
    AuditEntry,
    Camera,
    CameraGroup,
    CameraGroupMember,
    Device,
    Node,
    NodePlugin,
    NodeStorage,
    PluginPackage,
    Profile,
    ProfileRight,
    Rollout,
    RolloutNode,
    Setting,
    UserSession,
    VideoWall,
    WatchdogEvent,
)
from argus.master.db.odbc import mariadb_url, mssql_connection_string, mssql_url

__all__ = [
    "NAMING_CONVENTION",
    "AppUser",
    "AuditEntry",
    "Base",
    "Camera",
    "CameraGroup",
    "CameraGroupMember",
    "DatabaseOutOfDate",
    "DatabaseTooNew",
    "Device",
    "Node",
    "NodePlugin",
    "NodeStorage",
    "PluginPackage",
    "Profile",
    "ProfileRight",
    "Rollout",
    "RolloutNode",
    "SchemaVersionError",
    "Setting",
    "UnsupportedDatabase",
    "UserSession",
    "VideoWall",
    "WatchdogEvent",
    "current_revision",
    "downgrade",
    "head_revision",
    "make_engine",
    "mariadb_url",
    "migration_sql",
    "mssql_connection_string",
    "mssql_url",
    "require_head",
    "upgrade",
]
