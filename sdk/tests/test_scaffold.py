"""``argus-sdk new``: every kind makes a project that installs, passes its own tests in a
fresh virtualenv, builds, and is accepted by ``argus-sdk check``; ``argus-sdk test`` runs them.

The fresh virtualenv is made by the ``fresh_venv`` fixture (``conftest.py``).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from argus_sdk.packages import inspect_package
from argus_sdk.scaffold import KINDS, Names, ScaffoldError, create, sdk_range

EXPECTED_KINDS = {
    "camera-driver": ("camera-driver",),
    "encoder-driver": ("encoder-driver",),
    "metadata-driver": ("metadata-driver",),
    "storage": ("storage",),
    "analytics": ("analytics",),
    "spi": ("spi",),
}


def sdk(
    *args: str | Path, cwd: Path | None = None, python: str = sys.executable
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "argus_sdk.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(KINDS))
def test_a_new_project_passes_its_tests_and_the_check(
    kind: str, tmp_path: Path, fresh_venv: Callable[[Path], Path]
) -> None:
    made = sdk("new", kind, f"acme-{kind}", "--dir", tmp_path)
    assert made.returncode == 0, made.stderr
    project = tmp_path / f"acme-{kind}"
    python = fresh_venv(tmp_path / "venv")
    installed = subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-deps", "-e", project],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr

    tested = sdk("test", project, "-p", "no:cacheprovider", cwd=project, python=str(python))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert " passed" in tested.stdout and "failed" not in tested.stdout
    if KINDS[kind].conformance:
        assert "Argus conformance" in tested.stdout, tested.stdout
        assert "FAILED" not in tested.stdout and "SKIPPED" not in tested.stdout, tested.stdout

    built = sdk("build", project, "--json")
    assert built.returncode == 0, built.stdout + built.stderr
    (package,) = (project / "dist").iterdir()
    info = inspect_package(package)
    assert info.kinds == EXPECTED_KINDS[kind]
    assert info.name == f"acme-{kind}" and package.suffix == (".spi" if kind == "spi" else ".whl")
    checked = sdk("check", package)
    assert checked.returncode == 0 and "accepted" in checked.stdout, checked.stdout


def test_names_are_derived_and_checked(tmp_path: Path) -> None:
    assert Names.of("Acme.Cam_2") == Names("acme-cam-2", "acme_cam_2", "acme-cam-2", "Acme Cam 2")
    for bad in ("9cam", "acme cam", "acme--cam", "json", "argus", "class"):
        with pytest.raises(ScaffoldError):
            Names.of(bad)
    create("spi", "acme-panel", tmp_path)
    with pytest.raises(ScaffoldError, match="exists already"):
        create("spi", "acme-panel", tmp_path)


def test_the_project_requires_this_platform_api(tmp_path: Path) -> None:
    root = create("analytics", "acme-dark", tmp_path)
    text = (root / "pyproject.toml").read_text()
    assert f'"{sdk_range()}"' in text
    assert '[project.entry-points."argus.analytics"]\nacme-dark = "acme_dark.plugin"' in text
    assert not list(root.rglob("*.tmpl")) and not list(root.rglob("*{{*"))
    assert "{{" not in "".join(p.read_text() for p in root.rglob("*") if p.is_file())


def test_usage_errors_of_new_and_test(tmp_path: Path) -> None:
    bad = sdk("new", "camera-driver", "9x", "--dir", tmp_path)
    assert bad.returncode == 2 and "not a usable name" in bad.stderr
    missing = sdk("new", "spi", "acme", "--dir", tmp_path / "nowhere")
    assert missing.returncode == 2 and "no such folder" in missing.stderr
    unknown = sdk("new", "printer-driver", "acme", "--dir", tmp_path)
    assert unknown.returncode == 2
    not_a_project = sdk("test", tmp_path)
    assert not_a_project.returncode == 2 and "no pyproject.toml" in not_a_project.stderr


def test_test_fails_when_a_test_fails(tmp_path: Path) -> None:
    root = create("spi", "acme-panel", tmp_path)
    # The project is not installed, so its own tests could not import it: only the broken
    # test runs, and it alone makes the run fail.
    (root / "tests" / "test_plugin.py").unlink()
    (root / "tests" / "test_broken.py").write_text("def test_broken():\n    assert False\n")
    result = sdk("test", root, "-p", "no:cacheprovider", cwd=root)
    assert result.returncode == 1, result.stdout
