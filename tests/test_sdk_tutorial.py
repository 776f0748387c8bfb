"""``docs/sdk/tutorial.md`` run as a newcomer runs it: every ``sh`` block, verbatim.

The commands of the first terminal go, one at a time, to one ``bash`` session (so ``cd``
and the activated virtualenv carry over, as in a terminal); each must exit with 0. A
block is marked by an HTML comment on the line before it:

- ``<!-- tutorial-test: setup … -->`` installs the tools from the network; the test makes
  the equivalent offline instead (:func:`make_env`): the workspace ``argus-tutorial``, its
  ``.venv`` and ``site`` environments seeing the dev venv's packages (the SDK, the
  platform, its first-party plugins, PyAV, hatchling), with the ``pip``, ``argus`` and
  ``argus-sdk`` commands, and ``.venv`` activated;
- ``<!-- tutorial-test: background … -->`` is the second terminal: started as a process,
  waited for until it says it runs, stopped by its PID at the end;
- ``<!-- tutorial-test: repeat … -->`` is run again until it shows the camera recording.

The environment differs from a developer's only where the tutorial says it may: the
demo's ports are free ones given through ``ARGUS_DEMO_MASTER_PORT``,
``ARGUS_DEMO_NODE_PORT`` and ``ARGUS_MASTER``; and pip is offline (``PIP_NO_INDEX``,
builds not isolated: everything it needs is installed already). ``HOME`` is a temporary
folder, so the CLI's session stays out of the real one.
"""

from __future__ import annotations

import functools
import os
import queue
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from argus.testing import free_port
from argus_sdk.testing import dev_venv

TUTORIAL = Path(__file__).parents[1] / "docs" / "sdk" / "tutorial.md"
_BLOCK = re.compile(
    r"(?:<!-- tutorial-test: (?P<mark>\w+)[^\n]*-->\n)?```sh\n(?P<body>.*?)```", re.DOTALL
)
#: What some commands must print, besides exiting with 0 (each must be in the tutorial).
EXPECTED = {
    "argus-sdk test": "10 of 10 conformance checks passed",
    "argus-sdk check dist/acme_cam-0.1.0-py3-none-any.whl": "accepted",
    "argus servers list": "enrolled",
    "argus packages add acme-cam/dist/acme_cam-0.1.0-py3-none-any.whl": "admitted acme-cam 0.1.0",
    "argus packages rollout acme-cam==0.1.0 --nodes demo": "completed",
    "argus packages installed": "active",
    "ls -R demo-data/disk1/front-door/": ".mp4",
}
CAMERA = "front-door"
STEP_TIMEOUT = 300.0  # pip, the kit, a build, a rollout: each well under a minute here


@dataclass(frozen=True, slots=True)
class Block:
    mark: str  # "" for an ordinary block
    text: str  # as in the document

    @property
    def commands(self) -> list[str]:
        """The block's commands: continued lines joined, blank and comment lines dropped."""
        joined = re.sub(r"\\\n\s*", "", self.text)
        return [c for c in joined.splitlines() if c.strip() and not c.lstrip().startswith("#")]


def tutorial_blocks() -> list[Block]:
    return [Block(m["mark"] or "", m["body"]) for m in _BLOCK.finditer(TUTORIAL.read_text())]


def make_env(folder: Path, scripts: tuple[str, ...]) -> None:
    """A virtualenv that sees the dev venv's packages beneath its own, with ``scripts``
    (the dev venv's console scripts, run by this environment's python)."""
    python = dev_venv(folder)
    dev_bin = Path(sys.executable).parent
    for name in scripts:
        body = (dev_bin / name).read_text().split("\n", 1)[1]
        script = folder / "bin" / name
        script.write_text(f"#!{python}\n{body}")
        script.chmod(0o755)


class Shell:
    """One ``bash`` session fed commands on stdin, like the first terminal; its output
    is also written to ``log``."""

    def __init__(self, cwd: Path, env: dict[str, str], log: Path) -> None:
        self._log = log.open("w")
        self._proc = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            text=True,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, args=(self._proc.stdout,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._log.write(line)
            self._log.flush()
            self._lines.put(line)

    def run(self, command: str, timeout: float = STEP_TIMEOUT) -> tuple[int, str]:
        """Run one command line; its exit status and output."""
        marker = f"@@tutorial-{secrets.token_hex(6)}"
        assert self._proc.stdin is not None
        self._log.write(f"$ {command}\n")
        self._proc.stdin.write(f"{command}\nprintf '\\n{marker} %s\\n' \"$?\"\n")
        self._proc.stdin.flush()
        deadline = time.monotonic() + timeout
        output: list[str] = []
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"{command!r} did not end within {timeout:.0f} s:\n{''.join(output)}"
                ) from None
            if line.startswith(marker):
                return int(line.split()[1]), "".join(output)
            output.append(line)

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        self._log.close()


def wait(check: Any, what: str, demo: subprocess.Popen[bytes], timeout: float = 120) -> Any:
    """Poll ``check()`` until it returns something true; fail if the demo exits."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if result := check():
                return result
        except (httpx.TransportError, KeyError, FileNotFoundError):
            pass
        assert demo.poll() is None, f"the demo exited ({demo.returncode}) waiting for {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def test_the_tutorial_has_the_blocks_this_test_runs() -> None:
    blocks = tutorial_blocks()
    marks = [b.mark for b in blocks]
    assert marks.count("setup") == 1 and marks.count("background") == 1, marks
    assert set(marks) <= {"", "setup", "background", "repeat"}, marks
    setup = next(b for b in blocks if b.mark == "setup")
    # The folders make_env makes instead, and the one the session starts in.
    assert "mkdir argus-tutorial && cd argus-tutorial" in setup.commands
    assert "python3 -m venv .venv && . .venv/bin/activate" in setup.commands
    assert "python3 -m venv site" in setup.commands
    commands = {c for b in blocks for c in b.commands}
    assert set(EXPECTED) <= commands, set(EXPECTED) - commands


@pytest.mark.slow
def test_a_newcomer_follows_the_tutorial_to_a_recording_camera(tmp_path: Path) -> None:
    workspace = tmp_path / "argus-tutorial"
    workspace.mkdir()
    make_env(workspace / ".venv", ("pip", "argus", "argus-sdk"))
    make_env(workspace / "site", ("argus",))
    (tmp_path / "home").mkdir()
    mport, nport = free_port(), free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ARGUS_", "PYTEST_", "PIP_", "VIRTUAL_ENV"))
    }
    env |= {
        "HOME": str(tmp_path / "home"),
        "COLUMNS": "200",
        "ARGUS_DEMO_MASTER_PORT": str(mport),
        "ARGUS_DEMO_NODE_PORT": str(nport),
        "ARGUS_MASTER": f"http://127.0.0.1:{mport}",
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",  # pip's spelling of --no-build-isolation
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    shell = Shell(workspace, env, tmp_path / "terminal-1.log")
    demo_log = tmp_path / "terminal-2.log"
    demo_out = demo_log.open("wb")
    demo: subprocess.Popen[bytes] | None = None
    try:
        status, out = shell.run(". .venv/bin/activate")  # the setup block's activation
        assert status == 0, out
        for block in tutorial_blocks():
            if block.mark == "setup":
                continue
            if block.mark == "background":
                assert demo is None, "one second terminal"
                demo = subprocess.Popen(
                    ["bash", "-c", block.text.strip()],
                    cwd=workspace,
                    env=env,
                    stdout=demo_out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
                started = demo  # (a name the lambda may close over)
                wait(lambda: "open Spotter at" in demo_log.read_text(), "the demo", started)
                continue
            for command in block.commands:
                if block.mark == "repeat":
                    assert demo is not None
                    poll = functools.partial(recording_row, shell, command)
                    out = wait(poll, f"{CAMERA} recording", demo, 90)
                    continue
                status, out = shell.run(command)
                assert status == 0, f"{command!r} exited with {status}:\n{out}"
                if command in EXPECTED:
                    assert EXPECTED[command] in out, f"{command!r} printed:\n{out}"
        assert demo is not None
        packets_arrive(workspace / "demo-data", mport, nport, demo)
    finally:
        shell.close()
        stopped = stop(demo) if demo is not None else None
        demo_out.close()
    second = demo_log.read_text()
    assert stopped == 0, second  # Ctrl-C, as the tutorial says
    loaded = next(line for line in second.splitlines() if line.startswith("plugins loaded:"))
    assert "acme-cam" not in loaded  # at the start: the site has only what is rolled out
    assert "plugin acme-cam" not in second, second  # never quarantined
    assert "10/10 streams delivered video" in second  # 9 simulated, and front-door
    assert list((workspace / "demo-data" / "disk1" / CAMERA).rglob("*.mp4"))


def recording_row(shell: Shell, command: str) -> str:
    """The command's output once the camera's row of streams reads recording, else ''."""
    status, out = shell.run(command)
    assert status == 0, f"{command!r} exited with {status}:\n{out}"
    rows = [line.split() for line in out.splitlines() if CAMERA in line]
    recording = any("main" in r and "recording" in r and "yes" in r for r in rows)
    if not recording:
        time.sleep(2)  # the next heartbeat
    return out if recording else ""


def packets_arrive(data: Path, mport: int, nport: int, demo: subprocess.Popen[bytes]) -> None:
    """The node itself says the camera's stream records and its packet count grows."""
    password = (data / "admin-password").read_text().strip()
    master = httpx.Client(base_url=f"http://127.0.0.1:{mport}/api/v1", timeout=30)
    session = master.post("/login", json={"username": "admin", "password": password})
    admin = {"Authorization": f"Bearer {session.json()['session']}"}
    token = master.get("/me/tokens", headers=admin).json()["tokens"]["demo"]

    def stream() -> dict[str, Any]:
        reply = httpx.get(
            f"http://127.0.0.1:{nport}/api/v1/status",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        found: dict[str, Any] = next(
            s for s in reply.json()["streams"] if (s["camera"], s["stream"]) == (CAMERA, "main")
        )
        return found

    first = stream()
    assert first["state"] == "recording" and first["writing"], first
    wait(lambda: stream()["packets"] > first["packets"] + 10, "more packets", demo, 30)


def stop(demo: subprocess.Popen[bytes]) -> int:
    """Ctrl-C: SIGINT to the second terminal's process group (the demo's PID leads it);
    SIGKILL after 30 s."""
    if demo.poll() is None:
        os.killpg(demo.pid, signal.SIGINT)
    try:
        return demo.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(demo.pid, signal.SIGKILL)
        return demo.wait()
