// One tile's video: fragmented MP4 into Media Source Extensions, live or recorded.
//
// Live: the node's WebSocket sends an init segment, then one fragment per frame; the
// player stays near the live edge. Playback: the node's playback route streams fMP4
// from the keyframe at or before the asked time; the player reads it only as fast as
// the picture needs (30 s ahead) and asks for the next span when one ends. In both,
// media time is UTC seconds: video.currentTime is the wall-clock time of the picture.

const MAX_LAG_S = 1.5; // live: behind the edge by more than this, jump to it
const KEEP_S = 20; // seconds of shown video kept in the buffer
const AHEAD_S = 30; // playback: read no further ahead than this
const SPAN_S = 600; // playback: seconds asked of the node per request
const RECONNECT_MS = 2000;
const TAIL_S = 120; // playback this close to now follows the recording as it grows
const TAIL_POLL_MS = 1000;

/**
 * The MSE type of an init segment: H.264 video (browsers here cannot decode H.265),
 * with AAC audio when there is some. G.711 in MP4 is not playable in browsers: live
 * view asks the node for video only; recordings with G.711 are refused here.
 */
export function mimeOf(init) {
  const at = indexOf(init, "avcC");
  if (at < 0) {
    const hevc = indexOf(init, "hvcC") >= 0;
    throw new Error(hevc ? "H.265: needs an H.264 rendition (not built yet)" : "unknown codec");
  }
  if (indexOf(init, "ulaw") >= 0 || indexOf(init, "alaw") >= 0) {
    throw new Error("G.711 audio: browsers cannot play this recording (export it instead)");
  }
  const hex = (b) => b.toString(16).padStart(2, "0");
  const [profile, compat, level] = init.subarray(at + 5, at + 8);
  const codecs = [`avc1.${hex(profile)}${hex(compat)}${hex(level)}`];
  if (indexOf(init, "mp4a") >= 0) codecs.push("mp4a.40.2");
  return `video/mp4; codecs="${codecs.join(",")}"`;
}

function indexOf(bytes, fourcc) {
  const code = [...fourcc].map((c) => c.charCodeAt(0));
  for (let i = 0; i + 4 <= bytes.length; i++) {
    if (bytes[i] === code[0] && code.every((c, k) => bytes[i + k] === c)) return i;
  }
  return -1;
}

/** Bytes up to the end of the top-level ``moov`` box, or -1 while it is incomplete. */
function initLength(bytes) {
  let at = 0;
  while (at + 8 <= bytes.length) {
    const view = new DataView(bytes.buffer, bytes.byteOffset + at, 8);
    const size = view.getUint32(0);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (size < 8) return -1;
    if (type === "moov") return at + size <= bytes.length ? at + size : -1;
    at += size;
  }
  return -1;
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export class Player {
  /**
   * @param video the tile's <video> (muted, autoplay)
   * @param onState (state, detail) => void: "connecting", "playing", "ended", "error"
   */
  constructor(video, onState = () => {}) {
    this.video = video;
    this.onState = onState;
    this.generation = 0; // a new live() or playback() makes older feeds stop
  }

  /** Live video from ``url()`` (async: a WebSocket URL with a fresh token). */
  live(url) {
    const generation = this.reset("live");
    const connect = async () => {
      if (generation !== this.generation) return;
      this.onState("connecting");
      let address;
      try {
        address = await url();
      } catch (error) {
        this.onState("error", String(error.message || error));
        return;
      }
      if (generation !== this.generation) return;
      const ws = new WebSocket(address);
      this.ws = ws;
      ws.binaryType = "arraybuffer";
      ws.onmessage = (message) => {
        if (generation !== this.generation) return;
        const bytes = new Uint8Array(message.data);
        const type = String.fromCharCode(...bytes.subarray(4, 8));
        if (type === "ftyp") this.init(bytes);
        else this.append(bytes);
      };
      ws.onclose = (event) => {
        if (generation !== this.generation || this.fatal) return;
        this.onState("error", event.reason || "connection closed");
        this.retry = setTimeout(() => {
          this.reset("live", generation);
          connect();
        }, RECONNECT_MS);
      };
    };
    connect();
  }

  /**
   * Recorded video from ``at`` (UTC seconds) at ``rate``; ``url(start, end)`` is async and
   * gives the node's playback URL with a fresh token.
   */
  playback(url, at, rate = 1) {
    const generation = this.reset("playback");
    this.video.playbackRate = rate;
    this.target = at;
    const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const read = async () => {
      let start = at;
      while (generation === this.generation) {
        const tail = Date.now() / 1000 - start < TAIL_S;
        let reply;
        try {
          reply = await fetch(await url(start, start + SPAN_S));
        } catch (error) {
          this.onState("error", String(error.message || error));
          return;
        }
        if (generation !== this.generation) return;
        if (reply.status === 404) {
          // nothing recorded there (yet): near now, wait for it; else the next span
          if (tail) {
            await pause(TAIL_POLL_MS);
            continue;
          }
          start += SPAN_S;
          continue;
        }
        if (!reply.ok) {
          const body = await reply.json().catch(() => ({}));
          this.onState("error", body.detail || `HTTP ${reply.status}`);
          return;
        }
        const reached = await this.feed(reply.body.getReader(), generation);
        if (reached !== null && reached < start + SPAN_S - 1) {
          // the recording ended before the span: continue from where it stopped
          start = Math.max(start + 0.001, reached);
          await pause(TAIL_POLL_MS);
        } else {
          start += SPAN_S;
        }
      }
    };
    read();
  }

  /** Append a playback response; the end of what is buffered afterwards (or null). */
  async feed(reader, generation) {
    let head = new Uint8Array(0);
    let initDone = false;
    for (;;) {
      while (generation === this.generation && this.aheadSeconds() > AHEAD_S) {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      if (generation !== this.generation) {
        reader.cancel();
        return null;
      }
      const { value, done } = await reader.read();
      if (generation !== this.generation) {
        reader.cancel();
        return null;
      }
      if (done) {
        await this.drained(generation);
        return this.bufferedEnd();
      }
      if (initDone) {
        this.append(value);
        continue;
      }
      head = concat(head, value);
      const length = initLength(head);
      if (length < 0) continue;
      this.init(head.subarray(0, length));
      if (length < head.length) this.append(head.subarray(length));
      initDone = true;
    }
  }

  aheadSeconds() {
    const end = this.bufferedEnd();
    return end === null ? 0 : end - this.video.currentTime;
  }

  bufferedEnd() {
    if (!this.buffer || this.source.readyState !== "open") return null;
    const ranges = this.buffer.buffered;
    return ranges.length ? ranges.end(ranges.length - 1) : null;
  }

  /** Wait until everything queued has been appended. */
  async drained(generation) {
    while (
      generation === this.generation &&
      (this.queue.length || this.buffer?.updating) &&
      this.source.readyState === "open"
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  reset(mode, keep = null) {
    if (keep === null) this.generation += 1;
    clearTimeout(this.retry);
    this.ws?.close();
    this.ws = null;
    this.mode = mode;
    this.fatal = false;
    this.queue = [];
    this.buffer = null;
    this.mime = null;
    this.target = null;
    this.held = false;
    this.source = new MediaSource();
    this.video.src = URL.createObjectURL(this.source);
    return this.generation;
  }

  init(bytes) {
    let mime;
    try {
      mime = mimeOf(bytes);
    } catch (error) {
      this.fatal = true; // asking again would bring the same codec
      this.onState("error", String(error.message || error));
      this.ws?.close();
      this.generation += 1;
      return;
    }
    const ready = () => {
      if (!this.buffer || mime !== this.mime) {
        if (this.buffer) this.source.removeSourceBuffer(this.buffer);
        this.buffer = this.source.addSourceBuffer(mime);
        this.mime = mime;
        this.buffer.addEventListener("updateend", () => this.pump());
      }
      this.queue.push(bytes.slice());
      this.pump();
    };
    if (this.source.readyState === "open") ready();
    else this.source.addEventListener("sourceopen", ready, { once: true });
  }

  append(bytes) {
    if (!this.mime) return;
    this.queue.push(bytes.slice());
    this.pump();
  }

  pump() {
    const buffer = this.buffer;
    if (!buffer || buffer.updating || this.source.readyState !== "open") return;
    if (![...this.source.sourceBuffers].includes(buffer)) return;
    const ranges = buffer.buffered;
    const now = this.video.currentTime;
    if (ranges.length) {
      const first = ranges.start(0);
      const end = ranges.end(ranges.length - 1);
      if (this.mode === "live" && (end - now > MAX_LAG_S || now < first)) {
        this.video.currentTime = Math.max(ranges.start(ranges.length - 1), end - 0.2);
      } else if (this.mode === "playback" && this.target !== null && end >= this.target) {
        this.video.currentTime = Math.max(this.target, first);
        this.target = null;
      }
      if (now - first > 2 * KEEP_S) {
        buffer.remove(first, now - KEEP_S);
        return;
      }
      if (this.video.paused && !this.held) {
        this.video.play().then(() => this.onState("playing"), () => {});
      }
    }
    const next = this.queue.shift();
    if (next === undefined) return;
    try {
      buffer.appendBuffer(next);
    } catch (error) {
      this.onState("error", String(error.message || error));
    }
  }

  /** Hold (pause) or release the picture without stopping the feed. */
  hold(held) {
    this.held = held;
    if (held) this.video.pause();
    else this.video.play().catch(() => {});
  }

  close() {
    this.generation += 1;
    clearTimeout(this.retry);
    this.ws?.close();
    this.video.removeAttribute("src");
    this.video.load();
  }
}
