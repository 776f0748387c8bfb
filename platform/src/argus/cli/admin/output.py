"""What the admin commands print and parse: Rich tables for people, JSON for scripts, and
the ``key=value`` settings of the command line."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from argus.cli.admin.client import EXIT_USAGE, fail

console = Console()

JSON_OPTION = typer.Option(False, "--json", help="Print JSON (the master's answer) for scripts.")
YES_OPTION = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation.")

_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def print_json(data: Any) -> None:
    """``data`` as indented JSON on stdout (not through Rich: no wrapping, no markup)."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A Rich table on stdout; None prints as an empty cell."""
    out = Table(title=title, title_justify="left")
    for column in columns:
        out.add_column(column, overflow="fold")
    for row in rows:
        out.add_row(*("" if cell is None else str(cell) for cell in row))
    console.print(out)


def when(value: str | None) -> str:
    """An ISO 8601 time from the master as ``YYYY-MM-DD HH:MM:SSZ`` (UTC)."""
    if not value:
        return ""
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC)
    return at.strftime("%Y-%m-%d %H:%M:%SZ")


def parse_instant(value: str | None, option: str) -> str | None:
    """An instant for the master: ISO 8601 (a time without a zone is local time), or a
    duration back from now (``30m``, ``2h``, ``7d``, ``1w``), as ISO 8601 with its zone."""
    if value is None:
        return None
    if match := _DURATION.fullmatch(value.strip()):
        seconds = float(match[1]) * _UNITS[match[2]]
        return (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)).isoformat()
    try:
        at = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        fail(f"{option}: give ISO 8601 (2026-05-01T12:00Z) or a duration (30m, 2h, 7d)", EXIT_USAGE)
    return (at if at.tzinfo is not None else at.astimezone()).isoformat()


def parse_value(text: str) -> Any:
    """A ``--set`` value: JSON when it reads as JSON (``554``, ``true``, ``null``,
    ``["main"]``), else the text itself (``rtsp://cam/1``, ``360p``)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_settings(pairs: Iterable[str], option: str = "--set") -> dict[str, Any]:
    """``key=value`` pairs as a dict (:func:`parse_value` for the values)."""
    settings: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            fail(f"{option} {pair!r}: give key=value", EXIT_USAGE)
        settings[key.strip()] = parse_value(value)
    return settings


def confirm(question: str, yes: bool) -> None:
    """Ask before a change that cannot be undone, unless ``--yes``; stop on no."""
    if not yes and not typer.confirm(question, default=False):
        fail("nothing changed", 1)
