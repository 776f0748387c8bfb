// The selected camera's controls: snapshot, PTZ pad and presets, inputs and outputs.
// A control the user has no right for is shown disabled, with the reason as its title.

const NUDGE_S = 1; // a held arrow moves for at most this long between presses (s)

export class Controls {
  constructor(root, session) {
    this.root = root;
    this.session = session;
    this.camera = null;
    this.node = {}; // ident → what the node says (ptz, io, device)
    this.timer = null;
  }

  setNodeCameras(found) {
    this.node = found;
    if (this.camera) this.show(this.camera, this.at);
  }

  /** Show the controls of ``camera``; ``at()`` gives the picture's time (UTC s). */
  show(camera, at) {
    this.camera = camera;
    this.at = at;
    clearInterval(this.timer);
    this.root.replaceChildren();
    if (!camera) return;
    const info = this.node[camera.ident] || {};
    const has = (right) => camera.rights.includes(right);
    this.root.dataset.camera = camera.ident;

    const title = document.createElement("h2");
    title.textContent = camera.name;
    this.root.append(title, this.snapshot(has("playback")));
    if (info.ptz) this.root.append(this.ptz(has("ptz")));
    if (info.io) this.root.append(this.io(info.device, has("io")));
  }

  snapshot(allowed) {
    const button = document.createElement("button");
    button.id = "snapshot";
    button.textContent = "Snapshot";
    disable(button, !allowed, "needs the playback right");
    const link = document.createElement("a");
    link.id = "snapshot-link";
    link.hidden = true;
    button.addEventListener("click", async () => {
      const at = Math.min(this.at(), Date.now() / 1000 - 2); // recorded, not still arriving
      link.href = await this.session.snapshotUrl(this.camera, at);
      link.download = `${this.camera.ident}-${Math.round(at)}.jpg`;
      link.textContent = "Open the JPEG";
      link.target = "_blank";
      link.hidden = false;
    });
    const box = group("Snapshot", button, link);
    return box;
  }

  ptz(allowed) {
    const pad = document.createElement("div");
    pad.className = "ptz-pad";
    const status = document.createElement("output");
    status.id = "ptz-position";
    const send = async (body) => {
      try {
        const reply = await this.session.nodeCall(
          this.camera,
          "POST",
          `/cameras/${encodeURIComponent(this.camera.ident)}/ptz`,
          body,
        );
        const p = reply.position;
        status.textContent = p
          ? `pan ${p.pan.toFixed(2)} tilt ${p.tilt.toFixed(2)} zoom ${p.zoom.toFixed(2)}`
          : "";
        this.presets(presetList, reply.presets);
      } catch (error) {
        status.textContent = error.message;
      }
    };
    const moves = [
      ["↖", -1, 1], ["↑", 0, 1], ["↗", 1, 1],
      ["←", -1, 0], ["⌂", 0, 0], ["→", 1, 0],
      ["↙", -1, -1], ["↓", 0, -1], ["↘", 1, -1],
    ];
    for (const [label, pan, tilt] of moves) {
      const button = document.createElement("button");
      button.textContent = label;
      if (pan === 0 && tilt === 0) {
        button.dataset.ptz = "home";
        button.title = "Home";
        button.addEventListener("click", () => send({ action: "home" }));
      } else {
        button.dataset.ptz = `${pan},${tilt}`;
        // Held: move; released: stop. The timeout stops it if the release is lost.
        button.addEventListener("pointerdown", () =>
          send({ action: "continuous", pan: pan * 0.5, tilt: tilt * 0.5, timeout: NUDGE_S * 5 }),
        );
        for (const end of ["pointerup", "pointerleave"]) {
          button.addEventListener(end, (e) => {
            if (e.type === "pointerleave" && !e.buttons) return;
            send({ action: "stop" });
          });
        }
      }
      disable(button, !allowed, "needs the ptz right");
      pad.append(button);
    }
    const zoom = document.createElement("div");
    zoom.className = "zoom";
    for (const [label, step] of [["Zoom −", -0.1], ["Zoom +", 0.1]]) {
      const button = document.createElement("button");
      button.textContent = label;
      button.dataset.ptz = `zoom${step > 0 ? "+" : "-"}`;
      button.addEventListener("click", () => send({ action: "relative", zoom: step }));
      disable(button, !allowed, "needs the ptz right");
      zoom.append(button);
    }
    const presetList = document.createElement("select");
    presetList.id = "ptz-presets";
    const go = document.createElement("button");
    go.textContent = "Go to preset";
    go.addEventListener("click", () => {
      if (presetList.value) send({ action: "goto_preset", preset: presetList.value });
    });
    const save = document.createElement("button");
    save.textContent = "Save as preset";
    save.addEventListener("click", () => {
      const preset = prompt("Preset name");
      if (preset) send({ action: "set_preset", preset, name: preset });
    });
    for (const element of [presetList, go, save]) disable(element, !allowed, "needs the ptz right");
    if (allowed) {
      this.session
        .nodeCall(this.camera, "GET", `/cameras/${encodeURIComponent(this.camera.ident)}/ptz`)
        .then((state) => this.presets(presetList, state.presets))
        .catch(() => {});
    }
    return group("PTZ", pad, zoom, presetList, go, save, status);
  }

  presets(select, presets) {
    const current = select.value;
    select.replaceChildren(
      ...presets.map((p) => {
        const option = document.createElement("option");
        option.value = option.textContent = p;
        return option;
      }),
    );
    if (presets.includes(current)) select.value = current;
  }

  io(device, allowed) {
    const list = document.createElement("ul");
    list.className = "io";
    const path = `/devices/${encodeURIComponent(device)}`;
    const draw = (state) => {
      list.replaceChildren(
        ...state.inputs.map((port) => {
          const item = document.createElement("li");
          item.dataset.input = port.id;
          item.className = port.active ? "on" : "off";
          item.textContent = `${port.name}: ${port.active ? "active" : "idle"}`;
          return item;
        }),
        ...state.outputs.map((port) => {
          const item = document.createElement("li");
          const button = document.createElement("button");
          button.dataset.output = port.id;
          button.setAttribute("aria-pressed", String(Boolean(port.active)));
          button.textContent = `${port.name}: ${port.active ? "on" : "off"}`;
          button.addEventListener("click", async () => {
            draw(
              await this.session.nodeCall(this.camera, "PUT", `${path}/outputs/${port.id}`, {
                active: !port.active,
              }),
            );
          });
          item.append(button);
          return item;
        }),
      );
    };
    if (!allowed) {
      const note = document.createElement("p");
      note.className = "denied";
      note.textContent = "Inputs and outputs need the io right.";
      return group("I/O", note);
    }
    const refresh = () =>
      this.session.nodeCall(this.camera, "GET", `${path}/io`).then(draw).catch(() => {});
    refresh();
    this.timer = setInterval(refresh, 2000);
    return group("I/O", list);
  }
}

function group(title, ...children) {
  const box = document.createElement("section");
  box.className = "control-group";
  const heading = document.createElement("h3");
  heading.textContent = title;
  box.append(heading, ...children);
  return box;
}

function disable(element, disabled, why) {
  element.disabled = disabled;
  if (disabled) element.title = why;
}
