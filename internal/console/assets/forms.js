// Fields drawn from parameter specs (GET /api/specs): one input per
// parameter, by its type, named by its path in the request body so that a
// 422 lands on it. No trigger, condition or action type is known here.
import { h } from "./dom.js";

let serial = 0;
const fieldID = (path) => "f" + (++serial) + "-" + path.replace(/[^A-Za-z0-9_-]/g, "_");

// objects holds the workspace's tags, teams, users, channels and
// connectors, by reference kind, for the pickers.
export function paramFields(specs, values, base, objects, variables) {
  return specs.map((p) => paramField(p, values ? values[p.name] : undefined, base + "." + p.name, objects, variables));
}

function paramField(p, value, path, objects, variables) {
  const id = fieldID(path);
  const help = p.description ? h("span", { class: "hint", id: id + "-help" }, p.description) : null;
  const label = h("label", { for: id }, p.name + (p.required ? " (required)" : ""));
  const common = { id, "data-path": path, "data-type": p.type, "aria-describedby": help ? id + "-help" : undefined };
  let input;
  const v = value === undefined ? p.default : value;
  switch (p.type) {
    case "boolean":
      input = h("input", { ...common, type: "checkbox", checked: !!v });
      return h("div", { class: "field" }, h("label", { class: "inline", for: id }, input, p.name), " ", help, errorSlot(path));
    case "enum":
      input = h("select", common, p.required ? null : h("option", { value: "" }, "—"), p.values.map((x) => h("option", { value: x, selected: x === v }, x)));
      break;
    case "reference":
    case "reference_list": {
      const kind = p.reference;
      let items = objects[kind] || [];
      if (kind === "connector" && p.connector_types) items = items.filter((c) => p.connector_types.includes(c.type));
      const chosen = new Set(Array.isArray(v) ? v : v ? [v] : []);
      input = h("select", { ...common, multiple: p.type === "reference_list" },
        p.type === "reference" ? h("option", { value: "" }, "—") : null,
        items.map((o) => h("option", { value: o.id, selected: chosen.has(o.id) }, o.label)));
      break;
    }
    case "integer":
    case "number":
    case "duration_ms":
      input = h("input", { ...common, type: "number", step: p.type === "number" ? "any" : "1", value: v === undefined ? "" : String(v), min: p.minimum, max: p.maximum });
      break;
    case "string_list":
      input = h("input", { ...common, type: "text", value: Array.isArray(v) ? v.join(", ") : "" });
      break;
    case "template_map":
    case "object":
      input = h("textarea", { ...common, value: v === undefined ? "" : JSON.stringify(v, null, 2) });
      break;
    case "text_or_list":
      input = h("input", { ...common, type: "text", value: Array.isArray(v) ? v.join(", ") : v || "" });
      break;
    case "template":
      input = h("textarea", { ...common, rows: 2, value: v === undefined ? "" : String(v) });
      return h("div", { class: "field" }, label, input, variablePicker(input, variables), help, errorSlot(path));
    default:
      input = h("input", { ...common, type: "text", value: v === undefined ? "" : String(v) });
  }
  return h("div", { class: "field" }, label, input, help, errorSlot(path));
}

// variablePicker inserts {{variable}} at the cursor of a template field.
function variablePicker(input, variables) {
  const list = variables();
  const sel = h("select", { "aria-label": "Insert a variable into " + input.dataset.path.split(".").pop() },
    h("option", { value: "" }, "Insert a variable…"), list.map((x) => h("option", { value: x }, x)));
  sel.addEventListener("change", () => {
    if (!sel.value) return;
    const at = input.selectionStart ?? input.value.length;
    input.value = input.value.slice(0, at) + "{{" + sel.value + "}}" + input.value.slice(at);
    sel.value = "";
    input.focus();
  });
  return sel;
}

export function errorSlot(path) {
  return h("p", { class: "error", "data-error-for": path, hidden: true });
}

// readFields reads the values of the fields inside root whose path starts
// with base + ".", as the API takes them (empty ones left out).
export function readFields(root, base) {
  const out = {};
  for (const el of root.querySelectorAll("[data-path]")) {
    const path = el.dataset.path;
    if (!path.startsWith(base + ".") || path.slice(base.length + 1).includes(".")) continue;
    const name = path.slice(base.length + 1);
    const v = readValue(el);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

function readValue(el) {
  const t = el.dataset.type;
  if (t === "boolean") return el.checked;
  if (el.multiple) { const v = [...el.selectedOptions].map((o) => o.value); return v.length ? v : undefined; }
  const raw = el.value.trim();
  if (raw === "") return undefined;
  switch (t) {
    case "integer": case "number": case "duration_ms": return Number(raw);
    case "string_list": return raw.split(",").map((s) => s.trim()).filter(Boolean);
    case "text_or_list": return raw.includes(",") ? raw.split(",").map((s) => s.trim()).filter(Boolean) : raw;
    case "template_map": case "object": try { return JSON.parse(raw); } catch { return raw; }
  }
  return el.value;
}

// showErrors puts each error of a 422 at the field its path names (or the
// nearest enclosing one); those with no field are listed in summary.
export function showErrors(root, fields, summary) {
  for (const el of root.querySelectorAll("[data-error-for]")) { el.hidden = true; el.textContent = ""; }
  for (const el of root.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  summary.replaceChildren();
  let first = null;
  for (const [path, messages] of Object.entries(fields)) {
    let p = path, slot = null;
    while (p && !(slot = root.querySelector(`[data-error-for="${CSS.escape(p)}"]`))) p = p.includes(".") ? p.slice(0, p.lastIndexOf(".")) : "";
    const text = path + ": " + messages.join("; ");
    if (!slot) { summary.append(h("li", {}, text)); continue; }
    slot.hidden = false;
    slot.append(h("span", {}, text), " ");
    const input = root.querySelector(`[data-path="${CSS.escape(p)}"]`);
    if (input) {
      input.setAttribute("aria-invalid", "true");
      slot.id = slot.id || "err-" + Math.random().toString(36).slice(2);
      input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), slot.id].filter(Boolean).join(" "));
      first = first || input;
    }
  }
  if (first) first.focus();
}
