"""``argus node``: run a recording node from its configuration file."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from types import FrameType

import httpx
import typer
import uvicorn
from rich.console import Console

from argus.clocksync import CorrectedClock
from argus.kernel import Kernel
from argus.node import config as node_config
from argus.node import plugins
from argus.node.api import NodeAuth, create_app, load_or_create_token
from argus.node.plugins import PluginStore
from argus.node.runtime import Node
from argus.node.status import RateSampler
from argus.node.uplink import Uplink, load_clock_offset
from argus.security.tokens import TokenVerifier, load_public_key
from argus_sdk import ArgusError, Clock, SystemClock

app = typer.Typer(help="Run and maintain a recording node.", no_args_is_help=True)
console = Console(stderr=True)

CONFIG = typer.Option(Path("argus-node.toml"), "--config", "-c", help="Node configuration file.")


def _build(path: Path, *, with_devices: bool = True) -> Node:
    try:
        config = node_config.load(path)
        _use_plugin_store(config.node.data_dir)
        kernel = Kernel()
        kernel.load()
        if not with_devices:
            config = config.model_copy(update={"devices": []})
        clock: Clock = SystemClock()
        if config.node.master_url is not None:
            # Recording timestamps follow the master's time, as last measured.
            corrected = CorrectedClock(clock)
            corrected.set_offset(load_clock_offset(config.node.data_dir))
            clock = corrected
        return Node(kernel, config, clock=clock)
    except ArgusError as exc:
        console.print(f"[bold red]cannot start the node:[/] {exc}")
        raise typer.Exit(2) from exc


def _use_plugin_store(data_dir: Path) -> None:
    """Put the plugin store's active versions at the front of ``sys.path`` (before the
    kernel discovers plugins), after removing what an interrupted install left."""
    plugins.use_store(PluginStore(data_dir.resolve() / plugins.FOLDER))


@app.command()
def run(config: Path = CONFIG) -> None:
    """Record the configured cameras and serve the node API until SIGTERM or Ctrl-C."""
    servers: list[uvicorn.Server] = []
    stopping: list[bool] = []

    def stop_requested(_signum: int, _frame: FrameType | None) -> None:
        stopping.append(True)
        for server in servers:
            server.should_exit = True

    # From the start (a node asked to stop while it starts or enrols stops cleanly), and
    # before, during and after uvicorn's own handling (which re-raises the signal to the
    # previous handler once it has shut down): the node must still stop.
    signal.signal(signal.SIGTERM, stop_requested)
    signal.signal(signal.SIGINT, stop_requested)
    node = _build(config)
    section = node.config.node
    token_path = section.token_file or node.host.data_dir / "node-token"
    uplink = _uplink(node)
    if uplink is not None:
        uplink.manage_plugins(section.plugin_health_seconds)
    auth = NodeAuth(load_or_create_token(token_path), _verifier(node, uplink))
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

    servers.append(server)
    server.should_exit = bool(stopping)
    signal.signal(signal.SIGTERM, stop_requested)  # uvicorn's own handler is set in run()
    signal.signal(signal.SIGINT, stop_requested)
    node.start()
    sampler.start()
    if uplink is not None:
        uplink.start()
    console.print(
        f"node {node.host.node_id}: recording {len(node.workers)} streams from "
        f"{len(node.cameras)} cameras; API on http://{section.listen} "
        f"(token in {token_path})"
    )
    try:
        server.run()
    finally:
        console.print("stopping …")
        if uplink is not None:
            uplink.stop()
        sampler.stop()
        node.stop()


def _uplink(node: Node) -> Uplink | None:
    """The link to the master, enrolled on first start; ``None`` for a node on its own."""
    section = node.config.node
    if section.master_url is None:
        return None
    uplink = Uplink(node, section.master_url, interval=section.heartbeat_seconds)
    if not uplink.enrolled:
        token = os.environ.get("ARGUS_ENROLMENT_TOKEN", "")
        if section.enrolment_token_file is not None:
            token = section.enrolment_token_file.read_text().strip()
        if not token:
            console.print(
                "[bold red]not enrolled:[/] set [node] enrolment_token_file or "
                "ARGUS_ENROLMENT_TOKEN to the token made on the master"
            )
            raise typer.Exit(2)
        try:
            uplink.enrol(token, section.public_url or f"http://{section.listen}")
        except (ArgusError, httpx.HTTPError) as exc:
            console.print(f"[bold red]cannot enrol:[/] {exc}")
            raise typer.Exit(2) from exc
    return uplink


def _verifier(node: Node, uplink: Uplink | None) -> TokenVerifier | None:
    """Verifies the master's tokens when the node has the master's public key (configured,
    or received at enrolment)."""
    path = node.config.node.master_public_key_file
    try:
        if path is not None:
            pem: str | None = path.read_text()
        else:
            pem = uplink.master_public_key() if uplink is not None else None
        if pem is None:
            return None
        key = load_public_key(pem)
    except (OSError, ValueError) as exc:
        console.print(f"[bold red]cannot read the master's public key:[/] {exc}")
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
