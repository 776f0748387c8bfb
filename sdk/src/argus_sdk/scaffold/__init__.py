"""``argus-sdk new KIND NAME``: a complete plugin distribution that passes its own tests.

The templates are package data (``templates/<kind>/``, overlaid on ``_common`` and, for
drivers of video, ``_video``); every file ends in ``.tmpl`` so that no tool mistakes a
template for code of the SDK. ``{{placeholder}}`` markers are replaced with the names
made from NAME; a folder named ``__package__`` becomes the import package. Nothing is
downloaded.
"""

from __future__ import annotations

import keyword
import re
import sys
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from argus_sdk._version import __version__

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)*$")
_TAKEN = {"argus", "argus_sdk", "platform", "test", "tests", "conftest"}


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of plugin the scaffold makes."""

    group: str
    layers: tuple[str, ...]
    dependencies: tuple[str, ...]
    summary: str
    conformance: bool


KINDS: dict[str, Kind] = {
    "camera-driver": Kind(
        "argus.camera_drivers",
        ("_common", "_video", "camera-driver"),
        ("av>=12",),
        "a camera driver serving a moving H.264 test pattern (replace pattern.py with your "
        "device's protocol)",
        True,
    ),
    "encoder-driver": Kind(
        "argus.encoder_drivers",
        ("_common", "_video", "encoder-driver"),
        ("av>=12",),
        "an encoder driver: several channels of H.264 test pattern, each a camera",
        True,
    ),
    "metadata-driver": Kind(
        "argus.metadata_drivers",
        ("_common", "metadata-driver"),
        (),
        "a metadata driver that follows a text file and reports each new line (a POS or "
        "access-control log)",
        True,
    ),
    "storage": Kind(
        "argus.storage",
        ("_common", "storage"),
        (),
        "a storage backend keeping each stream's packets in one append-only file per stream",
        False,
    ),
    "analytics": Kind(
        "argus.analytics",
        ("_common", "analytics"),
        (),
        "an analyzer raising an event while the picture is dark",
        False,
    ),
    "spi": Kind(
        "argus.spi",
        ("_common", "spi"),
        (),
        "a Spotter client plugin: a side-bar panel listing the cameras",
        False,
    ),
}


class ScaffoldError(Exception):
    """NAME or the target folder cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class Names:
    """Every name derived from the NAME given to ``argus-sdk new``."""

    dist: str  # the distribution: acme-cam
    package: str  # the import package: acme_cam
    name: str  # the plugin / driver type name: acme-cam
    title: str  # for people: Acme Cam

    @classmethod
    def of(cls, raw: str) -> Names:
        if not _NAME.fullmatch(raw):
            raise ScaffoldError(
                f"{raw!r} is not a usable name: letters and digits, words joined by "
                "'-', '_' or '.', a letter first (e.g. acme-cam)"
            )
        words = re.split(r"[-_.]", raw.lower())
        package = "_".join(words)
        if keyword.iskeyword(package) or package in _TAKEN or package in sys.stdlib_module_names:
            raise ScaffoldError(f"{raw!r} would make the package {package!r}, a name taken")
        return cls("-".join(words), package, "-".join(words), " ".join(w.title() for w in words))


def sdk_range() -> str:
    """The ``argus-sdk`` requirement of a new plugin: this API version up to the next major."""
    major, minor = (int(p) for p in __version__.split(".")[:2])
    return f"argus-sdk>={major}.{minor},<{major + 1}"


def create(kind: str, raw_name: str, parent: Path) -> Path:
    """Write the project of ``kind`` named ``raw_name`` into ``parent/<name>``; its folder."""
    if kind not in KINDS:
        raise ScaffoldError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    names = Names.of(raw_name)
    spec = KINDS[kind]
    root = parent / names.dist
    if root.exists():
        raise ScaffoldError(f"{root} exists already; choose another name or --dir")
    values = {
        "dist": names.dist,
        "package": names.package,
        "name": names.name,
        "title": names.title,
        "kind": kind,
        "group": spec.group,
        "sdk": sdk_range(),
    }
    files: dict[Path, str] = {}
    templates = resources.files("argus_sdk.scaffold") / "templates"
    for layer in spec.layers:
        _collect(templates / layer, Path(), names.package, values, files)
    files[Path("pyproject.toml")] = _pyproject(names, spec)
    files[Path("README.md")] = _readme(names, kind, spec)
    files[Path(".gitignore")] = "dist/\n__pycache__/\n*.egg-info/\n"
    for relative, text in sorted(files.items()):
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


def _collect(
    folder: Traversable, at: Path, package: str, values: dict[str, str], out: dict[Path, str]
) -> None:
    for entry in folder.iterdir():
        name = package if entry.name == "__package__" else _fill(entry.name, values)
        if entry.is_dir():
            if name != "__pycache__":
                _collect(entry, at / name, package, values, out)
        elif name.endswith(".tmpl"):
            out[at / name.removesuffix(".tmpl")] = _fill(entry.read_text(), values)


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def _pyproject(names: Names, spec: Kind) -> str:
    deps = "".join(f'    "{d}",\n' for d in (sdk_range(), *spec.dependencies))
    return f"""\
[build-system]
requires = ["hatchling>=1.20"]
build-backend = "hatchling.build"

[project]
name = "{names.dist}"
dynamic = ["version"]
description = "{names.title}: an Argus plugin"
readme = "README.md"
requires-python = ">=3.11"
dependencies = [
{deps}]

[project.optional-dependencies]
# The SDK's conformance kit and the test runner: pip install -e '.[test]'
test = ["argus-sdk[test]", "pytest>=8.2"]

[project.entry-points."{spec.group}"]
{names.name} = "{names.package}.plugin"

[tool.hatch.version]
path = "src/{names.package}/__init__.py"

[tool.hatch.build.targets.wheel]
packages = ["src/{names.package}"]

[tool.pytest.ini_options]
addopts = "-ra --import-mode=importlib"
testpaths = ["tests"]
"""


def _readme(names: Names, kind: str, spec: Kind) -> str:
    kit = (
        "`tests/test_conformance.py` runs the SDK's conformance kit: every standard check of "
        "a driver is a test item (see the SDK's `docs/sdk/conformance.md`). Point its "
        "`argus_device` fixture at your real device when you have one.\n"
        if spec.conformance
        else ""
    )
    return f"""\
# {names.title}

An Argus {kind} plugin: {spec.summary}.

Made with `argus-sdk new {kind} {names.dist}`. It registers through the entry point
`[project.entry-points."{spec.group}"] {names.name} = "{names.package}.plugin"` and supports
the platform API `{sdk_range()}`.

## Develop

```sh
pip install -e '.[test]'     # once, in your virtualenv
argus-sdk test               # the tests, with the conformance kit's summary
argus-sdk build              # dist/<wheel>, checked as the master checks it
argus-sdk check dist/*.whl
```

{kit}
## Layout

- `src/{names.package}/plugin.py` — the `@hookimpl` functions the host calls;
- `src/{names.package}/settings.py` — the settings model (titles, descriptions, bounds:
  the System Manager form is made from them);
- the other modules — what the plugin does;
- `tests/` — run by `argus-sdk test` or `pytest`.
"""


__all__ = ["KINDS", "Kind", "Names", "ScaffoldError", "create", "sdk_range"]
