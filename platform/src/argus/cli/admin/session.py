"""``argus login`` and ``argus logout``: open and end a session at a master."""

from __future__ import annotations

import json
import os

import typer

from argus.cli.admin import client
from argus.cli.admin.client import MasterClient, StoredSession
from argus.cli.admin.output import console


def login(
    master: str | None = typer.Option(
        None,
        "--master",
        "-m",
        envvar=client.MASTER_ENV,
        show_envvar=True,
        help="The master's URL [default: the last one logged in to, "
        f"else {client.DEFAULT_MASTER}].",
    ),
    user: str = typer.Option("admin", "--user", "-u", help="User name."),
) -> None:
    """Log in at a master; the session is kept for the other commands (mode 0600).

    The password is asked for, or taken from ARGUS_PASSWORD (scripts).
    """
    url = master or _last_master() or client.DEFAULT_MASTER
    if not url.startswith(("http://", "https://")):
        client.fail(f"{url!r} is not a master URL: give http://host:5008", client.EXIT_USAGE)
    password = os.environ.get(client.PASSWORD_ENV) or typer.prompt(
        f"Password for {user} at {url}", hide_input=True
    )
    http = MasterClient(url)
    reply = http.request(
        "POST", "/login", body={"username": user, "password": password}, login=True
    ).json()
    profile = reply["profile"]
    path = client.save_session(
        StoredSession(
            master=http.master,
            secret=reply["session"],
            username=profile["username"],
            user_id=profile["user_id"],
            expires=reply["expires"],
        )
    )
    console.print(
        f"logged in to {http.master} as [bold]{profile['username']}[/] "
        f"(profile {profile['profile']}); session kept in {path}"
    )
    if not profile["admin"]:
        client.errors.print(
            "[yellow]warning:[/] this user may not administer: "
            "the master refuses most argus commands to it"
        )


def logout() -> None:
    """End the session at the master and forget it here."""
    if not client.session_path().exists():
        console.print("not logged in")
        return
    stored = client.load_session()
    try:
        # An ended session is as good as logged out: 401 is not an error here.
        MasterClient(stored.master, stored.secret).request("POST", "/logout", accept={401})
    finally:
        client.forget_session()
    console.print(f"logged out of {stored.master}")


def _last_master() -> str | None:
    try:
        master = json.loads(client.session_path().read_text())["master"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return str(master)
