"""The kit fails a driver that breaks the contract, and its message says what is wrong.

Each broken driver here is the simulated camera with one fault added; the kit runs
on it in a pytest subprocess, as in a plugin developer's CI.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

BROKEN = """
import dataclasses
import threading

import pytest

from argus_driver_sim.device import open_camera
from argus_driver_sim.settings import SimCameraSettings
from argus_sdk import CameraDriverType, DiscoveredDevice, PtzStatus
from argus_sdk.conformance import CameraDriverConformance, DeviceUnderTest

SETTINGS = {"main_profile": "360p", "sub_profile": None, "loop_seconds": 2, "name": "B"}


class Wrapped:
    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)


class LeakyCamera(Wrapped):
    def __init__(self, inner):
        super().__init__(inner)
        self.stop = threading.Event()
        threading.Thread(target=self.stop.wait, name="acme-poller", daemon=True).start()


class LyingPtz(Wrapped):
    def ptz(self, channel, command):
        return PtzStatus(position=None)


class LateKeyframe(Wrapped):
    def open_stream(self, channel, stream):
        source = self.inner.open_stream(channel, stream)
        source.read(1.0)  # swallows the keyframe
        return source


class BackwardsSource(Wrapped):
    count = 0

    def read(self, timeout):
        packet = self.inner.read(timeout)
        self.count += 1
        if packet is not None and self.count == 5:
            packet = dataclasses.replace(packet, dts=packet.dts - 10**6, pts=packet.pts - 10**6)
        return packet


class BackwardsCamera(Wrapped):
    def open_stream(self, channel, stream):
        return BackwardsSource(self.inner.open_stream(channel, stream))


class BadErrorSource(Wrapped):
    def read(self, timeout):
        try:
            return self.inner.read(timeout)
        except Exception as exc:
            raise ConnectionResetError("peer reset") from exc


class BadErrorCamera(Wrapped):
    def open_stream(self, channel, stream):
        return BadErrorSource(self.inner.open_stream(channel, stream))


def kind(wrapper):
    return CameraDriverType(
        "broken", "Broken", SimCameraSettings, lambda s, c: wrapper(open_camera(s, c))
    )


def device(wrapper):
    return DeviceUnderTest(kind(wrapper), SETTINGS, drop=lambda d: d.disconnect(), close_grace=0.5)


def argus_camera_discover(timeout):
    return [DiscoveredDevice(driver="broken", address="10.0.0.7"), "10.0.0.8"]


def broken_kind():
    return kind(Wrapped)


class TestBadDiscovery(CameraDriverConformance):
    @pytest.fixture
    def argus_device(self):
        return DeviceUnderTest("test_broken:broken_kind", SETTINGS)


class TestLeaky(CameraDriverConformance):
    @pytest.fixture
    def argus_device(self):
        return device(LeakyCamera)


class TestLyingPtz(CameraDriverConformance):
    @pytest.fixture
    def argus_device(self):
        return device(LyingPtz)


class TestLateKeyframe(CameraDriverConformance):
    @pytest.fixture
    def argus_device(self):
        return device(LateKeyframe)


class TestBackwards(CameraDriverConformance):
    @pytest.fixture
    def argus_device(self):
        return device(BackwardsCamera)


class TestBadError(CameraDriverConformance):
    @pytest.fixture
    def argus_device(self):
        return device(BadErrorCamera)
"""


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("broken")
    (folder / "test_broken.py").write_text(textwrap.dedent(BROKEN))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=folder,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    return result.stdout


def _section(output: str, check: str) -> str:
    """The failure report of ``Class::test`` in pytest's output."""
    title = check.replace("::", ".")
    lines = output.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if f" {title} " in line and "___" in line), None
    )
    assert start is not None, f"{check} did not fail:\n{output}"
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].startswith(("___", "===="))),
        len(lines),
    )
    return "\n".join(lines[start:end])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("check", "message"),
    [
        ("TestLeaky::test_close_releases_threads_and_sockets", "thread 'acme-poller'"),
        (
            "TestBadDiscovery::test_discovery_is_well_formed",
            "argus_camera_discover()[1] is a str, not a DiscoveredDevice",
        ),
        ("TestLyingPtz::test_ptz_matches_capabilities", "it must raise Unsupported"),
        ("TestLateKeyframe::test_each_stream_delivers_a_keyframe", "is not a keyframe"),
        ("TestBackwards::test_timestamps_are_monotonic", "dts went from"),
        (
            "TestBadError::test_disconnect_is_reported_and_reconnect_works",
            "raised ConnectionResetError(peer reset); it must raise DeviceUnavailable",
        ),
    ],
)
def test_a_broken_driver_fails_the_check_with_the_reason(
    outcome: str, check: str, message: str
) -> None:
    assert message in _section(outcome, check), outcome


@pytest.mark.slow
def test_the_other_checks_of_a_broken_driver_still_pass(outcome: str) -> None:
    assert "PASSED   test_broken.py::TestLyingPtz::test_io_matches_ports" in outcome
    assert "PASSED   test_broken.py::TestLeaky::test_timestamps_are_monotonic" in outcome
