// The master's API and the per-node tokens, for one logged-in user.
//
// The session secret and the profile download are kept in sessionStorage, so a reload
// keeps the user logged in until the session ends (or the tab closes).

const KEY = "argus.spotter.session";
// Node tokens are reused this long for new streams (the master signs them for minutes).
const TOKEN_REUSE_MS = 60_000;

export class Unauthenticated extends Error {}

export class Session {
  constructor(state) {
    this.secret = state.session;
    this.expires = state.expires;
    this.profile = state.profile;
    this.tokens = state.tokens;
    this.tokensAt = state.tokensAt || 0;
  }

  static restore() {
    const saved = sessionStorage.getItem(KEY);
    return saved ? new Session(JSON.parse(saved)) : null;
  }

  static async login(username, password) {
    const reply = await fetch("/api/v1/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username, password }),
    });
    const body = await reply.json().catch(() => ({}));
    if (!reply.ok) throw new Error(describe(body.detail) || `login failed (HTTP ${reply.status})`);
    const session = new Session({ ...body, tokensAt: Date.now() });
    session.save();
    return session;
  }

  save() {
    sessionStorage.setItem(
      KEY,
      JSON.stringify({
        session: this.secret,
        expires: this.expires,
        profile: this.profile,
        tokens: this.tokens,
        tokensAt: this.tokensAt,
      }),
    );
  }

  async call(method, path, body) {
    const reply = await fetch(`/api/v1${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${this.secret}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (reply.status === 401) throw new Unauthenticated("the session has ended");
    const data = reply.status === 204 ? null : await reply.json();
    if (!reply.ok) throw new Error(describe(data?.detail) || `HTTP ${reply.status}`);
    return data;
  }

  async logout() {
    sessionStorage.removeItem(KEY);
    try {
      await this.call("POST", "/logout");
    } catch {
      // ended already: nothing to undo
    }
  }

  /** Fresh node tokens (they live minutes; a stream is authorised when it opens). */
  async refreshTokens() {
    this.tokens = (await this.call("GET", "/me/tokens")).tokens;
    this.tokensAt = Date.now();
    this.save();
  }

  /** Every camera the user may see, with its node: [{node, address, ident, name, rights}]. */
  cameras() {
    return this.profile.nodes.flatMap((node) =>
      node.cameras.map((camera) => ({ ...camera, node: node.name, address: node.address })),
    );
  }

  /** A URL of the camera's node API with a fresh token for that node. */
  async nodeUrl(camera, path, params = {}) {
    if (Date.now() - this.tokensAt > TOKEN_REUSE_MS) await this.refreshTokens();
    const url = new URL(`${camera.address.replace(/\/$/, "")}/api/v1${path}`);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    url.searchParams.set("token", this.tokens[camera.node] || "");
    return url.toString();
  }

  /**
   * The live WebSocket URL of a camera's stream: video only (the tiles are muted), and
   * H.264 only — the node transcodes an H.265 camera while the tile shows it.
   */
  async liveUrl(camera, stream = "main") {
    const path = `/cameras/${encodeURIComponent(camera.ident)}/streams/${stream}/live`;
    const url = await this.nodeUrl(camera, path, { video_only: "true", codecs: "h264" });
    return url.replace(/^http/, "ws");
  }

  /**
   * The fMP4 playback URL of a camera's recording from ``start`` to ``end`` (UTC s), as
   * a browser plays it: the node transcodes H.265 and leaves out G.711 audio.
   */
  playbackUrl(camera, start, end, stream = "main") {
    const path = `/cameras/${encodeURIComponent(camera.ident)}/streams/${stream}/playback`;
    return this.nodeUrl(camera, path, {
      start: start.toFixed(3),
      end: end.toFixed(3),
      codecs: "h264",
    });
  }

  /** The camera's recorded ranges between ``start`` and ``end``: [{start, end}]. */
  async timeline(camera, start, end, stream = "main") {
    const path = `/cameras/${encodeURIComponent(camera.ident)}/streams/${stream}/timeline`;
    const reply = await fetch(await this.nodeUrl(camera, path, { start, end }));
    if (!reply.ok) throw new Error(`timeline: HTTP ${reply.status}`);
    return (await reply.json()).ranges;
  }

  /** What each node says of the user's cameras: ident → {ptz, io, device, streams}. */
  async nodeCameras() {
    const found = {};
    await Promise.all(
      this.profile.nodes
        .filter((node) => node.address && node.cameras.length)
        .map(async (node) => {
          try {
            const camera = { node: node.name, address: node.address };
            const reply = await fetch(await this.nodeUrl(camera, "/cameras"));
            if (!reply.ok) return;
            for (const c of await reply.json()) found[c.id] = c;
          } catch {
            // a node that is away shows its cameras without controls
          }
        }),
    );
    return found;
  }

  /** Call a node's API for ``camera`` (JSON in and out). */
  async nodeCall(camera, method, path, body) {
    const reply = await fetch(await this.nodeUrl(camera, path), {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await reply.json().catch(() => ({}));
    if (!reply.ok) throw new Error(describe(data.detail) || `HTTP ${reply.status}`);
    return data;
  }

  /** A JPEG of the camera's recording at ``at`` (UTC s). */
  snapshotUrl(camera, at, stream = "main") {
    const path = `/cameras/${encodeURIComponent(camera.ident)}/snapshot`;
    return this.nodeUrl(camera, path, { at: at.toFixed(3), stream });
  }
}

/**
 * An API error's ``detail`` as text: the service's message, or — for a request the API
 * could not validate — each problem as "field: message".
 */
export function describe(detail) {
  if (!detail) return "";
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((p) => {
        const where = (p.loc || []).filter((part) => part !== "body").join(".");
        return where ? `${where}: ${p.msg}` : p.msg;
      })
      .join("; ");
  }
  return JSON.stringify(detail);
}
