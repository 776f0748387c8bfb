"""``argus profiles``: named sets of rights that users are given.

A grant is written ``RIGHT[:SCOPE[:TARGET]]``: ``live`` (on all cameras),
``playback:group:Yard`` (on the members of camera group Yard), ``ptz:camera:gate`` (on
camera gate), ``administer`` (the whole system).
"""

from __future__ import annotations

from typing import Any

import typer

from argus.cli.admin.client import EXIT_USAGE, MasterClient, connect, fail
from argus.cli.admin.output import JSON_OPTION, YES_OPTION, confirm, console, print_json, table
from argus.protocol import Right

app = typer.Typer(help="Profiles: list, add, grant, revoke, remove.", no_args_is_help=True)

SCOPES = ("all", "group", "camera")
GRANTS_ARGUMENT = typer.Argument(
    ..., help="RIGHT[:SCOPE[:TARGET]], e.g. live, playback:group:Yard, ptz:camera:gate."
)


@app.command("list")
def list_profiles(as_json: bool = JSON_OPTION) -> None:
    """Every profile with its grants."""
    profiles = connect().get("/profiles")
    if as_json:
        print_json(profiles)
        return
    table(
        "Profiles",
        ("Profile", "Description", "Grants"),
        (
            (p["name"], p["description"], ", ".join(grant_text(g) for g in p["grants"]))
            for p in profiles
        ),
    )


@app.command()
def add(
    name: str = typer.Argument(..., help="Profile name."),
    description: str = typer.Option("", "--description", "-d"),
    grants: list[str] = typer.Option(
        [], "--grant", "-g", help="RIGHT[:SCOPE[:TARGET]] (repeat), e.g. live, ptz:camera:gate."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a profile, with its grants."""
    body = {"name": name, "description": description, "grants": [parse_grant(g) for g in grants]}
    created = connect().send("POST", "/profiles", body)
    if as_json:
        print_json(created)
        return
    console.print(f"added profile {created['name']}: {_summary(created)}")


@app.command()
def grant(
    name: str = typer.Argument(..., help="Profile name."),
    grants: list[str] = GRANTS_ARGUMENT,
    as_json: bool = JSON_OPTION,
) -> None:
    """Add grants to a profile (its users get them at their next login)."""
    _change_grants(name, grants, add=True, as_json=as_json)


@app.command()
def revoke(
    name: str = typer.Argument(..., help="Profile name."),
    grants: list[str] = GRANTS_ARGUMENT,
    as_json: bool = JSON_OPTION,
) -> None:
    """Take grants away from a profile."""
    _change_grants(name, grants, add=False, as_json=as_json)


@app.command()
def remove(name: str = typer.Argument(..., help="Profile name."), yes: bool = YES_OPTION) -> None:
    """Delete a profile (refused while users have it)."""
    api = connect()
    profile = profile_named(api, name)
    confirm(f"Delete profile {profile['name']}?", yes)
    api.send("DELETE", f"/profiles/{profile['id']}")
    console.print(f"deleted profile {profile['name']}")


def profile_named(api: MasterClient, name: str) -> dict[str, Any]:
    """The profile with this name (ignoring case); ends the command when none."""
    for profile in api.get("/profiles"):
        if profile["name"].lower() == name.lower():
            found: dict[str, Any] = profile
            return found
    fail(f"no profile named {name!r}")


def parse_grant(text: str) -> dict[str, str]:
    """``RIGHT[:SCOPE[:TARGET]]`` as the API's grant."""
    right, _, rest = text.strip().partition(":")
    scope, _, target = rest.partition(":")
    scope = scope or "all"
    rights = ", ".join(r.value for r in Right)
    if right not in {r.value for r in Right}:
        fail(f"grant {text!r}: {right!r} is not a right ({rights})", EXIT_USAGE)
    if scope not in SCOPES or (scope == "all") == bool(target):
        fail(f"grant {text!r}: write RIGHT, RIGHT:group:GROUP or RIGHT:camera:CAMERA", EXIT_USAGE)
    return {"scope": scope, "right": right, "target": target}


def grant_text(grant: dict[str, str]) -> str:
    if grant["scope"] == "all":
        return grant["right"]
    return f"{grant['right']}:{grant['scope']}:{grant['target']}"


def _change_grants(name: str, given: list[str], *, add: bool, as_json: bool) -> None:
    api = connect()
    profile = profile_named(api, name)
    current = [
        {"scope": g["scope"], "right": g["right"], "target": g["target"]} for g in profile["grants"]
    ]
    wanted = [parse_grant(g) for g in given]
    if add:
        grants = current + [g for g in wanted if g not in current]
    else:
        missing = [grant_text(g) for g in wanted if g not in current]
        if missing:
            fail(f"profile {profile['name']} has no grant {', '.join(missing)}")
        grants = [g for g in current if g not in wanted]
    changed = api.send("PUT", f"/profiles/{profile['id']}/grants", {"grants": grants})
    if as_json:
        print_json(changed)
        return
    console.print(f"profile {changed['name']}: {_summary(changed)}")


def _summary(profile: dict[str, Any]) -> str:
    return ", ".join(grant_text(g) for g in profile["grants"]) or "no grants"
