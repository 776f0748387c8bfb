// The export dialog: a time range × several cameras → MP4 files (remuxed by each node)
// and each node's manifest with the files' SHA-256, for evidence. Each node exports in
// the background and reports files done and bytes written; the dialog shows that.

import { formatTime } from "./timeline.js";

const pad = (n) => String(n).padStart(2, "0");
const POLL_MS = 400; // how often the node is asked how far the export is

export function localInput(t) {
  const d = new Date(t * 1000);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

export class ExportDialog {
  constructor(dialog, session) {
    this.dialog = dialog;
    this.session = session;
    this.form = dialog.querySelector("form");
    this.results = dialog.querySelector("#export-results");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.run();
    });
    dialog.querySelector("#export-close").addEventListener("click", () => dialog.close());
  }

  /** Open with the range [start, end] and the given cameras ticked. */
  open(start, end, chosen) {
    this.form.elements.start.value = localInput(start);
    this.form.elements.end.value = localInput(end);
    const list = this.dialog.querySelector("#export-cameras");
    list.replaceChildren(
      ...this.session.cameras().map((camera) => {
        const label = document.createElement("label");
        const box = document.createElement("input");
        box.type = "checkbox";
        box.name = "camera";
        box.value = camera.ident;
        const allowed = camera.rights.includes("export");
        box.disabled = !allowed;
        box.checked = allowed && chosen.includes(camera.ident);
        if (!allowed) label.title = "needs the export right";
        label.append(box, ` ${camera.name}`);
        return label;
      }),
    );
    this.results.replaceChildren();
    this.dialog.showModal();
  }

  async run() {
    const start = new Date(this.form.elements.start.value).getTime() / 1000;
    const end = new Date(this.form.elements.end.value).getTime() / 1000;
    const idents = [...this.form.querySelectorAll("input[name=camera]:checked")].map(
      (b) => b.value,
    );
    this.results.replaceChildren();
    if (!idents.length || !(end > start)) {
      this.results.textContent = "Choose cameras and an end after the start.";
      return;
    }
    const cameras = this.session.cameras().filter((c) => idents.includes(c.ident));
    const byNode = Map.groupBy
      ? Map.groupBy(cameras, (c) => c.node)
      : cameras.reduce((m, c) => m.set(c.node, [...(m.get(c.node) || []), c]), new Map());
    const submit = this.form.querySelector("button[type=submit]");
    submit.disabled = true;
    await Promise.all(
      [...byNode.values()].map((group) => this.exportFrom(group, start, end)),
    );
    submit.disabled = false;
  }

  async exportFrom(cameras, start, end) {
    const node = cameras[0].node;
    const box = document.createElement("section");
    box.className = "export-node";
    box.dataset.node = node;
    const heading = document.createElement("h3");
    heading.textContent = `${node}: ${cameras.map((c) => c.name).join(", ")}`;
    const progress = document.createElement("progress");
    progress.max = cameras.length;
    progress.value = 0;
    const status = document.createElement("p");
    status.className = "export-status";
    box.append(heading, progress, status);
    this.results.append(box);
    try {
      let job = await this.session.nodeCall(cameras[0], "POST", "/export-jobs", {
        cameras: cameras.map((c) => c.ident),
        start,
        end,
      });
      while (job.state === "running") {
        progress.value = job.files_done;
        status.textContent = `${job.files_done} of ${job.files_total} files, ${(job.bytes_written / 1e6).toFixed(1)} MB`;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        job = await this.session.nodeCall(cameras[0], "GET", `/export-jobs/${job.id}`);
      }
      if (job.state !== "done") throw new Error(job.error || "the export failed");
      progress.remove();
      status.remove();
      box.append(await this.manifestView(cameras[0], job.manifest));
      box.dataset.state = "done";
    } catch (error) {
      progress.remove();
      status.className = "error";
      status.textContent = error.message;
      box.dataset.state = "error";
    }
  }

  async manifestView(camera, manifest) {
    const list = document.createElement("ul");
    list.className = "export-files";
    for (const file of manifest.files) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = await this.session.nodeUrl(
        camera,
        `/exports/${manifest.id}/files/${encodeURIComponent(file.name)}`,
      );
      link.download = file.name;
      link.textContent = file.name;
      link.dataset.file = file.name;
      const size = `${(file.bytes / 1e6).toFixed(1)} MB`;
      const hash = document.createElement("code");
      hash.textContent = file.sha256;
      hash.title = "SHA-256";
      item.append(link, ` ${size} `, hash);
      list.append(item);
    }
    const manifestLink = document.createElement("a");
    manifestLink.href = await this.session.nodeUrl(camera, `/exports/${manifest.id}`);
    manifestLink.textContent = "Manifest (JSON)";
    manifestLink.target = "_blank";
    const when = document.createElement("p");
    when.textContent = `${formatTime(manifest.start, true)} – ${formatTime(manifest.end, true)}`;
    const view = document.createElement("div");
    view.append(when, list, manifestLink);
    return view;
  }
}
