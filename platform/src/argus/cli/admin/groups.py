"""``argus groups``: camera groups, which profiles grant rights on."""

from __future__ import annotations

from urllib.parse import quote

import typer

from argus.cli.admin.client import connect
from argus.cli.admin.output import JSON_OPTION, YES_OPTION, confirm, console, print_json, table

app = typer.Typer(help="Camera groups: list, add, members, remove.", no_args_is_help=True)


@app.command("list")
def list_groups(as_json: bool = JSON_OPTION) -> None:
    """Every camera group with its cameras."""
    groups = connect().get("/camera-groups")
    if as_json:
        print_json(groups)
        return
    table(
        "Camera groups",
        ("Group", "Description", "Cameras"),
        ((g["name"], g["description"], ", ".join(g["cameras"])) for g in groups),
    )


@app.command()
def add(
    name: str = typer.Argument(..., help="Group name."),
    description: str = typer.Option("", "--description", "-d"),
    cameras: list[str] = typer.Option([], "--camera", "-c", help="A member camera id (repeat)."),
) -> None:
    """Add a camera group, with its cameras."""
    api = connect()
    group = api.send("POST", "/camera-groups", {"name": name, "description": description})
    if cameras:
        group = api.send(
            "PUT", f"/camera-groups/{quote(name, safe='')}/members", {"cameras": cameras}
        )
    console.print(f"added group {group['name']}: {', '.join(group['cameras']) or 'no cameras'}")


@app.command()
def members(
    name: str = typer.Argument(..., help="Group name."),
    cameras: list[str] = typer.Argument(None, help="Camera ids: the members from now on."),
) -> None:
    """Set a group's cameras (all of them; none empties the group)."""
    group = connect().send(
        "PUT", f"/camera-groups/{quote(name, safe='')}/members", {"cameras": cameras or []}
    )
    console.print(f"group {group['name']}: {', '.join(group['cameras']) or 'no cameras'}")


@app.command()
def remove(name: str = typer.Argument(..., help="Group name."), yes: bool = YES_OPTION) -> None:
    """Delete a camera group (refused while a profile grants rights on it)."""
    confirm(f"Delete camera group {name}?", yes)
    connect().send("DELETE", f"/camera-groups/{quote(name, safe='')}")
    console.print(f"deleted group {name}")
