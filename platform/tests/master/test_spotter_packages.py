"""An admitted Spotter plugin (.spi) is served to clients at once: unpacked into the
master's Spotter store, loaded, listed, its assets served under a versioned URL; a newer
version replaces it, an older one admitted later does not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from argus.kernel import Kernel
from argus.master.api import create_app
from argus.master.config import MasterConfig, MasterSection
from argus.master.runtime import ADMIN_PASSWORD_ENV, Master
from argus.node.plugins import FOLDER, PluginStore, use_store
from argus_sdk.testing import ManualClock, make_wheel

PASSWORD = "correct horse battery"
PACKAGE = "argus_spi_lobby"
HOOK = """
from argus_sdk import SpotterPlugin, hookimpl


@hookimpl
def argus_spotter_plugins():
    return [SpotterPlugin(name="lobby", title="Lobby", package="argus_spi_lobby",
                          module="static/lobby.js")]
"""


def spi(folder: Path, version: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return make_wheel(
        folder / f"{PACKAGE}-{version}-py3-none-any.spi",
        name="argus-spi-lobby",
        version=version,
        files={
            f"{PACKAGE}/plugin.py": HOOK.encode(),
            f"{PACKAGE}/static/lobby.js": f"export const version = '{version}';\n".encode(),
        },
        entry_points=f"[argus.spi]\nlobby = {PACKAGE}.plugin\n",
    )


class Served:
    def __init__(self, tmp: Path) -> None:
        config = MasterConfig(master=MasterSection(id="m", data_dir=tmp / "master"))
        self.kernel = Kernel()
        self.kernel.load()
        self.master = Master(config, clock=ManualClock(1_800_000_000.0), kernel=self.kernel)
        self.master.start({ADMIN_PASSWORD_ENV: PASSWORD})
        self.client = TestClient(create_app(self.master))
        login = {"username": "admin", "password": PASSWORD}
        session = self.client.post("/api/v1/login", json=login).json()["session"]
        self.admin = {"Authorization": f"Bearer {session}"}

    def admit(self, path: Path) -> None:
        reply = self.client.post(
            "/api/v1/packages",
            params={"filename": path.name},
            content=path.read_bytes(),
            headers={**self.admin, "Content-Type": "application/octet-stream"},
        )
        assert reply.status_code == 201, reply.text

    def listed(self) -> dict[str, str]:
        plugins = self.client.get("/api/v1/spotter/plugins", headers=self.admin).json()
        return {p["name"]: p["module"] for p in plugins}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    served = Served(tmp_path)
    yield served
    served.kernel.unload("argus-spi-lobby")
    served.client.close()
    served.master.close()


def test_an_admitted_spi_is_listed_and_served_and_newer_versions_replace_it(
    served: Served, tmp_path: Path
) -> None:
    assert "lobby" not in served.listed()
    served.admit(spi(tmp_path / "1", "1.0"))
    module = served.listed()["lobby"]
    assert module == "/spotter/plugins/lobby/1.0/lobby.js"
    script = served.client.get(module)
    assert script.status_code == 200 and "'1.0'" in script.text
    assert script.headers["content-type"].startswith("text/javascript")

    served.admit(spi(tmp_path / "2", "2.0"))
    module = served.listed()["lobby"]
    assert module == "/spotter/plugins/lobby/2.0/lobby.js"
    assert "'2.0'" in served.client.get(module).text
    assert served.client.get("/spotter/plugins/lobby/1.0/lobby.js").status_code == 404

    served.admit(spi(tmp_path / "0", "0.5"))  # older: kept, not served
    assert served.listed()["lobby"].endswith("/2.0/lobby.js")
    assert served.master.spotter_store.installed()["argus-spi-lobby"] == ["0.5", "1.0", "2.0"]
    # The next start of the master loads the active version from its store.
    store = PluginStore(served.master.data_dir / FOLDER, spotter=True)
    assert store.active() == {"argus-spi-lobby": "2.0"}
    assert use_store(store) == []


def test_a_node_store_refuses_spotter_plugins(tmp_path: Path) -> None:
    from argus.node.plugins import StoreError

    with pytest.raises(StoreError, match="Spotter plugins are not run by nodes"):
        PluginStore(tmp_path / "store").install("argus-spi-lobby", "1.0", [spi(tmp_path, "1.0")])
