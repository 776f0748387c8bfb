"""Test helpers shipped with the SDK for plugin developers and for Argus's own tests."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sysconfig
import threading
import venv
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

__all__ = ["ManualClock", "make_wheel"]


class ManualClock:
    """A :class:`argus_sdk.Clock` that only moves when told to.

    ``sleep`` advances the clock instead of waiting, so code paced by the clock
    (a simulated camera, a retention schedule) runs as fast as the CPU allows
    and deterministically. Thread-safe.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._lock = threading.Lock()
        self._mono = 0.0
        self._wall = start

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def now(self) -> float:
        with self._lock:
            return self._wall

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.advance(seconds)

    def advance(self, seconds: float) -> None:
        """Move both the monotonic and the wall clock forward."""
        if seconds < 0:
            raise ValueError("a clock does not go back")
        with self._lock:
            self._mono += seconds
            self._wall += seconds

    def set_wall(self, wall: float) -> None:
        """Step the wall clock (as NTP would) without moving the monotonic clock."""
        with self._lock:
            self._wall = wall


def make_wheel(
    path: Path,
    *,
    name: str = "acme-driver",
    version: str = "2.4.0",
    files: Mapping[str, bytes] | None = None,
    requires: Sequence[str] = ("argus-sdk>=1.0,<2",),
    metadata: str | None = None,
    entry_points: str | None = "[argus.camera_drivers]\nacme = acme_driver.plugin\n",
    record: Callable[[dict[str, bytes]], str] | None = None,
    extra: Callable[[zipfile.ZipFile], None] | None = None,
) -> Path:
    """Write a plugin wheel as a build backend would — or, through the hooks, one that is
    wrong in a chosen way — for tests of package checks and distribution.

    :param path: the file to write; its name should be a wheel name for ``name`` and
        ``version`` (``acme_driver-2.4.0-py3-none-any.whl``), or deliberately not.
    :param metadata: the whole ``METADATA`` instead of one made from name, version and
        ``requires``.
    :param record: makes the ``RECORD`` text from the members instead of the right one.
    :param extra: writes more members after the listed ones (not in ``RECORD``).
    """
    project = name.replace("-", "_")
    info = f"{project}-{version}.dist-info"
    if metadata is None:
        metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(
            f"Requires-Dist: {r}\n" for r in requires
        )
    members = {
        f"{project}/__init__.py": b"",
        f"{project}/plugin.py": b"from argus_sdk import hookimpl\n",
        **(files or {}),
        f"{info}/METADATA": metadata.encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    if entry_points is not None:
        members[f"{info}/entry_points.txt"] = entry_points.encode()

    def sha(data: bytes) -> str:
        return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

    lines = (
        record(members)
        if record
        else "".join(f"{n},sha256={sha(d)},{len(d)}\n" for n, d in members.items())
        + f"{info}/RECORD,,\n"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
        archive.writestr(f"{info}/RECORD", lines)
        if extra is not None:
            extra(archive)
    return path


def dev_venv(folder: Path) -> Path:
    """A virtualenv in ``folder`` that sees this Python's packages beneath its own; its python.

    It has no pip and no packages of its own: a ``.pth`` file adds this environment's
    site-packages (with their own ``.pth`` files, so editable installs too), and this
    environment's pip, run by its python, installs a project into it without build
    isolation or downloads. For tests that install generated projects.
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
    here = sysconfig.get_paths()["purelib"]
    (Path(site) / "argus-dev.pth").write_text(f"import site; site.addsitedir({here!r})\n")
    return python
