"""``argus cameras``: devices on the nodes and the cameras they provide.

A device is added with its driver's settings (``--set key=value``, repeated). Secrets
never go into settings: ``--username``, ``--ask-password``, or ``--set`` with a
credential key (``password``, ``username``, ``…_token`` …) put them into the device's
credentials, which the master stores encrypted and hands only to the node.
"""

from __future__ import annotations

import os
from typing import Any

import typer

from argus.cli.admin.client import EXIT_USAGE, NEW_PASSWORD_ENV, MasterClient, connect, fail
from argus.cli.admin.output import (
    JSON_OPTION,
    YES_OPTION,
    confirm,
    console,
    parse_settings,
    print_json,
    table,
)

app = typer.Typer(help="Devices and their cameras: list, add, edit, remove.", no_args_is_help=True)

#: Setting keys that are credentials (the master refuses secrets in settings).
CREDENTIAL_KEYS = frozenset(
    {"username", "user", "password", "passphrase", "secret", "credentials", "token", "api_key"}
)
_CREDENTIAL_SUFFIXES = ("_password", "_secret", "_token")

SET_OPTION = typer.Option(
    [],
    "--set",
    "-s",
    help="A driver setting, key=value (repeat; JSON values are parsed: port=554, "
    "sub_profile=null). Credential keys (password, username …) go to the credentials.",
)
USERNAME_OPTION = typer.Option(None, "--username", help="The device's login (a credential).")
ASK_PASSWORD_OPTION = typer.Option(
    False,
    "--ask-password",
    help=f"Ask for the device's password (or take it from {NEW_PASSWORD_ENV}).",
)
STREAMS_OPTION = typer.Option(
    None, "--record", help="Streams to record, comma-separated (main,sub); '' records none."
)


@app.command("list")
def list_cameras(
    server: str | None = typer.Option(None, "--server", help="Only this node's devices."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Devices and their cameras, on one node or all."""
    api = connect()
    devices = _devices(api, server)
    if as_json:
        print_json(devices)
        return
    table(
        "Cameras",
        ("Camera", "Name", "Server", "Device", "Driver", "Channel", "Enabled", "Recording"),
        (
            (
                c["ident"],
                c["name"],
                d["node"],
                d["ident"],
                d["driver"],
                c["channel"],
                "yes" if c["enabled"] and d["enabled"] else "no",
                ",".join(d["record_streams"]) or "off",
            )
            for d in devices
            for c in d["cameras"]
        ),
    )


@app.command()
def show(device: str = typer.Argument(..., help="Device id."), as_json: bool = JSON_OPTION) -> None:
    """One device: driver, settings (credentials are never shown) and cameras."""
    found = connect().get(f"/devices/{device}")
    if as_json:
        print_json(found)
        return
    _print_device(found)


@app.command()
def add(
    device: str = typer.Argument(..., help="Device id (never changes)."),
    server: str = typer.Option(..., "--server", help="The node that runs the device."),
    driver: str = typer.Option(..., "--driver", help="Camera driver (rtsp, sim …)."),
    name: str = typer.Option("", "--name", help="Shown to users [default: the id]."),
    settings: list[str] = SET_OPTION,
    username: str | None = USERNAME_OPTION,
    ask_password: bool = ASK_PASSWORD_OPTION,
    channels: int = typer.Option(
        1, "--channels", min=1, help="Cameras on the device (an encoder's inputs)."
    ),
    record: str | None = STREAMS_OPTION,
    disabled: bool = typer.Option(False, "--disabled", help="Add it switched off."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a device and its cameras to a node (the node picks it up at its next heartbeat)."""
    values, credentials = _split(parse_settings(settings), username, ask_password)
    body: dict[str, Any] = {
        "ident": device,
        "name": name,
        "driver": driver,
        "settings": values,
        "credentials": credentials or None,
        "enabled": not disabled,
        "cameras": [{"channel": channel} for channel in range(channels)],
    }
    if record is not None:
        body["record_streams"] = _streams(record)
    created = connect().send("POST", f"/nodes/{server}/devices", body)
    if as_json:
        print_json(created)
        return
    cameras = ", ".join(c["ident"] for c in created["cameras"])
    console.print(f"added {created['ident']} on {created['node']}: cameras {cameras}")


@app.command()
def edit(
    device: str = typer.Argument(..., help="Device id."),
    name: str | None = typer.Option(None, "--name"),
    driver: str | None = typer.Option(None, "--driver"),
    settings: list[str] = SET_OPTION,
    unset: list[str] = typer.Option([], "--unset", help="Remove this setting (repeat)."),
    username: str | None = USERNAME_OPTION,
    ask_password: bool = ASK_PASSWORD_OPTION,
    clear_credentials: bool = typer.Option(
        False, "--clear-credentials", help="Remove the stored credentials."
    ),
    record: str | None = STREAMS_OPTION,
    enable: bool | None = typer.Option(None, "--enable/--disable", help="Switch on or off."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Change a device; what is not given stays. Credentials given replace the stored ones
    as a whole (give the username with the password)."""
    api = connect()
    values, credentials = _split(parse_settings(settings), username, ask_password)
    if credentials and clear_credentials:
        fail("give credentials or --clear-credentials, not both", EXIT_USAGE)
    body: dict[str, Any] = {"name": name, "driver": driver, "enabled": enable}
    if values or unset:
        merged = dict(api.get(f"/devices/{device}")["settings"])
        merged.update(values)
        for key in unset:
            if key not in merged:
                fail(f"{device} has no setting {key!r}", EXIT_USAGE)
            del merged[key]
        body["settings"] = merged
    if credentials or clear_credentials:
        body["credentials"] = credentials
    if record is not None:
        body["record_streams"] = _streams(record)
    changes = {k: v for k, v in body.items() if v is not None}
    if not changes:
        fail("nothing to change: give --name, --set, --enable … (see --help)", EXIT_USAGE)
    changed = api.send("PATCH", f"/devices/{device}", changes)
    if as_json:
        print_json(changed)
        return
    console.print(f"changed {device}")
    _print_device(changed)


@app.command()
def remove(device: str = typer.Argument(..., help="Device id."), yes: bool = YES_OPTION) -> None:
    """Remove a device and its cameras (their recordings stay on the node)."""
    confirm(f"Remove device {device} and its cameras?", yes)
    connect().send("DELETE", f"/devices/{device}")
    console.print(f"removed {device}")


def is_credential(key: str) -> bool:
    lowered = key.lower()
    return lowered in CREDENTIAL_KEYS or lowered.endswith(_CREDENTIAL_SUFFIXES)


def _split(
    given: dict[str, Any], username: str | None, ask_password: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Settings and credentials from the command line (prompting for a password)."""
    values = {k: v for k, v in given.items() if not is_credential(k)}
    credentials = {k: v for k, v in given.items() if is_credential(k)}
    if username is not None:
        credentials["username"] = username
    if ask_password:
        credentials["password"] = os.environ.get(NEW_PASSWORD_ENV) or typer.prompt(
            "Device password", hide_input=True, confirmation_prompt=True
        )
    return values, credentials


def _streams(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


def _devices(api: MasterClient, server: str | None) -> list[dict[str, Any]]:
    names = [server] if server else [n["name"] for n in api.get("/nodes")]
    return [d for name in names for d in api.get(f"/nodes/{name}/devices")]


def _print_device(device: dict[str, Any]) -> None:
    fields = {
        "server": device["node"],
        "name": device["name"],
        "driver": device["driver"],
        "enabled": "yes" if device["enabled"] else "no",
        "settings": device["settings"],
        "credentials": "stored" if device["has_credentials"] else "none",
        "recording": ",".join(device["record_streams"]) or "off",
        "cameras": ", ".join(c["ident"] for c in device["cameras"]),
    }
    table(f"Device {device['ident']}", ("", ""), fields.items())
