"""``argus demo``: the embedded system a newcomer starts first."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import typer
from rich.console import Console
from rich.live import Live
from rich.panel import Panel
from rich.table import Table

from argus.demo import PASSWORD_FILE, DemoSystem
from argus.kernel import Kernel, PluginStatus
from argus.master.services.errors import ServiceError
from argus.node.plugins import FOLDER, PluginStore, use_store
from argus.node.recorder import StreamWorker
from argus.node.runtime import Node
from argus_sdk import ArgusError, Event

console = Console()

WHAT_RUNS = """[bold]Argus demo[/] — open Spotter at [bold]{master_url}/[/] and log in as
[bold]admin[/] with password [bold]{password}[/] (kept in {password_file}).

A master and a node in this one process:
• the master (SQLite in {master_dir}): users, profiles, configuration, watchdog, audit;
  API on {master_url}/docs;
• a node enrolled with it, running the 8 simulated cameras configured on the master
  (sim driver: 4 cameras, 2 with PTZ, 1 with audio, and a 4-channel encoder); the
  loading dock records only around its door contact (4 s before, 5 s after);
  API on {node_url}/docs;
• the plugin kernel, loading every installed plugin (`argus plugins list`).
Spotter: live layouts of 1/4/9/16, playback from the timeline, export, snapshots, PTZ
and I/O. Administer from the command line: `argus login --master {master_url}`.
{storage}"""


def demo(
    seconds: float = typer.Option(0, help="Stop after this many seconds (0: until Ctrl-C)."),
    data: Path = typer.Option(
        Path("demo-data"), envvar="ARGUS_DEMO_DATA", help="Where the demo keeps its files."
    ),
    master_port: int = typer.Option(
        5008, envvar="ARGUS_DEMO_MASTER_PORT", help="Port of the master API (127.0.0.1)."
    ),
    node_port: int = typer.Option(
        5009, envvar="ARGUS_DEMO_NODE_PORT", help="Port of the node API (127.0.0.1)."
    ),
) -> None:
    """Run a master and a node with simulated cameras in one process; show what it records."""
    # Packages rolled out to the demo node and Spotter plugins admitted to its master
    # (kept from earlier runs) load with the rest.
    use_store(PluginStore(data / "node" / FOLDER))
    use_store(PluginStore(data / "master" / FOLDER, spotter=True))
    kernel = Kernel()
    kernel.load()
    _report_plugins(kernel)
    system = DemoSystem(kernel, data, master_port=master_port, node_port=node_port)
    try:
        system.start()
    except (ArgusError, ServiceError, OSError, httpx.HTTPError) as exc:
        console.print(f"[bold red]cannot start the demo:[/] {exc}")
        raise typer.Exit(2) from exc
    node = system.node
    assert node is not None
    text = WHAT_RUNS.format(
        master_dir=system.master.data_dir,
        master_url=system.master_url,
        node_url=system.node_url,
        password=system.password,
        password_file=system.data_dir / PASSWORD_FILE,
        storage=_storage_note(node),
    )
    console.print(Panel(text))
    node.events.subscribe(_print_event)
    try:
        _watch(node, seconds)
    except KeyboardInterrupt:
        pass
    finally:
        console.print("stopping …")
        system.stop()
    _summary(node)


def _storage_note(node: Node) -> str:
    if node.storage is None:
        return (
            "No storage backend is installed yet: packets are received and counted, not "
            "written to disk (the segments backend comes with the recording node)."
        )
    return (
        f"Recording to {node.host.data_dir.parent / 'disk1'} as fragmented MP4 segments "
        "(playable with any player), with the index in "
        f"{node.host.data_dir / 'storage'}."
    )


def _report_plugins(kernel: Kernel) -> None:
    for record in kernel.plugins():
        if record.status is PluginStatus.QUARANTINED:
            console.print(f"[red]plugin {record.name} quarantined:[/] {record.reason}")
    loaded = [r.name for r in kernel.plugins() if r.status is PluginStatus.LOADED]
    console.print(f"plugins loaded: {', '.join(loaded)}")


def _print_event(event: Event) -> None:
    data = " ".join(f"{k}={v}" for k, v in event.data.items())
    console.print(f"[cyan]event[/] {event.topic} {event.phase.value} {event.source.id} {data}")


def _watch(node: Node, seconds: float) -> None:
    started = time.monotonic()
    previous = {id(w): (w.stats.packets, w.stats.bytes) for w in node.workers}
    with Live(_table(node, previous, 1.0), console=console, refresh_per_second=1) as live:
        last = time.monotonic()
        while seconds <= 0 or time.monotonic() - started < seconds:
            time.sleep(
                min(2.0, max(0.1, seconds - (time.monotonic() - started))) if seconds > 0 else 2.0
            )
            now = time.monotonic()
            live.update(_table(node, previous, now - last))
            previous = {id(w): (w.stats.packets, w.stats.bytes) for w in node.workers}
            last = now


def _table(node: Node, previous: dict[int, tuple[int, int]], elapsed: float) -> Table:
    table = Table(title="Recorder workers")
    for column in (
        "camera",
        "stream",
        "state",
        "writing",
        "packets/s",
        "kbit/s",
        "packets",
        "last error",
    ):
        table.add_column(column)
    for worker in node.workers:
        table.add_row(*_row(worker, previous.get(id(worker), (0, 0)), elapsed))
    return table


def _row(worker: StreamWorker, before: tuple[int, int], elapsed: float) -> list[str]:
    s = worker.stats
    rate = (s.packets - before[0]) / elapsed if elapsed > 0 else 0.0
    kbits = (s.bytes - before[1]) * 8 / 1000 / elapsed if elapsed > 0 else 0.0
    return [
        worker.camera,
        worker.stream,
        s.state.value,
        "yes" if s.writing else "no",
        f"{rate:.1f}",
        f"{kbits:.0f}",
        str(s.packets),
        s.last_error,
    ]


def _summary(node: Node) -> None:
    total = sum(w.stats.packets for w in node.workers)
    written = sum(w.stats.written for w in node.workers)
    delivering = sum(w.stats.keyframes > 0 for w in node.workers)
    console.print(
        f"{delivering}/{len(node.workers)} streams delivered video; {total} packets, "
        f"{written} written to storage."
    )
