"""``argus audit`` and ``argus watchdog``: what the master recorded."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from argus.cli.admin.client import connect
from argus.cli.admin.output import JSON_OPTION, console, parse_instant, print_json, table, when


def audit(
    since: str | None = typer.Option(
        None, "--since", help="From this time: ISO 8601, or back from now (30m, 2h, 7d)."
    ),
    until: str | None = typer.Option(None, "--until", help="Before this time (same forms)."),
    user: str | None = typer.Option(None, "--user", "-u", help="Only this actor (user name)."),
    action: str | None = typer.Option(
        None, "--action", "-a", help="Only this action, or a prefix ending in '*' (user.*)."
    ),
    result: str | None = typer.Option(None, "--result", help="ok, denied or failed."),
    limit: int | None = typer.Option(
        None, "--limit", "-n", min=1, max=10_000, help="At most this many [100; CSV 10000]."
    ),
    csv: Path | None = typer.Option(
        None, "--csv", help="Write the entries as CSV to this file ('-': standard output)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """The audit trail, newest first: who did what, when, to what."""
    params: dict[str, Any] = {
        "since": parse_instant(since, "--since"),
        "until": parse_instant(until, "--until"),
        "actor": user.lower() if user else None,
        "action": action,
        "result": result,
        "limit": limit or (10_000 if csv is not None else 100),
    }
    api = connect()
    if csv is not None:
        text = api.request("GET", "/audit.csv", params=params).text
        if str(csv) == "-":
            sys.stdout.write(text)
        else:
            csv.write_text(text, newline="")
            console.print(f"wrote {max(text.count(chr(10)) - 1, 0)} entries to {csv}")
        return
    entries = api.get("/audit", **params)["entries"]
    if as_json:
        print_json(entries)
        return
    table(
        "Audit trail",
        ("Time", "User", "Action", "Target", "Result", "Detail"),
        (
            (
                when(e["at"]),
                e["actor_name"],
                e["action"],
                e["target_name"] or e["target_id"],
                e["result"],
                e["detail"],
            )
            for e in entries
        ),
    )


def watchdog(
    open_only: bool = typer.Option(False, "--open", help="Only conditions still going on."),
    node: str | None = typer.Option(None, "--node", help="Only this node's events."),
    kind: str | None = typer.Option(
        None, "--kind", help="node-offline, camera-offline, disk-failed, recording-stopped …"
    ),
    since: str | None = typer.Option(None, "--since", help="ISO 8601, or back from now (2h)."),
    limit: int = typer.Option(100, "--limit", "-n", min=1, max=10_000),
    as_json: bool = JSON_OPTION,
) -> None:
    """Watchdog events (the system's own health), newest first."""
    events = connect().get(
        "/watchdog/events",
        open_only=open_only,
        node=node,
        kind=kind,
        since=parse_instant(since, "--since"),
        limit=limit,
    )
    if as_json:
        print_json(events)
        return
    table(
        "Watchdog events",
        ("Started", "Ended", "Node", "Kind", "Source", "Details"),
        (
            (
                when(e["started"]),
                when(e["ended"]) or "going on",
                e["node"] or "master",
                e["kind"],
                e["source"],
                ", ".join(f"{k}={v}" for k, v in e["details"].items()),
            )
            for e in events
        ),
    )
