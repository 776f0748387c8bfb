// What the System Manager's pages share: the state of the session, building elements,
// the status line, and calling the master API with the administrator's session.
//
// Imports nothing of the pages or the router: manager.js sets the hooks ``app.ended`` and
// ``app.show`` at start-up, so no module imports one that imports it.

import { Unauthenticated } from "/spotter/js/api.js";

export const $ = (selector) => document.querySelector(selector);

/** The state the modules share. ``session``: the administrator's, null when logged out;
 * ``openapi``: the master's OpenAPI document, fetched at start; ``drawn``: bumped each time a
 * page is drawn — what a page polls stops when another is drawn. ``ended(message)``: called
 * by ``call`` when the session has ended (manager.js shows the login); ``show()``: draws
 * again the page the address names (the router's). */
export const app = {
  session: null,
  openapi: null,
  drawn: 0,
  ended: () => {},
  show: async () => {},
};

/** Draw again the page the address names: the router's ``show``, through ``app.show``. */
export const show = () => app.show();

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

export function table(headers, rows, attributes = {}) {
  return el(
    "table",
    { class: "list", ...attributes },
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", {}, h)))),
    el("tbody", {}, ...rows),
  );
}

export function say(text, error = false) {
  const message = $("#message");
  message.textContent = text;
  message.className = `message${error ? " error" : ""}`;
}

export async function call(method, path, body) {
  try {
    return await app.session.call(method, path, body);
  } catch (error) {
    if (error instanceof Unauthenticated) app.ended("Your session has ended: log in again.");
    throw error;
  }
}

/** Run an action; its error (the API's message) is shown, never thrown away. */
export async function act(what, action) {
  try {
    const result = await action();
    say(what);
    return result;
  } catch (error) {
    say(`${error.message}`, true);
    return undefined;
  }
}

export function schemaOf(name) {
  return { ...app.openapi.components.schemas[name], $defs: app.openapi.components.schemas };
}

export const when = (iso) => (iso ? new Date(iso).toLocaleString() : "–");
export const gb = (bytes) => `${(bytes / 1e9).toFixed(1)} GB`;

/** Run ``step`` every ``ms`` while it returns true and this page is the one shown. */
export function every(ms, step) {
  const shown = app.drawn;
  const tick = async () => {
    if (shown !== app.drawn || $("#manager").hidden) return;
    let again = true;
    try {
      again = await step();
    } catch (error) {
      say(error.message, true); // the master may be restarting: keep trying
    }
    if (again && shown === app.drawn) setTimeout(tick, ms);
  };
  setTimeout(tick, ms);
}
