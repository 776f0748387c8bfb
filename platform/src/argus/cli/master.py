"""``argus master``: the master's database, backups and (with the master API) its server."""

from __future__ import annotations

import getpass
import signal
from pathlib import Path
from types import FrameType

import typer
import uvicorn
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from argus.kernel import Kernel
from argus.master import backup as backups
from argus.master import config as master_config
from argus.master.db import SchemaVersionError, make_engine, upgrade
from argus.master.db.enums import ActorKind
from argus.master.services import audit
from argus.master.services.audit import Actor, Target
from argus.master.services.errors import ServiceError
from argus.node.plugins import FOLDER, PluginStore, use_store
from argus_sdk import ArgusError, SystemClock

app = typer.Typer(help="Maintain the master: database, backups.", no_args_is_help=True)
console = Console(stderr=True)

CONFIG = typer.Option(
    Path("argus-master.toml"), "--config", "-c", help="Master configuration file."
)


def _audit(engine: Engine, action: str, target: str, detail: str) -> None:
    """Record a command-line admin action; the actor is the local operating-system user."""
    actor = Actor(ActorKind.SYSTEM, None, f"cli:{getpass.getuser()}")
    with Session(engine) as session, session.begin():
        audit.record(
            session,
            SystemClock(),
            actor=actor,
            action=action,
            target=Target("system", target, target),
            detail=detail,
        )


def _config(path: Path) -> master_config.MasterConfig:
    try:
        return master_config.load(path)
    except ArgusError as exc:
        console.print(f"[bold red]invalid configuration:[/] {exc}")
        raise typer.Exit(2) from exc


@app.command()
def run(config: Path = CONFIG) -> None:
    """Serve the master API on the configured address until SIGTERM or Ctrl-C.

    Migrates the database first; on a master without users, creates the administrator
    ``admin`` (password from ARGUS_ADMIN_PASSWORD, or written to the data directory).
    """
    from argus.master.api import create_app
    from argus.master.clocks import ClockWatch
    from argus.master.runtime import Master, OfflineSweeper, RolloutDriver

    parsed = _config(config)
    # The admitted Spotter plugins the master serves (its own store, active versions).
    use_store(PluginStore(parsed.master.data_dir / FOLDER, spotter=True))
    kernel = Kernel()
    kernel.load()  # the master serves the Spotter plugins (.spi) of the installed packages
    try:
        master = Master(parsed, kernel=kernel)
        master.start()
    except (SchemaVersionError, ServiceError, OSError, ValueError) as exc:
        console.print(f"[bold red]cannot start the master:[/] {exc}")
        raise typer.Exit(2) from exc
    host, _, port = parsed.master.listen.rpartition(":")
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(master),
            host=host.strip("[]") or "127.0.0.1",
            port=int(port),
            log_level="warning",
            lifespan="off",
        )
    )

    def stop_requested(_signum: int, _frame: FrameType | None) -> None:
        server.should_exit = True

    # Before, during and after uvicorn's own handling (which re-raises the signal to the
    # previous handler once it has shut down): the master must still stop cleanly.
    signal.signal(signal.SIGTERM, stop_requested)
    signal.signal(signal.SIGINT, stop_requested)
    sweeper = OfflineSweeper(master)
    sweeper.start()
    clocks = ClockWatch(master)
    clocks.start()
    rollouts = RolloutDriver(master)
    rollouts.start()
    console.print(f"master {master.id}: API on http://{parsed.master.listen}")
    try:
        server.run()
    finally:
        console.print("stopping …")
        rollouts.stop()
        clocks.stop()
        sweeper.stop()
        master.close()


@app.command()
def migrate(config: Path = CONFIG) -> None:
    """Create or upgrade the master database to this Argus's schema."""
    section = _config(config).master
    section.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        revision = upgrade(section.database_url)
    except SchemaVersionError as exc:
        console.print(f"[bold red]{exc}[/]")
        raise typer.Exit(2) from exc
    console.print(f"database at revision {revision}")


@app.command()
def backup(
    out: Path = typer.Argument(..., help="Backup file to write (mode 0600)."),
    server: str | None = typer.Option(None, help="Back up only this node's settings."),
    config: Path = CONFIG,
) -> None:
    """Write the whole configuration (or one server's settings) to a backup file."""
    engine = make_engine(_config(config).master.database_url)
    try:
        document = (
            backups.backup_server(engine, server) if server else backups.backup_system(engine)
        )
        backups.write(document, out)
        _audit(
            engine,
            "backup.server" if server else "backup.system",
            server or "system",
            f"written to {out.resolve()}",
        )
    except backups.BackupError as exc:
        console.print(f"[bold red]{exc}[/]")
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    counts = ", ".join(f"{len(rows)} {name}" for name, rows in document["tables"].items())
    console.print(f"wrote {out}: {counts}")


@app.command()
def restore(
    file: Path = typer.Argument(..., help="A backup file written by argus master backup."),
    server: str | None = typer.Option(
        None, help="Restore this node's settings from a server backup."
    ),
    config: Path = CONFIG,
) -> None:
    """Restore a system backup onto a fresh master, or one server's settings onto its node."""
    section = _config(config).master
    section.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(section.database_url)
    try:
        document = backups.read(file)
        if server:
            backups.restore_server(engine, document, server)
        else:
            backups.restore_system(engine, document)
        _audit(
            engine,
            "restore.server" if server else "restore.system",
            server or "system",
            f"from {file.resolve()}, backup made {document.get('created')}",
        )
    except backups.BackupError as exc:
        console.print(f"[bold red]not restored:[/] {exc}")
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    console.print(f"restored {document['kind']} backup from {file}")
