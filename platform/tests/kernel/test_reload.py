"""Reloading one distribution in a running kernel: new version in, old modules out, the
other plugins untouched, and a bad new version quarantined like at start-up."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from argus.kernel import Kernel, PluginStatus
from argus.testing import DistFactory

CAMERA = "argus.camera_drivers"
DIST = "argus-driver-swap"

DRIVER = """
from {module}_helper import VERSION
from argus_sdk import hookimpl

@hookimpl
def argus_camera_drivers():
    return ["swap-" + VERSION]
"""


@dataclass
class Versions:
    """Folders of versions of one distribution, as the plugin store lays them out, and
    the one module name they all use (as a real package keeps its name)."""

    module: str
    folders: dict[str, Path]

    def __getitem__(self, version: str) -> Path:
        return self.folders[version]


@pytest.fixture
def versions(tmp_path: Path) -> Iterator[Versions]:
    """Versions 1 and 2 work, 3 raises at import, 4 calls sys.exit, 5 misspells its hook.
    Whatever the test leaves on sys.path or in sys.modules from ``tmp_path`` is removed."""
    made = Versions(DistFactory.unique("swap"), {})
    for version, source in {
        "1.0.0": DRIVER,
        "2.0.0": DRIVER,
        "3.0.0": "raise RuntimeError('vendor library missing')\n",
        "4.0.0": "import sys\nsys.exit(3)\n",
        "5.0.0": DRIVER.replace("argus_camera_drivers", "argus_camera_driver"),
    }.items():
        folder = made.folders[version] = tmp_path / "store" / DIST / version
        folder.mkdir(parents=True)
        DistFactory(folder).make(
            DIST,
            version=version,
            entry_points={CAMERA: {"swap": made.module}},
            modules={
                made.module: source.format(module=made.module),
                f"{made.module}_helper": f"VERSION = {version!r}\n",
            },
        )
    yield made
    sys.path[:] = [p for p in sys.path if not p.startswith(str(tmp_path))]
    for name, mod in list(sys.modules.items()):
        if (getattr(mod, "__file__", None) or "").startswith(str(tmp_path)):
            del sys.modules[name]


@pytest.fixture
def other(dists: DistFactory) -> str:
    """Another plugin (another distribution), which must stay as it is."""
    module = DistFactory.unique("steady")
    dists.make(
        "argus-driver-steady",
        entry_points={CAMERA: {"steady": module}},
        modules={
            module: "from argus_sdk import hookimpl\n\n@hookimpl\n"
            "def argus_camera_drivers():\n    return ['steady']\n"
        },
    )
    return module


def drivers(kernel: Kernel) -> list[str]:
    return sorted(r.value for r in kernel.collect("argus_camera_drivers"))


def started(folder: Path) -> Kernel:
    sys.path.insert(0, str(folder))
    kernel = Kernel(enabled={"swap", "steady"})
    kernel.load()
    return kernel


def test_reload_swaps_the_version_and_purges_the_old_modules(
    versions: Versions, other: str
) -> None:
    module = versions.module
    kernel = started(versions["1.0.0"])
    steady = kernel.pm.get_plugin("steady")
    assert drivers(kernel) == ["steady", "swap-1.0.0"]
    assert sys.modules[module].__file__.startswith(str(versions["1.0.0"]))  # type: ignore[union-attr]

    [record] = kernel.reload(DIST, old=versions["1.0.0"], new=versions["2.0.0"])
    assert (record.name, record.version, record.status) == ("swap", "2.0.0", PluginStatus.LOADED)
    assert drivers(kernel) == ["steady", "swap-2.0.0"]
    for name in (module, f"{module}_helper"):  # the plugin and what it imported from its folder
        assert sys.modules[name].__file__.startswith(str(versions["2.0.0"]))  # type: ignore[union-attr]
    assert str(versions["1.0.0"]) not in sys.path and sys.path[0] == str(versions["2.0.0"])
    assert kernel.pm.get_plugin("steady") is steady  # untouched
    assert sys.modules[other].__file__ is not None  # another folder's module is kept
    assert "argus_sdk" in sys.modules and "argus.kernel" in sys.modules
    assert kernel.plugin("swap").version == "2.0.0"


@pytest.mark.parametrize(
    ("version", "reason"),
    [
        ("3.0.0", "import failed: RuntimeError: vendor library missing"),
        ("4.0.0", "import failed: SystemExit: 3"),
        ("5.0.0", "argus_camera_driver is not an Argus hook; did you mean argus_camera_drivers?"),
    ],
)
def test_a_bad_new_version_is_quarantined_and_a_rollback_works(
    versions: Versions, other: str, version: str, reason: str
) -> None:
    kernel = started(versions["2.0.0"])
    [record] = kernel.reload(DIST, old=versions["2.0.0"], new=versions[version])
    assert (record.version, record.status, record.reason) == (
        version,
        PluginStatus.QUARANTINED,
        reason,
    )
    assert drivers(kernel) == ["steady"]  # the host carries on with the others
    kernel.pm.check_pending()

    [record] = kernel.reload(DIST, old=versions[version], new=versions["2.0.0"])
    assert (record.version, record.status) == ("2.0.0", PluginStatus.LOADED)
    assert drivers(kernel) == ["steady", "swap-2.0.0"]


def test_reload_without_a_new_version_removes_the_plugin(versions: Versions, other: str) -> None:
    kernel = started(versions["1.0.0"])
    assert kernel.reload(DIST, old=versions["1.0.0"]) == []
    assert [r.name for r in kernel.plugins() if r.name in ("swap", "steady")] == ["steady"]
    assert drivers(kernel) == ["steady"]
    assert versions.module not in sys.modules

    [record] = kernel.reload(DIST, new=versions["1.0.0"])  # added back
    assert record.status is PluginStatus.LOADED and drivers(kernel) == ["steady", "swap-1.0.0"]


def test_unload_returns_the_plugin_names_and_forgets_them(versions: Versions, other: str) -> None:
    kernel = started(versions["1.0.0"])
    assert kernel.unload("Argus_Driver.Swap", location=versions["1.0.0"]) == ["swap"]
    assert kernel.unload(DIST) == []
    with pytest.raises(KeyError):
        kernel.plugin("swap")


def test_a_new_distribution_cannot_take_a_running_plugins_name(
    versions: Versions, other: str, tmp_path: Path
) -> None:
    kernel = started(versions["1.0.0"])
    impostor = tmp_path / "impostor"
    impostor.mkdir()
    module = DistFactory.unique("impostor")
    DistFactory(impostor).make(
        "argus-driver-impostor",
        entry_points={CAMERA: {"swap": module}},
        modules={module: "raise AssertionError('imported')\n"},
    )
    [record] = kernel.reload("argus-driver-impostor", new=impostor)
    assert record.status is PluginStatus.QUARANTINED
    assert record.reason == (
        "plugin name 'swap' is provided by both argus-driver-swap and argus-driver-impostor"
    )
    assert kernel.plugin("swap").status is PluginStatus.LOADED
    assert drivers(kernel) == ["steady", "swap-1.0.0"]


def test_calls_during_reloads_never_fail(versions: Versions, other: str) -> None:
    kernel = started(versions["1.0.0"])
    seen: set[tuple[str, ...]] = set()
    errors: list[BaseException] = []
    done = threading.Event()

    def caller() -> None:
        try:
            while not done.is_set():
                seen.add(tuple(drivers(kernel)))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=caller)
    thread.start()
    try:
        current = "1.0.0"
        for new in ("2.0.0", "1.0.0", "2.0.0", "1.0.0"):
            kernel.reload(DIST, old=versions[current], new=versions[new])
            current = new
    finally:
        done.set()
        thread.join(10)
    assert errors == []
    assert seen <= {("steady",), ("steady", "swap-1.0.0"), ("steady", "swap-2.0.0")}
    assert kernel.plugin("steady").failures == 0


def test_a_store_version_replaces_and_gives_back_an_installed_copy(
    versions: Versions, other: str
) -> None:
    """A first-party plugin comes installed with the node (here: 1.0.0, with the RECORD an
    installer writes); a store version shadows it and, deactivated, gives it back."""
    installed = versions["1.0.0"]
    info = installed / f"{DIST.replace('-', '_')}-1.0.0.dist-info"
    (info / "RECORD").write_text(
        "".join(f"{m}.py,,\n" for m in (versions.module, f"{versions.module}_helper"))
    )
    kernel = started(installed)
    assert drivers(kernel) == ["steady", "swap-1.0.0"]

    [record] = kernel.reload(DIST, new=versions["2.0.0"])  # the installed copy stays on sys.path
    assert (record.version, record.status) == ("2.0.0", PluginStatus.LOADED)
    assert drivers(kernel) == ["steady", "swap-2.0.0"]
    assert str(installed) in sys.path
    assert sys.modules[f"{versions.module}_helper"].__file__.startswith(str(versions["2.0.0"]))  # type: ignore[union-attr]

    [record] = kernel.reload(DIST, old=versions["2.0.0"])
    assert (record.version, record.status) == ("1.0.0", PluginStatus.LOADED)
    assert drivers(kernel) == ["steady", "swap-1.0.0"]
    assert sys.modules[versions.module].__file__.startswith(str(installed))  # type: ignore[union-attr]
