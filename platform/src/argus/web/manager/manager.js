// System Manager: servers, cameras, users and profiles with the rights matrix, plugin
// packages with their rollouts and what every node runs, the audit trail, watchdog
// events, backup and restore — all through the master API with the administrator's
// session, forms generated from the API's own schemas.
//
// This module: users, profiles with the rights matrix, camera groups, plugin packages, the
// audit trail, watchdog events, backup and restore; the router, login and start-up. The
// servers' and cameras' pages are in servers.js, the rollouts' and installed packages' in
// rollouts.js, what they share in common.js.

import { Session } from "/spotter/js/api.js";
import { $, act, app, call, el, say, schemaOf, table, when } from "./common.js";
import { form } from "./form.js";
import { installed, rollouts } from "./rollouts.js";
import { cameras, servers } from "./servers.js";

// --- Pages ---------------------------------------------------------------------------------

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
  const rights = app.openapi.components.schemas.Right.enum;
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
          headers: { Authorization: `Bearer ${app.session.secret}`, "Content-Type": "application/octet-stream" },
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
  const reply = await fetch(`/api/v1${path}`, { headers: { Authorization: `Bearer ${app.session.secret}` } });
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
  const mine = ++app.drawn;
  holder.replaceChildren(page);
  holder.dataset.page = name;
  delete holder.dataset.ready; // set again when this drawing is done
  for (const link of document.querySelectorAll(".pages a")) {
    if (link.getAttribute("href") === `#${name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  try {
    await (PAGES[name] || servers)(page);
    if (mine === app.drawn) holder.dataset.ready = name;
  } catch (error) {
    if (mine === app.drawn) say(error.message, true);
  }
}

function showLogin(message = "") {
  $("#manager").hidden = true;
  $("#login").hidden = false;
  $("#login-error").textContent = message;
}

async function start() {
  if (!app.session.profile.admin) {
    showLogin("The System Manager is for administrators.");
    return;
  }
  app.openapi = await (await fetch("/openapi.json")).json();
  $("#login").hidden = true;
  $("#manager").hidden = false;
  $("#who").textContent = app.session.profile.display_name || app.session.profile.username;
  show();
}

// The hooks of common.js, set before anything can call the API or redraw a page.
app.ended = showLogin;
app.show = show;

$("#login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(event.target);
  try {
    app.session = await Session.login(data.get("username"), data.get("password"));
  } catch (error) {
    $("#login-error").textContent = error.message;
    return;
  }
  start();
});
$("#logout").addEventListener("click", async () => {
  await app.session?.logout();
  app.session = null;
  showLogin();
});
window.addEventListener("hashchange", () => app.session && show());
app.session = Session.restore();
if (app.session) start();
else showLogin();
