"""Shared fixtures: an independent ONVIF camera (PyPI ``ipycam``), settings, helpers.

The camera runs as a subprocess (``ipycam_peer.py``) on free loopback ports, in
a private temporary folder (it writes its presets there), with WS-Discovery off;
it is stopped by PID. The session's camera is shared by the tests that only
watch or steer it; a test that kills its camera takes a private one.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

from argus.testing import free_port
from argus_driver_onvif.settings import OnvifCameraSettings
from argus_sdk import PluginContext

#: Bounds every wait in these tests; never an assertion on duration.
PATIENCE = 20.0
USER, PASSWORD = "operator", "s3cr3t-Pa55"
PEER = Path(__file__).with_name("ipycam_peer.py")


def peer_missing() -> str:
    """Why the ONVIF peer cannot run here, or ``""``."""
    if find_spec("ipycam") is None:
        return "PyPI ipycam is not installed (pip install 'argus-driver-onvif[test]')"
    if shutil.which("ffmpeg") is None:
        return "ffmpeg is not installed (Debian package ffmpeg): ipycam needs it for RTSP"
    return ""


class IpyCam:
    """One ipycam process on 127.0.0.1; :meth:`kill` and :meth:`start` keep its ports."""

    def __init__(
        self,
        folder: Path,
        username: str = USER,
        password: str = PASSWORD,
        clock_offset: float = 0.0,
    ) -> None:
        self.folder = folder
        self.clock_offset = clock_offset
        self.onvif_port, self.rtsp_port, self.unused_port = free_port(), free_port(), free_port()
        self.username, self.password = username, password
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> IpyCam:
        command = [
            sys.executable, str(PEER),
            "--onvif-port", str(self.onvif_port),
            "--rtsp-port", str(self.rtsp_port),
            "--unused-port", str(self.unused_port),
            "--username", self.username,
            "--password", self.password,
            "--clock-offset", str(self.clock_offset),
        ]  # fmt: skip
        log = (self.folder / "ipycam.log").open("ab")
        self.process = subprocess.Popen(
            command,
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + PATIENCE
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"ipycam ended at start: {self.log()}")
            try:
                self.ptz_position()
                self.http_get("/snapshot.jpg")  # 503 until the first frame is in
                socket.create_connection(("127.0.0.1", self.rtsp_port), timeout=1).close()
                return self
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"ipycam did not start: {self.log()}") from None
                time.sleep(0.1)

    def log(self) -> str:
        return (self.folder / "ipycam.log").read_text(errors="replace")[-2000:]

    def kill(self) -> None:
        """Stop the camera and its ffmpeg encoders (its process group), by PID."""
        process, self.process = self.process, None
        if process is None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        except ProcessLookupError:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # encoders it left behind

    def http_get(self, path: str) -> bytes:
        """``GET path`` from the camera's web server, with HTTP Basic login."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.onvif_port}{path}")
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(request, timeout=5) as reply:
            return bytes(reply.read())

    def ptz_position(self) -> dict[str, Any]:
        """The camera's own idea of its PTZ state (``GET /api/ptz``)."""
        data: dict[str, Any] = json.loads(self.http_get("/api/ptz"))
        return data

    def settings(self, **changes: Any) -> OnvifCameraSettings:
        values: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.onvif_port,
            "username": self.username,
            "password": self.password,
            "timeout": 5.0,
            "read_timeout": 5.0,
        }
        return OnvifCameraSettings(**{**values, **changes})


def _camera(folder: Path, clock_offset: float = 0.0) -> IpyCam:
    reason = peer_missing()
    if reason:
        pytest.skip(reason)
    return IpyCam(folder, clock_offset=clock_offset).start()


@pytest.fixture(scope="session")
def ipycam(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IpyCam]:
    """The shared camera: never kill it."""
    cam = _camera(tmp_path_factory.mktemp("ipycam"))
    try:
        yield cam
    finally:
        cam.kill()


@pytest.fixture
def own_ipycam(tmp_path: Path) -> Iterator[IpyCam]:
    """A camera of this test's own, which it may kill and start again."""
    cam = _camera(tmp_path)
    try:
        yield cam
    finally:
        cam.kill()


@pytest.fixture
def skewed_ipycam(tmp_path: Path) -> Iterator[IpyCam]:
    """A camera whose ONVIF clock is an hour ahead of the host's."""
    cam = _camera(tmp_path, clock_offset=3600.0)
    try:
        yield cam
    finally:
        cam.kill()


@pytest.fixture
def log() -> logging.Logger:
    return logging.getLogger("argus.plugin.onvif-test")


@pytest.fixture
def context(log: logging.Logger) -> PluginContext:
    return PluginContext(owner="cam-1", log=log)


def _wait_until(condition: Callable[[], bool], timeout: float = PATIENCE) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` passes; whether it held."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def wait_until() -> Callable[..., bool]:
    return _wait_until
