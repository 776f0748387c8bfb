// System Manager: servers, cameras, users and profiles with the rights matrix, plugin
// packages with their rollouts and what every node runs, the audit trail, watchdog
// events, backup and restore — all through the master API with the administrator's
// session, forms generated from the API's own schemas.

import { Session, Unauthenticated } from "/spotter/js/api.js";
import { form } from "./form.js";

const $ = (selector) => document.querySelector(selector);
let session = null;
let openapi = null;
// Bumped each time a page is drawn: what a page polls stops when another is drawn.
let drawn = 0;

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

function table(headers, rows, attributes = {}) {
  return el(
    "table",
    { class: "list", ...attributes },
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", {}, h)))),
    el("tbody", {}, ...rows),
  );
}

function say(text, error = false) {
  const message = $("#message");
  message.textContent = text;
  message.className = `message${error ? " error" : ""}`;
}

async function call(method, path, body) {
  try {
    return await session.call(method, path, body);
  } catch (error) {
    if (error instanceof Unauthenticated) showLogin("Your session has ended: log in again.");
    throw error;
  }
}

/** Run an action; its error (the API's message) is shown, never thrown away. */
async function act(what, action) {
  try {
    const result = await action();
    say(what);
    return result;
  } catch (error) {
    say(`${error.message}`, true);
    return undefined;
  }
}

function schemaOf(name) {
  return { ...openapi.components.schemas[name], $defs: openapi.components.schemas };
}

const when = (iso) => (iso ? new Date(iso).toLocaleString() : "–");
const gb = (bytes) => `${(bytes / 1e9).toFixed(1)} GB`;

// --- Pages ---------------------------------------------------------------------------------

async function servers(page) {
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

async function cameras(page) {
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

async function users(page) {
  const [list, profiles] = await Promise.all([call("GET", "/users"), call("GET", "/profiles")]);
  const rows = list.map((u) =>
    el(
      "tr",
      { dataset: { user: u.username } },
      el("td", {}, u.username),
      el("td", {}, u.display_name),
      el("td", {}, u.profile),
      el("td", { class: u.enabled ? "ok" : "bad" }, u.enabled ? "enabled" : "disabled"),
      el("td", {}, when(u.last_login)),
      el(
        "td",
        {},
        el("button", {
          onclick: async () => {
            await act(`${u.username} ${u.enabled ? "disabled" : "enabled"}.`, () => call("PATCH", `/users/${u.id}`, { enabled: !u.enabled }));
            show();
          },
        }, u.enabled ? "Disable" : "Enable"),
        " ",
        el("button", {
          onclick: async () => {
            if (!confirm(`Delete ${u.username}?`)) return;
            await act(`${u.username} deleted.`, () => call("DELETE", `/users/${u.id}`));
            show();
          },
        }, "Delete"),
      ),
    ),
  );
  const add = form(schemaOf("UserCreate"));
  const profileField = add.element.querySelector("[data-field='profile_id']");
  const profilePicker = el("select", { name: "profile_id" }, ...profiles.map((p) => el("option", { value: p.id }, p.name)));
  profileField.querySelector("input").replaceWith(profilePicker);
  page.append(
    el("h2", {}, "Users"),
    table(["User", "Name", "Profile", "State", "Last login", ""], rows, { id: "users" }),
    el("h3", {}, "Add a user"),
    el("form", {
      id: "add-user",
      onsubmit: async (e) => {
        e.preventDefault();
        const body = { ...add.read(), profile_id: Number(profilePicker.value) };
        if (await act(`${body.username} added.`, () => call("POST", "/users", body))) show();
      },
    }, add.element, el("div", { class: "actions" }, el("button", { type: "submit" }, "Add user"))),
  );
}

async function profiles(page) {
  const [list, groups, nodes] = await Promise.all([call("GET", "/profiles"), call("GET", "/camera-groups"), call("GET", "/nodes")]);
  const devices = (await Promise.all(nodes.map((n) => call("GET", `/nodes/${encodeURIComponent(n.name)}/devices`)))).flat();
  const cameras = devices.flatMap((d) => d.cameras.map((c) => ({ ...c, device: d.name })));
  const rights = openapi.components.schemas.Right.enum;
  const chosenId = Number(location.hash.split("/")[1]) || list[0]?.id;
  const chosen = list.find((p) => p.id === chosenId);
  const picker = el("select", { id: "profile-picker", onchange: (e) => (location.hash = `#profiles/${e.target.value}`) }, ...list.map((p) => el("option", { value: p.id }, p.name)));
  picker.value = chosen?.id ?? "";
  page.append(el("h2", {}, "Profiles"), el("label", {}, "Profile ", picker));
  if (chosen) {
    const has = (scope, target, right) => chosen.grants.some((g) => g.scope === scope && g.target === target && g.right === right);
    const targets = [
      { scope: "all", target: "", label: "All cameras" },
      ...groups.map((g) => ({ scope: "group", target: g.name, label: `Group: ${g.name}` })),
      ...cameras.map((c) => ({ scope: "camera", target: c.ident, label: `${c.name} (${c.ident})` })),
    ];
    const rows = targets.map((t) =>
      el("tr", { dataset: { scope: t.scope, target: t.target } }, el("td", {}, t.label),
        ...rights.map((r) => {
          const box = el("input", { type: "checkbox", dataset: { right: r } });
          box.checked = has(t.scope, t.target, r);
          return el("td", {}, box);
        })),
    );
    const matrix = table(["", ...rights], rows, { id: "rights-matrix", class: "list matrix" });
    page.append(
      el("h3", {}, `Rights of ${chosen.name}`),
      matrix,
      el("div", { class: "actions" }, el("button", {
        id: "save-grants",
        onclick: async () => {
          const grants = [];
          for (const row of matrix.querySelectorAll("tbody tr")) {
            for (const box of row.querySelectorAll("input:checked")) {
              grants.push({ scope: row.dataset.scope, target: row.dataset.target, right: box.dataset.right });
            }
          }
          if (await act(`Rights of ${chosen.name} saved.`, () => call("PUT", `/profiles/${chosen.id}/grants`, { grants }))) show();
        },
      }, "Save rights")),
    );
  }
  const add = form(schemaOf("ProfileCreate"));
  add.element.querySelector("[data-field='grants']")?.remove();
  page.append(
    el("h3", {}, "Add a profile"),
    el("form", {
      id: "add-profile",
      onsubmit: async (e) => {
        e.preventDefault();
        const created = await act("Profile added: give it rights below.", () => call("POST", "/profiles", add.read()));
        if (created) location.hash = `#profiles/${created.id}`;
      },
    }, add.element, el("div", { class: "actions" }, el("button", { type: "submit" }, "Add profile"))),
  );
}

async function groups(page) {
  const [list, nodes] = await Promise.all([call("GET", "/camera-groups"), call("GET", "/nodes")]);
  const devices = (await Promise.all(nodes.map((n) => call("GET", `/nodes/${encodeURIComponent(n.name)}/devices`)))).flat();
  const cameras = devices.flatMap((d) => d.cameras);
  const sections = list.map((group) => {
    const boxes = cameras.map((c) => {
      const box = el("input", { type: "checkbox", value: c.ident });
      box.checked = group.cameras.includes(c.ident);
      return el("label", { class: "member" }, box, ` ${c.name}`);
    });
    return el(
      "section",
      { class: "group-card", dataset: { group: group.name } },
      el("h3", {}, group.name, group.description ? ` — ${group.description}` : ""),
      el("div", { class: "actions members" }, ...boxes),
      el("div", { class: "actions" },
        el("button", {
          class: "save-members",
          onclick: async () => {
            const members = boxes.map((b) => b.querySelector("input")).filter((b) => b.checked).map((b) => b.value);
            await act(`Members of ${group.name} saved.`, () => call("PUT", `/camera-groups/${encodeURIComponent(group.name)}/members`, { cameras: members }));
          },
        }, "Save members"),
        el("button", {
          onclick: async () => {
            if (!confirm(`Delete the group ${group.name}?`)) return;
            if (await act(`${group.name} deleted.`, () => call("DELETE", `/camera-groups/${encodeURIComponent(group.name)}`)) !== undefined) show();
          },
        }, "Delete"),
      ),
    );
  });
  const add = form(schemaOf("CameraGroupIn"));
  page.append(
    el("h2", {}, "Camera groups"),
    el("p", {}, "Rights can be given per group in the profiles' matrix."),
    ...sections,
    el("h3", {}, "Add a group"),
    el("form", {
      id: "add-group",
      onsubmit: async (e) => {
        e.preventDefault();
        if (await act("Group added.", () => call("POST", "/camera-groups", add.read()))) show();
      },
    }, add.element, el("div", { class: "actions" }, el("button", { type: "submit" }, "Add group"))),
  );
}

async function packages(page) {
  const list = await call("GET", "/packages");
  const rows = list.map((p) =>
    el("tr", { dataset: { package: p.filename } },
      el("td", {}, p.name),
      el("td", {}, p.version),
      el("td", {}, p.kinds.join(", ")),
      el("td", {}, p.tags.join(", ")),
      el("td", {}, p.sdk),
      el("td", {}, p.vendor || "unsigned"),
      el("td", {}, `${when(p.admitted)} by ${p.admitted_by}`),
      el("td", {}, el("code", { title: "SHA-256" }, p.sha256.slice(0, 16) + "…")),
    ),
  );
  const file = el("input", { type: "file", id: "package-file", accept: ".whl,.spi" });
  const signature = el("input", { type: "file", id: "package-signature", accept: ".sig" });
  page.append(
    el("h2", {}, "Plugin packages"),
    table(["Package", "Version", "Kinds", "Tags", "argus-sdk", "Vendor", "Admitted", "SHA-256"], rows, { id: "packages" }),
    el("p", {}, "Bring an admitted package to nodes with a ", el("a", { href: "#rollouts" }, "rollout"), "; see what every node runs, pin or remove it under ", el("a", { href: "#installed" }, "Installed"), "."),
    el("h3", {}, "Admit a package"),
    el("p", {}, "Checked before anything of it is unpacked: archive, RECORD hashes, metadata, Argus entry points, argus-sdk range, and the vendor's signature when one is given."),
    el("form", {
      id: "admit-package",
      class: "actions",
      onsubmit: async (e) => {
        e.preventDefault();
        if (!file.files.length) return say("Choose a .whl or .spi file.", true);
        const chosen = file.files[0];
        const query = new URLSearchParams({ filename: chosen.name });
        if (signature.files.length) {
          const bytes = new Uint8Array(await signature.files[0].arrayBuffer());
          query.set("signature", btoa(String.fromCharCode(...bytes)));
        }
        const reply = await fetch(`/api/v1/packages?${query}`, {
          method: "POST",
          headers: { Authorization: `Bearer ${session.secret}`, "Content-Type": "application/octet-stream" },
          body: chosen,
        });
        const body = await reply.json().catch(() => ({}));
        if (!reply.ok) return say(`Refused: ${body.detail || reply.status}`, true);
        say(`Admitted ${body.name} ${body.version}.`);
        await show();
        say(`Admitted ${body.name} ${body.version}.`);
      },
    },
    el("label", {}, "Package ", file),
    el("label", {}, "Vendor signature (optional) ", signature),
    el("button", { type: "submit" }, "Admit")),
  );
}

// --- Rollouts and installed versions ----------------------------------------------------------

/** Node states of a rollout, in the order they are counted, and how they are coloured. */
const NODE_STATES = ["succeeded", "sent", "waiting", "failed", "rolled-back", "unsupported", "pinned", "skipped"];
const TONE = {
  completed: "ok", succeeded: "ok", active: "ok",
  running: "busy", sent: "busy", installing: "busy",
  halted: "bad", failed: "bad", "rolled-back": "bad",
  cancelled: "muted", waiting: "muted", unsupported: "muted", pinned: "muted", skipped: "muted", removed: "muted",
};
const PHASES = { 1: "canary", 2: "share", 3: "the rest" };
const POLL_MS = 2000;

const stateCell = (text, fallback = "–") => el("td", { class: `state ${TONE[text] || ""}` }, text || fallback);
const byVersion = (a, b) => a.localeCompare(b, undefined, { numeric: true });

/** Counts of nodes by state: "2 succeeded · 1 waiting". */
function tally(counts) {
  const order = (s) => (NODE_STATES.includes(s) ? NODE_STATES.indexOf(s) : NODE_STATES.length);
  const parts = Object.entries(counts).sort(([a], [b]) => order(a) - order(b));
  return parts.map(([s, n]) => `${n} ${s}`).join(" · ") || "no nodes";
}

/** Tick boxes, one per option; chosen() lists the values ticked. */
function checkboxes(legend, name, options) {
  const boxes = options.map((o) => el("input", { type: "checkbox", name, value: o.value }));
  const element = el(
    "fieldset",
    { class: "choices", dataset: { choices: name } },
    el("legend", {}, legend),
    ...(options.length ? options.map((o, i) => el("label", {}, boxes[i], ` ${o.text}`)) : [el("span", { class: "muted" }, "none")]),
  );
  return { element, chosen: () => boxes.filter((b) => b.checked).map((b) => b.value) };
}

function nodeBoxes(legend, name, nodes) {
  const options = nodes.map((n) => ({ value: n.name, text: n.state === "enrolled" ? n.name : `${n.name} (${n.state})` }));
  return checkboxes(legend, name, options);
}

/** Pickers for an admitted package (node plugins; Spotter's are not rolled out) and a version. */
function packagePicker(admitted, prefix, { anyVersion }) {
  const versions = new Map();
  for (const p of admitted.filter((p) => !p.spotter)) {
    if (!versions.has(p.name)) versions.set(p.name, new Set());
    versions.get(p.name).add(p.version);
  }
  const project = el("select", { id: `${prefix}-package`, name: "package" }, ...[...versions.keys()].sort().map((n) => el("option", { value: n }, n)));
  const version = el("select", { id: `${prefix}-version`, name: "version" });
  const fill = () => {
    const known = [...(versions.get(project.value) || [])].sort(byVersion).reverse();
    version.replaceChildren(
      ...(anyVersion ? [el("option", { value: "" }, "the newest that fits each node")] : []),
      ...known.map((v) => el("option", { value: v }, v)),
    );
  };
  project.addEventListener("change", fill);
  fill();
  return {
    empty: versions.size === 0,
    project,
    version,
    fields: [
      el("label", { class: "field" }, el("span", {}, "Package"), project),
      el("label", { class: "field" }, el("span", {}, "Version"), version),
    ],
    spec: () => (version.value ? `${project.value}==${version.value}` : project.value),
  };
}

/** Run ``step`` every ``ms`` while it returns true and this page is the one shown. */
function every(ms, step) {
  const shown = drawn;
  const tick = async () => {
    if (shown !== drawn || $("#manager").hidden) return;
    let again = true;
    try {
      again = await step();
    } catch (error) {
      say(error.message, true); // the master may be restarting: keep trying
    }
    if (again && shown === drawn) setTimeout(tick, ms);
  };
  setTimeout(tick, ms);
}

async function rollouts(page) {
  const id = location.hash.split(/[/?]/)[1];
  if (id) return rollout(page, id);
  const [list, admitted, nodes] = await Promise.all([call("GET", "/rollouts"), call("GET", "/packages"), call("GET", "/nodes")]);
  const box = el("div", { id: "rollout-list" });
  const draw = (items) => {
    const rows = items.map((r) =>
      el("tr", { dataset: { rollout: r.id, state: r.state } },
        el("td", {}, el("a", { href: `#rollouts/${r.id}`, "aria-label": `Rollout ${r.id}: ${r.package}` }, `#${r.id}`)),
        el("td", {}, r.package),
        stateCell(r.state),
        el("td", {}, `${r.phase} of 3 (${PHASES[r.phase]})`),
        el("td", {}, tally(r.counts)),
        el("td", {}, `${when(r.created)} by ${r.created_by}`),
        el("td", {}, when(r.finished)),
        el("td", {}, r.reason),
      ),
    );
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 8, class: "muted" }, "No rollout yet.")));
    box.replaceChildren(table(["Rollout", "Package", "State", "Phase", "Nodes", "Started", "Finished", "Reason"], rows, { id: "rollouts" }));
    return items.some((r) => r.state === "running");
  };
  live(() => call("GET", "/rollouts"), draw).show(list);
  page.append(
    el("h2", {}, "Rollouts"),
    el("p", {}, "Newest first. A rollout brings a package version to nodes in three phases: the canary nodes, then a share of the others, then the rest; too many failures halt it."),
    box,
    el("h3", {}, "Start a rollout"),
    rolloutForm(admitted, nodes),
  );
}

function rolloutForm(admitted, nodes) {
  const picker = packagePicker(admitted, "rollout", { anyVersion: true });
  if (picker.empty) return el("p", {}, "No package is admitted yet: admit one on the ", el("a", { href: "#packages" }, "Packages"), " page.");
  const numbers = form(schemaOf("RolloutCreate"));
  for (const name of ["package", "nodes", "canary"]) numbers.element.querySelector(`[data-field='${name}']`)?.remove();
  const members = nodeBoxes("Nodes (none ticked: every enrolled node)", "nodes", nodes);
  const canary = nodeBoxes("Canary nodes (none ticked: the first by id, as many as the canary count)", "canary", nodes);
  return el("form", {
    id: "start-rollout",
    onsubmit: async (e) => {
      e.preventDefault();
      const chosen = members.chosen();
      const canaries = canary.chosen();
      const body = { ...numbers.read(), package: picker.spec(), nodes: chosen.length ? chosen : null, canary: canaries.length ? canaries : null };
      const started = await act(`Rollout of ${body.package} started.`, () => call("POST", "/rollouts", body));
      if (started) location.hash = `#rollouts/${started.id}`;
    },
  },
  el("div", { class: "form" }, ...picker.fields, members.element, canary.element),
  numbers.element,
  el("div", { class: "actions" }, el("button", { type: "submit" }, "Start rollout")));
}

/**
 * A view of the master's state that redraws itself. ``draw(data)`` draws and says
 * whether the state may still change; while it may, ``request()`` fetches it again every
 * ``POLL_MS``. An action's answer goes through ``answered(data)``, which drops the polls
 * sent before it.
 */
function live(request, draw) {
  let following = false;
  let answers = 0;
  const show = (data) => {
    if (!draw(data) || following) return;
    following = true;
    every(POLL_MS, async () => {
      const before = answers;
      const fresh = await request();
      if (before !== answers) return true; // older than an answer already drawn
      return (following = draw(fresh));
    });
  };
  return {
    show,
    load: async () => show(await request()),
    answered(data) {
      answers += 1;
      if (data) show(data);
    },
  };
}

function rolloutFacts(r) {
  const facts = [
    ["State", el("span", { class: TONE[r.state] || "" }, r.state)],
    ["Phase", `${r.phase} of 3 (${PHASES[r.phase]})`],
    ["Nodes", tally(r.counts)],
    ["Share in phase 2", `${r.percentage} %`],
    ["Failures tolerated", String(r.max_failures)],
    ["Node timeout", `${r.node_timeout} s`],
    ["Started", `${when(r.created)} by ${r.created_by}`],
    ["Finished", when(r.finished)],
    ...(r.reason ? [["Reason", el("span", { id: "rollout-reason" }, r.reason)]] : []),
  ];
  return el("dl", { class: "facts" }, ...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

function rolloutNodes(r) {
  const rows = r.nodes.map((m) =>
    el("tr", { dataset: { node: m.node, state: m.state } },
      el("td", {}, m.node),
      el("td", {}, `${m.phase} (${PHASES[m.phase]})`),
      stateCell(m.state),
      el("td", {}, m.version || "–"),
      el("td", {}, m.target ? el("code", {}, m.target.split("/").pop()) : "–"),
      el("td", {}, when(m.started)),
      el("td", {}, when(m.finished)),
      el("td", { class: "detail" }, m.detail),
    ),
  );
  return table(["Node", "Phase", "State", "Version", "File", "Asked", "Finished", "Detail"], rows, { id: "rollout-nodes" });
}

/** What may be done with a rollout in its state: halt a running one, resume a halted one,
 * cancel either. ``steer(message, verb, body)`` posts to ``/rollouts/{id}/{verb}``. */
function rolloutActions(r, steer) {
  const cancel = el("button", {
    id: "cancel-rollout",
    type: "button",
    onclick: () => confirm(`Cancel rollout #${r.id}? Nodes keep what they run now.`) && steer("Rollout cancelled.", "cancel", {}),
  }, "Cancel rollout");
  if (r.state === "running") {
    const reason = el("input", { id: "halt-reason", name: "reason", maxlength: 512, placeholder: "kept in the audit trail" });
    return el("form", {
      id: "halt-rollout",
      class: "actions",
      onsubmit: (e) => {
        e.preventDefault();
        steer("Rollout halted.", "halt", { reason: reason.value });
      },
    }, el("label", {}, "Reason ", reason), el("button", { type: "submit" }, "Halt rollout"), cancel);
  }
  if (r.state === "halted") {
    const failures = el("input", { id: "resume-max-failures", name: "max_failures", type: "number", min: 0, step: 1, placeholder: String(r.max_failures) });
    return el("form", {
      id: "resume-rollout",
      class: "actions",
      onsubmit: (e) => {
        e.preventDefault();
        steer("Rollout resumed.", "resume", { max_failures: failures.value === "" ? null : Number(failures.value) });
      },
    }, el("label", {}, "Failures tolerated (empty: keep) ", failures), el("button", { type: "submit" }, "Resume rollout"), cancel);
  }
  return el("p", { class: "muted" }, `The rollout is ${r.state}: nothing more to do.`);
}

/** One rollout: every node's phase, state, version and result, live while it moves. */
async function rollout(page, id) {
  const path = `/rollouts/${encodeURIComponent(id)}`;
  const box = el("section", { id: "rollout", "aria-live": "polite" });
  const actions = el("div", { id: "rollout-actions" });
  let actionsFor = null; // redrawn only when the state changes: a reason being typed stays
  const view = live(() => call("GET", path), (r) => {
    box.dataset.state = r.state;
    box.dataset.phase = r.phase;
    box.replaceChildren(rolloutFacts(r), rolloutNodes(r));
    if (r.state !== actionsFor) {
      actionsFor = r.state;
      actions.replaceChildren(rolloutActions(r, steer));
    }
    return r.state === "running" || (r.state === "halted" && r.nodes.some((m) => m.state === "sent"));
  });
  const steer = async (what, verb, body) => view.answered(await act(what, () => call("POST", `${path}/${verb}`, body)));
  const first = await call("GET", path);
  page.append(
    el("p", {}, el("a", { href: "#rollouts" }, "← All rollouts")),
    el("h2", {}, `Rollout #${first.id}: ${first.package}`),
    box,
    actions,
  );
  view.show(first);
}

/** Whether a node's package is still on its way to what the master wants. */
const pending = (r) =>
  r.state === "installing" ||
  (r.desired_version && r.desired_version !== r.installed_version && !["failed", "rolled-back"].includes(r.state)) ||
  (!r.desired_version && r.installed_version && r.state !== "removed");

/** ``change(message, verb, body)`` posts to ``/packages/{verb}``. */
function installedRow(r, change) {
  const nodes = [r.node];
  const unpin = el("button", {
    class: "unpin",
    "aria-label": `Unpin ${r.project} on ${r.node}`,
    onclick: () => change(`${r.project} unpinned on ${r.node}.`, "unpin", { project: r.project, nodes }),
  }, "Unpin");
  const remove = el("button", {
    class: "remove",
    "aria-label": `Remove ${r.project} from ${r.node}`,
    onclick: () => confirm(`Remove ${r.project} from ${r.node}? Cameras using its drivers stop.`) &&
      change(`${r.project} is being removed from ${r.node}.`, "remove", { project: r.project, nodes }),
  }, "Remove");
  const byRollout = r.rollout ? el("small", {}, " (", el("a", { href: `#rollouts/${r.rollout}` }, `rollout #${r.rollout}`), ")") : "";
  return el("tr", { dataset: { node: r.node, project: r.project, state: r.state } },
    el("td", {}, r.node),
    el("td", {}, r.project),
    el("td", { class: "wanted" }, r.desired_version || "–", byRollout),
    el("td", { class: "running" }, r.installed_version || "–"),
    stateCell(r.state, "not reported"),
    el("td", { class: "pinned" }, r.pinned ? "pinned" : ""),
    el("td", {}, when(r.reported)),
    el("td", { class: "detail" }, r.detail),
    el("td", {}, r.pinned ? unpin : "", " ", r.desired_version || (r.installed_version && r.state !== "removed") ? remove : ""),
  );
}

/** Pin nodes to a version of a package, unpin them, or take the package off them. */
function pinForm(admitted, nodes, change) {
  const picker = packagePicker(admitted, "pin", { anyVersion: false });
  if (picker.empty) return el("p", {}, "No package is admitted yet.");
  const members = nodeBoxes("Nodes (none ticked: every node)", "nodes", nodes);
  const target = () => (members.chosen().length ? members.chosen() : null);
  const where = () => target()?.join(", ") || "every node";
  const project = () => picker.project.value;
  return el("form", {
    id: "pin-remove",
    onsubmit: (e) => {
      e.preventDefault();
      change(`${picker.spec()} pinned on ${where()}.`, "pin", { package: picker.spec(), nodes: target() });
    },
  },
  el("div", { class: "form" }, ...picker.fields, members.element),
  el("div", { class: "actions" },
    el("button", { type: "submit" }, "Pin to this version"),
    el("button", { type: "button", id: "unpin-package", onclick: () => change(`${project()} unpinned on ${where()}.`, "unpin", { project: project(), nodes: target() }) }, "Unpin"),
    el("button", {
      type: "button",
      id: "remove-package",
      onclick: () => confirm(`Remove ${project()} from ${where()}? Cameras using its drivers stop.`) &&
        change(`${project()} is being removed from ${where()}.`, "remove", { project: project(), nodes: target() }),
    }, "Remove"),
  ));
}

/** What every node runs and is wanted to run, with pins and removals; live while moving. */
async function installed(page) {
  const [admitted, nodes] = await Promise.all([call("GET", "/packages"), call("GET", "/nodes")]);
  const box = el("div", { id: "installed-list" });
  const view = live(() => call("GET", "/packages/installed"), (list) => {
    const rows = list.map((r) => installedRow(r, change));
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 9, class: "muted" }, "No node has or is asked for a package yet.")));
    box.replaceChildren(table(["Node", "Package", "Wanted", "Running", "State", "Pinned", "Reported", "Detail", ""], rows, { id: "installed" }));
    return list.some(pending);
  });
  const change = async (what, verb, body) => {
    const done = await act(what, () => call("POST", `/packages/${verb}`, body));
    view.answered();
    if (done) await view.load();
  };
  await view.load();
  page.append(
    el("h2", {}, "Installed packages"),
    el("p", {}, "What the master wants each node to run and what the node last reported. A pinned node keeps its version whatever rollouts come."),
    box,
    el("h3", {}, "Pin, unpin or remove"),
    pinForm(admitted, nodes, change),
  );
}

async function audit(page) {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const filters = el("form", {
    id: "audit-filter",
    class: "actions",
    onsubmit: (e) => {
      e.preventDefault();
      const query = new URLSearchParams();
      for (const [k, v] of new FormData(e.target)) if (v) query.set(k, v);
      location.hash = `#audit?${query}`;
    },
  },
  el("input", { name: "action", placeholder: "action, e.g. user.*", value: params.get("action") || "" }),
  el("input", { name: "actor", placeholder: "user", value: params.get("actor") || "" }),
  el("button", { type: "submit" }, "Filter"),
  el("button", { type: "button", id: "audit-csv", onclick: () => download(`/audit.csv?${params}`, "audit.csv", "text/csv") }, "Download CSV"));
  params.set("limit", "200");
  const page_ = await call("GET", `/audit?${params}`);
  const rows = page_.entries.map((e) =>
    el("tr", { dataset: { action: e.action } },
      el("td", {}, when(e.at)),
      el("td", {}, `${e.actor_name} (${e.actor_kind})`),
      el("td", {}, e.action),
      el("td", {}, e.target_name || e.target_id || ""),
      el("td", { class: e.result === "ok" ? "ok" : "bad" }, e.result),
      el("td", {}, e.detail || (e.after ? JSON.stringify(e.after).slice(0, 120) : "")),
    ),
  );
  page.append(el("h2", {}, "Audit trail"), filters, table(["When", "Who", "Action", "Target", "Result", "Detail"], rows, { id: "audit" }));
}

async function watchdog(page) {
  const openOnly = location.hash.includes("open");
  const events = await call("GET", `/watchdog/events?open_only=${openOnly}`);
  const rows = events.map((e) =>
    el("tr", { dataset: { kind: e.kind } },
      el("td", {}, e.node || "master"),
      el("td", {}, e.kind),
      el("td", {}, e.source),
      el("td", {}, when(e.started)),
      el("td", { class: e.ended ? "ok" : "bad" }, e.ended ? when(e.ended) : "going on"),
      el("td", {}, JSON.stringify(e.details).slice(0, 160)),
    ),
  );
  page.append(
    el("h2", {}, "Watchdog events"),
    el("div", { class: "actions" }, el("a", { href: openOnly ? "#watchdog" : "#watchdog/open" }, openOnly ? "Show all" : "Only those going on")),
    table(["Server", "Kind", "Source", "Started", "Ended", "Details"], rows, { id: "watchdog" }),
  );
}

async function backup(page) {
  const file = el("input", { type: "file", id: "restore-file", accept: ".json,application/json" });
  page.append(
    el("h2", {}, "Backup and restore"),
    el("p", {}, "A system backup holds the whole configuration: servers, cameras, users, profiles and their rights, walls and settings (with password hashes — keep it safe)."),
    el("div", { class: "actions" }, el("button", { id: "download-backup", onclick: () => download("/system/backup", "argus-backup.json", "application/json") }, "Download a system backup")),
    el("h3", {}, "Restore onto this master (a fresh one)"),
    el("div", { class: "actions" }, file, el("button", {
      id: "restore",
      onclick: async () => {
        if (!file.files.length) return say("Choose a backup file.", true);
        const document_ = JSON.parse(await file.files[0].text());
        await act("Restored: log in with an account of the backup.", () => call("POST", "/system/restore", document_));
      },
    }, "Restore")),
  );
}

/** Fetch a protected download with the session and hand it to the browser. */
async function download(path, name, type) {
  const reply = await fetch(`/api/v1${path}`, { headers: { Authorization: `Bearer ${session.secret}` } });
  if (!reply.ok) return say(`Download failed: HTTP ${reply.status}`, true);
  const url = URL.createObjectURL(new Blob([await reply.arrayBuffer()], { type }));
  const link = el("a", { href: url, download: name, id: "download-link" }, name);
  link.click();
  say(`Downloaded ${name}.`);
}

const PAGES = { servers, cameras, groups, users, profiles, packages, rollouts, installed, audit, watchdog, backup };

/** Draw the page the address names (#servers, #cameras/<server>, #profiles/<id> …).
 * Each drawing goes into a container of its own: one overtaken by a later drawing (a
 * page redrawn after a save while the user already went on) ends in a detached
 * container and marks nothing ready. */
async function show() {
  const name = location.hash.slice(1).split(/[/?]/)[0] || "servers";
  const holder = $("#page");
  const page = el("div", { class: "view" });
  const mine = ++drawn;
  holder.replaceChildren(page);
  holder.dataset.page = name;
  delete holder.dataset.ready; // set again when this drawing is done
  for (const link of document.querySelectorAll(".pages a")) {
    if (link.getAttribute("href") === `#${name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  try {
    await (PAGES[name] || servers)(page);
    if (mine === drawn) holder.dataset.ready = name;
  } catch (error) {
    if (mine === drawn) say(error.message, true);
  }
}

function showLogin(message = "") {
  $("#manager").hidden = true;
  $("#login").hidden = false;
  $("#login-error").textContent = message;
}

async function start() {
  if (!session.profile.admin) {
    showLogin("The System Manager is for administrators.");
    return;
  }
  openapi = await (await fetch("/openapi.json")).json();
  $("#login").hidden = true;
  $("#manager").hidden = false;
  $("#who").textContent = session.profile.display_name || session.profile.username;
  show();
}

$("#login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(event.target);
  try {
    session = await Session.login(data.get("username"), data.get("password"));
  } catch (error) {
    $("#login-error").textContent = error.message;
    return;
  }
  start();
});
$("#logout").addEventListener("click", async () => {
  await session?.logout();
  session = null;
  showLogin();
});
window.addEventListener("hashchange", () => session && show());
session = Session.restore();
if (session) start();
else showLogin();
