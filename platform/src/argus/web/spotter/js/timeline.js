// The timeline: one row per camera of the layout with its recorded ranges (gaps are
// what is left blank), a time scale, and a cursor at the picture's time. Dragging on
// it scrubs: ``onScrub(t, false)`` while the pointer moves, ``onScrub(t, true)`` on
// release.

const pad = (n) => String(n).padStart(2, "0");

export function formatTime(t, withDate = false) {
  const d = new Date(t * 1000);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (!withDate) return time;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

export class Timeline {
  constructor(root, onScrub) {
    this.root = root;
    this.onScrub = onScrub;
    this.from = 0;
    this.to = 1;
    this.rows = [];
    this.root.innerHTML =
      "<div class='scale'></div><div class='rows'></div><div class='cursor' hidden></div>";
    this.scale = root.querySelector(".scale");
    this.rowsElement = root.querySelector(".rows");
    this.cursor = root.querySelector(".cursor");
    this.rowsElement.addEventListener("pointerdown", (event) => this.drag(event));
  }

  setWindow(from, to) {
    this.from = from;
    this.to = to;
    this.root.dataset.from = from;
    this.root.dataset.to = to;
    this.draw();
  }

  /** rows: [{camera, name, ranges: [{start, end}] | null (no playback right)}] */
  setRows(rows) {
    this.rows = rows;
    this.draw();
  }

  setCursor(t) {
    this.position = t;
    const x = this.fraction(t);
    this.cursor.hidden = x < 0 || x > 1;
    this.cursor.style.left = `calc(0.6em + var(--label) + (100% - 1.2em - var(--label)) * ${x})`;
  }

  fraction(t) {
    return (t - this.from) / (this.to - this.from);
  }

  draw() {
    const span = this.to - this.from;
    const withDate = span > 86_400 / 2;
    this.scale.replaceChildren(
      ...[0, 0.25, 0.5, 0.75, 1].map((f) => {
        const tick = document.createElement("span");
        tick.style.left = `calc(var(--label) + (100% - var(--label)) * ${f})`;
        tick.textContent = formatTime(this.from + f * span, withDate);
        return tick;
      }),
    );
    this.rowsElement.replaceChildren(
      ...this.rows.map((row) => {
        const element = document.createElement("div");
        element.className = "timeline-row";
        element.dataset.camera = row.camera;
        const label = document.createElement("span");
        label.className = "name";
        label.textContent = row.name;
        const track = document.createElement("div");
        track.className = "track";
        if (row.ranges === null) {
          track.classList.add("denied");
          track.title = "no playback right";
        }
        for (const range of row.ranges || []) {
          const start = Math.max(0, this.fraction(range.start));
          const end = Math.min(1, this.fraction(range.end));
          if (end <= start) continue;
          const bar = document.createElement("span");
          bar.className = "range";
          bar.style.left = `${start * 100}%`;
          bar.style.width = `${Math.max(0.2, (end - start) * 100)}%`;
          track.append(bar);
        }
        element.append(label, track);
        return element;
      }),
    );
  }

  timeAt(clientX) {
    const track = this.rowsElement.querySelector(".track");
    if (!track) return null;
    const box = track.getBoundingClientRect();
    const x = Math.min(1, Math.max(0, (clientX - box.left) / box.width));
    return this.from + x * (this.to - this.from);
  }

  drag(event) {
    const first = this.timeAt(event.clientX);
    if (first === null) return;
    event.preventDefault();
    this.rowsElement.setPointerCapture(event.pointerId);
    let last = first;
    this.setCursor(first);
    this.onScrub(first, false);
    const move = (e) => {
      last = this.timeAt(e.clientX) ?? last;
      this.setCursor(last);
      this.onScrub(last, false);
    };
    const up = () => {
      this.rowsElement.removeEventListener("pointermove", move);
      this.rowsElement.removeEventListener("pointerup", up);
      this.rowsElement.removeEventListener("pointercancel", up);
      this.onScrub(last, true);
    };
    this.rowsElement.addEventListener("pointermove", move);
    this.rowsElement.addEventListener("pointerup", up);
    this.rowsElement.addEventListener("pointercancel", up);
  }
}
