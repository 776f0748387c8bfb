"""The node's plugin store: checked wheels unpacked per version, atomic activation, and a
state after any crash that is either the old one or the new one."""

from __future__ import annotations

import importlib.metadata as md
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

from argus.node.plugins import ACTIVE, PluginStore, StoreError
from argus_sdk.packages import PackageRefused
from argus_sdk.testing import make_wheel

PLUGIN = "argus-driver-acme"
EPS = "[argus.camera_drivers]\nacme = argus_driver_acme.plugin\n"


def wheel(
    folder: Path,
    version: str,
    *,
    name: str = PLUGIN,
    files: dict[str, bytes] | None = None,
    entry_points: str | None = EPS,
    tag: str = "py3-none-any",
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name.replace('-', '_')}-{version}-{tag}.whl"
    return make_wheel(path, name=name, version=version, files=files, entry_points=entry_points)


@pytest.fixture
def store(tmp_path: Path) -> PluginStore:
    return PluginStore(tmp_path / "plugin-store")


def leftovers(store: PluginStore) -> list[str]:
    return sorted(str(p.relative_to(store.root)) for p in store.root.rglob(".*"))


def test_install_unpacks_an_importable_site_folder(tmp_path: Path, store: PluginStore) -> None:
    dep = wheel(
        tmp_path / "w",
        "0.3.0",
        name="acme-protocol",
        files={"acme_protocol/__init__.py": b"X = 1\n"},
        entry_points=None,
    )
    folder = store.install(PLUGIN, "1.0.0", [wheel(tmp_path / "w", "1.0.0"), dep])
    assert folder == store.path(PLUGIN, "1.0.0") == store.root / PLUGIN / "1.0.0"
    assert (folder / "argus_driver_acme" / "plugin.py").read_bytes().startswith(b"from argus_sdk")
    assert (folder / "acme_protocol" / "__init__.py").read_bytes() == b"X = 1\n"
    found = {d.metadata["Name"]: d.version for d in md.distributions(path=[str(folder)])}
    assert found == {PLUGIN: "1.0.0", "acme-protocol": "0.3.0"}
    [ep] = [e for d in md.distributions(path=[str(folder)]) for e in d.entry_points]
    assert (ep.group, ep.name, ep.value) == (
        "argus.camera_drivers",
        "acme",
        "argus_driver_acme.plugin",
    )
    assert store.installed() == {PLUGIN: ["1.0.0"]}
    assert store.active() == {} and store.sys_path_entries() == []
    assert leftovers(store) == [f"{PLUGIN}/1.0.0/.argus-store.json"]


def test_install_is_idempotent_and_versions_are_immutable(
    tmp_path: Path, store: PluginStore
) -> None:
    first = wheel(tmp_path / "a", "1.0.0")
    assert store.install(PLUGIN, "1.0.0", [first]) == store.install(PLUGIN, "1.0.0", [first])
    other = wheel(tmp_path / "b", "1.0.0", files={"argus_driver_acme/extra.py": b"# changed\n"})
    with pytest.raises(StoreError, match="already installed from a different wheel"):
        store.install(PLUGIN, "1.0.0", [other])
    assert not (store.path(PLUGIN, "1.0.0") / "argus_driver_acme" / "extra.py").exists()


def test_a_refused_wheel_leaves_nothing(tmp_path: Path, store: PluginStore) -> None:
    good = wheel(tmp_path / "w", "1.0.0")
    tampered = tmp_path / "t" / good.name
    tampered.parent.mkdir()
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(tampered, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, b"import os\n" if item.filename.endswith("plugin.py") else data)
    with pytest.raises(PackageRefused, match="do not match RECORD"):
        store.install(PLUGIN, "1.0.0", [tampered])
    bad_dep = wheel(
        tmp_path / "d", "1.0", name="evil", files={"argus_sdk/__init__.py": b""}, entry_points=None
    )
    with pytest.raises(StoreError, match="a package of the host"):
        store.install(PLUGIN, "1.0.0", [good, bad_dep])
    with pytest.raises(StoreError, match="another platform"):
        store.install(PLUGIN, "1.0.0", [wheel(tmp_path / "x", "1.0.0", tag="cp27-cp27m-win32")])
    with pytest.raises(StoreError, match=r"not 2\.0\.0"):
        store.install(PLUGIN, "2.0.0", [good])
    assert store.installed() == {} and leftovers(store) == []


@pytest.mark.parametrize(
    ("project", "version"),
    [("../etc", "1.0"), ("Argus_Driver", "1.0"), ("a/b", "1.0"), (PLUGIN, "1.0/../x"),
     (PLUGIN, "01.0"), (PLUGIN, ".."), ("", "1.0"), (PLUGIN, "banana")],
)  # fmt: skip
def test_names_and_versions_are_validated(store: PluginStore, project: str, version: str) -> None:
    with pytest.raises(StoreError):
        store.path(project, version)
    with pytest.raises(StoreError):
        store.activate(project, version)


def test_activate_keeps_the_previous_version_for_a_rollback(
    tmp_path: Path, store: PluginStore
) -> None:
    for version in ("1.0.0", "2.0.0"):
        store.install(PLUGIN, version, [wheel(tmp_path / version, version)])
    with pytest.raises(StoreError, match="not installed"):
        store.activate(PLUGIN, "3.0.0")
    store.activate(PLUGIN, "1.0.0")
    store.activate(PLUGIN, "2.0.0")
    assert store.active() == {PLUGIN: "2.0.0"} and store.previous(PLUGIN) == "1.0.0"
    assert store.sys_path_entries() == [store.path(PLUGIN, "2.0.0")]
    store.activate(PLUGIN, store.previous(PLUGIN))  # roll back
    assert store.active() == {PLUGIN: "1.0.0"} and store.previous(PLUGIN) == "2.0.0"
    store.activate(PLUGIN, None)
    assert store.active() == {} and store.previous(PLUGIN) == "1.0.0"
    assert PluginStore(store.root).previous(PLUGIN) == "1.0.0"  # it is on disk
    assert leftovers(store) == [f"{PLUGIN}/{v}/.argus-store.json" for v in ("1.0.0", "2.0.0")]


def test_remove_and_prune_never_take_the_active_or_the_previous(
    tmp_path: Path, store: PluginStore
) -> None:
    versions = ["1.0.0", "1.1.0", "2.0.0", "2.1.0", "3.0.0"]
    for version in versions:
        store.install(PLUGIN, version, [wheel(tmp_path / version, version)])
    store.activate(PLUGIN, "2.0.0")
    store.activate(PLUGIN, "1.1.0")  # a rollback: the previous is newer than the active
    with pytest.raises(StoreError, match="is active"):
        store.remove(PLUGIN, "1.1.0")
    store.remove(PLUGIN, "3.0.0")
    store.remove(PLUGIN, "3.0.0")  # already gone: nothing to do
    store.prune(PLUGIN)
    assert store.installed() == {PLUGIN: ["1.1.0", "2.0.0"]}
    store.install(PLUGIN, "4.0.0", [wheel(tmp_path / "4", "4.0.0")])
    store.prune(PLUGIN, keep=3)
    assert store.installed() == {PLUGIN: ["1.1.0", "2.0.0", "4.0.0"]}


def test_recover_removes_what_interrupted_operations_left(
    tmp_path: Path, store: PluginStore
) -> None:
    store.install(PLUGIN, "1.0.0", [wheel(tmp_path / "1", "1.0.0")])
    store.activate(PLUGIN, "1.0.0")
    # An install killed while unpacking 2.0.0, a removal killed while deleting,
    # an activation killed before its rename (whole temp file) and one killed
    # while writing it (half a file).
    partial = store.root / PLUGIN / ".2.0.0.partial-0a1b2c"
    (partial / "argus_driver_acme").mkdir(parents=True)
    (partial / "argus_driver_acme" / "plugin.py").write_bytes(b"from argus")
    (store.root / PLUGIN / ".0.9.0.removing-ffee00" / "x").mkdir(parents=True)
    state = {"format": 1, "active": {PLUGIN: "2.0.0"}, "previous": {PLUGIN: "1.0.0"}}
    (store.root / f".{ACTIVE}.123abc").write_text(json.dumps(state))
    (store.root / f".{ACTIVE}.456def").write_text(json.dumps(state)[:20])

    assert sorted(store.recover()) == [
        f".{ACTIVE}.123abc",
        f".{ACTIVE}.456def",
        f"{PLUGIN}/.0.9.0.removing-ffee00",
        f"{PLUGIN}/.2.0.0.partial-0a1b2c",
    ]
    assert store.active() == {PLUGIN: "1.0.0"} and store.installed() == {PLUGIN: ["1.0.0"]}
    assert store.recover() == []


def test_recover_drops_an_activation_whose_folder_is_gone(
    tmp_path: Path, store: PluginStore
) -> None:
    store.install(PLUGIN, "1.0.0", [wheel(tmp_path / "1", "1.0.0")])
    store.activate(PLUGIN, "1.0.0")
    (store.root / PLUGIN / "1.0.0").rename(tmp_path / "elsewhere")
    assert store.recover() == [f"active:{PLUGIN}"]
    assert store.active() == {}


KILLED_INSTALL = """
    import sys
    from pathlib import Path
    from argus.node.plugins import PluginStore
    store = PluginStore(Path(sys.argv[1]))
    store.install(sys.argv[2], "2.0.0", [Path(sys.argv[3])])
    store.activate(sys.argv[2], "2.0.0")
"""


@pytest.mark.slow
def test_kill_9_mid_install_leaves_the_old_state_or_the_new(
    tmp_path: Path, store: PluginStore
) -> None:
    store.install(PLUGIN, "1.0.0", [wheel(tmp_path / "1", "1.0.0")])
    store.activate(PLUGIN, "1.0.0")
    many = {f"argus_driver_acme/data/f{i:04}.py": b"x = %d\n" % i for i in range(3000)}
    big = wheel(tmp_path / "2", "2.0.0", files=many)
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(KILLED_INSTALL), str(store.root), PLUGIN, str(big)]
    )
    killed_mid_install = False
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if any((store.root / PLUGIN).glob(".2.0.0.partial-*/argus_driver_acme/data/f00*")):
                os.kill(proc.pid, signal.SIGKILL)
                killed_mid_install = True
                break
            time.sleep(0.002)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)

    recovered = PluginStore(store.root)
    removed = recovered.recover()
    if killed_mid_install:
        assert proc.returncode == -signal.SIGKILL
        assert [r.split(".partial-")[0] for r in removed] == [f"{PLUGIN}/.2.0.0"]
        assert recovered.active() == {PLUGIN: "1.0.0"}
        assert recovered.installed() == {PLUGIN: ["1.0.0"]}
    else:  # the machine was faster than the poll: then it is the whole new state
        assert recovered.active() in ({PLUGIN: "1.0.0"}, {PLUGIN: "2.0.0"})
    assert leftovers(recovered) == [
        f"{PLUGIN}/{v}/.argus-store.json" for v in recovered.installed()[PLUGIN]
    ]
    recovered.install(PLUGIN, "2.0.0", [big])  # the interrupted install can be redone
    data = recovered.path(PLUGIN, "2.0.0") / "argus_driver_acme" / "data"
    assert len(list(data.iterdir())) == len(many)
