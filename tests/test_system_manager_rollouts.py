"""The System Manager's rollout views in a real headless Chromium, against a real master
and real node processes on loopback (no mocks).

Node ``n-a`` runs; ``n-b`` enrolled and heartbeated once, then stopped (an offline node:
what it is asked stays unanswered); ``n-c`` was added but never enrolled. The rollcam
camera driver is admitted in three versions (1.0 and 2.0 healthy, 3.0 silent).

- Refused rollouts (a node that is not enrolled, a canary outside the rollout, a second
  rollout of a package while one runs) show the API's own message and start nothing.
- A rollout started from the form reaches ``completed`` in the live detail view; the
  Installed page shows the node running that version.
- Halt (with a reason), Resume (with more failures tolerated) and Cancel are offered
  only in the states that allow them, and do what they say.
- A version that fails its health check shows the node's reason and halts the rollout.
- Pin, Unpin and Remove from the Installed page reach the node.

Screenshots go to the test artifacts (``rollout-*.png``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from argus.testing import Cluster, free_port
from argus.testing.browser import artifacts_dir, chromium_browser, missing
from argus.testing.demo import joining_node_config
from argus.testing.plugins import Mode, camera_driver_wheel

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(missing() is not None, reason=missing() or ""),
]

ARTIFACTS = artifacts_dir(Path(__file__).parent.parent / "test-artifacts" / "manager")
PASSWORD = "admin-password-for-tests"
PROJECT = "argus-driver-rollcam"
SIM = {"name": "Yard", "main_profile": "360p", "sub_profile": None, "loop_seconds": 2}
#: Waits on what nodes do (download, install, health check), in milliseconds.
NODE_MS = 90_000


@dataclass
class System:
    url: str
    api: httpx.Client
    admin: dict[str, str]

    def rollout(self, rollout_id: int) -> dict[str, Any]:
        body: dict[str, Any] = self.api.get(f"/rollouts/{rollout_id}", headers=self.admin).json()
        return body


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    root = tmp_path_factory.mktemp("rollouts")
    cluster = Cluster(root, ignore=(httpx.TransportError, OSError, KeyError, StopIteration))
    try:
        master = cluster.master(PASSWORD)
        url, mport, api, admin = master.url, master.port, master.api, master.admin
        procs, ports = {}, {}
        for name, devices in (
            (
                "n-a",
                [
                    {"ident": "yard", "driver": "sim", "settings": SIM},
                    {"ident": "door", "driver": "rollcam", "settings": {"name": "Door"}},
                ],
            ),
            ("n-b", []),
        ):
            token = api.post("/nodes", json={"name": name}, headers=admin).json()["token"]
            (root / f"{name}-token").write_text(token)
            ports[name] = free_port()
            joining_node_config(root, name, ports[name], mport, "plugin_health_seconds = 5\n")
            for device in devices:
                added = api.post(f"/nodes/{name}/devices", headers=admin, json=device)
                assert added.status_code == 201, added.text
            procs[name] = cluster.run(name, ["node", "run", "-c", str(root / f"{name}.toml")])
        assert api.post("/nodes", json={"name": "n-c"}, headers=admin).status_code == 201

        def last_heartbeat(name: str) -> str | None:
            listed = {n["name"]: n for n in api.get("/nodes", headers=admin).json()}
            seen: str | None = listed[name]["last_heartbeat"]
            return seen

        def serving(port: int) -> int:
            return httpx.get(f"http://127.0.0.1:{port}/").status_code  # any answer will do

        def heartbeat_since(name: str, before: str | None) -> bool:
            return last_heartbeat(name) != before

        for name, port in ports.items():
            # Serving its API, the node is fully started; a heartbeat after that (not the
            # enrolment) has told the master its platform API and wheel tags.
            cluster.wait(partial(serving, port), f"{name}'s API")
            cluster.wait(partial(heartbeat_since, name, last_heartbeat(name)), f"{name} heartbeat")
        assert cluster.stop(procs["n-b"]) == 0  # enrolled, now offline

        versions: tuple[tuple[str, Mode], ...] = (("1.0", "ok"), ("2.0", "ok"), ("3.0", "silent"))
        for version, mode in versions:
            wheel = camera_driver_wheel(root / "wheels" / version, version, mode=mode)
            reply = api.post(
                "/packages",
                params={"filename": wheel.name},
                content=wheel.read_bytes(),
                headers=admin,
            )
            assert reply.status_code == 201, reply.text
        yield System(url, api, admin)
    finally:
        problems = cluster.stop_all()
        assert not problems, problems


@pytest.fixture(scope="module")
def page(system: System) -> Iterator[Any]:
    with chromium_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(system.url + "/manager/")
        page.fill("#login-form [name=username]", "admin")
        page.fill("#login-form [name=password]", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#page[data-ready='servers']")
        yield page


def go(page: Any, name: str) -> None:
    page.evaluate("name => { location.hash = '#' + name }", name)
    page.wait_for_selector(f"#page[data-ready='{name.split('/')[0]}']")


def said(page: Any, text: str) -> str:
    """Wait for ``text`` in the message line; its class ('message' or 'message error')."""
    page.wait_for_function(
        "text => document.querySelector('#message').textContent.includes(text)", arg=text
    )
    return str(page.get_attribute("#message", "class"))


def fill_rollout(
    page: Any,
    version: str,
    nodes: tuple[str, ...] = (),
    canary: tuple[str, ...] = (),
    **numbers: int,
) -> None:
    """Fill the Start a rollout form (a fresh Rollouts page) and submit it."""
    go(page, "servers")  # a fresh form, even after a refusal on the same page
    go(page, "rollouts")
    page.select_option("#rollout-package", PROJECT)
    page.select_option("#rollout-version", version)
    for name in nodes:
        page.check(f"#start-rollout [data-choices='nodes'] input[value='{name}']")
    for name in canary:
        page.check(f"#start-rollout [data-choices='canary'] input[value='{name}']")
    for field, value in numbers.items():
        page.fill(f"#start-rollout [data-field='{field}'] input", str(value))
    page.click("#start-rollout button[type=submit]")


def start_rollout(page: Any, version: str, *args: Any, **kwargs: Any) -> int:
    """Start a rollout from the form; the id of the rollout the detail view shows."""
    fill_rollout(page, version, *args, **kwargs)
    page.wait_for_function("location.hash.startsWith('#rollouts/')")
    page.wait_for_selector("#page[data-ready='rollouts'] #rollout[data-state]")
    return int(page.evaluate("location.hash.split('/')[1]"))


def cell_becomes(page: Any, row: str, column: str, text: str, timeout: float = 30_000) -> None:
    """Wait until the ``td.<column>`` of ``row`` reads ``text`` (the page redraws live)."""
    page.wait_for_function(
        "([row, column, text]) =>"
        " document.querySelector(`${row} td.${column}`)?.textContent === text",
        arg=[row, column, text],
        timeout=timeout,
    )


def offered(page: Any) -> set[str]:
    """The rollout actions the detail view offers."""
    buttons = ("#halt-rollout", "#resume-rollout", "#cancel-rollout")
    return {b.strip("#").split("-")[0] for b in buttons if page.locator(b).count()}


def test_a_refused_rollout_shows_the_apis_message(page: Any, system: System) -> None:
    go(page, "rollouts")
    # The numbers come from the API's own schema, with its defaults and bounds.
    assert page.input_value("#start-rollout [data-field='percentage'] input") == "50"
    assert page.get_attribute("#start-rollout [data-field='percentage'] input", "max") == "100"
    assert page.input_value("#start-rollout [data-field='node_timeout'] input") == "600"
    versions = page.locator("#rollout-version option").all_text_contents()
    assert versions == ["the newest that fits each node", "3.0", "2.0", "1.0"]
    fill_rollout(page, "1.0", nodes=("n-c",))
    assert "error" in said(page, "no enrolled node named n-c")
    fill_rollout(page, "1.0", nodes=("n-a",), canary=("n-b",))
    assert "error" in said(page, "canary nodes not in the rollout: n-b")
    page.screenshot(path=ARTIFACTS / "rollout-refused.png", full_page=True)
    assert page.evaluate("location.hash") == "#rollouts"
    assert system.api.get("/rollouts", headers=system.admin).json() == []
    assert "No rollout yet" in page.text_content("#rollouts")


def test_a_rollout_from_the_form_completes_and_the_node_runs_it(page: Any, system: System) -> None:
    rollout_id = start_rollout(page, "1.0", nodes=("n-a",), node_timeout=120)
    page.wait_for_selector("#rollout[data-state='completed']", timeout=NODE_MS)
    row = page.locator("#rollout-nodes tr[data-node='n-a']")
    assert row.get_attribute("data-state") == "succeeded"
    assert "1.0" in row.inner_text() and "argus_driver_rollcam-1.0" in row.inner_text()
    assert offered(page) == set()
    assert "completed: nothing more to do" in page.text_content("#rollout-actions")
    page.screenshot(path=ARTIFACTS / "rollout-completed.png", full_page=True)
    body = system.rollout(rollout_id)
    assert body["node_timeout"] == 120 and [m["node"] for m in body["nodes"]] == ["n-a"]

    go(page, "rollouts")
    listed = page.locator(f"#rollouts tr[data-rollout='{rollout_id}']")
    assert listed.get_attribute("data-state") == "completed"
    assert "1 succeeded" in listed.inner_text() and f"{PROJECT}==1.0" in listed.inner_text()

    go(page, "installed")
    installed = f"#installed tr[data-node='n-a'][data-project='{PROJECT}']"
    page.wait_for_selector(f"{installed}[data-state='active']", timeout=NODE_MS)
    assert page.text_content(f"{installed} td.running") == "1.0"
    assert page.text_content(f"{installed} td.wanted").startswith("1.0")
    page.screenshot(path=ARTIFACTS / "rollout-installed.png", full_page=True)


def test_halt_resume_and_cancel_are_offered_as_the_state_allows(page: Any, system: System) -> None:
    # Every enrolled node: the canary n-a, then n-b, which is offline and never answers.
    rollout_id = start_rollout(page, "2.0", canary=("n-a",), percentage=100)
    page.wait_for_selector("#rollout-nodes tr[data-node='n-b'][data-state='sent']", timeout=NODE_MS)
    assert page.get_attribute("#rollout-nodes tr[data-node='n-a']", "data-state") == "succeeded"
    assert page.get_attribute("#rollout", "data-state") == "running"
    assert "n-c" not in page.text_content("#rollout-nodes")  # not enrolled: not in it
    assert offered(page) == {"halt", "cancel"}

    page.fill("#halt-reason", "the door camera flickers")
    page.click("#halt-rollout button[type=submit]")
    page.wait_for_selector("#rollout[data-state='halted']")
    assert "halted by admin: the door camera flickers" in page.text_content("#rollout-reason")
    assert offered(page) == {"resume", "cancel"}
    page.screenshot(path=ARTIFACTS / "rollout-halted.png", full_page=True)

    page.fill("#resume-max-failures", "1")
    page.click("#resume-rollout button[type=submit]")
    page.wait_for_selector("#rollout[data-state='running']")
    assert offered(page) == {"halt", "cancel"}
    assert system.rollout(rollout_id)["max_failures"] == 1

    fill_rollout(page, "2.0", nodes=("n-a",))  # a second one of the package while it runs
    assert "error" in said(page, f"rollout {rollout_id} of {PROJECT} is running")

    go(page, f"rollouts/{rollout_id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#cancel-rollout")
    page.wait_for_selector("#rollout[data-state='cancelled']")
    assert offered(page) == set()
    assert "cancelled by admin" in page.text_content("#rollout-reason")
    assert system.rollout(rollout_id)["state"] == "cancelled"


def test_a_failed_health_check_shows_the_nodes_reason(page: Any, system: System) -> None:
    rollout_id = start_rollout(page, "3.0", nodes=("n-a",))
    page.wait_for_selector("#rollout[data-state='halted']", timeout=NODE_MS)
    row = page.locator("#rollout-nodes tr[data-node='n-a']")
    assert row.get_attribute("data-state") == "rolled-back"
    assert "no packets from" in row.inner_text() and "rolled back to 2.0" in row.inner_text()
    assert "1 node(s) failed" in page.text_content("#rollout-reason")
    assert offered(page) == {"resume", "cancel"}
    page.screenshot(path=ARTIFACTS / "rollout-failed.png", full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#cancel-rollout")
    page.wait_for_selector("#rollout[data-state='cancelled']")
    assert system.rollout(rollout_id)["state"] == "cancelled"

    go(page, "rollouts")  # newest first
    listed = page.locator("#rollouts tbody tr")
    assert [listed.nth(i).get_attribute("data-state") for i in range(3)] == [
        "cancelled",
        "cancelled",
        "completed",
    ]
    assert listed.first.get_attribute("data-rollout") == str(rollout_id)
    assert "1 rolled-back" in listed.first.inner_text()

    go(page, "installed")
    installed = f"#installed tr[data-node='n-a'][data-project='{PROJECT}']"
    assert page.get_attribute(installed, "data-state") == "rolled-back"
    assert page.text_content(f"{installed} td.running") == "2.0"


def test_pin_unpin_and_remove_reach_the_node(page: Any, system: System) -> None:
    go(page, "installed")
    installed = f"#installed tr[data-node='n-a'][data-project='{PROJECT}']"
    page.select_option("#pin-package", PROJECT)
    page.select_option("#pin-version", "1.0")
    page.check("#pin-remove [data-choices='nodes'] input[value='n-a']")
    page.click("#pin-remove button[type=submit]")
    assert "error" not in said(page, f"{PROJECT}==1.0 pinned on n-a")
    cell_becomes(page, installed, "pinned", "pinned")
    assert page.text_content(f"{installed} td.wanted") == "1.0"
    # The page follows the node until it reports the pinned version.
    cell_becomes(page, installed, "running", "1.0", timeout=NODE_MS)
    page.wait_for_selector(f"{installed}[data-state='active']", timeout=NODE_MS)
    page.screenshot(path=ARTIFACTS / "rollout-pinned.png", full_page=True)

    page.click(f"{installed} button.unpin")
    said(page, f"{PROJECT} unpinned on n-a")
    cell_becomes(page, installed, "pinned", "")
    assert page.locator(f"{installed} button.unpin").count() == 0

    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"{installed} button.remove")
    said(page, f"{PROJECT} is being removed from n-a")
    page.wait_for_selector(f"{installed}[data-state='removed']", timeout=NODE_MS)
    assert page.text_content(f"{installed} td.wanted") == "–"
    assert page.text_content(f"{installed} td.running") == "–"
    assert page.locator(f"{installed} button.remove").count() == 0
    rows = system.api.get("/packages/installed", headers=system.admin).json()
    [n_a] = [r for r in rows if r["node"] == "n-a"]
    assert n_a["desired_version"] is None and n_a["state"] == "removed"
