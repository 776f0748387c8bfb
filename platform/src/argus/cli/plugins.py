"""``argus plugins``: what the kernel found, loaded and quarantined."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from argus.kernel import Kernel, PluginStatus

app = typer.Typer(help="Inspect installed plugins.", no_args_is_help=True)

_STYLE = {
    PluginStatus.LOADED: "green",
    PluginStatus.QUARANTINED: "bold red",
    PluginStatus.DISABLED: "dim",
}


@app.command("list")
def list_plugins(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List every discovered plugin with its version, kinds, distribution and status.

    Exits with status 1 when any plugin is quarantined.
    """
    kernel = Kernel()
    kernel.load()
    records = kernel.plugins()
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in records], indent=2))
    else:
        table = Table(title="Argus plugins")
        for column in ("name", "version", "kinds", "distribution", "status", "reason"):
            table.add_column(column)
        for r in records:
            status = f"[{_STYLE[r.status]}]{r.status.value}[/]"
            table.add_row(r.name, r.version, ", ".join(r.kinds), r.distribution, status, r.reason)
        Console().print(table)
    kernel.close()
    if any(r.status is PluginStatus.QUARANTINED for r in records):
        raise typer.Exit(1)
