"""Package distribution end to end: a real master and three real node processes on
loopback, one of them reporting 32-bit wheel tags.

- ``argus packages add`` admits two platform variants of a camera driver;
  ``argus packages rollout`` (the Rich progress view) brings it to every node, canary
  first. Each node gets the file for its platform, never the other one, verifies it
  against the master's signed TUF metadata, installs, activates it live and checks it:
  its camera records with the new code.
- A version with only a 64-bit file reaches the 64-bit nodes; the 32-bit node is
  reported ``unsupported`` and keeps what it runs.
- Hostile packages (tampered bytes, bad RECORD, zip-slip, absolute paths, links, a
  decompression bomb, an impossible argus-sdk range) are refused at admission.
- A version whose plugin raises at import fails on the canary, which rolls back by
  itself; the rollout halts and no other node is asked. One whose camera stays silent
  fails its health check and is rolled back. Replayed (older) repository metadata is
  refused by the node.
- A node killed with SIGKILL while a package is installing comes back with a store
  holding the old or the new version, never half of one, and finishes the rollout.
- Throughout, the simulated camera of every node keeps recording.
"""

from __future__ import annotations

import json
import random
import signal
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import Result
from typer.testing import CliRunner

from argus.cli import app
from argus.testing import Cluster, free_port
from argus.testing.demo import joining_node_config
from argus.testing.plugins import camera_driver_wheel, hostile_packages
from argus_sdk.testing import make_wheel

PASSWORD = "admin-password-for-tests"
PROJECT = "argus-driver-rollcam"
SIM = {"main_profile": "360p", "sub_profile": None, "loop_seconds": 2}
TAGS_32 = '["cp311-cp311-linux_i686", "py3-none-linux_i686", "py3-none-any"]'
NODES = ("n-a", "n-b", "n-32")


def argus(config: Path, *args: str, **env: str) -> Result:
    environ = {"ARGUS_CONFIG_DIR": str(config), "COLUMNS": "200", **env}
    return CliRunner().invoke(app, list(args), env=environ)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.exit_code, result.output, result.exception)
    return result


def big_driver_wheel(folder: Path, version: str) -> Path:
    """The rollcam driver with 48 MiB of incompressible data files: slow enough to unpack
    and sync that a kill lands mid-install (the test holds whenever it lands)."""
    ok_wheel = camera_driver_wheel(folder / "base", version)
    with zipfile.ZipFile(ok_wheel) as z:
        files = {
            n: z.read(n)
            for n in z.namelist()
            if n.startswith("argus_driver_rollcam/") and not n.endswith("__init__.py")
        }
        entry_points = z.read(f"argus_driver_rollcam-{version}.dist-info/entry_points.txt")
    noise = random.Random(7)
    for i in range(192):
        files[f"argus_driver_rollcam/data/blob{i:03}.bin"] = noise.randbytes(256 << 10)
    return make_wheel(
        folder / f"argus_driver_rollcam-{version}-py3-none-any.whl",
        name=PROJECT,
        version=version,
        files=files,
        entry_points=entry_points.decode(),
    )


@pytest.mark.slow
def test_rollouts_reach_real_nodes_by_platform_and_survive_bad_packages_and_kills(
    tmp_path: Path,
) -> None:
    cluster = Cluster(tmp_path, ignore=(httpx.TransportError, OSError, KeyError, StopIteration))
    try:
        master = cluster.master(PASSWORD)
        url, mport, api, admin = master.url, master.port, master.api, master.admin
        cli = tmp_path / "cli"
        ok(argus(cli, "login", "--master", url, ARGUS_PASSWORD=PASSWORD))

        # The hostile corpus: each refused at admission with its reason, nothing kept.
        for case, (path, reason) in hostile_packages(tmp_path / "hostile").items():
            refused = argus(cli, "packages", "add", str(path))
            assert refused.exit_code == 1, (case, refused.output)
            assert reason in refused.output.replace("\n", ""), (case, refused.output)
        assert not (tmp_path / "master" / "packages" / "evil-driver").exists()
        assert json.loads(ok(argus(cli, "packages", "list", "--json")).stdout) == []

        nodes: dict[str, Any] = {}
        for name in NODES:
            port = free_port()
            token = api.post("/nodes", json={"name": name}, headers=admin).json()["token"]
            (tmp_path / f"{name}-token").write_text(token)
            extra = "plugin_health_seconds = 5\n"
            if name == "n-32":
                extra += f"wheel_tags = {TAGS_32}\n"
            joining_node_config(tmp_path, name, port, mport, extra)
            for device in (
                {"ident": f"{name}-sim", "driver": "sim", "settings": {"name": name, **SIM}},
                {"ident": f"{name}-door", "driver": "rollcam", "settings": {"name": "Door"}},
            ):
                added = api.post(f"/nodes/{name}/devices", headers=admin, json=device)
                assert added.status_code == 201, added.text
            args = ["node", "run", "-c", str(tmp_path / f"{name}.toml")]
            nodes[name] = {"args": args, "proc": cluster.run(name, args), "port": port}

        def status(name: str) -> dict[str, Any]:
            token = (tmp_path / name / "node-token").read_text().strip()
            reply = httpx.get(
                f"http://127.0.0.1:{nodes[name]['port']}/api/v1/status",
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            reply.raise_for_status()
            body: dict[str, Any] = reply.json()
            return body

        def streams(name: str) -> dict[str, dict[str, Any]]:
            return {s["camera"]: s for s in status(name)["streams"]}

        def recording(name: str, camera: str) -> bool:
            stream = streams(name).get(camera)
            return stream is not None and stream["state"] == "recording"

        for name in NODES:
            cluster.wait(lambda n=name: recording(n, f"{n}-sim"), f"{name} recording")

        def nodes_reported() -> bool:
            listed = {n["name"]: n for n in api.get("/nodes", headers=admin).json()}
            return all(listed[n]["last_heartbeat"] for n in NODES)

        cluster.wait(nodes_reported, "heartbeats")

        # Two platform variants of 1.0 (as a package with native libraries has).
        wheels = tmp_path / "wheels"
        variants = [
            camera_driver_wheel(wheels / "64", "1.0", tag="py3-none-linux_x86_64"),
            camera_driver_wheel(wheels / "32", "1.0", tag="py3-none-linux_i686"),
        ]
        ok(argus(cli, "packages", "add", *map(str, variants)))
        shown = ok(argus(cli, "packages", "rollout", f"{PROJECT}==1.0", "--canary", "n-a"))
        assert "completed" in shown.stdout and "n-32" in shown.stdout, shown.stdout
        rollouts = json.loads(ok(argus(cli, "packages", "rollouts", "--json")).stdout)
        targets = {m["node"]: m["target"] for m in rollouts[0]["nodes"]}
        assert targets["n-32"].endswith("py3-none-linux_i686.whl"), targets
        assert targets["n-a"].endswith("py3-none-linux_x86_64.whl"), targets
        assert targets["n-b"].endswith("py3-none-linux_x86_64.whl"), targets
        for name in NODES:
            cluster.wait(lambda n=name: recording(n, f"{n}-door"), f"{name}'s door on 1.0")

        # 2.0 has a 64-bit file only: the 32-bit node is reported, not broken.
        only64 = camera_driver_wheel(wheels / "2", "2.0", tag="py3-none-linux_x86_64")
        ok(argus(cli, "packages", "add", str(only64)))
        ok(argus(cli, "packages", "rollout", f"{PROJECT}==2.0", "--percentage", "100"))
        rollout = json.loads(ok(argus(cli, "packages", "rollouts", "--json")).stdout)[0]
        by_node = {m["node"]: m for m in rollout["nodes"]}
        assert rollout["state"] == "completed"
        assert by_node["n-32"]["state"] == "unsupported"
        assert "no file of 2.0 fits the node's platform" in by_node["n-32"]["detail"]
        installed = {
            (r["node"], r["installed_version"])
            for r in json.loads(ok(argus(cli, "packages", "installed", "--json")).stdout)
        }
        assert installed == {("n-a", "2.0"), ("n-b", "2.0"), ("n-32", "1.0")}

        # A plugin that raises at import: the canary rolls back, the rollout halts.
        old_timestamp = (
            tmp_path / "master" / "repository" / "metadata" / "timestamp.json"
        ).read_bytes()
        broken = camera_driver_wheel(wheels / "3", "3.0", mode="broken")
        ok(argus(cli, "packages", "add", str(broken)))
        halted = argus(cli, "packages", "rollout", f"{PROJECT}==3.0", "--canary", "n-a")
        assert halted.exit_code == 1, halted.output
        assert "halted" in halted.output
        rollout = json.loads(ok(argus(cli, "packages", "rollouts", "--json")).stdout)[0]
        by_node = {m["node"]: m for m in rollout["nodes"]}
        assert by_node["n-a"]["state"] == "rolled-back"
        assert "import failed: RuntimeError: vendor SDK missing" in by_node["n-a"]["detail"]
        assert by_node["n-b"]["state"] == "waiting"
        cluster.wait(lambda: recording("n-a", "n-a-door"), "n-a's door back on 2.0")

        # Replayed metadata: a repository serving an older timestamp than a node trusts.
        silent = camera_driver_wheel(wheels / "3.5", "3.5", mode="silent")
        ok(argus(cli, "packages", "add", str(silent)))
        timestamp = tmp_path / "master" / "repository" / "metadata" / "timestamp.json"
        current = timestamp.read_bytes()
        timestamp.write_bytes(old_timestamp)
        replayed = argus(cli, "packages", "rollout", f"{PROJECT}==3.5", "--nodes", "n-a")
        assert replayed.exit_code == 1, replayed.output
        rollout = json.loads(ok(argus(cli, "packages", "rollouts", "--json")).stdout)[0]
        [member] = rollout["nodes"]
        assert member["state"] == "failed" and "rollback" in member["detail"], member
        timestamp.write_bytes(current)

        # A plugin that loads but whose camera stays silent fails the health check.
        quiet = argus(cli, "packages", "rollout", f"{PROJECT}==3.5", "--nodes", "n-b")
        assert quiet.exit_code == 1, quiet.output
        rollout = json.loads(ok(argus(cli, "packages", "rollouts", "--json")).stdout)[0]
        [member] = rollout["nodes"]
        assert member["state"] == "rolled-back", member
        assert "no packets from n-b-door/main within 5 s" in member["detail"]
        assert "rolled back to 2.0" in member["detail"]
        cluster.wait(lambda: recording("n-b", "n-b-door"), "n-b's door back on 2.0")

        # Killed mid-install: the store is whole afterwards and the rollout completes.
        big = big_driver_wheel(wheels / "4", "4.0")
        ok(argus(cli, "packages", "add", str(big)))
        started = api.post(
            "/rollouts",
            json={"package": f"{PROJECT}==4.0", "nodes": ["n-b"], "node_timeout": 120},
            headers=admin,
        ).json()
        store = tmp_path / "n-b" / "plugin-store"

        def installing_or_done() -> bool:
            folder = store / PROJECT
            try:
                names = [p.name for p in folder.iterdir()]
            except OSError:
                return False
            return any(".partial-" in n for n in names) or "4.0" in names

        deadline = time.monotonic() + 60
        while not installing_or_done():  # polled tightly: the unpacking takes a moment
            assert time.monotonic() < deadline, "n-b never started installing 4.0"
            time.sleep(0.002)
        cluster.stop(nodes["n-b"]["proc"], signal.SIGKILL)
        active = json.loads((store / "active.json").read_text())["active"]
        assert active[PROJECT] in ("2.0", "4.0")  # one or the other, never between
        nodes["n-b"]["proc"] = cluster.run("n-b", nodes["n-b"]["args"], append=True)

        def rollout_state() -> str:
            body = api.get(f"/rollouts/{started['id']}", headers=admin).json()
            return str(body["state"])

        final = cluster.wait(
            lambda: (state := rollout_state()) != "running" and state, "rollout 4.0", 150
        )
        assert final == "completed", api.get(f"/rollouts/{started['id']}", headers=admin).json()
        assert not [p for p in (store / PROJECT).iterdir() if p.name.startswith(".")]
        assert json.loads((store / "active.json").read_text())["active"][PROJECT] == "4.0"
        cluster.wait(lambda: recording("n-b", "n-b-door"), "n-b's door on 4.0")

        # Every node's simulated camera recorded throughout (n-b since its restart).
        for name in NODES:
            assert recording(name, f"{name}-sim"), name
            last = streams(name)[f"{name}-sim"]["last_packet"]
            assert last is not None and time.time() - last < 5
        audit = api.get("/audit", params={"action": "package.*"}, headers=admin).json()
        assert {"package.admit", "package.rollout"} <= {e["action"] for e in audit["entries"]}
    finally:
        problems = cluster.stop_all()
        assert not problems, problems
