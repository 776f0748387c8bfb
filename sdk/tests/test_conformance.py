"""The conformance kit's own pieces: pointing it at a driver, and seeing what close() left.

The checks themselves are proven on real drivers: the simulator's tests run them on
broken variants of it (``drivers/sim/tests/test_conformance_catches.py``), and every
kind of ``argus-sdk new`` passes them (``test_scaffold.py``).
"""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from argus_sdk import CameraDriverType
from argus_sdk.conformance import (
    DeviceUnderTest,
    KitConfigurationError,
    Snapshot,
    leaks_after,
    resolve_driver,
)
from argus_sdk.scaffold import create

SUITE = """\
from argus_sdk.conformance import CameraDriverConformance


class TestKit(CameraDriverConformance):
    pass
"""


def test_an_unknown_driver_name_says_what_is_installed() -> None:
    with pytest.raises(
        KitConfigurationError, match=r"no installed plugin declares .* 'acme-nothing'"
    ):
        resolve_driver("acme-nothing")
    with pytest.raises(KitConfigurationError, match="cannot load driver"):
        resolve_driver("acme_missing_module:kind")
    with pytest.raises(KitConfigurationError, match="not a CameraDriverType"):
        resolve_driver("argus_sdk:API_VERSION")


def test_a_driver_type_object_is_used_as_is() -> None:
    from pydantic import BaseModel

    class Needs(BaseModel):
        host: str

    kind = CameraDriverType("x", "X", Needs, lambda s, c: None)  # type: ignore[arg-type,return-value]
    assert resolve_driver(kind) is kind
    with pytest.raises(KitConfigurationError, match="not valid Needs"):
        DeviceUnderTest(kind, {}).validated_settings()
    assert DeviceUnderTest(kind, {"host": "cam"}).validated_settings() == Needs(host="cam")


def test_a_thread_and_a_socket_left_open_are_named() -> None:
    before = Snapshot.take()
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="acme-left-behind")
    thread.start()
    sock = socket.socket()
    try:
        leaks = leaks_after(before, 0.1)
        assert any("thread 'acme-left-behind'" in leak for leak in leaks), leaks
        if Path("/proc/self/fd").is_dir():
            assert any(f"file descriptor {sock.fileno()} → socket:" in leak for leak in leaks)
    finally:
        stop.set()
        thread.join(5)
        sock.close()
    assert leaks_after(before, 2.0) == []


@pytest.fixture(scope="module")
def installed(
    tmp_path_factory: pytest.TempPathFactory, fresh_venv: Callable[[Path], Path]
) -> tuple[Path, Path]:
    """A scaffolded camera driver installed in a fresh venv, with a suite and no fixture."""
    tmp = tmp_path_factory.mktemp("kit")
    project = create("camera-driver", "acme-kit", tmp)
    (project / "tests" / "test_conformance.py").unlink()
    (project / "tests" / "test_kit.py").write_text(SUITE)
    python = fresh_venv(tmp / "venv")
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-deps", "-e", project],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return python, project


def pytest_in(python: Path, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_options_point_the_kit_at_a_driver(installed: tuple[Path, Path]) -> None:
    python, project = installed
    result = pytest_in(
        python, project, "--argus-driver", "acme-kit", "--argus-settings", '{"width": 160}'
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "9 of 10 conformance checks passed" in result.stdout, result.stdout
    assert "give DeviceUnderTest(drop=…)" in result.stdout  # the disconnect check says why


@pytest.mark.slow
def test_without_a_device_the_kit_says_how_to_give_one(installed: tuple[Path, Path]) -> None:
    python, project = installed
    result = pytest_in(python, project, "-k", "describe")
    assert result.returncode == 1
    assert "define a fixture argus_device" in result.stdout, result.stdout
