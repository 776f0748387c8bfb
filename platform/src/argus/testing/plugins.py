"""Real camera-driver plugin wheels for rollout tests: healthy, broken and silent versions.

The driver's packets and device description carry the version that made them, so a
test sees which code runs. ``mode`` makes the hostile variants a rollout must survive:

- ``"ok"``: keyframes every 40 ms;
- ``"broken"``: the plugin module raises at import (the kernel quarantines it);
- ``"silent"``: loads and opens, but its streams never deliver a packet (the health
  check after activation fails).
"""

from __future__ import annotations

import base64
import hashlib
import stat
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from argus_sdk.testing import make_wheel

Mode = Literal["ok", "broken", "silent"]

_PLUGIN = """
import threading
from fractions import Fraction

from pydantic import BaseModel

from {package}.version import VERSION, SILENT
from argus_sdk import (
    CameraDriverType, ChannelDescription, ChannelKind, DeviceDescription, StreamDescription,
    StreamPacket, StreamProfile, TrackDescription, Unsupported, hookimpl,
)

RATE = Fraction(25)


class Settings(BaseModel):
    name: str = "Door"


class Source:
    description = StreamDescription(
        "main", (TrackDescription(0, ChannelKind.VIDEO, "h264", 1 / RATE),)
    )

    def __init__(self, clock):
        self._clock, self._n, self._closed = clock, 0, threading.Event()

    def read(self, timeout):
        if self._closed.wait(timeout if SILENT else 0.04):
            return None
        if SILENT:
            return None
        self._n += 1
        return StreamPacket(0, f"{driver} {{VERSION}}".encode(), self._n, self._n, 1 / RATE,
                            True, self._clock.now())

    def close(self):
        self._closed.set()


class Camera:
    def __init__(self, settings, context):
        self._settings, self._context = settings, context

    def describe(self):
        profile = StreamProfile("main", "h264", 320, 240, RATE)
        channel = ChannelDescription(0, self._settings.name, (profile,))
        return DeviceDescription("Rollout Inc.", f"{driver} {{VERSION}}", (channel,))

    def open_stream(self, channel, stream):
        return Source(self._context.clock)

    def ptz(self, channel, command):
        raise Unsupported("no PTZ")

    def set_output(self, port, active):
        raise Unsupported("no outputs")

    def input_states(self):
        return {{}}

    def close(self):
        pass


@hookimpl
def argus_camera_drivers():
    return [CameraDriverType("{driver}", "Rollout test camera", Settings, Camera)]
"""


def camera_driver_wheel(
    folder: Path,
    version: str,
    *,
    driver: str = "rollcam",
    mode: Mode = "ok",
    tag: str = "py3-none-any",
    requires: Sequence[str] = (),
    imports: Sequence[str] = (),
) -> Path:
    """Write ``argus_driver_<driver>-<version>-<tag>.whl`` (project ``argus-driver-<driver>``,
    camera driver ``driver``) into ``folder``; it declares ``requires`` besides its
    ``argus-sdk`` range and imports the modules ``imports`` when loaded."""
    package = f"argus_driver_{driver}"
    if mode == "broken":
        plugin = "raise RuntimeError('vendor SDK missing')\n"
    else:
        plugin = "".join(f"import {m}\n" for m in imports)
        plugin += _PLUGIN.format(package=package, driver=driver)
    version_module = f'VERSION = "{version}"\nSILENT = {mode == "silent"}\n'
    folder.mkdir(parents=True, exist_ok=True)
    return make_wheel(
        folder / f"{package}-{version}-{tag}.whl",
        name=f"argus-driver-{driver}",
        version=version,
        files={
            f"{package}/plugin.py": plugin.encode(),
            f"{package}/version.py": version_module.encode(),
        },
        entry_points=f"[argus.camera_drivers]\n{driver} = {package}.plugin\n",
        requires=("argus-sdk>=1.0,<2", *requires),
    )


def library_wheel(folder: Path, name: str, version: str, module: str) -> Path:
    """A dependency wheel (no Argus plugin): project ``name`` with one module ``module``
    that says its version."""
    folder.mkdir(parents=True, exist_ok=True)
    return make_wheel(
        folder / f"{name.replace('-', '_')}-{version}-py3-none-any.whl",
        name=name,
        version=version,
        files={f"{module}.py": f'VERSION = "{version}"\n'.encode()},
        requires=(),
        entry_points=None,
    )


def hostile_packages(folder: Path) -> dict[str, tuple[Path, str]]:
    """A corpus of packages the master must refuse at admission: case → (file, a fragment
    of the refusal it must give). Each is otherwise a well-made camera-driver wheel."""
    folder.mkdir(parents=True, exist_ok=True)
    corpus: dict[str, tuple[Path, str]] = {}

    def case(name: str, reason: str, **kwargs: Any) -> None:
        where = folder / name
        where.mkdir()
        path = make_wheel(
            where / "evil_driver-1.0-py3-none-any.whl", name="evil-driver", version="1.0", **kwargs
        )
        corpus[name] = (path, reason)

    def tampered(members: dict[str, bytes]) -> str:
        lines = [f"{n},sha256={_digest(b'other bytes')},{len(d)}" for n, d in members.items()]
        return "\n".join(lines)

    def entry(member: str, data: bytes = b"x", mode: int = 0) -> Callable[[zipfile.ZipFile], None]:
        def add(archive: zipfile.ZipFile) -> None:
            info = zipfile.ZipInfo(member)
            info.compress_type = zipfile.ZIP_DEFLATED
            if mode:
                info.external_attr = mode << 16
            archive.writestr(info, data)

        return add

    case("tampered-bytes", "do not match RECORD", record=tampered)
    case("bad-record", "no sha256 hash", record=lambda m: "".join(f"{n},,\n" for n in m))
    case("zip-slip", "leaves the package", extra=entry("../../evil.py"))
    case("absolute-path", "absolute", extra=entry("/etc/cron.d/evil"))
    case(
        "symlink", "a link", extra=entry("evil_driver/passwd", b"/etc/passwd", stat.S_IFLNK | 0o777)
    )
    case(
        "decompression-bomb",
        "decompression bomb",
        extra=entry("evil_driver/data.bin", b"\0" * (64 << 20)),
    )
    case("incompatible-sdk", "admits no released platform API", requires=("argus-sdk>=7",))
    case("no-plugin", "provides no Argus plugin", entry_points=None)
    return corpus


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
