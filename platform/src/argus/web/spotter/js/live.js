// Live view: fragmented MP4 from a node's WebSocket into Media Source Extensions.
//
// The node sends an init segment, then one fragment per frame. The player keeps the
// picture close to the live edge (it jumps ahead when it falls behind), trims what it
// has shown, and reconnects with a fresh token when the connection drops.

const MAX_LAG_S = 1.5; // behind the live edge by more than this: jump to it
const KEEP_S = 10; // seconds of shown video kept in the buffer
const RECONNECT_MS = 2000;

/** The MSE type of an init segment (H.264 only: browsers here cannot decode H.265). */
export function mimeOf(init) {
  const bytes = new Uint8Array(init);
  const at = indexOf(bytes, "avcC");
  if (at < 0) {
    const hevc = indexOf(bytes, "hvcC") >= 0;
    throw new Error(hevc ? "H.265 needs an H.264 rendition (not built yet)" : "unknown codec");
  }
  const hex = (b) => b.toString(16).padStart(2, "0");
  const [profile, compat, level] = bytes.subarray(at + 5, at + 8);
  return `video/mp4; codecs="avc1.${hex(profile)}${hex(compat)}${hex(level)}"`;
}

function indexOf(bytes, fourcc) {
  const code = [...fourcc].map((c) => c.charCodeAt(0));
  for (let i = 0; i + 4 <= bytes.length; i++) {
    if (code.every((c, k) => bytes[i + k] === c)) return i;
  }
  return -1;
}

export class LivePlayer {
  /**
   * @param video the <video> element (muted, autoplay)
   * @param url async () => the WebSocket URL, with a fresh token
   * @param onState (state, detail) => void: "connecting", "playing", "error"
   */
  constructor(video, url, onState = () => {}) {
    this.video = video;
    this.url = url;
    this.onState = onState;
    this.closed = false;
    this.connect();
  }

  async connect() {
    if (this.closed) return;
    this.onState("connecting");
    let url;
    try {
      url = await this.url();
    } catch (error) {
      this.fail(error);
      return;
    }
    if (this.closed) return;
    this.queue = [];
    this.buffer = null;
    this.source = new MediaSource();
    this.video.src = URL.createObjectURL(this.source);
    this.ws = new WebSocket(url);
    this.ws.binaryType = "arraybuffer";
    this.ws.onmessage = (message) => this.receive(message.data);
    this.ws.onclose = (event) => {
      if (this.closed) return;
      this.onState("error", event.reason || "connection closed");
      this.retry = setTimeout(() => this.connect(), RECONNECT_MS);
    };
  }

  receive(data) {
    if (!(data instanceof ArrayBuffer)) return;
    const type = String.fromCharCode(...new Uint8Array(data, 4, 4));
    if (type === "ftyp") {
      this.start(data);
    } else if (this.buffer) {
      this.queue.push(data);
      this.pump();
    }
  }

  start(init) {
    let mime;
    try {
      mime = mimeOf(init);
    } catch (error) {
      this.fail(error, { fatal: true }); // retrying would bring the same codec again
      return;
    }
    const open = () => {
      if (this.buffer) {
        // new parameters from the camera: a fresh buffer for them
        this.source.removeSourceBuffer(this.buffer);
      }
      this.buffer = this.source.addSourceBuffer(mime);
      this.buffer.mode = "segments";
      this.buffer.addEventListener("updateend", () => this.pump());
      this.queue.unshift(init);
      this.pump();
    };
    if (this.source.readyState === "open") open();
    else this.source.addEventListener("sourceopen", open, { once: true });
  }

  pump() {
    const buffer = this.buffer;
    if (!buffer || buffer.updating || this.source.readyState !== "open") return;
    const ranges = buffer.buffered;
    if (ranges.length) {
      const end = ranges.end(ranges.length - 1);
      const now = this.video.currentTime;
      if (end - now > MAX_LAG_S || now < ranges.start(0)) {
        this.video.currentTime = Math.max(ranges.start(ranges.length - 1), end - 0.2);
      }
      if (now - ranges.start(0) > 2 * KEEP_S) {
        buffer.remove(ranges.start(0), now - KEEP_S);
        return;
      }
      if (this.video.paused) this.video.play().catch(() => {});
    }
    const next = this.queue.shift();
    if (next === undefined) return;
    try {
      buffer.appendBuffer(next);
      this.onState("playing");
    } catch (error) {
      this.fail(error);
    }
  }

  fail(error, { fatal = false } = {}) {
    this.onState("error", String(error.message || error));
    if (fatal) this.closed = true;
    if (this.ws) this.ws.close();
  }

  close() {
    this.closed = true;
    clearTimeout(this.retry);
    if (this.ws) this.ws.close();
    this.video.removeAttribute("src");
    this.video.load();
  }
}
