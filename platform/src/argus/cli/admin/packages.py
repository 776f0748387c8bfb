"""``argus packages``: admit plugin packages, roll them out to nodes, pin and remove them,
and see what every node runs."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import typer
from rich.live import Live
from rich.table import Table

from argus.cli.admin.client import EXIT_USAGE, MasterClient, connect, fail
from argus.cli.admin.output import JSON_OPTION, console, print_json, table, when

app = typer.Typer(
    help="Plugin packages: add (admit), list, roll out, pin, remove, installed.",
    no_args_is_help=True,
)
NODES_OPTION = typer.Option(
    None, "--nodes", "-n", help="A node id (repeat the option); default: every node."
)
#: Rollout states after which nothing more happens on its own.
SETTLED = {"completed", "halted", "cancelled"}


@app.command()
def add(
    files: list[Path] = typer.Argument(..., help="Package files (.whl, .spi)."),
    signature: Path | None = typer.Option(
        None,
        "--signature",
        help="A vendor's detached Ed25519 signature of the (single) file; default: FILE.sig "
        "next to each file, when there is one.",
    ),
    dependency: bool = typer.Option(
        False,
        "--dependency",
        help="The files are dependency wheels plugins need (no Argus plugin of their own); "
        "the master serves them with the plugins to nodes that lack them.",
    ),
) -> None:
    """Admit packages: the master checks each before anything of it is unpacked (archive,
    RECORD hashes, metadata, Argus entry points, argus-sdk range, vendor signature)."""
    if signature is not None and len(files) != 1:
        fail("--signature goes with one file", EXIT_USAGE)
    api = connect()
    refused = 0
    for path in files:
        if not path.is_file():
            fail(f"{path}: no such file", EXIT_USAGE)
        sig = signature or path.with_name(path.name + ".sig")
        params: dict[str, Any] = {"filename": path.name, "dependency": dependency or None}
        if sig.is_file():
            params["signature"] = base64.b64encode(sig.read_bytes()).decode()
        reply = api.request(
            "POST", "/packages", params=params, content=path.read_bytes(), accept={409, 422}
        )
        if reply.is_success:
            package = reply.json()
            vendor = f", signed by {package['vendor']}" if package["vendor"] else ""
            kinds = ", ".join(package["kinds"]) or "dependency"
            console.print(
                f"admitted {package['name']} {package['version']} ({kinds}; "
                f"{', '.join(package['tags'])}{vendor})"
            )
        else:
            refused += 1
            detail = reply.json().get("detail", reply.text)
            console.print(f"[bold red]refused[/] {path.name}: {detail}")
    if refused:
        raise typer.Exit(1)


@app.command("list")
def list_packages(as_json: bool = JSON_OPTION) -> None:
    """Every admitted package."""
    rows = connect().get("/packages")
    if as_json:
        print_json(rows)
        return
    table(
        "Plugin packages",
        ("Name", "Version", "Kinds", "Tags", "argus-sdk", "Vendor", "Admitted"),
        (
            (
                p["name"],
                p["version"],
                ", ".join(p["kinds"]),
                ", ".join(p["tags"]),
                p["sdk"],
                p["vendor"],
                f"{when(p['admitted'])} by {p['admitted_by']}",
            )
            for p in rows
        ),
    )


@app.command()
def rollout(
    package: str = typer.Argument(..., help="Package and versions: acme-driver==2.4.0."),
    nodes: list[str] | None = NODES_OPTION,
    canary: list[str] | None = typer.Option(
        None, "--canary", help="A phase-1 node id (repeat); default: the first node by id."
    ),
    percentage: int = typer.Option(
        50, "--percentage", min=0, max=100, help="Share of the other nodes in phase 2."
    ),
    max_failures: int = typer.Option(
        0, "--max-failures", min=0, help="Failed nodes tolerated before the rollout halts."
    ),
    node_timeout: int = typer.Option(
        600, "--node-timeout", min=1, help="Seconds a node may take to report its result."
    ),
    watch: bool = typer.Option(
        True, "--watch/--no-watch", help="Show the progress until the rollout settles."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Roll a package out: canary nodes first, then a percentage of the others, then the
    rest; each node downloads, verifies, installs, activates and health-checks it, and
    rolls back by itself when the check fails. Exit 1 when the rollout halts."""
    api = connect()
    body: dict[str, Any] = {
        "package": package,
        "nodes": nodes or None,
        "canary": canary or None,
        "percentage": percentage,
        "max_failures": max_failures,
        "node_timeout": node_timeout,
    }
    started = api.send("POST", "/rollouts", body)
    final = _watch(api, started) if watch else started
    if as_json:
        print_json(final)
    _fail_if_stopped(final)


@app.command()
def rollouts(
    rollout_id: int | None = typer.Argument(None, help="One rollout, with its nodes."),
    as_json: bool = JSON_OPTION,
) -> None:
    """The latest rollouts, or one rollout node by node."""
    api = connect()
    if rollout_id is not None:
        one = api.get(f"/rollouts/{rollout_id}")
        if as_json:
            print_json(one)
        else:
            console.print(_progress(one))
        return
    rows = api.get("/rollouts")
    if as_json:
        print_json(rows)
        return
    table(
        "Rollouts",
        ("Id", "Package", "State", "Phase", "Nodes", "Started", "Reason"),
        (
            (
                r["id"],
                r["package"],
                r["state"],
                r["phase"],
                ", ".join(f"{n} {s}" for s, n in sorted(r["counts"].items())),
                f"{when(r['created'])} by {r['created_by']}",
                r["reason"],
            )
            for r in rows
        ),
    )


@app.command()
def halt(
    rollout_id: int = typer.Argument(...),
    reason: str = typer.Option("", "--reason", help="Why, for the audit trail."),
) -> None:
    """Stop a running rollout; nodes not yet asked keep what they run."""
    done = connect().send("POST", f"/rollouts/{rollout_id}/halt", {"reason": reason})
    console.print(f"rollout {done['id']} halted")


@app.command()
def resume(
    rollout_id: int = typer.Argument(...),
    max_failures: int | None = typer.Option(None, "--max-failures", min=0),
    watch: bool = typer.Option(True, "--watch/--no-watch"),
) -> None:
    """Continue a halted rollout (optionally tolerating more failures)."""
    api = connect()
    body = {"max_failures": max_failures}
    resumed = api.send("POST", f"/rollouts/{rollout_id}/resume", body)
    _fail_if_stopped(_watch(api, resumed) if watch else resumed)


@app.command()
def cancel(rollout_id: int = typer.Argument(...)) -> None:
    """Give a rollout up; nodes keep what they run now."""
    done = connect().send("POST", f"/rollouts/{rollout_id}/cancel")
    console.print(f"rollout {done['id']} cancelled")


@app.command()
def pin(
    package: str = typer.Argument(..., help="Package and version: acme-driver==2.3.0."),
    nodes: list[str] | None = NODES_OPTION,
) -> None:
    """Keep nodes at one version (installing it where they run another); rollouts pass
    them by until unpinned."""
    rows = connect().send("POST", "/packages/pin", {"package": package, "nodes": nodes or None})
    console.print(f"pinned {package} on {', '.join(r['node'] for r in rows) or 'no node'}")


@app.command()
def unpin(
    project: str = typer.Argument(..., help="Package name."),
    nodes: list[str] | None = NODES_OPTION,
) -> None:
    """Let rollouts reach the nodes again."""
    rows = connect().send("POST", "/packages/unpin", {"project": project, "nodes": nodes or None})
    console.print(f"unpinned {project} on {', '.join(r['node'] for r in rows) or 'no node'}")


@app.command()
def remove(
    project: str = typer.Argument(..., help="Package name."),
    nodes: list[str] | None = NODES_OPTION,
) -> None:
    """Take a package off nodes: they deactivate it and drop it from their plugin store."""
    body = {"project": project, "nodes": nodes or None}
    rows = connect().send("POST", "/packages/remove", body)
    console.print(f"removing {project} from {', '.join(r['node'] for r in rows) or 'no node'}")


@app.command()
def installed(as_json: bool = JSON_OPTION) -> None:
    """What every node runs: desired and reported versions, states and reasons."""
    rows = connect().get("/packages/installed")
    if as_json:
        print_json(rows)
        return
    table(
        "Installed packages",
        ("Node", "Package", "Wanted", "Running", "State", "Pinned", "Reported", "Detail"),
        (
            (
                r["node"],
                r["project"],
                r["desired_version"] or "(remove)",
                r["installed_version"] or "",
                r["state"],
                "yes" if r["pinned"] else "",
                when(r["reported"]),
                r["detail"],
            )
            for r in rows
        ),
    )


def _fail_if_stopped(rollout: dict[str, Any]) -> None:
    """Exit 1 with the reason when the rollout halted or was cancelled."""
    if rollout["state"] in ("halted", "cancelled"):
        console.print(
            f"[bold red]rollout {rollout['id']} {rollout['state']}:[/] {rollout['reason']}"
        )
        raise typer.Exit(1)


def _watch(api: MasterClient, rollout: dict[str, Any]) -> dict[str, Any]:
    """Redraw the rollout's progress until it completes, halts or is cancelled."""
    with Live(_progress(rollout), console=console, refresh_per_second=4) as live:
        while rollout["state"] not in SETTLED:
            time.sleep(1.0)
            rollout = api.get(f"/rollouts/{rollout['id']}")
            live.update(_progress(rollout))
    return rollout


def _progress(rollout: dict[str, Any]) -> Table:
    counts = ", ".join(f"{n} {s}" for s, n in sorted(rollout["counts"].items()))
    done = sum(n for s, n in rollout["counts"].items() if s not in ("waiting", "sent"))
    view = Table(
        title=f"rollout {rollout['id']}: {rollout['package']} — {rollout['state']}, phase "
        f"{rollout['phase']}/3 — {done}/{len(rollout['nodes'])} nodes settled ({counts})",
        caption=rollout["reason"] or None,
    )
    for column in ("Node", "Phase", "State", "Version", "Detail"):
        view.add_column(column)
    for member in rollout["nodes"]:
        view.add_row(
            member["node"],
            str(member["phase"]),
            member["state"],
            member["version"] or "",
            member["detail"],
        )
    return view
