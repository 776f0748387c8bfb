// The Spotter plugin API (.spi): what a plugin's ES module gets in ``activate(spotter)``.
//
//   export function activate(spotter) {
//     const panel = spotter.addPanel({ id: "hello", title: "Hello" });
//     panel.textContent = `Hello, ${spotter.user.username}`;
//     spotter.onCameraSelected((camera) => { ... });          // camera or null
//     spotter.addTileOverlay((layer, camera) => { ... });      // per tile and camera
//     const nodes = await spotter.master("GET", "/nodes");     // with the user's rights
//     const status = await spotter.node(camera, "GET", "/status");
//   }
//
// Documented in docs/sdk/spotter-plugins.md. API_VERSION changes only when a function
// is removed or changes meaning; new functions are added without a change.

export const API_VERSION = 1;

export class PluginHost {
  constructor(session, ui) {
    this.session = session;
    this.ui = ui; // {addPanel(id, title) → element, tiles() → [{element, camera}]}
    this.selected = [];
    this.overlays = [];
    this.loaded = [];
  }

  /** Load every plugin the master lists; a failing plugin is reported and left out. */
  async loadAll() {
    let plugins = [];
    try {
      plugins = await this.session.call("GET", "/spotter/plugins");
    } catch (error) {
      console.error("Spotter plugins unavailable:", error);
      return;
    }
    for (const plugin of plugins) {
      for (const href of plugin.styles) {
        const link = document.createElement("link");
        link.rel = "stylesheet";
        link.href = href;
        document.head.append(link);
      }
      try {
        const module = await import(plugin.module);
        await module.activate(this.api(plugin));
        this.loaded.push(plugin);
      } catch (error) {
        console.error(`Spotter plugin ${plugin.name} ${plugin.version} failed:`, error);
        this.ui.notice(`Plugin ${plugin.title} could not start: ${error.message || error}`);
      }
    }
    document.body.dataset.plugins = this.loaded.map((p) => p.name).join(" ");
  }

  api(plugin) {
    const session = this.session;
    const host = this;
    return Object.freeze({
      version: API_VERSION,
      plugin: { name: plugin.name, version: plugin.version },
      user: Object.freeze({
        username: session.profile.username,
        displayName: session.profile.display_name,
        admin: session.profile.admin,
        profile: session.profile.profile,
      }),
      /** The nodes the user may use: [{name, address, cameras: [{ident, name, rights}]}]. */
      nodes: () => structuredClone(session.profile.nodes),
      /** Every camera the user may see: [{ident, name, rights, node, address}]. */
      cameras: () => session.cameras(),
      /** A panel in Spotter's side bar, as a tab; returns the element to fill. */
      addPanel: ({ id, title }) => host.ui.addPanel(`${plugin.name}-${id}`, title),
      /** ``callback(camera | null)`` whenever the selected tile's camera changes. */
      onCameraSelected: (callback) => host.selected.push(callback),
      /** ``create(layer, camera)`` for each tile showing a camera: draw into ``layer``. */
      addTileOverlay: (create) => {
        host.overlays.push(create);
        for (const tile of host.ui.tiles()) host.overlay(tile, create);
      },
      /** Call the master API with the user's session (and so with the user's rights). */
      master: (method, path, body) => session.call(method, path, body),
      /** Call the API of ``camera``'s node with the user's token for that node. */
      node: (camera, method, path, body) => session.nodeCall(camera, method, path, body),
      /** A URL of the node API with a token (for <img>, <video>, downloads). */
      nodeUrl: (camera, path, params) => session.nodeUrl(camera, path, params),
    });
  }

  cameraSelected(camera) {
    for (const callback of this.selected) {
      try {
        callback(camera);
      } catch (error) {
        console.error("Spotter plugin failed on a camera selection:", error);
      }
    }
  }

  /** A tile now shows ``camera``: give every overlay a fresh layer on it. */
  tileChanged(tile) {
    for (const create of this.overlays) this.overlay(tile, create);
  }

  overlay(tile, create) {
    if (!tile.camera) return;
    const index = this.overlays.indexOf(create);
    tile.element.querySelector(`.plugin-layer[data-overlay='${index}']`)?.remove();
    const layer = document.createElement("div");
    layer.className = "plugin-layer";
    layer.dataset.overlay = index;
    tile.element.append(layer);
    try {
      create(layer, tile.camera);
    } catch (error) {
      console.error("Spotter plugin overlay failed:", error);
      layer.remove();
    }
  }
}
