"""Shared fixtures of the SDK's tests."""

from __future__ import annotations

import subprocess
import sysconfig
import venv
from collections.abc import Callable
from pathlib import Path

import pytest


def _fresh_venv(folder: Path) -> Path:
    """A virtualenv that sees the dev venv's packages beneath its own; its python.

    It has no pip and no packages of its own: a ``.pth`` file adds the dev venv's
    site-packages (with their own ``.pth`` files, so the editable SDK too), and the dev
    venv's pip, run by its python, installs a project into it without build isolation
    or downloads.
    """
    venv.EnvBuilder(with_pip=False).create(folder)
    python = folder / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    dev = sysconfig.get_paths()["purelib"]
    (Path(site) / "argus-dev.pth").write_text(f"import site; site.addsitedir({dev!r})\n")
    return python


@pytest.fixture(scope="session")
def fresh_venv() -> Callable[[Path], Path]:
    return _fresh_venv
