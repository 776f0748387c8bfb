"""``argus master run`` as a real process on SQLite: bootstrap, login, SIGTERM."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from argus.master.runtime import ADMIN_PASSWORD_ENV, ADMIN_PASSWORD_FILE
from argus.testing import free_port


@pytest.mark.slow
def test_master_run_serves_the_bootstrap_admin_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "data"
    config = tmp_path / "master.toml"
    config.write_text(f'[master]\nid = "m-run"\ndata_dir = "{data}"\nlisten = "127.0.0.1:{port}"\n')
    log = tmp_path / "master.log"
    env = {k: v for k, v in os.environ.items() if k != ADMIN_PASSWORD_ENV}
    proc = subprocess.Popen(
        [sys.executable, "-m", "argus", "master", "run", "-c", str(config)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/v1/login"
        password_file = data / ADMIN_PASSWORD_FILE
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the master API did not come up"
            try:
                password = password_file.read_text().strip() if password_file.exists() else ""
                if password:
                    reply = httpx.post(url, json={"username": "admin", "password": password})
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        assert reply.status_code == 200, reply.text
        assert reply.json()["profile"]["admin"] is True
        assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
        assert str(password_file) in log.read_text()  # the log says where the password is
        wrong = httpx.post(url, json={"username": "admin", "password": "not it at all"})
        assert wrong.status_code == 401
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, log.read_text()
