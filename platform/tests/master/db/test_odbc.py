"""ODBC connection strings and +pyodbc URLs built from parts: exact output.

The URL tests also hand the URL to SQLAlchemy's own pyodbc dialects and check
that the connection string they would give ``pyodbc.connect`` is exactly the
one built — nothing re-encoded on the way.
"""

from __future__ import annotations

from typing import TypedDict

import pytest
from sqlalchemy.dialects.mssql.pyodbc import MSDialect_pyodbc
from sqlalchemy.dialects.mysql.pyodbc import MySQLDialect_pyodbc
from sqlalchemy.engine import make_url

from argus.master.db.odbc import (
    mariadb_connection_string,
    mariadb_url,
    mssql_connection_string,
    mssql_url,
    odbc_connection_string,
    odbc_value,
)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("plain", "plain"),
        ("", ""),
        ("p@ss=w0rd!,(x)*?[]", "p@ss=w0rd!,(x)*?[]"),
        ("a;b", "{a;b}"),
        ("a}b", "{a}}b}"),
        ("}", "{}}}"),
        ("{start", "{{start}"),
        ("mid{dle", "{mid{dle}"),
        ("{}", "{{}}}"),
        (" lead", "{ lead}"),
        ("trail ", "{trail }"),
        ("in side", "in side"),
        ("pässwörd€", "pässwörd€"),
        ("x;}{;", "{x;}}{;}"),
    ],
)
def test_values_are_braced_only_when_the_grammar_needs_it(value: str, written: str) -> None:
    assert odbc_value(value) == written


def test_a_nul_cannot_be_written() -> None:
    with pytest.raises(ValueError, match="NUL"):
        odbc_value("a\0b")


def test_keywords_are_checked_and_none_values_left_out() -> None:
    assert odbc_connection_string({"DRIVER": "x}y", "A": None, "B b": "1"}) == "DRIVER={x}}y};B b=1"
    with pytest.raises(ValueError, match="keyword"):
        odbc_connection_string({"PWD;X": "1"})
    with pytest.raises(ValueError, match="keyword"):
        odbc_connection_string({"K=V": "1"})


def test_mssql_sql_login_with_a_password_full_of_special_characters() -> None:
    assert mssql_connection_string(
        server="db.example.com",
        database="argus",
        user="argus_master",
        password="p;w}d{x}=1 ",
    ) == (
        "DRIVER={ODBC Driver 18 for SQL Server};SERVER=db.example.com,1433;DATABASE=argus;"
        "UID=argus_master;PWD={p;w}}d{x}}=1 };Encrypt=yes;TrustServerCertificate=no"
    )


def test_mssql_integrated_auth_named_instance_and_options() -> None:
    assert mssql_connection_string(
        server="sql01\\VMS",
        port=None,
        database="Argus Master",
        driver="ODBC Driver 17 for SQL Server",
        encrypt="strict",
        options={"ApplicationIntent": "ReadWrite", "HostNameInCertificate": "*.corp.example"},
    ) == (
        "DRIVER={ODBC Driver 17 for SQL Server};SERVER=sql01\\VMS;DATABASE=Argus Master;"
        "Trusted_Connection=yes;Encrypt=strict;TrustServerCertificate=no;"
        "ApplicationIntent=ReadWrite;HostNameInCertificate=*.corp.example"
    )


def test_mssql_test_server_with_a_self_signed_certificate() -> None:
    assert mssql_connection_string(
        server="127.0.0.1",
        port=14330,
        database="argus",
        user="sa",
        password="",
        encrypt="no",
        trust_server_certificate=True,
    ) == (
        "DRIVER={ODBC Driver 18 for SQL Server};SERVER=127.0.0.1,14330;DATABASE=argus;"
        "UID=sa;PWD=;Encrypt=no;TrustServerCertificate=yes"
    )


def test_mssql_password_without_user_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a user"):
        mssql_connection_string(server="s", database="d", password="x")


def test_mssql_url_is_exact_and_reaches_pyodbc_unchanged() -> None:
    url = mssql_url(**MSSQL)

    assert url == (
        "mssql+pyodbc://?odbc_connect=DRIVER%3D%7BODBC+Driver+18+for+SQL+Server%7D%3B"
        "SERVER%3Ddb%2C1433%3BDATABASE%3Dargus%3BUID%3Du%3BPWD%3D%7Ba%2Bb+%25%3B%7D%7D%7B%26%3D"
        "%3F%23%2F%7D%3BEncrypt%3Dyes%3BTrustServerCertificate%3Dno"
    )
    dialect = MSDialect_pyodbc()  # type: ignore[no-untyped-call]
    args, kwargs = dialect.create_connect_args(make_url(url))
    assert (list(args), kwargs) == ([mssql_connection_string(**MSSQL)], {})
    assert args[0].endswith("PWD={a+b %;}}{&=?#/};Encrypt=yes;TrustServerCertificate=no")


def test_mariadb_url_is_exact_and_reaches_pyodbc_unchanged() -> None:
    connection_string = mariadb_connection_string(**MARIADB)
    assert connection_string == (
        "DRIVER={MariaDB Unicode};SERVER=127.0.0.1;PORT=3306;DATABASE=argus;UID=argus;"
        "PWD={s;cr}}t};CHARSET=utf8mb4"
    )
    url = mariadb_url(**MARIADB)
    assert url.startswith("mysql+pyodbc://?odbc_connect=DRIVER%3D%7BMariaDB+Unicode%7D%3B")
    args, kwargs = MySQLDialect_pyodbc().create_connect_args(make_url(url))
    assert (list(args), kwargs) == ([connection_string], {})


class MssqlParts(TypedDict):
    server: str
    database: str
    user: str
    password: str


MSSQL = MssqlParts(server="db", database="argus", user="u", password="a+b %;}{&=?#/")


class MariadbParts(TypedDict):
    driver: str
    server: str
    port: int
    database: str
    user: str
    password: str


MARIADB = MariadbParts(
    driver="MariaDB Unicode",
    server="127.0.0.1",
    port=3306,
    database="argus",
    user="argus",
    password="s;cr}t",
)
