"""A real RTSP camera for tests: start, stop, kill, pause and restart GStreamer's RTSP server.

The server (``rtsp_server.py`` next to this module) runs under Debian's
``/usr/bin/python3``, which has ``gi``; the project's virtualenv does not. A
test first asks :func:`rtsp_peer_missing` and skips with its reason when the
peer cannot run (``argus.testing.strict`` turns that skip into a failure in
CI)::

    reason = rtsp_peer_missing()
    if reason:
        pytest.skip(reason)
    with RtspServer() as server:
        url = server.url("/h264")

Every process is started with :class:`subprocess.Popen` and signalled by its
PID only. Nothing here imports pytest.
"""

from __future__ import annotations

import functools
import os
import selectors
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Literal, Self
from urllib.parse import quote

SYSTEM_PYTHON = Path("/usr/bin/python3")
SERVER_SCRIPT = Path(__file__).with_name("rtsp_server.py")
HOST = "127.0.0.1"
READY = "READY"
#: The mounts ``rtsp_server.py`` serves (see its docstring).
MOUNTS = ("/h264", "/h264-aac", "/h264-pcma", "/h264-pcmu", "/h265", "/h264-1080p", "/auth-h264")
AUTH_MOUNT = "/auth-h264"
#: GStreamer elements the mounts need, with the Debian package that has them.
ELEMENTS = {
    "videotestsrc": "gstreamer1.0-plugins-base",
    "clockoverlay": "gstreamer1.0-x",
    "x264enc": "gstreamer1.0-plugins-ugly",
    "x265enc": "gstreamer1.0-plugins-bad",
    "avenc_aac": "gstreamer1.0-libav",
    "alawenc": "gstreamer1.0-plugins-good",
    "mulawenc": "gstreamer1.0-plugins-good",
    "rtph264pay": "gstreamer1.0-plugins-good",
    "rtph265pay": "gstreamer1.0-plugins-good",
    "rtpmp4gpay": "gstreamer1.0-plugins-good",
}

_CHECK = """
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst, GstRtspServer
Gst.init(None)
print(" ".join(n for n in {names!r} if Gst.ElementFactory.find(n) is None))
"""


@functools.cache
def rtsp_peer_missing(python: Path = SYSTEM_PYTHON) -> str | None:
    """Why the RTSP test peer cannot run on this machine, or ``None`` if it can."""
    if not python.exists():
        return f"{python} not found: the RTSP test server needs Debian's python3 with gi"
    try:
        proc = subprocess.run(
            [str(python), "-c", _CHECK.format(names=tuple(ELEMENTS))],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run {python}: {exc}"
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return (
            f"GStreamer's RTSP server is not usable from {python} ({last}); "
            "install python3-gi gir1.2-gst-rtsp-server-1.0"
        )
    missing = proc.stdout.split()
    if missing:
        packages = sorted({ELEMENTS[m] for m in missing})
        return f"GStreamer elements {', '.join(missing)} missing; install {' '.join(packages)}"
    return None


class RtspServer:
    """GStreamer's RTSP server on 127.0.0.1, as a child process.

    :param port: 0 lets the first :meth:`start` pick a free port; every later
        start (after :meth:`stop` or :meth:`kill`) reuses the same one.
    :param auth: the method :data:`AUTH_MOUNT` demands (one per server).
    """

    def __init__(
        self,
        port: int = 0,
        *,
        auth: Literal["digest", "basic"] = "digest",
        user: str = "argus",
        password: str = "secret",
        python: Path = SYSTEM_PYTHON,
    ) -> None:
        self.port = port
        self.auth, self.user, self.password = auth, user, password
        self._python = python
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError("the RTSP server is not running")
        return self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def url(self, mount: str, *, credentials: bool = False) -> str:
        """``rtsp://127.0.0.1:<port><mount>``, with this server's user and password if asked."""
        userinfo = ""
        if credentials:
            userinfo = f"{quote(self.user, safe='')}:{quote(self.password, safe='')}@"
        return f"rtsp://{userinfo}{HOST}:{self.port}{mount}"

    def start(self, ready_timeout: float = 20.0) -> Self:
        """Start the server and wait (at most ``ready_timeout`` s) until it listens."""
        if self.running:
            raise RuntimeError(f"the RTSP server already runs (pid {self.pid})")
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _reap
        args = [str(self._python), str(SERVER_SCRIPT), "--port", str(self.port)]
        args += ["--auth", self.auth, "--user", self.user, "--password", self.password]
        self._process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr, text=True
        )
        try:
            self.port = self._wait_ready(self._process, ready_timeout)
        except BaseException:
            self.kill()
            raise
        return self

    def _wait_ready(self, process: subprocess.Popen[str], timeout: float) -> int:
        assert process.stdout is not None
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            while (left := deadline - time.monotonic()) > 0:
                if not selector.select(left):
                    continue
                line = process.stdout.readline()
                if line.startswith(READY):
                    return int(line.strip().rpartition(":")[2])
                if not line:
                    break
        raise RuntimeError(f"the RTSP server did not get ready: {self.errors()}")

    def errors(self) -> str:
        """What the server wrote on stderr (the end of it)."""
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        text = self._stderr.read().decode(errors="replace").strip()
        return text[-2000:] or "(nothing on stderr)"

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout`` s; the exit status (``None`` if not started)."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout)
        return self._reap(process)

    def kill(self) -> None:
        """SIGKILL: the camera vanishes without closing its connections properly."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(10)
        self._reap(process)

    def pause(self) -> None:
        """SIGSTOP: the camera stalls, its connections stay open and silent."""
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after :meth:`pause`."""
        os.kill(self.pid, signal.SIGCONT)

    def _reap(self, process: subprocess.Popen[str]) -> int | None:
        code = process.returncode
        if process.stdout is not None:
            process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        self._process = None
        return code

    def __enter__(self) -> Self:
        return self if self.running else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
