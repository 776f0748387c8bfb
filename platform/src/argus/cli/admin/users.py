"""``argus users``: accounts, their profiles and passwords."""

from __future__ import annotations

import os
from typing import Any

import typer

from argus.cli.admin import client
from argus.cli.admin.client import MasterClient, connect, fail
from argus.cli.admin.output import (
    JSON_OPTION,
    YES_OPTION,
    confirm,
    console,
    print_json,
    table,
    when,
)
from argus.cli.admin.profiles import profile_named

app = typer.Typer(help="Users: list, add, edit, passwd, remove.", no_args_is_help=True)


@app.command("list")
def list_users(as_json: bool = JSON_OPTION) -> None:
    """Every user with their profile and last login."""
    users = connect().get("/users")
    if as_json:
        print_json(users)
        return
    table(
        "Users",
        ("User", "Display name", "Profile", "Enabled", "Last login", "Locked until"),
        (
            (
                u["username"],
                u["display_name"],
                u["profile"],
                "yes" if u["enabled"] else "no",
                when(u["last_login"]),
                when(u["locked_until"]),
            )
            for u in users
        ),
    )


@app.command()
def add(
    username: str = typer.Argument(..., help="User name (kept in lower case)."),
    profile: str = typer.Option(..., "--profile", "-p", help="The profile giving their rights."),
    display_name: str = typer.Option("", "--display-name", "-n"),
    no_password: bool = typer.Option(
        False, "--no-password", help="An account that cannot log in with a password."
    ),
    disabled: bool = typer.Option(False, "--disabled", help="Add it disabled."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a user; the password is asked for (or taken from ARGUS_NEW_PASSWORD)."""
    api = connect()
    body = {
        "username": username,
        "password": None if no_password else _new_password(username),
        "profile_id": profile_named(api, profile)["id"],
        "display_name": display_name,
        "enabled": not disabled,
    }
    created = api.send("POST", "/users", body)
    if as_json:
        print_json(created)
        return
    console.print(f"added user {created['username']} (profile {created['profile']})")


@app.command()
def edit(
    username: str = typer.Argument(..., help="User name."),
    display_name: str | None = typer.Option(None, "--display-name", "-n"),
    profile: str | None = typer.Option(None, "--profile", "-p", help="Give another profile."),
    enable: bool | None = typer.Option(None, "--enable/--disable", help="Allow or stop logins."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Change a user's display name, profile, or whether they may log in."""
    api = connect()
    user = user_named(api, username)
    body: dict[str, Any] = {"display_name": display_name, "enabled": enable}
    if profile is not None:
        body["profile_id"] = profile_named(api, profile)["id"]
    changes = {k: v for k, v in body.items() if v is not None}
    if not changes:
        fail("nothing to change: give --display-name, --profile or --enable/--disable", 2)
    changed = api.send("PATCH", f"/users/{user['id']}", changes)
    if as_json:
        print_json(changed)
        return
    state = "enabled" if changed["enabled"] else "disabled"
    console.print(f"changed {changed['username']}: profile {changed['profile']}, {state}")


@app.command()
def passwd(
    username: str | None = typer.Argument(None, help="Whose password [default: yours]."),
) -> None:
    """Set a password: your own (the current one is asked for, or ARGUS_PASSWORD), or as an
    administrator anyone's. The user's other sessions end."""
    api = connect()
    me = client.load_session()
    name = (username or me.username).lower()
    body: dict[str, Any] = {}
    if name == me.username:
        user_id = me.user_id
        body["old_password"] = os.environ.get(client.PASSWORD_ENV) or typer.prompt(
            "Current password", hide_input=True
        )
    else:
        user_id = user_named(api, name)["id"]
    body["new_password"] = _new_password(name)
    api.send("PUT", f"/users/{user_id}/password", body)
    console.print(f"password of {name} changed; their other sessions ended")


@app.command()
def remove(username: str = typer.Argument(..., help="User name."), yes: bool = YES_OPTION) -> None:
    """Delete a user (their entries in the audit trail stay)."""
    api = connect()
    user = user_named(api, username)
    confirm(f"Delete user {user['username']}?", yes)
    api.send("DELETE", f"/users/{user['id']}")
    console.print(f"deleted user {user['username']}")


def user_named(api: MasterClient, username: str) -> dict[str, Any]:
    """The user with this name (user names ignore case); ends the command when none."""
    wanted = username.lower()
    for user in api.get("/users"):
        if user["username"] == wanted:
            found: dict[str, Any] = user
            return found
    fail(f"no user named {username!r}")


def _new_password(username: str) -> str:
    given = os.environ.get(client.NEW_PASSWORD_ENV)
    if given:
        return given
    return str(
        typer.prompt(f"New password for {username}", hide_input=True, confirmation_prompt=True)
    )
