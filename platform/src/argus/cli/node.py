"""``argus node``: run a recording node from its configuration file."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType

import typer
import uvicorn
from rich.console import Console

from argus.kernel import Kernel
from argus.node import config as node_config
from argus.node.api import NodeAuth, create_app, load_or_create_token
from argus.node.runtime import Node
from argus.node.status import RateSampler
from argus.security.tokens import TokenVerifier, load_public_key
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
    """Record the configured cameras and serve the node API until SIGTERM or Ctrl-C."""
    node = _build(config)
    section = node.config.node
    token_path = section.token_file or node.host.data_dir / "node-token"
    auth = NodeAuth(load_or_create_token(token_path), _verifier(node))
    sampler = RateSampler(node.workers)
    host, _, port = section.listen.rpartition(":")
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(node, auth, sampler),
            host=host or "127.0.0.1",
            port=int(port),
            log_level="warning",
            lifespan="off",
        )
    )

    def stop_requested(_signum: int, _frame: FrameType | None) -> None:
        server.should_exit = True

    # Before, during and after uvicorn's own handling (which re-raises the signal
    # to the previous handler once it has shut down): the node must still stop.
    signal.signal(signal.SIGTERM, stop_requested)
    signal.signal(signal.SIGINT, stop_requested)
    node.start()
    sampler.start()
    console.print(
        f"node {node.host.node_id}: recording {len(node.workers)} streams from "
        f"{len(node.cameras)} cameras; API on http://{section.listen} "
        f"(token in {token_path})"
    )
    try:
        server.run()
    finally:
        console.print("stopping …")
        sampler.stop()
        node.stop()


def _verifier(node: Node) -> TokenVerifier | None:
    """Verifies the master's tokens when the node has the master's public key."""
    path = node.config.node.master_public_key_file
    if path is None:
        return None
    try:
        key = load_public_key(path.read_text())
    except (OSError, ValueError) as exc:
        console.print(f"[bold red]cannot read the master's public key {path}:[/] {exc}")
        raise typer.Exit(2) from exc
    return TokenVerifier(key, node.host.node_id, node.clock)


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
