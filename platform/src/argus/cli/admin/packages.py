"""``argus packages``: admit plugin packages to the master and list them."""

from __future__ import annotations

import base64
from pathlib import Path

import typer

from argus.cli.admin.client import EXIT_USAGE, connect, fail
from argus.cli.admin.output import JSON_OPTION, console, print_json, table, when

app = typer.Typer(help="Plugin packages: add (admit), list.", no_args_is_help=True)


@app.command()
def add(
    files: list[Path] = typer.Argument(..., help="Package files (.whl, .spi)."),
    signature: Path | None = typer.Option(
        None,
        "--signature",
        help="A vendor's detached Ed25519 signature of the (single) file; default: FILE.sig "
        "next to each file, when there is one.",
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
        params = {"filename": path.name}
        if sig.is_file():
            params["signature"] = base64.b64encode(sig.read_bytes()).decode()
        reply = api.request(
            "POST", "/packages", params=params, content=path.read_bytes(), accept={409, 422}
        )
        if reply.is_success:
            package = reply.json()
            vendor = f", signed by {package['vendor']}" if package["vendor"] else ""
            console.print(
                f"admitted {package['name']} {package['version']} ({', '.join(package['kinds'])}; "
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
