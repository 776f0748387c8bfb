"""The conformance kit's own pieces: pointing it at a driver, and seeing what close() left.

The checks themselves are proven on real drivers: the simulator's tests run them on
broken variants of it (``drivers/sim/tests/test_conformance_catches.py``), and every
kind of ``argus-sdk new`` passes them (``test_scaffold.py``).
"""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import sys
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


BROKEN_METADATA = """
import pytest
from pydantic import BaseModel, Field

from argus_sdk import InvalidRequest, MetadataDriverType, MetadataRecord
from argus_sdk.conformance import DeviceUnderTest, MetadataDriverConformance
from argus_sdk.testing import ManualClock


class Settings(BaseModel):
    lines: int = Field(default=3, title="Lines", description="How many.")


class Source:
    def __init__(self, times):
        self.times = list(times)

    def read(self, timeout):
        return MetadataRecord("pos", self.times.pop(0), "SALE") if self.times else None

    def close(self):
        pass


class Driver:
    def __init__(self, times, error):
        self.times, self.error = times, error

    def sources(self):
        return ("pos",)

    def open_source(self, source):
        if source != "pos":
            raise self.error(source)
        return Source(self.times)

    def close(self):
        pass


def kind(times, error):
    return MetadataDriverType("pos", "POS", Settings, lambda s, c: Driver(times, error))


class TestBackwards(MetadataDriverConformance):
    @pytest.fixture
    def argus_device(self):
        times = [1.7e9 + 2, 1.7e9 + 1]
        return DeviceUnderTest(kind(times, InvalidRequest), clock=ManualClock())


class TestWrongError(MetadataDriverConformance):
    @pytest.fixture
    def argus_device(self):
        return DeviceUnderTest(kind([1.7e9], KeyError), keyframe_timeout=1.0)
"""


def test_a_broken_metadata_driver_fails_with_the_reasons(tmp_path: Path) -> None:
    (tmp_path / "test_broken_metadata.py").write_text(BROKEN_METADATA)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", tmp_path],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    out = result.stdout
    assert result.returncode == 1, out
    assert "open_source('argus-conformance-no-such-source') raised KeyError" in out, out
    assert "it must raise InvalidRequest for a source sources() does not name" in out, out
    assert "source 'pos': wall_time went back from 1700000002.0 to 1700000001.0" in out, out
    assert "PASSED   test_broken_metadata.py::TestBackwards::test_sources_are_well_formed" in out


def test_every_check_and_name_of_the_kit_is_documented() -> None:
    import argus_sdk.conformance as kit

    doc = (Path(__file__).resolve().parents[2] / "docs" / "sdk" / "conformance.md").read_text()
    for name in kit.__all__:
        assert f"`{name}" in doc, f"docs/sdk/conformance.md does not mention {name}"
    for suite in (kit.CameraDriverConformance, kit.MetadataDriverConformance):
        for check in (n for n in dir(suite) if n.startswith("test_")):
            assert f"`{check}`" in doc, f"docs/sdk/conformance.md does not explain {check}"
    for field in dataclasses.fields(kit.DeviceUnderTest):
        assert f"| `{field.name}` |" in doc, f"DeviceUnderTest.{field.name} is not documented"
