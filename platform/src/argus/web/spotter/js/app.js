// Spotter: log in, the camera tree from the user's profile, live layouts of 1/4/9/16.

import { Session, Unauthenticated } from "./api.js";
import { LivePlayer } from "./live.js";

const $ = (selector) => document.querySelector(selector);

const state = {
  session: null,
  layout: 4,
  tiles: [], // [{camera, player, element}]
  selected: 0, // the tile a camera chosen in the tree goes to
};

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
  drawTree();
  setLayout(state.layout);
}

function liveCameras() {
  return state.session.cameras().filter((c) => c.rights.includes("live"));
}

function drawTree() {
  const tree = $("#camera-tree");
  tree.replaceChildren();
  for (const node of state.session.profile.nodes) {
    const cameras = node.cameras.filter((c) => c.rights.includes("live"));
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

function setLayout(count) {
  const previous = state.tiles.map((t) => t.camera);
  closeTiles();
  state.layout = count;
  for (const button of document.querySelectorAll("[data-layout]")) {
    button.setAttribute("aria-pressed", String(Number(button.dataset.layout) === count));
  }
  const grid = $("#grid");
  grid.style.setProperty("--columns", Math.sqrt(count));
  grid.replaceChildren();
  const cameras = liveCameras();
  for (let i = 0; i < count; i++) {
    const element = document.createElement("div");
    element.className = "tile";
    element.dataset.tile = i;
    element.innerHTML =
      "<video muted autoplay playsinline></video><span class='label'></span><span class='state'></span>";
    element.addEventListener("click", () => selectTile(i));
    grid.append(element);
    state.tiles.push({ camera: null, player: null, element });
    const camera = previous[i] || cameras[i];
    if (camera) show(i, camera);
  }
  selectTile(0);
}

function selectTile(index) {
  state.selected = index;
  state.tiles.forEach((t, i) => t.element.classList.toggle("selected", i === index));
}

function show(index, camera) {
  const tile = state.tiles[index];
  if (!tile) return;
  if (tile.player) tile.player.close();
  tile.camera = camera;
  tile.element.dataset.camera = camera.ident;
  tile.element.querySelector(".label").textContent = camera.name;
  const stateLabel = tile.element.querySelector(".state");
  tile.player = new LivePlayer(
    tile.element.querySelector("video"),
    async () => {
      try {
        return await state.session.liveUrl(camera);
      } catch (error) {
        if (error instanceof Unauthenticated) showLogin("Your session has ended: log in again.");
        throw error;
      }
    },
    (status, detail = "") => {
      tile.element.dataset.state = status;
      stateLabel.textContent = status === "playing" ? "" : detail || status;
    },
  );
}

function closeTiles() {
  for (const tile of state.tiles) tile.player?.close();
  state.tiles = [];
}

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
  state.session = Session.restore();
  if (state.session) showSpotter();
  else showLogin();
}

main();
