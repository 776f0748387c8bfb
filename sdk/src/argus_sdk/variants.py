"""Per-platform variants of a plugin wheel: one file per architecture and OS.

A plugin that ships native libraries (a vendor's camera SDK, 32- and 64-bit) declares
them in its ``pyproject.toml``::

    [tool.argus.variants]
    linux_x86_64 = "native/linux_x86_64"
    linux_i686 = "native/linux_i686"
    win_amd64 = "native/win_amd64"

Each value is a folder of the project that mirrors the wheel's layout (so
``native/linux_i686/acme_driver/lib/libacme.so`` becomes ``acme_driver/lib/libacme.so``
in the ``linux_i686`` wheel). ``argus-sdk build`` builds the wheel once, without the
libraries, then writes one wheel per variant: the same files plus that folder's, tagged
``<python>-<abi>-<platform>``, with ``WHEEL`` and ``RECORD`` rewritten. The master sends
each node the file for its platform, and never one for another.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
import tomllib
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from packaging.utils import parse_wheel_filename

PLATFORM = re.compile(r"[a-z0-9_]{1,64}")


class VariantError(ValueError):
    """The variants cannot be made; the message says why."""


def declared_variants(project: Path) -> dict[str, Path]:
    """``[tool.argus.variants]`` of the project: platform tag → folder (checked to exist).

    :raises VariantError: malformed table, bad platform tag, missing folder.
    """
    try:
        pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise VariantError(f"{project / 'pyproject.toml'}: {exc}") from exc
    table = pyproject.get("tool", {}).get("argus", {}).get("variants", {})
    if not isinstance(table, Mapping):
        raise VariantError("[tool.argus.variants] maps platform tags to folders")
    variants: dict[str, Path] = {}
    for platform, folder in table.items():
        if not PLATFORM.fullmatch(str(platform)) or platform == "any":
            raise VariantError(f"[tool.argus.variants] {platform!r} is not a platform tag")
        if not isinstance(folder, str):
            raise VariantError(f"[tool.argus.variants] {platform}: give a folder name")
        path = (project / folder).resolve()
        if not path.is_dir() or not path.is_relative_to(project.resolve()):
            raise VariantError(
                f"[tool.argus.variants] {platform}: {folder!r} is not a folder of the project"
            )
        variants[str(platform)] = path
    return variants


def make_variants(wheel: Path, variants: Mapping[str, Path], out: Path) -> list[Path]:
    """One wheel per platform from a pure ``wheel`` plus each variant folder's files.

    :raises VariantError: the wheel is not pure, or a variant file would replace one of
        the wheel's own files or lie outside the package (``.dist-info``).
    """
    _name, version, build, tags = parse_wheel_filename(wheel.name)
    if any(t.platform != "any" for t in tags):
        raise VariantError(
            f"{wheel.name} is built for a platform already; variants start from a pure wheel"
        )
    pythons = sorted({f"{t.interpreter}-{t.abi}" for t in tags})
    # The same for every variant: <name>-<version>[-<build>]-<pythons>-<abis>
    build_part = f"-{build[0]}{build[1]}" if build else ""
    python_part = ".".join(sorted({t.interpreter for t in tags}))
    abi_part = ".".join(sorted({t.abi for t in tags}))
    stem = f"{wheel.name.split('-')[0]}-{version}{build_part}-{python_part}-{abi_part}"
    with zipfile.ZipFile(wheel) as archive:
        members = {i.filename: archive.read(i) for i in archive.infolist() if not i.is_dir()}
    info_dir = next(n.split("/")[0] for n in members if n.split("/")[0].endswith(".dist-info"))
    made = []
    for platform, folder in sorted(variants.items()):
        files = {k: v for k, v in members.items() if k not in (f"{info_dir}/RECORD",)}
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name_in_wheel = PurePosixPath(*path.relative_to(folder).parts).as_posix()
            if name_in_wheel in files:
                raise VariantError(f"{platform}: {name_in_wheel} is in the wheel already")
            if name_in_wheel.split("/")[0].endswith((".dist-info", ".data")):
                raise VariantError(f"{platform}: {name_in_wheel} is not a file of the package")
            files[name_in_wheel] = path.read_bytes()
        variant_tags = [f"{p}-{platform}" for p in pythons]
        files[f"{info_dir}/WHEEL"] = _wheel_file(files[f"{info_dir}/WHEEL"], variant_tags)
        files[f"{info_dir}/RECORD"] = _record(files, f"{info_dir}/RECORD")
        target = out / f"{stem}-{platform}.whl"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for member in sorted(files, key=lambda m: (m.startswith(info_dir), m)):
                archive.writestr(member, files[member])
        made.append(target)
    return made


def _wheel_file(text: bytes, tags: list[str]) -> bytes:
    lines = [
        line
        for line in text.decode().splitlines()
        if not line.startswith(("Tag:", "Root-Is-Purelib:"))
    ]
    lines.append("Root-Is-Purelib: false")
    lines.extend(f"Tag: {tag}" for tag in tags)
    return ("\n".join(lines) + "\n").encode()


def _record(files: Mapping[str, bytes], record: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for member in sorted(files):
        digest = base64.urlsafe_b64encode(hashlib.sha256(files[member]).digest()).rstrip(b"=")
        writer.writerow([member, f"sha256={digest.decode()}", len(files[member])])
    writer.writerow([record, "", ""])
    return out.getvalue().encode()
