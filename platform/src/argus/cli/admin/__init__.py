"""The administrator's commands: ``argus login``, ``servers``, ``cameras``, ``users``,
``profiles``, ``groups``, ``audit``, ``watchdog``, ``backup`` and ``restore``.

They talk to the master over its HTTP API with the session ``argus login`` stored
(:mod:`.client`), never to a database: the master authenticates, authorizes and audits
each of them. One module per noun.
"""

from __future__ import annotations

import typer

from argus.cli.admin import (
    backups,
    cameras,
    groups,
    packages,
    profiles,
    records,
    servers,
    session,
    users,
)


def register(app: typer.Typer) -> None:
    """Add the administrator's commands to the ``argus`` command line."""
    app.command()(session.login)
    app.command()(session.logout)
    app.add_typer(servers.app, name="servers")
    app.add_typer(cameras.app, name="cameras")
    app.add_typer(users.app, name="users")
    app.add_typer(profiles.app, name="profiles")
    app.add_typer(groups.app, name="groups")
    app.add_typer(packages.app, name="packages")
    app.command()(records.audit)
    app.command()(records.watchdog)
    app.command()(backups.backup)
    app.command()(backups.restore)
