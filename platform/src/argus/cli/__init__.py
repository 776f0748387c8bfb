"""The ``argus`` command line."""

from __future__ import annotations

import logging

import typer

from argus import __version__
from argus.cli import admin, demo, master, node, plugins

app = typer.Typer(
    name="argus",
    help="Argus VMS: nodes, master, plugins.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(plugins.app, name="plugins")
app.add_typer(node.app, name="node")
app.add_typer(master.app, name="master")
app.command()(demo.demo)
admin.register(app)


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log at debug level."),
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@app.command()
def version() -> None:
    """Print the platform and platform API versions."""
    from argus_sdk import API_VERSION

    typer.echo(f"argus {__version__} (platform API {API_VERSION})")


def main() -> None:
    app()
