"""``argus node``: run a recording node from its configuration file."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

import typer
from rich.console import Console

from argus.kernel import Kernel
from argus.node import config as node_config
from argus.node.runtime import Node
from argus_sdk import ArgusError

app = typer.Typer(help="Run and maintain a recording node.", no_args_is_help=True)
console = Console(stderr=True)

CONFIG = typer.Option(Path("argus-node.toml"), "--config", "-c", help="Node configuration file.")


def _build(path: Path, *, with_devices: bool = True) -> Node:
    kernel = Kernel()
    kernel.load()
    try:
        config = node_config.load(path)
        if not with_devices:
            config = config.model_copy(update={"devices": []})
        return Node(kernel, config)
    except ArgusError as exc:
        console.print(f"[bold red]cannot start the node:[/] {exc}")
        raise typer.Exit(2) from exc


@app.command()
def run(config: Path = CONFIG) -> None:
    """Record the configured cameras until SIGTERM or Ctrl-C."""
    node = _build(config)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    node.start()
    console.print(
        f"node {node.host.node_id}: recording {len(node.workers)} streams "
        f"from {len(node.cameras)} cameras"
    )
    stop.wait()
    console.print("stopping …")
    node.stop()


@app.command()
def reindex(config: Path = CONFIG) -> None:
    """Rebuild the recording index from the segment files on every present disk.

    Run it with the node stopped.
    """
    node = _build(config, with_devices=False)
    storage = node.storage
    rebuild = getattr(storage, "reindex", None)
    if rebuild is None:
        console.print("[bold red]this storage backend cannot be reindexed[/]")
        raise typer.Exit(2)
    report = rebuild()
    console.print(f"reindexed: {report}")
    node.stop()


@app.command("check-config")
def check_config(config: Path = CONFIG) -> None:
    """Validate the configuration file without starting anything."""
    try:
        parsed = node_config.load(config)
    except ArgusError as exc:
        console.print(f"[bold red]invalid:[/] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"{config}: node {parsed.node.id}, {len(parsed.devices)} devices — valid")
