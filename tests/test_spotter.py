"""Spotter in a real headless Chromium against a real ``argus demo``.

Screenshots of each page go to ``$ARGUS_TEST_ARTIFACTS`` (default
``test-artifacts/spotter`` in the repository).
"""

from __future__ import annotations

import hashlib
import io as io_module
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from argus.testing import DistFactory
from argus.testing.browser import artifacts_dir, chromium_browser, missing
from argus.testing.demo import RunningDemo, running_demo

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(missing() is not None, reason=missing() or ""),
]

ARTIFACTS = artifacts_dir(Path(__file__).parent.parent / "test-artifacts" / "spotter")
OPERATOR_PASSWORD = "operator password 7"


Demo = RunningDemo


PROBE_JS = """
export async function activate(spotter) {
  const panel = spotter.addPanel({ id: "main", title: "Probe" });
  const nodes = await spotter.master("GET", "/me/tokens");
  panel.dataset.tokens = Object.keys(nodes.tokens).join(" ");
  panel.dataset.user = spotter.user.username;
  panel.textContent = `Probe for ${spotter.user.displayName}`;
  spotter.onCameraSelected(async (camera) => {
    panel.dataset.selected = camera ? camera.ident : "";
    if (camera) {
      const cameras = await spotter.node(camera, "GET", "/cameras");
      panel.dataset.nodeCameras = String(cameras.length);
    }
  });
  spotter.addTileOverlay((layer, camera) => {
    layer.dataset.probe = camera.ident;
    layer.textContent = "probe " + camera.ident;
  });
}
"""
PROBE_PLUGIN = """
from argus_sdk import SpotterPlugin, hookimpl

@hookimpl
def argus_spotter_plugins():
    return [SpotterPlugin("probe", "Probe", "spi_probe_assets", "static/probe.js")]
"""


def install_probe(site: Path) -> None:
    """A third-party Spotter plugin, installed for the demo process only."""
    static = site / "spi_probe_assets" / "static"
    static.mkdir(parents=True)
    (site / "spi_probe_assets" / "__init__.py").write_text("")
    (static / "probe.js").write_text(PROBE_JS)
    DistFactory(site).make(
        "argus-spi-probe",
        entry_points={"argus.spi": {"probe": "spi_probe_plugin"}},
        modules={"spi_probe_plugin": PROBE_PLUGIN},
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    root = tmp_path_factory.mktemp("spotter")
    install_probe(root / "site")
    path = [str(root / "site"), *filter(None, [os.environ.get("PYTHONPATH")])]
    with running_demo(root, PYTHONPATH=os.pathsep.join(path)) as demo:
        password = demo.password
        # An operator who may watch two cameras live, and nothing else.
        admin = {"Authorization": f"Bearer {demo.login('admin', password)['session']}"}
        grants = [
            {"scope": "camera", "right": "live", "target": camera}
            for camera in ("entrance", "yard-ch2")
        ]
        profile = demo.api.post(
            "/profiles", json={"name": "Gate watch", "grants": grants}, headers=admin
        )
        assert profile.status_code == 201, profile.text
        user = {
            "username": "olga",
            "password": OPERATOR_PASSWORD,
            "profile_id": profile.json()["id"],
        }
        assert demo.api.post("/users", json=user, headers=admin).status_code == 201
        yield demo


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as browser:
        yield browser


def log_in(page: Any, demo: Demo, username: str, password: str) -> None:
    page.goto(demo.master + "/")
    page.fill("#login-form [name=username]", username)
    page.fill("#login-form [name=password]", password)
    page.click("#login-form button[type=submit]")


def playing_tiles(page: Any) -> dict[str, float]:
    """Camera → currentTime of every tile whose video has a picture."""
    tiles: dict[str, float] = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.tile[data-camera]')]
            .map(t => [t.dataset.camera, t.querySelector('video')])
            .filter(([, v]) => v.readyState >= 2 && v.currentTime > 0)
            .map(([c, v]) => [c, v.currentTime]))"""
    )
    return tiles


def wait_playing(page: Any, cameras: int, timeout: float = 30) -> dict[str, float]:
    deadline = time.monotonic() + timeout
    while len(tiles := playing_tiles(page)) < cameras:
        assert time.monotonic() < deadline, f"only {tiles} play, {cameras} expected"
        time.sleep(0.2)
    return tiles


def assert_advancing(page: Any, cameras: int) -> None:
    """Every tile's video advances in real time (not a frozen first frame)."""
    before = wait_playing(page, cameras)
    time.sleep(2.0)
    after = playing_tiles(page)
    for camera, at in before.items():
        assert after.get(camera, at) - at >= 1.0, (camera, at, after.get(camera))


def test_a_wrong_password_is_refused_on_the_page(browser: Any, demo: Demo) -> None:
    page = browser.new_page()
    log_in(page, demo, "admin", "not the password")
    page.wait_for_function("document.querySelector('#login-error').textContent.length > 0")
    assert "password" in page.text_content("#login-error").lower()
    assert page.is_hidden("#spotter")
    page.screenshot(path=ARTIFACTS / "login-refused.png")
    page.close()


def test_live_layouts_play_every_camera_in_real_time(browser: Any, demo: Demo) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    log_in(page, demo, "admin", demo.password)
    page.wait_for_selector("#spotter:not([hidden])")
    tree = page.eval_on_selector_all("#camera-tree .camera", "b => b.map(x => x.dataset.camera)")
    assert len(tree) == 8 and {"entrance", "yard-ch4"} <= set(tree)
    assert page.get_attribute("[data-layout='4']", "aria-pressed") == "true"
    assert_advancing(page, 4)
    page.screenshot(path=ARTIFACTS / "live-4.png")

    page.click("[data-layout='9']")
    assert page.locator(".tile").count() == 9
    assert_advancing(page, 8)
    page.screenshot(path=ARTIFACTS / "live-9.png")

    # A camera picked in the tree goes to the selected tile.
    page.click("[data-layout='1']")
    page.click("#camera-tree .camera[data-camera='yard-ch3']")
    page.wait_for_selector(".tile[data-camera='yard-ch3']")
    assert_advancing(page, 1)

    page.click("#logout")
    page.wait_for_selector("#login:not([hidden])")
    page.close()


def video_times(page: Any) -> dict[str, float]:
    times: dict[str, float] = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.tile[data-camera]')]
            .map(t => [t.dataset.camera, t.querySelector('video').currentTime]))"""
    )
    return times


def wait_near(page: Any, expected: Any, what: str, timeout: float = 20) -> dict[str, float]:
    """Wait until every tile's picture time is within 1 s of ``expected()``."""
    deadline = time.monotonic() + timeout
    while True:
        times, target = video_times(page), expected()
        if times and all(abs(t - target) < 1.0 for t in times.values()):
            return times
        assert time.monotonic() < deadline, f"{what}: {times} not within 1 s of {target}"
        time.sleep(0.2)


def test_scrubbing_the_timeline_plays_every_tile_from_that_time_in_sync(
    browser: Any, demo: Demo
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    log_in(page, demo, "admin", demo.password)
    page.wait_for_selector("#spotter:not([hidden])")
    wait_playing(page, 4)
    page.select_option("#span", "600")
    page.wait_for_selector(".timeline-row[data-camera='entrance'] .range")
    assert page.locator(".timeline-row").count() == 4

    # Click on the timeline some seconds back, inside what every camera recorded.
    reply = demo.login("admin", demo.password)
    node = reply["profile"]["nodes"][0]
    now = time.time()
    ranges = httpx.get(
        f"{node['address']}/api/v1/cameras/lobby/streams/main/timeline",
        params={"start": now - 600, "end": now, "token": reply["tokens"]["demo"]},
    ).json()["ranges"]
    target = max(ranges[0]["start"] + 3, now - 12)
    frm = float(page.get_attribute("#timeline", "data-from"))
    to = float(page.get_attribute("#timeline", "data-to"))
    box = page.locator(".timeline-row[data-camera='lobby'] .track").bounding_box()
    x = box["x"] + (target - frm) / (to - frm) * box["width"]
    page.mouse.click(x, box["y"] + box["height"] / 2)
    clicked = time.time()
    target = frm + (x - box["x"]) / box["width"] * (to - frm)  # what the pixel stands for
    assert page.get_attribute("#spotter", "data-mode") == "playback"
    wait_near(page, lambda: target + time.time() - clicked, "scrubbed playback")
    time.sleep(2)
    wait_near(page, lambda: target + time.time() - clicked, "playback in sync 2 s later")
    page.screenshot(path=ARTIFACTS / "playback.png")

    # Pause holds every picture; one frame forward moves each by a frame.
    page.click("#play")
    held = video_times(page)
    time.sleep(1)
    assert video_times(page) == pytest.approx(held, abs=0.05)
    page.click("#step-forward")
    stepped = video_times(page)
    for camera, at in held.items():
        assert 0.0 < stepped[camera] - at < 0.2, (camera, at, stepped[camera])

    # Jump to a date and time typed in (the page's local time).
    jump = target - 5
    local = page.evaluate(
        """t => { const d = new Date(t * 1000), p = n => String(n).padStart(2, '0');
        return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T` +
               `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`; }""",
        jump,
    )
    page.fill("#jump-to", local)
    page.click("#jump-form button[type=submit]")
    jumped = time.time()
    whole = float(int(jump))
    wait_near(page, lambda: whole + time.time() - jumped, "the jump to a date and time")

    page.click("#live")
    assert page.get_attribute("#spotter", "data-mode") == "live"
    wait_near(page, lambda: time.time() - 0.7, "back to live")
    page.close()


def test_ptz_pad_io_snapshot_and_export_work_for_an_admin(browser: Any, demo: Demo) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, demo, "admin", demo.password)
    page.wait_for_selector("#spotter:not([hidden])")
    wait_playing(page, 4)
    reply = demo.login("admin", demo.password)
    node = reply["profile"]["nodes"][0]
    token = {"token": reply["tokens"]["demo"]}

    def ptz_position() -> dict[str, float]:
        state = httpx.get(f"{node['address']}/api/v1/cameras/entrance/ptz", params=token)
        position: dict[str, float] = state.json()["position"] or {}
        return position

    # PTZ: a press on zoom, an arrow held for a moment; the simulated camera moves.
    page.click(".tile[data-camera='entrance']")
    page.click("[data-ptz='zoom+']")
    page.wait_for_function("document.querySelector('#ptz-position').textContent.includes('zoom')")
    zoomed = ptz_position()
    assert zoomed["zoom"] > 0
    page.locator("[data-ptz='1,0']").hover()
    page.mouse.down()
    time.sleep(0.6)
    page.mouse.up()
    page.wait_for_function(
        "document.querySelector('#ptz-position').textContent.startsWith('pan 0.')"
        " && !document.querySelector('#ptz-position').textContent.startsWith('pan 0.00')"
    )
    assert ptz_position()["pan"] > zoomed["pan"]

    # I/O: the output switches on the device; the input state is shown.
    page.wait_for_selector("[data-output='out1']")
    assert page.locator("[data-input='in1']").count() == 1
    page.click("[data-output='out1']")
    page.wait_for_selector("[data-output='out1'][aria-pressed='true']")
    io = httpx.get(f"{node['address']}/api/v1/devices/entrance/io", params=token).json()
    assert io["outputs"][0]["active"] is True

    # Snapshot of the recording.
    page.click("#snapshot")
    page.wait_for_selector("#snapshot-link:not([hidden])")
    jpeg = httpx.get(page.get_attribute("#snapshot-link", "href") or "", timeout=30)
    assert jpeg.status_code == 200 and jpeg.content[:2] == b"\xff\xd8"
    page.screenshot(path=ARTIFACTS / "controls.png")

    # Export: the layout's cameras, ticked; files whose SHA-256 is the manifest's.
    page.click("#export")
    ticked = page.eval_on_selector_all(
        "#export-cameras input:checked", "boxes => boxes.map(b => b.value)"
    )
    assert len(ticked) == 4 and "entrance" in ticked
    page.click("#export-dialog button[type=submit]")
    page.wait_for_selector(".export-node[data-state='done']", timeout=60_000)
    page.screenshot(path=ARTIFACTS / "export.png")
    files = page.eval_on_selector_all(
        ".export-files li",
        "items => items.map(i => [i.querySelector('a').href, i.querySelector('code').textContent])",
    )
    assert len(files) == 4
    href, sha = files[0]
    data = httpx.get(href, timeout=60).content
    assert hashlib.sha256(data).hexdigest() == sha
    with av.open(io_module.BytesIO(data)) as container:
        assert next(container.decode(video=0)).width > 0
    page.click("#export-close")
    page.close()


def test_the_diagnostics_plugin_shows_node_and_camera_health(browser: Any, demo: Demo) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    log_in(page, demo, "admin", demo.password)
    page.wait_for_selector("body[data-plugins~='diagnostics']")
    page.click("[data-tab='diagnostics-panel']")
    node = ".diagnostics .node[data-node='demo']"
    page.wait_for_selector(node)

    def facts() -> dict[str, Any]:
        found: dict[str, Any] = page.evaluate(
            """node => {
              const n = document.querySelector(node);
              const fact = k => n.querySelector(`[data-fact='${k}']`)?.textContent;
              return {
                cpu: fact('cpu'), rss: fact('rss'),
                disks: n.querySelectorAll('[data-disk]').length,
                rows: Object.fromEntries([...n.querySelectorAll('tr[data-camera]')].map(r =>
                  [`${r.dataset.camera}/${r.dataset.stream}`,
                   [r.querySelector("[data-fact='state']").textContent,
                    Number(r.querySelector("[data-fact='fps']").textContent),
                    r.querySelector("[data-fact='gaps']").textContent]])),
              };
            }""",
            node,
        )
        return found

    deadline = time.monotonic() + 30
    while True:
        seen = facts()
        ready = seen["cpu"].endswith("%") and seen["rows"].get("entrance/main", ["", 0])[1] > 0
        if ready:
            break
        assert time.monotonic() < deadline, seen
        time.sleep(0.5)
    assert seen["rss"].endswith("MB") and seen["disks"] == 1
    assert len(seen["rows"]) == 9
    state, fps, gaps = seen["rows"]["entrance/main"]
    assert state == "recording" and 20 <= fps <= 30 and gaps in ("none", "–")
    page.screenshot(path=ARTIFACTS / "diagnostics.png")
    page.close()


def test_a_third_party_plugin_gets_a_panel_selections_overlays_and_the_apis(
    browser: Any, demo: Demo
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    log_in(page, demo, "admin", demo.password)
    page.wait_for_selector("body[data-plugins~='probe'][data-plugins~='diagnostics']")
    panel = "#tab-probe-main"
    page.wait_for_selector(f"{panel}[data-tokens='demo']", state="attached")
    assert page.get_attribute(panel, "data-user") == "admin"
    # An overlay layer on every tile, following the tile's camera.
    page.wait_for_selector(".tile[data-camera='lobby'] .plugin-layer[data-probe='lobby']")
    assert page.locator(".plugin-layer[data-probe]").count() == 4
    page.click(".tile[data-camera='parking']")
    page.wait_for_selector(
        f"{panel}[data-selected='parking'][data-node-cameras='8']", state="attached"
    )
    page.click("[data-layout='1']")
    page.click(".tile[data-tile='0']")
    page.click("#camera-tree .camera[data-camera='yard-ch1']")
    page.wait_for_selector(".tile[data-camera='yard-ch1'] .plugin-layer[data-probe='yard-ch1']")
    assert page.locator(".plugin-layer[data-probe]").count() == 1
    page.click("[data-tab='probe-main']")
    assert page.is_visible(panel) and not page.is_visible("#camera-tree")
    page.screenshot(path=ARTIFACTS / "plugin-probe.png")
    page.close()


def test_a_video_wall_screen_shows_what_an_operator_sends_it(browser: Any, demo: Demo) -> None:
    admin = {"Authorization": f"Bearer {demo.login('admin', demo.password)['session']}"}
    created = demo.api.post("/walls", json={"name": "Hall", "layout": 4}, headers=admin)
    assert created.status_code == 201, created.text

    screen = browser.new_page(viewport={"width": 1280, "height": 720})
    screen.goto(demo.master + "/spotter/?wall=Hall")
    screen.fill("#login-form [name=username]", "admin")
    screen.fill("#login-form [name=password]", demo.password)
    screen.click("#login-form button[type=submit]")
    screen.wait_for_selector("body.wall-mode[data-wall-version='1']")
    assert screen.is_hidden(".bar") and screen.is_hidden("#camera-tree")

    operator = browser.new_page(viewport={"width": 1280, "height": 800})
    log_in(operator, demo, "olga", OPERATOR_PASSWORD)
    operator.wait_for_selector("#spotter:not([hidden])")
    operator.click("[data-layout='1']")
    operator.wait_for_selector(".tile[data-camera='entrance']")
    operator.wait_for_selector("#wall-target option[value='Hall']", state="attached")
    operator.click("#send-wall")

    screen.wait_for_selector("body[data-wall-version='2'] .tile[data-camera='entrance']")
    assert screen.locator(".tile").count() == 1
    assert_advancing(screen, 1)
    screen.screenshot(path=ARTIFACTS / "wall.png")
    wall = demo.api.get("/walls/Hall", headers=admin).json()
    assert wall["cameras"] == ["entrance"] and wall["changed_by"] == "olga"
    operator.close()
    screen.close()


def test_an_operator_sees_only_their_cameras_and_the_node_refuses_others(
    browser: Any, demo: Demo
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    log_in(page, demo, "olga", OPERATOR_PASSWORD)
    page.wait_for_selector("#spotter:not([hidden])")
    tree = page.eval_on_selector_all("#camera-tree .camera", "b => b.map(x => x.dataset.camera)")
    assert sorted(tree) == ["entrance", "yard-ch2"]
    assert_advancing(page, 2)
    # Without the PTZ, I/O, playback and export rights, those controls are disabled.
    page.click(".tile[data-camera='entrance']")
    page.wait_for_selector("[data-ptz='1,0']")
    assert page.is_disabled("[data-ptz='1,0']") and page.is_disabled("[data-ptz='zoom+']")
    assert page.is_disabled("#snapshot")
    assert "io right" in page.text_content("#controls")
    page.click("#export")
    assert page.eval_on_selector_all(
        "#export-cameras input", "boxes => boxes.every(b => b.disabled && !b.checked)"
    )
    page.screenshot(path=ARTIFACTS / "live-operator.png")
    page.click("#export-close")
    page.close()

    reply = demo.login("olga", OPERATOR_PASSWORD)
    [node] = reply["profile"]["nodes"]
    token = {"token": reply["tokens"]["demo"]}
    # A direct PTZ call with the operator's own token is refused by the node.
    moved = httpx.post(
        f"{node['address']}/api/v1/cameras/entrance/ptz",
        params=token,
        json={"action": "continuous", "pan": 1},
    )
    assert moved.status_code == 403 and "ptz" in moved.json()["detail"]

    # With the same token, a camera outside the profile is refused by the node itself.
    base = node["address"].replace("http", "ws", 1)
    url = f"{base}/api/v1/cameras/lobby/streams/main/live?token={reply['tokens']['demo']}"
    with pytest.raises(InvalidStatus) as refused, connect(url, open_timeout=10):
        pass
    assert refused.value.response.status_code == 403


def test_spotter_fits_a_phone(browser: Any, demo: Demo) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    log_in(page, demo, "admin", demo.password)
    page.wait_for_selector("#spotter:not([hidden])")
    assert_advancing(page, 4)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width} px)"
    page.screenshot(path=ARTIFACTS / "live-phone.png", full_page=True)
    page.close()
