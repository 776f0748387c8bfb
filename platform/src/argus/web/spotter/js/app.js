// Spotter: log in, the camera tree from the user's profile, layouts of 1/4/9/16 tiles,
// live video, and synchronized playback of every tile driven by the timeline.

import { Session, Unauthenticated } from "./api.js";
import { Controls } from "./controls.js";
import { ExportDialog } from "./export.js";
import { Player } from "./player.js";
import { PluginHost } from "./plugins.js";
import { Timeline, formatTime } from "./timeline.js";

const $ = (selector) => document.querySelector(selector);
const now = () => Date.now() / 1000;
const FRAME_S = 0.04; // one step: a frame at 25 fps
const DRIFT_S = 0.5; // a tile further than this from the playback clock is moved to it
const TIMELINE_REFRESH_MS = 5000;
const WALL_POLL_MS = 1000;
// ?wall=NAME: this screen is a video wall — full screen, driven from other Spotters.
const WALL = new URLSearchParams(location.search).get("wall");

const state = {
  session: null,
  layout: 4,
  tiles: [], // [{camera, player, element}]
  selected: 0, // the tile a camera picked in the tree goes to
  mode: "live",
  // The playback clock: the picture's time is at + (elapsed since perf) × rate.
  clock: { at: 0, perf: 0, rate: 1, paused: false },
  span: 3600, // seconds the timeline shows
  windowEnd: null, // null: the window ends now and follows the time
  timeline: null,
  scrubShown: 0,
  controls: null,
  exporter: null,
  plugins: null,
};

function position() {
  const c = state.clock;
  if (state.mode === "live") return now();
  return c.paused ? c.at : c.at + ((performance.now() - c.perf) / 1000) * c.rate;
}

// --- Session -------------------------------------------------------------------------------

function showLogin(message = "") {
  closeTiles();
  $("#spotter").hidden = true;
  $("#login").hidden = false;
  $("#login-error").textContent = message;
  $("#login-form [name=username]").focus();
}

async function onLogin(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  $("#login-error").textContent = "";
  try {
    state.session = await Session.login(form.get("username"), form.get("password"));
  } catch (error) {
    $("#login-error").textContent = error.message;
    return;
  }
  event.target.reset();
  showSpotter();
}

function showSpotter() {
  const { profile } = state.session;
  $("#login").hidden = true;
  $("#spotter").hidden = false;
  $("#who").textContent = `${profile.display_name || profile.username} (${profile.profile})`;
  state.controls = new Controls($("#controls"), state.session);
  state.exporter = new ExportDialog($("#export-dialog"), state.session);
  state.session.nodeCameras().then((found) => state.controls.setNodeCameras(found));
  resetTabs();
  state.plugins = new PluginHost(state.session, {
    addPanel,
    tiles: () => state.tiles,
    notice: (text) => {
      $("#notices").textContent = text;
    },
  });
  drawTree();
  setLayout(state.layout);
  goLive();
  state.plugins.loadAll();
  if (WALL) followWall(WALL);
  else loadWalls();
}

// --- Video walls -------------------------------------------------------------------------

/** Be the screen of wall ``name``: show what it is told to, as soon as it changes. */
function followWall(name) {
  document.body.classList.add("wall-mode");
  document.body.dataset.wall = name;
  let version = null;
  const poll = async () => {
    if (!state.session) return;
    try {
      const wall = await guarded(state.session.call("GET", `/walls/${encodeURIComponent(name)}`));
      if (wall.version !== version) {
        version = wall.version;
        document.body.dataset.wallVersion = version;
        showOnWall(wall);
      }
    } catch (error) {
      $("#notices").textContent = `Wall ${name}: ${error.message}`;
    }
  };
  poll();
  clearInterval(state.wallTimer);
  state.wallTimer = setInterval(poll, WALL_POLL_MS);
}

function showOnWall(wall) {
  const known = Object.fromEntries(state.session.cameras().map((c) => [c.ident, c]));
  closeTiles();
  state.tiles = [];
  setLayout(wall.layout, { cameras: wall.cameras.map((id) => (id ? known[id] || null : null)) });
  wall.cameras.forEach((id, i) => {
    if (id && !known[id] && state.tiles[i]) {
      state.tiles[i].element.dataset.state = "error";
      state.tiles[i].element.querySelector(".state").textContent = `${id}: not for this screen`;
    }
  });
}

async function loadWalls() {
  const select = $("#wall-target");
  try {
    const walls = await guarded(state.session.call("GET", "/walls"));
    select.replaceChildren(
      ...walls.map((w) => Object.assign(document.createElement("option"), {
        value: w.name,
        textContent: w.name,
      })),
    );
  } catch {
    select.replaceChildren();
  }
  $(".send-wall").hidden = !select.options.length;
}

async function sendToWall() {
  const name = $("#wall-target").value;
  if (!name) return;
  const cameras = state.tiles.map((t) => t.camera?.ident ?? null);
  try {
    await guarded(
      state.session.call("PUT", `/walls/${encodeURIComponent(name)}`, {
        layout: state.layout,
        cameras,
      }),
    );
    $("#notices").textContent = "";
  } catch (error) {
    $("#notices").textContent = `Not sent to ${name}: ${error.message}`;
  }
}

// --- Side bar tabs (Cameras, and the panels of Spotter plugins) -------------------------

function resetTabs() {
  for (const tab of document.querySelectorAll("#tabs [data-tab]:not([data-tab=cameras])")) {
    $(`#tab-${tab.dataset.tab}`)?.remove();
    tab.remove();
  }
  $("#notices").textContent = "";
  showTab("cameras");
}

function addPanel(id, title) {
  const tab = document.createElement("button");
  tab.setAttribute("role", "tab");
  tab.dataset.tab = id;
  tab.textContent = title;
  tab.addEventListener("click", () => showTab(id));
  $("#tabs").append(tab);
  const panel = document.createElement("div");
  panel.id = `tab-${id}`;
  panel.className = "tab plugin-panel";
  panel.setAttribute("role", "tabpanel");
  panel.hidden = true;
  $("#side").insertBefore(panel, $("#notices"));
  return panel;
}

function showTab(id) {
  for (const tab of document.querySelectorAll("#tabs [data-tab]")) {
    const chosen = tab.dataset.tab === id;
    tab.setAttribute("aria-selected", String(chosen));
    const panel = $(`#tab-${tab.dataset.tab}`);
    if (panel) panel.hidden = !chosen;
  }
  $("#side").classList.toggle("wide", id !== "cameras");
}

function guarded(promise) {
  return promise.catch((error) => {
    if (error instanceof Unauthenticated) showLogin("Your session has ended: log in again.");
    throw error;
  });
}

// --- Cameras and tiles -----------------------------------------------------------------

function visibleCameras() {
  return state.session
    .cameras()
    .filter((c) => c.rights.includes("live") || c.rights.includes("playback"));
}

function drawTree() {
  const tree = $("#camera-tree");
  tree.replaceChildren();
  for (const node of state.session.profile.nodes) {
    const cameras = node.cameras.filter(
      (c) => c.rights.includes("live") || c.rights.includes("playback"),
    );
    if (!cameras.length) continue;
    const item = document.createElement("li");
    item.className = "node";
    item.textContent = node.name;
    const list = document.createElement("ul");
    for (const camera of cameras) {
      const entry = document.createElement("li");
      const button = document.createElement("button");
      button.className = "camera";
      button.dataset.camera = camera.ident;
      button.textContent = camera.name;
      button.title = camera.ident;
      button.addEventListener("click", () => {
        show(state.selected, { ...camera, node: node.name, address: node.address });
        selectTile((state.selected + 1) % state.layout);
        refreshTimeline();
      });
      entry.append(button);
      list.append(entry);
    }
    item.append(list);
    tree.append(item);
  }
  if (!tree.children.length) {
    tree.innerHTML = "<li class='empty'>No camera to watch: ask an administrator.</li>";
  }
}

function setLayout(count, { cameras: given = null } = {}) {
  const previous = given ?? state.tiles.map((t) => t.camera);
  closeTiles();
  state.layout = count;
  for (const button of document.querySelectorAll("[data-layout]")) {
    button.setAttribute("aria-pressed", String(Number(button.dataset.layout) === count));
  }
  const grid = $("#grid");
  grid.style.setProperty("--columns", Math.sqrt(count));
  grid.replaceChildren();
  const cameras = visibleCameras();
  for (let i = 0; i < count; i++) {
    const element = document.createElement("div");
    element.className = "tile";
    element.dataset.tile = i;
    element.innerHTML =
      "<video muted autoplay playsinline></video><img class='scrub' alt='' hidden>" +
      "<span class='label'></span><span class='state'></span>";
    element.addEventListener("click", () => selectTile(i));
    grid.append(element);
    const player = new Player(element.querySelector("video"), (status, detail = "") => {
      element.dataset.state = status;
      element.querySelector(".state").textContent =
        status === "playing" ? "" : detail || status;
    });
    state.tiles.push({ camera: null, player, element });
    const camera = given ? given[i] : previous[i] || cameras[i];
    if (camera) show(i, camera);
  }
  selectTile(0);
  refreshTimeline();
}

function selectTile(index) {
  state.selected = index;
  state.tiles.forEach((t, i) => t.element.classList.toggle("selected", i === index));
  const camera = state.tiles[index]?.camera ?? null;
  state.controls?.show(camera, position);
  state.plugins?.cameraSelected(camera);
}

function show(index, camera) {
  const tile = state.tiles[index];
  if (!tile) return;
  tile.camera = camera;
  tile.element.dataset.camera = camera.ident;
  tile.element.querySelector(".label").textContent = camera.name;
  play(tile);
  state.plugins?.tileChanged(tile);
  if (index === state.selected) {
    state.controls?.show(camera, position);
    state.plugins?.cameraSelected(camera);
  }
}

/** Start the tile's video in the current mode, at the playback clock's time. */
function play(tile) {
  const { camera, player } = tile;
  if (!camera) return;
  const session = state.session;
  if (state.mode === "live") {
    if (!camera.rights.includes("live")) {
      player.close();
      tile.element.dataset.state = "error";
      tile.element.querySelector(".state").textContent = "no live right";
      return;
    }
    player.live(() => guarded(session.liveUrl(camera)));
    return;
  }
  if (!camera.rights.includes("playback")) {
    player.close();
    tile.element.dataset.state = "error";
    tile.element.querySelector(".state").textContent = "no playback right";
    return;
  }
  const url = (start, end) => guarded(session.playbackUrl(camera, start, end));
  player.playback(url, position(), state.clock.rate);
  if (state.clock.paused) player.hold(true);
}

function closeTiles() {
  for (const tile of state.tiles) tile.player.close();
  state.tiles = [];
}

// --- Live and playback -------------------------------------------------------------------

function setMode(mode) {
  state.mode = mode;
  $("#spotter").dataset.mode = mode;
  $("#live").setAttribute("aria-pressed", String(mode === "live"));
  $("#play").disabled = mode === "live";
  $("#step-back").disabled = $("#step-forward").disabled = mode === "live";
}

function goLive() {
  setMode("live");
  state.windowEnd = null;
  state.tiles.forEach(play);
  tick();
}

function goPlayback(at, { paused = false } = {}) {
  setMode("playback");
  Object.assign(state.clock, { at, perf: performance.now(), paused });
  $("#play").textContent = paused ? "Play" : "Pause";
  const { from, to } = timeWindow();
  if (at < from || at > to) state.windowEnd = Math.min(now(), at + state.span / 2);
  state.tiles.forEach(play);
  refreshTimeline();
  tick();
}

function togglePause() {
  if (state.mode !== "playback") return;
  const c = state.clock;
  c.at = position();
  c.perf = performance.now();
  c.paused = !c.paused;
  $("#play").textContent = c.paused ? "Play" : "Pause";
  for (const tile of state.tiles) {
    tile.player.hold(c.paused);
    if (c.paused) tile.player.video.currentTime = c.at;
  }
}

function setRate(rate) {
  const c = state.clock;
  c.at = position();
  c.perf = performance.now();
  c.rate = rate;
  for (const tile of state.tiles) tile.player.video.playbackRate = rate;
}

function step(direction) {
  if (state.mode !== "playback") return;
  const c = state.clock;
  if (!c.paused) togglePause();
  c.at += direction * FRAME_S;
  for (const tile of state.tiles) {
    const video = tile.player.video;
    const ranges = video.buffered;
    const inside = [...Array(ranges.length).keys()].some(
      (i) => ranges.start(i) <= c.at && c.at <= ranges.end(i),
    );
    if (inside) video.currentTime = c.at;
    else play(tile); // outside what is loaded: ask the node from there
  }
  tick();
}

/** Keep every tile on the playback clock; move the cursor and the time shown. */
function tick() {
  const t = position();
  if (state.mode === "playback" && !state.clock.paused) {
    for (const tile of state.tiles) {
      const video = tile.player.video;
      if (!tile.camera || video.readyState < 2 || tile.player.target !== null) continue;
      if (Math.abs(video.currentTime - t) > DRIFT_S * state.clock.rate) {
        const ranges = video.buffered;
        for (let i = 0; i < ranges.length; i++) {
          if (ranges.start(i) <= t && t < ranges.end(i)) video.currentTime = t;
        }
      }
    }
  }
  $("#clock").textContent = formatTime(t, true);
  $("#spotter").dataset.position = t.toFixed(3);
  if (state.timeline) {
    if (state.windowEnd === null) {
      const { from, to } = timeWindow();
      state.timeline.setWindow(from, to);
    }
    state.timeline.setCursor(t);
  }
}

// --- Timeline ------------------------------------------------------------------------------

function timeWindow() {
  const to = state.windowEnd ?? now();
  return { from: to - state.span, to };
}

async function refreshTimeline() {
  if (!state.timeline || !state.session) return;
  const { from, to } = timeWindow();
  state.timeline.setWindow(from, to);
  const rows = await Promise.all(
    state.tiles
      .filter((t) => t.camera)
      .map(async ({ camera }) => {
        if (!camera.rights.includes("playback")) {
          return { camera: camera.ident, name: camera.name, ranges: null };
        }
        try {
          const ranges = await guarded(state.session.timeline(camera, from, to));
          return { camera: camera.ident, name: camera.name, ranges };
        } catch {
          return { camera: camera.ident, name: camera.name, ranges: [] };
        }
      }),
  );
  state.timeline.setRows(rows);
  state.timeline.setCursor(position());
}

/** Dragging: recorded pictures follow the pointer; releasing plays from there. */
function scrub(at, final) {
  if (final) {
    for (const tile of state.tiles) tile.element.querySelector(".scrub").hidden = true;
    goPlayback(at);
    return;
  }
  const shown = ++state.scrubShown;
  for (const tile of state.tiles) {
    const image = tile.element.querySelector(".scrub");
    if (!tile.camera?.rights.includes("playback") || image.dataset.loading) continue;
    image.dataset.loading = "1";
    guarded(state.session.snapshotUrl(tile.camera, at))
      .then((url) => {
        image.onload = image.onerror = () => {
          delete image.dataset.loading;
          image.hidden = shown < state.scrubShown - 5 || !image.naturalWidth;
        };
        image.src = url;
      })
      .catch(() => delete image.dataset.loading);
  }
}

// --- Start ---------------------------------------------------------------------------------

function main() {
  $("#login-form").addEventListener("submit", onLogin);
  $("#logout").addEventListener("click", async () => {
    await state.session?.logout();
    state.session = null;
    showLogin();
  });
  for (const button of document.querySelectorAll("[data-layout]")) {
    button.addEventListener("click", () => setLayout(Number(button.dataset.layout)));
  }
  state.timeline = new Timeline($("#timeline"), scrub);
  $("#live").addEventListener("click", goLive);
  $("#send-wall").addEventListener("click", sendToWall);
  $("#export").addEventListener("click", () => {
    const at = position();
    const end = Math.min(at + 30, now() - 2);
    const chosen = state.tiles.filter((t) => t.camera).map((t) => t.camera.ident);
    state.exporter.open(end - 60, end, chosen);
  });
  $("#play").addEventListener("click", togglePause);
  $("#step-back").addEventListener("click", () => step(-1));
  $("#step-forward").addEventListener("click", () => step(1));
  $("#rate").addEventListener("change", (e) => setRate(Number(e.target.value)));
  $("#span").addEventListener("change", (e) => {
    state.span = Number(e.target.value);
    refreshTimeline();
  });
  $("#jump-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("#jump-to").value;
    if (value) goPlayback(new Date(value).getTime() / 1000);
  });
  setInterval(tick, 250);
  setInterval(() => {
    if (!$("#spotter").hidden) refreshTimeline();
  }, TIMELINE_REFRESH_MS);
  state.session = Session.restore();
  if (state.session) showSpotter();
  else showLogin();
}

main();
