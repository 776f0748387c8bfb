// System Manager: rollouts of plugin packages to the nodes (start, follow, halt, resume,
// cancel) and what every node runs and is wanted to run (pin, unpin, remove), the views
// redrawn live while the master's state moves.

import { act, call, el, every, schemaOf, table, when } from "./common.js";
import { form } from "./form.js";

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

export async function rollouts(page) {
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
export async function installed(page) {
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
