// System Manager: the servers (state, disks, streams, enrolment tokens) and each server's
// cameras and storage, the forms generated from the drivers' and backends' own schemas.

import { $, act, call, el, gb, schemaOf, show, table, when } from "./common.js";
import { form } from "./form.js";

export async function servers(page) {
  const nodes = await call("GET", "/nodes");
  const rows = nodes.map((n) => {
    const disks = n.health?.disks || [];
    const streams = n.health?.streams || [];
    const recording = streams.filter((s) => s.state === "recording").length;
    return el(
      "tr",
      { dataset: { node: n.name } },
      el("td", {}, n.name, el("br"), el("small", {}, n.description)),
      el("td", { class: n.state === "enrolled" ? "ok" : "bad" }, n.state, n.state_reason ? ` (${n.state_reason})` : ""),
      el("td", {}, n.platform_version || "–"),
      el("td", {}, `${n.architecture || "–"} · ${n.os || ""}`),
      el("td", {}, when(n.last_heartbeat)),
      el("td", {}, n.clock_offset_us == null ? "–" : `${(n.clock_offset_us / 1000).toFixed(1)} ms`),
      el("td", {}, ...disks.map((d) => el("div", { class: d.online ? "ok" : "bad" }, `${d.path}: ${gb(d.free_bytes)} free of ${gb(d.total_bytes)}`))),
      el("td", {}, `${recording}/${streams.length} recording`),
      el("td", {}, el("button", { onclick: () => token(n.name) }, "New enrolment token")),
    );
  });
  const secret = el("pre", { id: "enrolment-token", class: "secret", hidden: "" });
  async function token(name) {
    const issued = await act(`Enrolment token for ${name}: give it to the node once.`, () =>
      call("POST", `/nodes/${encodeURIComponent(name)}/enrolment-token`, {}),
    );
    if (issued) {
      secret.textContent = `${issued.node_id}: ${issued.token}`;
      secret.hidden = false;
    }
  }
  const add = form(schemaOf("NodeCreate"));
  page.append(
    el("h2", {}, "Servers"),
    table(["Server", "State", "Version", "Architecture", "Last heartbeat", "Clock offset", "Disks", "Streams", ""], rows, { id: "servers" }),
    secret,
    el("h3", {}, "Add a server"),
    el("form", {
      id: "add-server",
      onsubmit: async (e) => {
        e.preventDefault();
        const issued = await act("Server added: enrol it with this one-time token.", () => call("POST", "/nodes", add.read()));
        if (issued) {
          await show();
          $("#enrolment-token").textContent = `${issued.node_id}: ${issued.token}`;
          $("#enrolment-token").hidden = false;
        }
      },
    }, add.element, el("div", { class: "actions" }, el("button", { type: "submit" }, "Add server"))),
  );
}

export async function cameras(page) {
  const [nodes, catalogue] = await Promise.all([call("GET", "/nodes"), call("GET", "/drivers")]);
  const chosen = location.hash.split("/")[1] || nodes[0]?.name;
  const picker = el(
    "select",
    { id: "camera-server", onchange: (e) => (location.hash = `#cameras/${e.target.value}`) },
    ...nodes.map((n) => el("option", { value: n.name }, n.name)),
  );
  picker.value = chosen || "";
  page.append(el("h2", {}, "Cameras"), el("label", {}, "Server ", picker));
  if (!chosen) {
    page.append(el("p", {}, "Add a server first."));
    return;
  }
  const devices = await call("GET", `/nodes/${encodeURIComponent(chosen)}/devices`);
  const editor = el("div", { id: "device-editor" });
  const rows = devices.map((d) =>
    el(
      "tr",
      { dataset: { device: d.ident } },
      el("td", {}, d.ident),
      el("td", {}, d.name),
      el("td", {}, d.driver),
      el("td", {}, d.cameras.map((c) => `${c.ident}${c.enabled ? "" : " (off)"}`).join(", ")),
      el("td", {}, d.recording.mode || "continuous"),
      el("td", {}, d.enabled ? "yes" : "no"),
      el(
        "td",
        {},
        el("button", { onclick: () => deviceForm(editor, catalogue, chosen, d) }, "Edit"),
        " ",
        el("button", {
          onclick: async () => {
            if (!confirm(`Remove ${d.ident} and its cameras?`)) return;
            await act(`${d.ident} removed.`, () => call("DELETE", `/devices/${encodeURIComponent(d.ident)}`));
            show();
          },
        }, "Remove"),
      ),
    ),
  );
  page.append(
    table(["Device", "Name", "Driver", "Cameras", "Recording", "Enabled", ""], rows, { id: "devices" }),
    el("div", { class: "actions" }, el("button", { id: "add-device", onclick: () => deviceForm(editor, catalogue, chosen, null) }, "Add a device")),
    editor,
  );
  page.append(await storageForm(catalogue, chosen));
}

/** The server's storage: disks, retention (also per camera), from the backend's model. */
async function storageForm(catalogue, node) {
  const current = await call("GET", `/nodes/${encodeURIComponent(node)}/storage`);
  const box = el("section", { id: "storage" }, el("h3", {}, "Storage and retention"));
  const backend = catalogue.storage_backends.find((b) => b.name === (current.backend || "segments")) || catalogue.storage_backends[0];
  if (!backend) {
    box.append(el("p", {}, "No storage backend is installed on the master to describe."));
    return box;
  }
  const settings = form(backend.settings_schema, { values: current.settings || {}, prefix: "storage." });
  box.append(
    el("p", {}, `${backend.title} (${backend.name}). The node applies a change of storage at its next start.`),
    el("form", {
      id: "storage-form",
      onsubmit: async (e) => {
        e.preventDefault();
        await act(`Storage of ${node} saved.`, () => call("PUT", `/nodes/${encodeURIComponent(node)}/storage`, { backend: backend.name, settings: settings.read() }));
      },
    }, settings.element, el("div", { class: "actions" }, el("button", { type: "submit" }, "Save storage"))),
  );
  return box;
}

/** The form for a new device (``device`` null) or for editing one, from the driver's schema. */
function deviceForm(editor, catalogue, node, device) {
  editor.replaceChildren();
  const driverPicker = el(
    "select",
    { id: "device-driver" },
    ...catalogue.drivers.map((d) => el("option", { value: d.name }, `${d.title} (${d.name})`)),
  );
  if (device) {
    driverPicker.value = device.driver;
    driverPicker.disabled = true;
  }
  const head = el("div", { class: "form" });
  const ident = el("input", { name: "ident", required: "", pattern: "[A-Za-z0-9._-]{1,64}" });
  const name = el("input", { name: "name" });
  const channels = el("input", { name: "channels", type: "number", min: "1", max: "64" });
  ident.value = device?.ident || "";
  name.value = device?.name || "";
  channels.value = device ? device.cameras.length : 1;
  if (device) ident.disabled = true;
  head.append(
    el("label", { class: "field" }, el("span", {}, "Driver"), driverPicker),
    el("label", { class: "field" }, el("span", {}, "Device id *"), ident),
    el("label", { class: "field" }, el("span", {}, "Name"), name),
    el("label", { class: "field" }, el("span", {}, "Cameras (channels)"), channels),
  );
  const settingsBox = el("div", { id: "driver-settings" });
  const recordingForm = form(catalogue.recording_schema, { values: device?.recording || {}, prefix: "recording." });
  let settingsForm = null;
  const drawSettings = () => {
    const driver = catalogue.drivers.find((d) => d.name === driverPicker.value);
    settingsForm = form(driver.settings_schema, { values: device?.settings || {}, prefix: "settings." });
    settingsBox.replaceChildren(settingsForm.element);
  };
  driverPicker.addEventListener("change", drawSettings);
  drawSettings();
  const save = async (event) => {
    event.preventDefault();
    const driver = catalogue.drivers.find((d) => d.name === driverPicker.value);
    const all = settingsForm.read();
    const settings = {};
    const credentials = {};
    for (const [key, value] of Object.entries(all)) {
      (driver.secret_fields.includes(key) ? credentials : settings)[key] = value;
    }
    const cameras = [...Array(Number(channels.value) || 1).keys()].map((channel) => ({ channel }));
    const body = {
      name: name.value,
      settings,
      recording: recordingForm.read(),
      cameras,
      ...(Object.keys(credentials).length ? { credentials } : {}),
    };
    const done = device
      ? await act(`${device.ident} saved: its node applies it now.`, () => call("PATCH", `/devices/${encodeURIComponent(device.ident)}`, body))
      : await act(`${ident.value} added: its node starts it now.`, () =>
          call("POST", `/nodes/${encodeURIComponent(node)}/devices`, { ...body, ident: ident.value, driver: driver.name }),
        );
    if (done) show();
  };
  editor.append(
    el("h3", {}, device ? `Edit ${device.ident}` : "Add a device"),
    el("form", { id: "device-form", onsubmit: save }, head, el("h3", {}, "Driver settings"), settingsBox, el("h3", {}, "Recording"), recordingForm.element, el("div", { class: "actions" }, el("button", { type: "submit" }, "Save"))),
  );
}
