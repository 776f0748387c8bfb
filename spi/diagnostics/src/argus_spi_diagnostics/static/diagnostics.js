// Spotter Diagnostics: the health of every node and camera the user may see.
//
// Per node: the node process's CPU and memory, the host's memory and load, each
// disk's space and state. Per camera stream: state, frame rate, bitrate, age of the
// last packet, and the recording gaps of the last 24 h. Refreshed every few seconds.

const REFRESH_MS = 5000;
const GAPS_EVERY = 6; // timelines (24 h) are read every 6th refresh
const DAY_S = 86_400;
const MIN_GAP_S = 5; // shorter holes are reconnections, not gaps worth listing

const mb = (bytes) => (bytes == null ? "–" : `${(bytes / 1e6).toFixed(0)} MB`);
const gb = (bytes) => (bytes == null ? "–" : `${(bytes / 1e9).toFixed(1)} GB`);

function duration(seconds) {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** Gaps of [start, end] not covered by ``ranges`` (sorted), of at least MIN_GAP_S. */
export function gaps(ranges, start, end) {
  const holes = [];
  let at = ranges.length ? Math.max(start, ranges[0].start) : end;
  for (const range of ranges) {
    if (range.start - at >= MIN_GAP_S) holes.push({ start: at, end: range.start });
    at = Math.max(at, range.end);
  }
  if (ranges.length && end - at >= MIN_GAP_S) holes.push({ start: at, end });
  return holes;
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

export function activate(spotter) {
  const panel = spotter.addPanel({ id: "panel", title: "Diagnostics" });
  panel.classList.add("diagnostics");
  const gapsByCamera = {};
  let round = 0;

  async function refresh() {
    const nodes = spotter.nodes().filter((n) => n.address && n.cameras.length);
    const now = Date.now() / 1000;
    const sections = await Promise.all(
      nodes.map(async (node) => {
        const any = { ...node.cameras[0], node: node.name, address: node.address };
        let status;
        try {
          status = await spotter.node(any, "GET", "/status");
        } catch (error) {
          return element(
            "section",
            { class: "node down", dataset: { node: node.name } },
            element("h3", {}, `${node.name}: unreachable`),
            element("p", {}, String(error.message || error)),
          );
        }
        if (round % GAPS_EVERY === 0) {
          await Promise.all(
            node.cameras
              .filter((c) => c.rights.includes("playback"))
              .map(async (c) => {
                const camera = { ...c, node: node.name, address: node.address };
                try {
                  const reply = await spotter.node(
                    camera,
                    "GET",
                    `/cameras/${encodeURIComponent(c.ident)}/streams/main/timeline?start=${now - DAY_S}&end=${now}`,
                  );
                  gapsByCamera[c.ident] = gaps(reply.ranges, now - DAY_S, now);
                } catch {
                  delete gapsByCamera[c.ident];
                }
              }),
          );
        }
        return nodeView(node, status, now);
      }),
    );
    round += 1;
    panel.replaceChildren(
      element("h2", {}, "Diagnostics"),
      ...(sections.length ? sections : [element("p", {}, "No node to show.")]),
    );
  }

  function nodeView(node, status, now) {
    const host = status.host || {};
    const memory =
      host.memory_total_bytes != null
        ? `${gb(host.memory_total_bytes - host.memory_available_bytes)} of ${gb(host.memory_total_bytes)} used`
        : "–";
    const facts = element(
      "dl",
      { class: "facts" },
      element("dt", {}, "Version"),
      element("dd", {}, status.version),
      element("dt", {}, "CPU (node)"),
      element("dd", { dataset: { fact: "cpu" } }, host.cpu_percent == null ? "–" : `${host.cpu_percent} %`),
      element("dt", {}, "Memory (node)"),
      element("dd", { dataset: { fact: "rss" } }, mb(host.memory_rss_bytes)),
      element("dt", {}, "Memory (host)"),
      element("dd", {}, memory),
      element("dt", {}, "Load"),
      element("dd", {}, host.load1 == null ? "–" : host.load1.toFixed(2)),
    );
    const disks = status.disks.map((d) =>
      element(
        "li",
        { class: d.online ? "ok" : "bad", dataset: { disk: d.id } },
        `${d.path}: ${d.online ? "online" : `offline (${d.reason})`}, ${gb(d.free_bytes)} free of ${gb(d.total_bytes)}`,
      ),
    );
    const rows = status.streams.map((s) => {
      const age = s.last_packet == null ? "never" : duration(Math.max(0, now - s.last_packet));
      const holes = gapsByCamera[s.camera];
      const gapText =
        holes === undefined
          ? "–"
          : holes.length
            ? `${holes.length} (${duration(holes.reduce((t, h) => t + h.end - h.start, 0))})`
            : "none";
      return element(
        "tr",
        { class: s.state === "recording" ? "ok" : "bad", dataset: { camera: s.camera, stream: s.stream } },
        element("td", {}, `${s.camera}/${s.stream}`),
        element("td", { dataset: { fact: "state" } }, s.writing ? s.state : `${s.state} (not writing)`),
        element("td", { dataset: { fact: "fps" } }, s.fps.toFixed(1)),
        element("td", {}, `${(s.bitrate / 1000).toFixed(0)} kbit/s`),
        element("td", {}, age),
        element("td", { dataset: { fact: "gaps" } }, gapText),
      );
    });
    const table = element(
      "table",
      {},
      element(
        "thead",
        {},
        element(
          "tr",
          {},
          ...["Stream", "State", "fps", "Bitrate", "Last packet", "Gaps 24 h"].map((h) =>
            element("th", {}, h),
          ),
        ),
      ),
      element("tbody", {}, ...rows),
    );
    return element(
      "section",
      { class: "node", dataset: { node: node.name } },
      element("h3", {}, node.name),
      facts,
      disks.length ? element("ul", { class: "disks" }, ...disks) : null,
      table,
    );
  }

  refresh();
  setInterval(refresh, REFRESH_MS);
}
