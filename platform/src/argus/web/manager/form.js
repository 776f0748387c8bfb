// Forms generated from JSON schemas — the schemas of the same pydantic models the APIs
// and the nodes validate with (the master's OpenAPI document, a driver's settings).
//
// form(schema, {values, defs}) → {element, read()} — read() returns the object typed as
// the schema says (numbers, booleans, lists), leaving out empty optional fields.

function resolve(schema, defs) {
  if (schema && schema.$ref) return resolve(defs[schema.$ref.split("/").pop()], defs);
  if (schema && schema.allOf && schema.allOf.length === 1) return resolve(schema.allOf[0], defs);
  return schema || {};
}

/** The schema of a field that may be null: its non-null alternative. */
function unwrap(schema, defs) {
  const options = schema.anyOf || schema.oneOf;
  if (options) {
    const real = options.filter((o) => o.type !== "null");
    if (real.length === 1) {
      return { ...resolve(real[0], defs), nullable: true, title: schema.title, description: schema.description, default: schema.default };
    }
  }
  return { ...resolve(schema, defs), title: schema.title, description: schema.description, default: schema.default };
}

export function form(schema, { values = {}, defs = null, prefix = "" } = {}) {
  const root = resolve(schema, defs || schema.$defs || {});
  const allDefs = defs || schema.$defs || {};
  const element = document.createElement("div");
  element.className = "form";
  const readers = {};
  const required = new Set(root.required || []);
  for (const [name, raw] of Object.entries(root.properties || {})) {
    const field = unwrap(raw, allDefs);
    if (field.readOnly) continue;
    const id = `${prefix}${name}`;
    const value = values[name] ?? field.default;
    const label = document.createElement("label");
    label.className = "field";
    label.dataset.field = id;
    const caption = document.createElement("span");
    caption.textContent = `${field.title || raw.title || name}${required.has(name) ? " *" : ""}`;
    label.append(caption);
    let input;
    let read;
    const options = field.enum || (field.const !== undefined ? [field.const] : null);
    if (options) {
      input = document.createElement("select");
      for (const option of [...(field.nullable ? [""] : []), ...options]) {
        input.append(Object.assign(document.createElement("option"), { value: option, textContent: option || "—" }));
      }
      input.value = value ?? "";
      read = () => input.value || (field.nullable ? null : undefined);
    } else if (field.type === "boolean") {
      input = document.createElement("input");
      input.type = "checkbox";
      input.checked = Boolean(value);
      read = () => input.checked;
    } else if (field.type === "integer" || field.type === "number") {
      input = document.createElement("input");
      input.type = "number";
      input.step = field.type === "integer" ? "1" : "any";
      if (field.minimum !== undefined) input.min = field.minimum;
      if (field.maximum !== undefined) input.max = field.maximum;
      input.value = value ?? "";
      read = () => (input.value === "" ? (field.nullable ? null : undefined) : Number(input.value));
    } else if (field.type === "array" && ["string", "integer", "number"].includes(resolve(field.items, allDefs).type)) {
      input = document.createElement("input");
      input.placeholder = "comma separated";
      input.value = (value || []).join(", ");
      const numeric = resolve(field.items, allDefs).type !== "string";
      read = () => input.value.split(",").map((v) => v.trim()).filter(Boolean).map((v) => (numeric ? Number(v) : v));
    } else if (field.type === "object" && field.properties) {
      const nested = form(field, { values: value || {}, defs: allDefs, prefix: `${id}.` });
      label.append(nested.element);
      readers[name] = nested.read;
      label.classList.add("group");
      element.append(label);
      continue;
    } else if (field.type === "array" || field.type === "object") {
      input = document.createElement("textarea");
      input.rows = 3;
      input.value = value === undefined ? "" : JSON.stringify(value, null, 1);
      read = () => (input.value.trim() ? JSON.parse(input.value) : undefined);
    } else {
      input = document.createElement("input");
      input.type = field.format === "password" || field.writeOnly ? "password" : "text";
      if (field.maxLength) input.maxLength = field.maxLength;
      if (field.pattern) input.pattern = field.pattern;
      input.value = value ?? "";
      read = () => (input.value === "" ? (field.nullable ? null : undefined) : input.value);
    }
    input.name = id;
    if (required.has(name) && input.type !== "checkbox") input.required = true;
    label.append(input);
    if (field.description) {
      const help = document.createElement("small");
      help.textContent = field.description;
      label.append(help);
    }
    readers[name] = read;
    element.append(label);
  }
  return {
    element,
    read() {
      const out = {};
      for (const [name, read] of Object.entries(readers)) {
        const value = read();
        if (value !== undefined) out[name] = value;
      }
      return out;
    },
  };
}
