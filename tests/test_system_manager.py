"""The System Manager in a real headless Chromium against a real ``argus demo``.

An administrator adds a camera through the form generated from the sim driver's
settings model and the node records it; creates a profile, ticks rights in the
matrix, adds a user with it; reads the audit trail and watchdog events; downloads a
backup. Screenshots of every page go to the test artifacts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from argus.testing.browser import artifacts_dir, chromium_browser, missing
from argus.testing.demo import RunningDemo, running_demo

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(missing() is not None, reason=missing() or ""),
]

ARTIFACTS = artifacts_dir(Path(__file__).parent.parent / "test-artifacts" / "manager")
PAGES = (
    "servers",
    "cameras",
    "groups",
    "users",
    "profiles",
    "packages",
    "audit",
    "watchdog",
    "backup",
)


Demo = RunningDemo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with running_demo(tmp_path_factory.mktemp("manager")) as demo:
        yield demo


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as browser:
        yield browser


@pytest.fixture(scope="module")
def page(demo: Demo, browser: Any) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page.goto(demo.master + "/manager/")
    page.fill("#login-form [name=username]", "admin")
    page.fill("#login-form [name=password]", demo.password)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#page[data-ready='servers']")
    return page


def go(page: Any, name: str) -> None:
    page.evaluate("name => { location.hash = '#' + name }", name)
    page.wait_for_selector(f"#page[data-ready='{name.split('/')[0]}']")


def test_every_page_shows_the_system(page: Any, demo: Demo) -> None:
    for name in PAGES:
        go(page, name)
        assert page.text_content("#message") == ""
        page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    go(page, "servers")
    row = page.locator("#servers tr[data-node='demo']")
    assert "enrolled" in row.inner_text() and "recording" in row.inner_text()


def test_a_camera_added_through_the_generated_form_is_recorded(page: Any, demo: Demo) -> None:
    go(page, "cameras")
    page.click("#add-device")
    page.select_option("#device-driver", "sim")
    # The form is the sim driver's settings model: its fields, titles and choices.
    assert page.locator("[data-field='settings.main_profile'] select").count() == 1
    page.fill("#device-form [name=ident]", "porch")
    page.fill("#device-form [name=name]", "Porch")
    page.fill("[data-field='settings.name'] input", "Porch")
    page.select_option("[data-field='settings.main_profile'] select", "360p")
    page.screenshot(path=ARTIFACTS / "camera-form.png", full_page=True)
    page.click("#device-form button[type=submit]")
    page.wait_for_selector("#devices tr[data-device='porch']")
    assert "added" in page.text_content("#message")

    admin = demo.admin()
    [device] = [
        d
        for d in demo.api.get("/nodes/demo/devices", headers=admin).json()
        if d["ident"] == "porch"
    ]
    assert device["settings"]["main_profile"] == "360p" and device["cameras"][0]["ident"] == "porch"
    tokens = demo.api.get("/me/tokens", headers=admin).json()["tokens"]
    node = demo.api.get("/nodes", headers=admin).json()[0]["listen_address"]

    def recording() -> bool:
        status = httpx.get(f"{node}/api/v1/status", params={"token": tokens["demo"]}).json()
        return any(s["camera"] == "porch" and s["state"] == "recording" for s in status["streams"])

    deadline = time.monotonic() + 60
    while not recording():
        assert time.monotonic() < deadline, "the node never recorded the new camera"
        time.sleep(0.5)


def test_storage_and_retention_are_edited_from_the_backends_model(page: Any, demo: Demo) -> None:
    admin = demo.admin()
    before = demo.api.get("/nodes/demo/storage", headers=admin).json()
    go(page, "cameras")
    page.wait_for_selector("#storage-form [data-field='storage.max_age_days'] input")
    page.fill("#storage-form [data-field='storage.max_age_days'] input", "3")
    page.fill("#storage-form [data-field='storage.camera_max_age_days'] textarea", '{"lobby": 0.5}')
    page.click("#storage-form button[type=submit]")
    page.wait_for_function("document.querySelector('#message').textContent.includes('Storage')")
    after = demo.api.get("/nodes/demo/storage", headers=admin).json()
    assert after["settings"]["max_age_days"] == 3
    assert after["settings"]["camera_max_age_days"] == {"lobby": 0.5}
    assert after["settings"]["disks"] == before["settings"]["disks"]  # kept as they were
    assert after["desired_config_version"] > before["desired_config_version"]


def test_camera_groups_are_made_and_filled(page: Any, demo: Demo) -> None:
    go(page, "groups")
    page.fill("#add-group [name=name]", "Outside")
    page.click("#add-group button[type=submit]")
    card = ".group-card[data-group='Outside']"
    page.wait_for_selector(card)
    page.check(f"{card} input[value='parking']")
    page.check(f"{card} input[value='entrance']")
    page.click(f"{card} .save-members")
    page.wait_for_function("document.querySelector('#message').textContent.includes('saved')")
    groups = demo.api.get("/camera-groups", headers=demo.admin()).json()
    [outside] = [g for g in groups if g["name"] == "Outside"]
    assert sorted(outside["cameras"]) == ["entrance", "parking"]


def test_rights_matrix_profile_and_user(page: Any, demo: Demo) -> None:
    go(page, "profiles")
    page.fill("#add-profile [name=name]", "Porch watch")
    page.click("#add-profile button[type=submit]")
    page.wait_for_selector("text=Rights of Porch watch")
    page.wait_for_selector("#rights-matrix tr[data-target='lobby']")
    page.check("#rights-matrix tr[data-target='lobby'] input[data-right='live']")
    page.check("#rights-matrix tr[data-target='lobby'] input[data-right='playback']")
    page.click("#save-grants")
    page.wait_for_function("document.querySelector('#message').textContent.includes('saved')")
    admin = demo.admin()
    [profile] = [
        p for p in demo.api.get("/profiles", headers=admin).json() if p["name"] == "Porch watch"
    ]
    assert sorted((g["scope"], g["target"], g["right"]) for g in profile["grants"]) == [
        ("camera", "lobby", "live"),
        ("camera", "lobby", "playback"),
    ]
    page.screenshot(path=ARTIFACTS / "rights-matrix.png", full_page=True)

    go(page, "users")
    page.fill("#add-user [name=username]", "piet")
    page.fill("#add-user [name=password]", "piet's long password")
    page.select_option("#add-user select[name=profile_id]", str(profile["id"]))
    page.click("#add-user button[type=submit]")
    page.wait_for_selector("#users tr[data-user='piet']")
    login = demo.api.post("/login", json={"username": "piet", "password": "piet's long password"})
    cameras = [c["ident"] for n in login.json()["profile"]["nodes"] for c in n["cameras"]]
    assert cameras == ["lobby"]


def test_packages_are_admitted_or_refused_on_the_page(
    page: Any, demo: Demo, tmp_path: Path
) -> None:
    from argus_sdk.testing import make_wheel

    good = make_wheel(
        tmp_path / "acme_web-1.2.0-py3-none-any.whl", name="acme-web", version="1.2.0"
    )
    go(page, "packages")
    page.set_input_files("#package-file", str(good))
    page.click("#admit-package button[type=submit]")
    page.wait_for_selector(f"#packages tr[data-package='{good.name}']")
    assert "Admitted acme-web 1.2.0" in page.text_content("#message")
    spoiled = make_wheel(
        tmp_path / "acme_evil-1.0.0-py3-none-any.whl",
        name="acme-evil",
        version="1.0.0",
        extra=lambda archive: archive.writestr("acme_evil/backdoor.py", b"import os\n"),
    )
    page.set_input_files("#package-file", str(spoiled))
    page.click("#admit-package button[type=submit]")
    page.wait_for_function("document.querySelector('#message').textContent.startsWith('Refused')")
    assert "backdoor.py is not in RECORD" in page.text_content("#message")
    assert page.locator(f"#packages tr[data-package='{spoiled.name}']").count() == 0
    page.screenshot(path=ARTIFACTS / "packages-refused.png", full_page=True)


def test_audit_watchdog_and_backup(page: Any, demo: Demo) -> None:
    go(page, "audit")
    page.fill("#audit-filter [name=action]", "device.*")
    page.click("#audit-filter button[type=submit]")
    page.wait_for_selector("#audit tr[data-action='device.create']")
    with page.expect_download() as download:
        page.click("#audit-csv")
    assert "device.create" in Path(download.value.path()).read_text()

    go(page, "watchdog")
    assert page.locator("#watchdog").count() == 1

    go(page, "backup")
    with page.expect_download() as download:
        page.click("#download-backup")
    document = json.loads(Path(download.value.path()).read_text())
    assert document["format"] == "argus-backup" and document["kind"] == "system"
    assert any(d["ident"] == "porch" for d in document["tables"]["device"])


def test_the_manager_is_for_administrators_only(demo: Demo, browser: Any) -> None:
    admin = demo.admin()
    profile = demo.api.post("/profiles", json={"name": "Viewers of nothing"}, headers=admin)
    user = {
        "username": "nadia",
        "password": "nadia's long password",
        "profile_id": profile.json()["id"],
    }
    assert demo.api.post("/users", json=user, headers=admin).status_code == 201
    context = browser.new_context()  # a browser of its own: no admin session in its storage
    page = context.new_page()
    page.goto(demo.master + "/manager/")
    page.fill("#login-form [name=username]", "nadia")
    page.fill("#login-form [name=password]", "nadia's long password")
    page.click("#login-form button[type=submit]")
    page.wait_for_function("document.querySelector('#login-error').textContent.length > 0")
    assert "administrators" in page.text_content("#login-error")
    assert page.is_hidden("#manager")
    context.close()
    # And the API refuses them whatever the page does.
    session = demo.api.post("/login", json={"username": "nadia", "password": user["password"]})
    headers = {"Authorization": f"Bearer {session.json()['session']}"}
    assert demo.api.get("/drivers", headers=headers).status_code == 403
