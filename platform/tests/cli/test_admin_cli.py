"""The administrator's ``argus`` commands against a real master (``argus master run`` as a
process on loopback, SQLite), run in-process with the session in a temporary folder.

The master authenticates, authorizes and audits every command: the tests check what
the master recorded as well as what the command printed and its exit status.
"""

from __future__ import annotations

import functools
import json
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import Result
from typer.testing import CliRunner

from argus.cli import app
from argus.cli.admin import servers
from argus.testing import ArgusProcess, free_port, wait_for

ADMIN_PASSWORD = "admin password for cli tests"
GUARD_PASSWORD = "guard password 1"
wait = functools.partial(wait_for, ignore=(httpx.TransportError,), interval=0.2)


def start_master(folder: Path, name: str) -> tuple[ArgusProcess, str]:
    """``argus master run`` on a free loopback port with a new SQLite database; its URL."""
    port = free_port()
    config = folder / f"{name}.toml"
    config.write_text(
        f'[master]\nid = "{name}"\ndata_dir = "{folder / name}"\nlisten = "127.0.0.1:{port}"\n'
    )
    process = ArgusProcess(
        ["master", "run", "-c", str(config)],
        folder / f"{name}.log",
        env={"ARGUS_ADMIN_PASSWORD": ADMIN_PASSWORD},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait(lambda: httpx.get(f"{url}/openapi.json").is_success, f"master {name}", [process])
    except BaseException:
        process.stop()
        raise
    return process, url


def argus(config: Path, *args: str, input: str | None = None, **env: str) -> Result:
    """``argus <args>`` in-process with its session in ``config``; ``env`` adds variables
    (ARGUS_MASTER, ARGUS_PASSWORD, ARGUS_NEW_PASSWORD), which are unset otherwise."""
    environ: dict[str, str | None] = {
        "ARGUS_CONFIG_DIR": str(config),
        "ARGUS_MASTER": None,
        "ARGUS_PASSWORD": None,
        "ARGUS_NEW_PASSWORD": None,
        "COLUMNS": "200",
        **env,
    }
    return CliRunner().invoke(app, list(args), env=environ, input=input)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.exit_code, result.output, result.exception)
    return result


def as_json(result: Result) -> Any:
    return json.loads(ok(result).stdout)


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One master for the module; its URL."""
    process, url = start_master(tmp_path_factory.mktemp("masters"), "cli-master")
    yield url
    process.stop()


@pytest.fixture(scope="module")
def admin(master: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A configuration folder logged in as ``admin``."""
    config = tmp_path_factory.mktemp("admin-config")
    ok(argus(config, "login", "--master", master, ARGUS_PASSWORD=ADMIN_PASSWORD))
    return config


def test_login_keeps_the_session_in_a_private_file(master: str, tmp_path: Path) -> None:
    result = ok(argus(tmp_path, "login", "--master", master, input=ADMIN_PASSWORD + "\n"))
    assert "logged in" in result.stdout and "admin" in result.stdout
    session = tmp_path / "session.json"
    assert stat.S_IMODE(session.stat().st_mode) == 0o600
    stored = json.loads(session.read_text())
    assert stored["master"] == master and stored["username"] == "admin"
    assert ADMIN_PASSWORD not in session.read_text()
    # The master of the last login is the default of the next one.
    ok(argus(tmp_path, "login", ARGUS_PASSWORD=ADMIN_PASSWORD))

    ok(argus(tmp_path, "logout"))
    assert not session.exists()
    refused = argus(tmp_path, "servers", "list")
    assert refused.exit_code == 3 and "argus login" in refused.stderr
    # Without a session or --master, ARGUS_MASTER names the master.
    ok(argus(tmp_path, "login", ARGUS_MASTER=master, ARGUS_PASSWORD=ADMIN_PASSWORD))
    assert json.loads(session.read_text())["master"] == master


def test_a_wrong_password_is_refused_and_nothing_is_kept(master: str, tmp_path: Path) -> None:
    result = argus(tmp_path, "login", "--master", master, ARGUS_PASSWORD="not the password")
    assert result.exit_code == 1
    assert "Login failed" in result.stderr
    assert not (tmp_path / "session.json").exists()


def test_without_a_session_or_a_master_the_exit_status_says_which(tmp_path: Path) -> None:
    not_logged_in = argus(tmp_path, "users", "list")
    assert not_logged_in.exit_code == 3 and "not logged in" in not_logged_in.stderr
    nobody = f"http://127.0.0.1:{free_port()}"
    unreachable = argus(tmp_path, "login", "--master", nobody, ARGUS_PASSWORD="x")
    assert unreachable.exit_code == 2 and "cannot reach the master" in unreachable.stderr
    not_a_url = argus(tmp_path, "login", "--master", "master.example:5008")
    assert not_a_url.exit_code == 2 and "not a master URL" in not_a_url.stderr


def test_an_ended_session_asks_to_log_in_again(master: str, tmp_path: Path) -> None:
    ok(argus(tmp_path, "login", "--master", master, ARGUS_PASSWORD=ADMIN_PASSWORD))
    session = tmp_path / "session.json"
    stored = json.loads(session.read_text())
    session.write_text(json.dumps(dict(stored, secret="forged-secret")))
    result = argus(tmp_path, "servers", "list")
    assert result.exit_code == 3
    assert "session has ended" in result.stderr and "run argus login" in result.stderr


def test_servers_add_enrol_show_and_version_policy(admin: Path, tmp_path: Path) -> None:
    token_file = tmp_path / "enrolment-token"
    added = ok(
        argus(
            admin, "servers", "add", "node-a", "-d", "Gate house", "--token-file", str(token_file)
        )
    )
    assert "written to" in added.stdout
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert len(token_file.read_text().strip()) > 30
    nodes = as_json(argus(admin, "servers", "list", "--json"))
    assert [(n["name"], n["state"]) for n in nodes] == [("node-a", "pending")]
    assert "node-a" in ok(argus(admin, "servers", "list")).stdout

    again = as_json(argus(admin, "servers", "enrolment-token", "node-a", "--json"))
    assert again["node_id"] == "node-a" and again["token"] != token_file.read_text().strip()
    shown = as_json(argus(admin, "servers", "show", "node-a", "--json"))
    assert shown["node"]["description"] == "Gate house" and shown["devices"] == []
    missing = argus(admin, "servers", "show", "node-z")
    assert missing.exit_code == 1 and "no node named 'node-z'" in missing.stderr
    taken = argus(admin, "servers", "add", "NODE-A")
    assert taken.exit_code == 1 and "exists already" in taken.stderr

    disks = 'disks=[{"path": "/srv/video", "min_free_mb": 500}]'
    storage = ("servers", "storage", "node-a", "--backend", "segments", "--set", disks)
    stored = as_json(argus(admin, *storage, "--json"))
    assert stored["settings"] == {"disks": [{"path": "/srv/video", "min_free_mb": 500}]}
    assert "segments" in ok(argus(admin, "servers", "storage", "node-a")).stdout

    policy = as_json(argus(admin, "servers", "version-policy", "--json"))
    assert policy["spec"] and policy["nodes_outside"] == []
    changed = ok(argus(admin, "servers", "version-policy", "~=0.1"))
    assert "~=0.1" in changed.stdout
    bad = argus(admin, "servers", "version-policy", "0.1+")
    assert bad.exit_code == 1 and "not a valid version policy" in bad.stderr
    assert as_json(argus(admin, "servers", "version-policy", "--json"))["spec"] == "~=0.1"
    ok(argus(admin, "servers", "version-policy", policy["spec"]))

    trail = as_json(argus(admin, "audit", "--user", "admin", "--action", "system.*", "--json"))
    assert [e["after"]["spec"] for e in trail][:2] == [policy["spec"], "~=0.1"]


def test_cameras_add_edit_and_remove(admin: Path) -> None:
    ok(argus(admin, "servers", "add", "node-c"))
    added = ok(
        argus(
            admin,
            "cameras",
            "add",
            "yard",
            "--server",
            "node-c",
            "--driver",
            "rtsp",
            "--set",
            "main_url=rtsp://10.0.0.5/1",
            "--set",
            "port=554",
            "--username",
            "viewer",
            "--set",
            "password=s3cret",
            "--channels",
            "2",
        )
    )
    assert "yard-ch1, yard-ch2" in added.stdout
    devices = as_json(argus(admin, "cameras", "list", "--server", "node-c", "--json"))
    assert len(devices) == 1
    yard = devices[0]
    assert yard["settings"] == {"main_url": "rtsp://10.0.0.5/1", "port": 554}
    assert yard["has_credentials"] is True and "s3cret" not in json.dumps(devices)
    listed = ok(argus(admin, "cameras", "list")).stdout
    assert "yard-ch1" in listed and "node-c" in listed

    ok(
        argus(
            admin,
            "cameras",
            "edit",
            "yard",
            "--set",
            "port=8554",
            "--unset",
            "main_url",
            "--name",
            "Yard",
            "--disable",
            "--record",
            "main,sub",
        )
    )
    edited = as_json(argus(admin, "cameras", "show", "yard", "--json"))
    assert edited["settings"] == {"port": 8554} and edited["name"] == "Yard"
    assert edited["enabled"] is False and edited["has_credentials"] is True
    assert edited["record_streams"] == ["main", "sub"]
    nothing = argus(admin, "cameras", "edit", "yard")
    assert nothing.exit_code == 2 and "nothing to change" in nothing.stderr

    ok(argus(admin, "cameras", "remove", "yard", "--yes"))
    gone = argus(admin, "cameras", "show", "yard")
    assert gone.exit_code == 1 and "does not exist" in gone.stderr
    actions = [
        e["action"] for e in as_json(argus(admin, "audit", "--action", "device.*", "--json"))
    ]
    assert actions[:3] == ["device.delete", "device.update", "device.create"]


def test_profiles_users_and_groups(admin: Path, master: str, tmp_path: Path) -> None:
    ok(argus(admin, "profiles", "add", "Guards", "-d", "night shift", "--grant", "live"))
    granted = ok(argus(admin, "profiles", "grant", "guards", "playback", "export"))
    assert "export, live, playback" in granted.stdout
    ok(argus(admin, "profiles", "revoke", "Guards", "export"))
    bad = argus(admin, "profiles", "grant", "Guards", "fly")
    assert bad.exit_code == 2 and "not a right" in bad.stderr
    profiles = {p["name"]: p for p in as_json(argus(admin, "profiles", "list", "--json"))}
    assert [g["right"] for g in profiles["Guards"]["grants"]] == ["live", "playback"]

    ok(
        argus(
            admin,
            "users",
            "add",
            "Guard.One",
            "--profile",
            "Guards",
            ARGUS_NEW_PASSWORD=GUARD_PASSWORD,
        )
    )
    ok(argus(admin, "users", "edit", "guard.one", "--display-name", "Guard One"))
    users = {u["username"]: u for u in as_json(argus(admin, "users", "list", "--json"))}
    assert users["guard.one"]["display_name"] == "Guard One"
    assert users["guard.one"]["profile"] == "Guards"
    in_use = argus(admin, "profiles", "remove", "Guards", "--yes")
    assert in_use.exit_code == 1

    # The guard logs in, changes their own password, and may not administer.
    guard = tmp_path / "guard"
    ok(argus(guard, "login", "-m", master, "-u", "guard.one", ARGUS_PASSWORD=GUARD_PASSWORD))
    ok(
        argus(
            guard,
            "users",
            "passwd",
            ARGUS_PASSWORD=GUARD_PASSWORD,
            ARGUS_NEW_PASSWORD="guard password 2",
        )
    )
    ok(argus(guard, "login", "-u", "guard.one", ARGUS_PASSWORD="guard password 2"))
    ok(argus(admin, "users", "passwd", "guard.one", ARGUS_NEW_PASSWORD="guard password 3"))
    ended = argus(guard, "cameras", "list")
    assert ended.exit_code == 3  # an administrator's password change ends their sessions

    ok(argus(admin, "groups", "add", "Yard", "-d", "outdoor"))
    ok(argus(admin, "groups", "members", "Yard"))
    groups = as_json(argus(admin, "groups", "list", "--json"))
    assert [(g["name"], g["cameras"]) for g in groups] == [("Yard", [])]
    ok(argus(admin, "groups", "remove", "Yard", "--yes"))

    ok(argus(admin, "users", "remove", "guard.one", "--yes"))
    ok(argus(admin, "profiles", "remove", "Guards", "--yes"))
    assert "Guards" not in ok(argus(admin, "profiles", "list")).stdout
    actions = {e["action"] for e in as_json(argus(admin, "audit", "-n", "50", "--json"))}
    assert {"profile.grants", "user.create", "user.password", "user.delete"} <= actions


def test_a_user_without_administer_is_refused(admin: Path, master: str, tmp_path: Path) -> None:
    ok(argus(admin, "profiles", "add", "Viewers", "--grant", "live"))
    ok(argus(admin, "users", "add", "viewer", "-p", "Viewers", ARGUS_NEW_PASSWORD=GUARD_PASSWORD))
    viewer = tmp_path / "viewer"
    login = ok(argus(viewer, "login", "-m", master, "-u", "viewer", ARGUS_PASSWORD=GUARD_PASSWORD))
    assert "may not administer" in login.stderr
    for command in (
        ["users", "list"],
        ["servers", "add", "node-v"],
        ["servers", "version-policy", ">=0"],
        ["backup", str(tmp_path / "stolen")],
        ["audit"],
    ):
        refused = argus(viewer, *command)
        assert refused.exit_code == 1, command
        assert "administer" in refused.stderr, command
    assert not (tmp_path / "stolen").exists()
    denied = as_json(argus(admin, "audit", "--user", "viewer", "--result", "denied", "--json"))
    assert {e["action"] for e in denied} == {
        "user.list",
        "node.create",
        "system.version_policy",
        "backup.system",
        "audit.query",
    }


def test_audit_as_csv_and_watchdog(admin: Path, tmp_path: Path) -> None:
    out = tmp_path / "audit.csv"
    ok(argus(admin, "audit", "--since", "1h", "--csv", str(out)))
    lines = out.read_text().splitlines()
    assert lines[0].startswith("id,at,actor_kind") and len(lines) > 1
    assert any(",login," in line for line in lines)
    naive = argus(admin, "audit", "--since", "yesterday")
    assert naive.exit_code == 2 and "ISO 8601" in naive.stderr
    table = ok(argus(admin, "audit", "--action", "login")).stdout
    assert "Audit trail" in table and "login" in table
    assert as_json(argus(admin, "watchdog", "--open", "--json")) == []
    assert "Watchdog events" in ok(argus(admin, "watchdog", "--node", "node-a")).stdout


def test_backup_restores_one_server_through_the_api(admin: Path, tmp_path: Path) -> None:
    ok(argus(admin, "servers", "add", "node-b"))
    ok(argus(admin, "cameras", "add", "door", "--server", "node-b", "--driver", "sim"))
    out = tmp_path / "node-b.argus-backup"
    ok(argus(admin, "backup", str(out), "--server", "node-b"))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    ok(argus(admin, "cameras", "remove", "door", "--yes"))
    before = as_json(argus(admin, "servers", "show", "node-b", "--json"))["node"]
    restored = ok(argus(admin, "restore", str(out), "--server", "node-b", "--yes"))
    assert "1 device" in restored.stdout
    after = as_json(argus(admin, "servers", "show", "node-b", "--json"))
    assert [d["ident"] for d in after["devices"]] == ["door"]
    assert after["node"]["desired_config_version"] > before["desired_config_version"]
    # A system backup does not go onto a master that holds configuration.
    system = tmp_path / "system.argus-backup"
    ok(argus(admin, "backup", str(system)))
    refused = argus(admin, "restore", str(system))
    assert refused.exit_code == 1 and "fresh master" in refused.stderr
    junk = tmp_path / "junk"
    junk.write_text("{}")
    damaged = argus(admin, "restore", str(junk))
    assert damaged.exit_code == 2 and "not an Argus backup" in damaged.stderr


def test_a_system_backup_restores_onto_a_fresh_master(
    admin: Path, master: str, tmp_path: Path
) -> None:
    ok(argus(admin, "profiles", "add", "Operators", "--grant", "live", "--grant", "ptz"))
    ok(argus(admin, "users", "add", "op", "-p", "Operators", ARGUS_NEW_PASSWORD=GUARD_PASSWORD))
    ok(argus(admin, "servers", "add", "node-r"))
    ok(
        argus(
            admin,
            "cameras",
            "add",
            "dock",
            "--server",
            "node-r",
            "--driver",
            "sim",
            "--set",
            "password=dock-secret",
        )
    )
    listings = ("users", "profiles", "servers", "cameras")

    def snapshot(config: Path) -> dict[str, Any]:
        found = {noun: as_json(argus(config, noun, "list", "--json")) for noun in listings}
        for user in found["users"]:
            del user["last_login"], user["updated"]  # logging in changes these
        return found

    expected = snapshot(admin)
    out = tmp_path / "system.argus-backup"
    ok(argus(admin, "backup", str(out)))

    process, fresh = start_master(tmp_path, "fresh-master")
    try:
        config = tmp_path / "fresh"
        ok(argus(config, "login", "--master", fresh, ARGUS_PASSWORD=ADMIN_PASSWORD))
        restored = ok(argus(config, "restore", str(out)))
        assert "log in" in " ".join(restored.stdout.split())  # Rich wraps long lines
        assert not (config / "session.json").exists()
        ok(argus(config, "login", "--master", fresh, "-u", "op", ARGUS_PASSWORD=GUARD_PASSWORD))
        ok(argus(config, "login", "--master", fresh, ARGUS_PASSWORD=ADMIN_PASSWORD))
        assert snapshot(config) == expected
        devices = as_json(argus(config, "cameras", "list", "--server", "node-r", "--json"))
        assert devices[0]["has_credentials"] is True
        again = argus(config, "restore", str(out))
        assert again.exit_code == 1 and "already holds configuration" in again.stderr
        trail = as_json(argus(config, "audit", "--action", "restore.*", "--json"))
        assert [e["action"] for e in trail] == ["restore.system"]
    finally:
        process.stop()


def test_packages_are_admitted_or_refused_from_the_command_line(
    admin: Path, tmp_path: Path
) -> None:
    from argus_sdk.testing import make_wheel

    good = make_wheel(
        tmp_path / "acme_cli-3.1.0-py3-none-any.whl", name="acme-cli", version="3.1.0"
    )
    bad = make_wheel(
        tmp_path / "acme_bad-1.0.0-py3-none-any.whl",
        name="acme-bad",
        version="1.0.0",
        requires=("argus-sdk>=9",),
    )
    result = argus(admin, "packages", "add", str(good), str(bad))
    assert result.exit_code == 1, result.output
    flat = " ".join(result.stdout.split())
    assert "admitted acme-cli 3.1.0 (camera-driver; py3-none-any)" in flat
    assert "refused acme_bad-1.0.0-py3-none-any.whl" in flat
    assert "admits no released platform API" in flat
    listed = as_json(argus(admin, "packages", "list", "--json"))
    assert [p["filename"] for p in listed] == [good.name]
    missing = argus(admin, "packages", "add", str(tmp_path / "nope.whl"))
    assert missing.exit_code == 2


def test_servers_show_lists_the_streams_of_the_last_heartbeat(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stream = {
        "camera": "front-door",
        "stream": "main",
        "state": "recording",
        "writing": True,
        "recording_expected": True,
        "last_packet": time.time() - 0.5,
        "last_error": "",
    }
    node = {
        "name": "demo",
        "description": "",
        "state": "enrolled",
        "platform_version": "0.1.0",
        "architecture": None,
        "os": None,
        "listen_address": None,
        "last_heartbeat": None,
        "clock_offset_us": None,
        "desired_config_version": 2,
        "applied_config_version": 2,
        "health": {"streams": [stream], "disks": []},
    }
    answers = {
        "/nodes": [node],
        "/nodes/demo/storage": {"backend": None, "settings": {}},
        "/nodes/demo/devices": [],
    }

    class Master:
        def get(self, path: str) -> Any:
            return answers[path]

    monkeypatch.setattr(servers, "connect", Master)
    shown = ok(argus(tmp_path, "servers", "show", "demo")).stdout
    row = next(line for line in shown.splitlines() if "front-door" in line)
    assert "main" in row and "recording" in row and "yes" in row and " s ago" in row
    node["health"] = None  # before its first heartbeat: an empty table
    assert "front-door" not in ok(argus(tmp_path, "servers", "show", "demo")).stdout
