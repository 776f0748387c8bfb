"""On the installed workspace, every first-party plugin loads through the kernel."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def first_party_entry_points() -> dict[str, set[str]]:
    """Plugin name → entry-point groups, read from every distribution's pyproject.toml."""
    found: dict[str, set[str]] = {}
    pyprojects = sorted(ROOT.glob("*/pyproject.toml")) + sorted(ROOT.glob("*/*/pyproject.toml"))
    for pyproject in pyprojects:
        project = tomllib.loads(pyproject.read_text()).get("project", {})
        for group, names in project.get("entry-points", {}).items():
            if group.startswith("argus."):
                for name in names:
                    found.setdefault(name, set()).add(group)
    return found


def test_plugins_list_json_shows_every_first_party_plugin_loaded() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "argus", "plugins", "list", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    listed = {p["name"]: p for p in json.loads(proc.stdout)}
    expected = first_party_entry_points()
    assert {"eventlog", "sim"} <= set(expected)
    for name in expected:
        assert listed[name]["status"] == "loaded", listed[name]
    assert listed["sim"]["kinds"] == ["camera-driver", "encoder-driver"]
    assert listed["sim"]["distribution"] == "argus-driver-sim"
