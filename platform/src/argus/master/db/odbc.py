"""ODBC connection strings and ``+pyodbc`` SQLAlchemy URLs, built from parts.

The master reaches SQL Server (``mssql+pyodbc``) and MariaDB/MySQL
(``mysql+pyodbc``) through pyodbc. An administrator gives the parts (server,
port, database, user, password, TLS options); this module turns them into the
one connection string the ODBC driver manager parses, quoting values by the
ODBC grammar, and wraps it unchanged in ``odbc_connect`` so that SQLAlchemy
hands exactly that string to ``pyodbc.connect``.

Quoting (ODBC ``SQLDriverConnect`` grammar, as Microsoft's drivers implement
it): a value that contains ``;``, ``{`` or ``}``, or starts or ends with white
space, is enclosed in braces and every ``}`` inside it is doubled; any other
value is written as it is (``=``, ``@``, ``,`` need no quoting in a value). So
the password ``p;w}d`` is written ``PWD={p;w}}d}``. Driver names are always
braced. (FreeTDS 1.3, Debian 12's, does not undo the doubling of ``}``; newer
FreeTDS and Microsoft's drivers do.)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from sqlalchemy.engine import URL

#: Characters that end or open a value in the ODBC grammar.
_SPECIAL = frozenset(";{}")
_KEYWORD = re.compile(r"^[A-Za-z][A-Za-z0-9_ ]*$")

#: Microsoft's current driver for Linux and Windows.
MSSQL_DEFAULT_DRIVER = "ODBC Driver 18 for SQL Server"
MSSQL_DEFAULT_PORT = 1433
Encrypt = Literal["yes", "no", "strict"]


def odbc_value(value: str) -> str:
    """``value`` as it must appear after ``KEY=`` in a connection string.

    :raises ValueError: the value contains a NUL character (no quoting can carry it).
    """
    if "\0" in value:
        raise ValueError("an ODBC attribute value cannot contain a NUL character")
    if value != value.strip() or not _SPECIAL.isdisjoint(value):
        return "{" + value.replace("}", "}}") + "}"
    return value


def odbc_connection_string(attributes: Mapping[str, str | None]) -> str:
    """``KEY=value`` pairs joined by ``;``, in the mapping's order; ``None`` values are left out.

    ``DRIVER`` is always braced; other values are quoted by :func:`odbc_value`.

    :raises ValueError: a keyword is not letters, digits, ``_`` and spaces.
    """
    parts = []
    for key, value in attributes.items():
        if not _KEYWORD.match(key):
            raise ValueError(f"{key!r} is not an ODBC connection-string keyword")
        if value is None:
            continue
        if key.upper() == "DRIVER":
            parts.append(f"{key}={{{value.replace('}', '}}')}}}")
        else:
            parts.append(f"{key}={odbc_value(value)}")
    return ";".join(parts)


def mssql_connection_string(
    *,
    server: str,
    database: str,
    user: str | None = None,
    password: str | None = None,
    port: int | None = MSSQL_DEFAULT_PORT,
    driver: str = MSSQL_DEFAULT_DRIVER,
    encrypt: Encrypt = "yes",
    trust_server_certificate: bool = False,
    options: Mapping[str, str] | None = None,
) -> str:
    """The ODBC connection string of a SQL Server database.

    :param server: host name or address; a named instance as ``host\\instance``
        with ``port=None`` (the SQL Browser service finds its port).
    :param user: a SQL Server login; ``None`` uses integrated authentication
        (``Trusted_Connection=yes``: Windows or Kerberos).
    :param encrypt: TLS: ``yes`` (the default of driver 18), ``no``, or ``strict``
        (TDS 8, certificate always verified).
    :param trust_server_certificate: accept a certificate that does not verify
        (a self-signed one); only for test systems.
    :param options: further keywords appended as given (``ApplicationIntent``,
        ``HostNameInCertificate`` …).
    :raises ValueError: a password without a user, or an invalid keyword or value.
    """
    if user is None and password is not None:
        raise ValueError("a SQL Server password needs a user; leave both out for integrated auth")
    attributes: dict[str, str | None] = {
        "DRIVER": driver,
        "SERVER": server if port is None else f"{server},{port}",
        "DATABASE": database,
    }
    if user is None:
        attributes["Trusted_Connection"] = "yes"
    else:
        attributes["UID"] = user
        attributes["PWD"] = password or ""
    attributes["Encrypt"] = encrypt
    attributes["TrustServerCertificate"] = "yes" if trust_server_certificate else "no"
    attributes.update(options or {})
    return odbc_connection_string(attributes)


def pyodbc_url(dialect: Literal["mssql", "mysql"], connection_string: str) -> str:
    """The SQLAlchemy URL ``<dialect>+pyodbc://?odbc_connect=…`` carrying ``connection_string``.

    SQLAlchemy decodes the query once and passes the string to ``pyodbc.connect``
    unchanged, so what the driver receives is exactly ``connection_string``.
    """
    url = URL.create(f"{dialect}+pyodbc", query={"odbc_connect": connection_string})
    return url.render_as_string(hide_password=False)


def mssql_url(
    *,
    server: str,
    database: str,
    user: str | None = None,
    password: str | None = None,
    port: int | None = MSSQL_DEFAULT_PORT,
    driver: str = MSSQL_DEFAULT_DRIVER,
    encrypt: Encrypt = "yes",
    trust_server_certificate: bool = False,
    options: Mapping[str, str] | None = None,
) -> str:
    """The ``mssql+pyodbc`` URL of a SQL Server database; parameters as
    :func:`mssql_connection_string`."""
    connection_string = mssql_connection_string(
        server=server,
        database=database,
        user=user,
        password=password,
        port=port,
        driver=driver,
        encrypt=encrypt,
        trust_server_certificate=trust_server_certificate,
        options=options,
    )
    return pyodbc_url("mssql", connection_string)


def mariadb_connection_string(
    *,
    driver: str,
    server: str,
    port: int,
    database: str,
    user: str,
    password: str,
) -> str:
    """The ODBC connection string of a MariaDB/MySQL database, in ``utf8mb4``.

    :param driver: the ODBC driver's registered name (``MariaDB Unicode`` on Debian's
        odbc-mariadb).
    """
    return odbc_connection_string(
        {
            "DRIVER": driver,
            "SERVER": server,
            "PORT": str(port),
            "DATABASE": database,
            "UID": user,
            "PWD": password,
            "CHARSET": "utf8mb4",
        }
    )


def mariadb_url(
    *, driver: str, server: str, port: int, database: str, user: str, password: str
) -> str:
    """The ``mysql+pyodbc`` URL of a MariaDB/MySQL database; parameters as
    :func:`mariadb_connection_string`."""
    connection_string = mariadb_connection_string(
        driver=driver, server=server, port=port, database=database, user=user, password=password
    )
    return pyodbc_url("mysql", connection_string)
