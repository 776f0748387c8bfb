"""The master serves Spotter plugins (.spi) of installed plugin packages at versioned URLs.

Each test installs real distributions (``dists``) with a package of static files, loads
them through the kernel, and asks a real master app (SQLite) for them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from argus.kernel import Kernel
from argus.master.api import create_app
from argus.master.config import MasterConfig, MasterSection
from argus.master.runtime import ADMIN_PASSWORD_ENV, Master
from argus.testing import DistFactory
from argus.web.plugins import IMMUTABLE

PASSWORD = "a password for the test"
PLUGIN = """
from argus_sdk import SpotterPlugin, hookimpl

@hookimpl
def argus_spotter_plugins():
    return [SpotterPlugin({name!r}, {title!r}, {package!r}, "static/main.js", {styles!r})]
"""


def install(
    dists: DistFactory, name: str, *, styles: tuple[str, ...] = (), version: str = "1.2.3"
) -> str:
    """A distribution with a package of assets and an ``argus.spi`` plugin; its package."""
    package = DistFactory.unique(f"spi_{name}")
    static = dists.root / package / "static"
    (static / "lib").mkdir(parents=True)
    (dists.root / package / "__init__.py").write_text("")
    (dists.root / package / "secret.py").write_text("KEY = 'not for browsers'\n")
    (static / "main.js").write_text("export function activate(spotter) {}\n")
    (static / "main.css").write_text(".x { color: red }\n")
    (static / "lib" / "helper.js").write_text("export const x = 1;\n")
    (static / "notes.txt").write_text("not a web asset\n")
    (static / ".hidden.js").write_text("//\n")
    module = DistFactory.unique(f"spi_{name}_plugin")
    dists.make(
        f"argus-spi-{name}",
        entry_points={"argus.spi": {name: module}},
        modules={
            module: PLUGIN.format(name=name, title=name.title(), package=package, styles=styles)
        },
        version=version,
    )
    return package


def master_app(tmp_path: Path, enabled: set[str]) -> tuple[TestClient, dict[str, str]]:
    kernel = Kernel(enabled=enabled)
    kernel.load()
    section = MasterSection(id="m", data_dir=tmp_path / "master")
    master = Master(MasterConfig(master=section), kernel=kernel)
    master.start({ADMIN_PASSWORD_ENV: PASSWORD})
    client = TestClient(create_app(master))
    session = client.post("/api/v1/login", json={"username": "admin", "password": PASSWORD})
    return client, {"Authorization": f"Bearer {session.json()['session']}"}


def test_plugins_are_listed_and_their_assets_served_by_version(
    dists: DistFactory, tmp_path: Path
) -> None:
    install(dists, "hello", styles=("static/main.css",), version="2.0.1")
    client, admin = master_app(tmp_path, {"hello"})

    assert client.get("/api/v1/spotter/plugins").status_code == 401
    [listed] = client.get("/api/v1/spotter/plugins", headers=admin).json()
    assert listed == {
        "name": "hello",
        "title": "Hello",
        "version": "2.0.1",
        "distribution": "argus-spi-hello",
        "module": "/spotter/plugins/hello/2.0.1/main.js",
        "styles": ["/spotter/plugins/hello/2.0.1/main.css"],
    }
    module = client.get(listed["module"])
    assert module.status_code == 200 and "activate" in module.text
    assert module.headers["content-type"].startswith("text/javascript")
    assert module.headers["cache-control"] == IMMUTABLE
    assert client.get(listed["styles"][0]).headers["content-type"].startswith("text/css")
    assert client.get("/spotter/plugins/hello/2.0.1/lib/helper.js").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/spotter/plugins/hello/1.0.0/main.js",  # another version
        "/spotter/plugins/nope/2.0.1/main.js",  # another plugin
        "/spotter/plugins/hello/2.0.1/../secret.py",
        "/spotter/plugins/hello/2.0.1/%2e%2e/secret.py",
        "/spotter/plugins/hello/2.0.1/..%2Fsecret.py",
        "/spotter/plugins/hello/2.0.1/notes.txt",
        "/spotter/plugins/hello/2.0.1/.hidden.js",
        "/spotter/plugins/hello/2.0.1/missing.js",
    ],
)
def test_nothing_but_the_plugins_web_assets_is_served(
    dists: DistFactory, tmp_path: Path, path: str
) -> None:
    install(dists, "hello", version="2.0.1")
    client, _ = master_app(tmp_path, {"hello"})
    reply = client.get(path)
    assert reply.status_code == 404, (path, reply.text)
    assert "not for browsers" not in reply.text


def test_a_plugin_that_cannot_be_served_is_left_out_with_a_reason(
    dists: DistFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    install(dists, "good")
    install(dists, "bad", styles=("elsewhere/main.css",))
    client, admin = master_app(tmp_path, {"good", "bad"})
    names = [p["name"] for p in client.get("/api/v1/spotter/plugins", headers=admin).json()]
    assert names == ["good"]
    assert "Spotter plugin bad" in caplog.text and "left out" in caplog.text
