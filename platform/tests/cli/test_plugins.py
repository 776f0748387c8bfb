"""``argus plugins list`` run as a real subprocess against real distributions."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from argus.testing import DistFactory


def run_list(*args: str, extra_path: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="250")
    if extra_path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [extra_path, env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "argus", "plugins", "list", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_json_lists_builtins_as_loaded() -> None:
    proc = run_list("--json")
    assert proc.returncode == 0, proc.stderr
    plugins = {p["name"]: p for p in json.loads(proc.stdout)}
    assert plugins["eventlog"]["status"] == "loaded"
    assert plugins["eventlog"]["distribution"] == "argus"
    assert set(plugins["eventlog"]) >= {
        "name",
        "version",
        "kinds",
        "distribution",
        "status",
        "reason",
    }


def test_quarantined_plugin_is_listed_with_reason_and_exit_status(dists: DistFactory) -> None:
    module = DistFactory.unique("crash")
    dists.make(
        "argus-driver-crash",
        entry_points={"argus.camera_drivers": {"crash": module}},
        modules={module: "import no_such_vendor_sdk\n"},
    )
    proc = run_list("--json", extra_path=str(dists.root))
    assert proc.returncode == 1
    plugins = {p["name"]: p for p in json.loads(proc.stdout)}
    assert plugins["crash"]["status"] == "quarantined"
    assert plugins["crash"]["reason"] == (
        "import failed: ModuleNotFoundError: No module named 'no_such_vendor_sdk'"
    )
    assert plugins["eventlog"]["status"] == "loaded"


def test_table_output_names_the_reason(dists: DistFactory) -> None:
    module = DistFactory.unique("old")
    dists.make(
        "argus-driver-old",
        entry_points={"argus.camera_drivers": {"old": module}},
        modules={module: ""},
        requires=("argus-sdk<1",),
    )
    proc = run_list(extra_path=str(dists.root))
    assert proc.returncode == 1
    assert "quarantined" in proc.stdout
    assert "requires argus-sdk<1" in proc.stdout
