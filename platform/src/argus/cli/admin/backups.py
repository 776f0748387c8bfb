"""``argus backup`` and ``argus restore`` through the master API.

The file is the one ``argus master backup`` writes on the master's host (same format,
mode 0600: it holds password hashes), so either command's backup restores with either.
"""

from __future__ import annotations

from pathlib import Path

import typer

from argus.cli.admin import client
from argus.cli.admin.client import EXIT_USAGE, connect, fail
from argus.cli.admin.output import YES_OPTION, confirm, console
from argus.master import backup as backups

SERVER_OPTION = typer.Option(
    None, "--server", help="Only this node's settings (storage, devices, cameras)."
)


def backup(
    out: Path = typer.Argument(..., help="Backup file to write (mode 0600)."),
    server: str | None = SERVER_OPTION,
) -> None:
    """Download the whole configuration (or one server's settings) to a backup file."""
    document = connect().get("/system/backup", server=server)
    try:
        backups.write(document, out)
    except OSError as exc:
        fail(f"cannot write {out}: {exc}", EXIT_USAGE)
    console.print(f"wrote {out}: {_counts(document['tables'])}")


def restore(
    file: Path = typer.Argument(..., help="A backup file (argus backup or argus master backup)."),
    server: str | None = typer.Option(
        None, "--server", help="Restore this node's settings from a server backup."
    ),
    yes: bool = YES_OPTION,
) -> None:
    """Restore a system backup onto a fresh master, or a server backup onto one node.

    A server backup replaces the node's storage, devices and cameras. A system restore
    ends every session at the master, this one's too: log in again with an account from
    the backup.
    """
    try:
        document = backups.read(file)
    except backups.BackupError as exc:
        fail(str(exc), EXIT_USAGE)
    if server:
        confirm(f"Replace the storage, devices and cameras of {server} from {file}?", yes)
    restored = connect().send("POST", "/system/restore", document, server=server)
    console.print(f"restored {_counts(restored['rows'])}: {restored['detail']}")
    if not server:
        client.forget_session()


def _counts(tables: dict[str, object]) -> str:
    return ", ".join(
        f"{len(rows) if isinstance(rows, list) else rows} {name}" for name, rows in tables.items()
    )
