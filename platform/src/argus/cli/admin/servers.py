"""``argus servers``: the master's nodes (with their streams as last reported), their
enrolment tokens, storage and the node version policy."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import typer

from argus.cli.admin.client import connect, fail
from argus.cli.admin.output import JSON_OPTION, console, parse_settings, print_json, table, when

app = typer.Typer(help="Servers (nodes): list, add, enrol, version policy.", no_args_is_help=True)

TTL_OPTION = typer.Option(24.0, "--ttl-hours", help="How long the enrolment token is valid.")
TOKEN_FILE_OPTION = typer.Option(
    None,
    "--token-file",
    help="Write the token to this file (mode 0600) for the node's enrolment_token_file, "
    "instead of printing it.",
)


@app.command("list")
def list_servers(as_json: bool = JSON_OPTION) -> None:
    """Every node with its state, version and last heartbeat."""
    nodes = connect().get("/nodes")
    if as_json:
        print_json(nodes)
        return
    table(
        "Servers",
        ("Name", "State", "Version", "Last heartbeat", "Config (applied/desired)", "Address"),
        (
            (
                n["name"],
                _state(n),
                n["platform_version"],
                when(n["last_heartbeat"]),
                f"{n['applied_config_version'] or '-'}/{n['desired_config_version']}",
                n["listen_address"],
            )
            for n in nodes
        ),
    )


@app.command()
def show(name: str = typer.Argument(..., help="Node id."), as_json: bool = JSON_OPTION) -> None:
    """One node: its state, storage, devices and cameras, and its streams as its last
    heartbeat reported them (state, writing, last packet)."""
    api = connect()
    node = next((n for n in api.get("/nodes") if n["name"] == name), None)
    if node is None:
        fail(f"no node named {name!r}")
    storage = api.get(f"/nodes/{name}/storage")
    devices = api.get(f"/nodes/{name}/devices")
    if as_json:
        print_json({"node": node, "storage": storage, "devices": devices})
        return
    fields = {
        "state": _state(node),
        "description": node["description"],
        "version": node["platform_version"],
        "architecture": node["architecture"],
        "os": node["os"],
        "address": node["listen_address"],
        "last heartbeat": when(node["last_heartbeat"]),
        "clock offset": _offset(node["clock_offset_us"]),
        "configuration": f"version {node['desired_config_version']} desired, "
        f"{node['applied_config_version'] or 'none'} applied",
        "storage": f"{storage['backend']} {storage['settings']}" if storage["backend"] else "",
    }
    table(f"Server {name}", ("", ""), ((k, v) for k, v in fields.items() if v))
    table(
        f"Devices on {name}",
        ("Device", "Name", "Driver", "Cameras", "Enabled"),
        (
            (
                d["ident"],
                d["name"],
                d["driver"],
                ", ".join(c["ident"] for c in d["cameras"]),
                "yes" if d["enabled"] else "no",
            )
            for d in devices
        ),
    )
    streams = (node["health"] or {}).get("streams", [])
    table(
        f"Streams on {name} (its last heartbeat)",
        ("Camera", "Stream", "State", "Writing", "Last packet", "Last error"),
        (
            (
                s["camera"],
                s["stream"],
                s["state"],
                "yes" if s["writing"] else "no",
                _ago(s["last_packet"]),
                s["last_error"],
            )
            for s in streams
        ),
    )


@app.command()
def add(
    name: str = typer.Argument(..., help="Node id, as in the node's configuration."),
    description: str = typer.Option("", "--description", "-d"),
    ttl_hours: float = TTL_OPTION,
    token_file: Path | None = TOKEN_FILE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a node and issue its one-time enrolment token."""
    issued = connect().send(
        "POST", "/nodes", {"name": name, "description": description, "ttl_hours": ttl_hours}
    )
    _show_token(issued, token_file, as_json)


@app.command("enrolment-token")
def enrolment_token(
    name: str = typer.Argument(..., help="Node id."),
    ttl_hours: float = TTL_OPTION,
    token_file: Path | None = TOKEN_FILE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """A new enrolment token for a node, replacing any earlier one (an enrolled node must
    enrol again with it)."""
    issued = connect().send("POST", f"/nodes/{name}/enrolment-token", {"ttl_hours": ttl_hours})
    _show_token(issued, token_file, as_json)


@app.command()
def storage(
    name: str = typer.Argument(..., help="Node id."),
    backend: str | None = typer.Option(None, "--backend", help="Storage plugin (segments)."),
    settings: list[str] = typer.Option(
        [], "--set", help="A storage setting, key=value (JSON values: disks=[{...}])."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show a node's storage, or set it with --backend (applied at the node's next start)."""
    api = connect()
    if backend is None and settings:
        backend = api.get(f"/nodes/{name}/storage")["backend"]
    if backend is None:
        result = api.get(f"/nodes/{name}/storage")
    else:
        body = {"backend": backend, "settings": parse_settings(settings)}
        result = api.send("PUT", f"/nodes/{name}/storage", body)
    if as_json:
        print_json(result)
        return
    console.print(f"{name}: {result['backend'] or 'no storage'} {result['settings']}")


@app.command("version-policy")
def version_policy(
    spec: str | None = typer.Argument(
        None, help="Node versions to accept, a PEP 440 specifier set ('~=0.1', '>=0.1,<1')."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show the node version policy, or set it (nodes outside it are refused)."""
    api = connect()
    if spec is None:
        policy = api.get("/system/version-policy")
    else:
        policy = api.send("PUT", "/system/version-policy", {"spec": spec})
    if as_json:
        print_json(policy)
        return
    console.print(
        f"nodes accepted: [bold]{policy['spec'] or 'any version'}[/] "
        f"(this master is version {policy['master_version']})"
    )
    if policy["nodes_outside"]:
        console.print(
            "[yellow]refused from their next heartbeat:[/] " + ", ".join(policy["nodes_outside"])
        )


def _show_token(issued: dict[str, Any], token_file: Path | None, as_json: bool) -> None:
    if token_file is not None:
        token_file.unlink(missing_ok=True)
        fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(issued["token"] + "\n")
    if as_json:
        print_json(issued)
    elif token_file is not None:
        console.print(
            f"enrolment token for {issued['node_id']} written to {token_file} "
            f"(valid until {when(issued['expires'])})"
        )
    else:
        console.print(
            f"enrolment token for {issued['node_id']} (valid until {when(issued['expires'])}, "
            "shown only this once):"
        )
        typer.echo(issued["token"])


def _state(node: dict[str, Any]) -> str:
    state = str(node["state"])
    if node.get("enrolment_pending") and state != "pending":
        state += " (enrolment pending)"
    return state


def _ago(epoch: float | None) -> str:
    """A node's wall time as seconds before now (by this computer's clock)."""
    return "" if epoch is None else f"{max(0.0, time.time() - epoch):.1f} s ago"


def _offset(us: int | None) -> str:
    return "" if us is None else f"{us / 1000:+.1f} ms"
