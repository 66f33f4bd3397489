// Workflows: the list and the builder, drawn from the specs.
import { fill, h, show, announce, when } from "./dom.js";
import { APIError, all, call, get, isAdmin, state } from "./api.js";
import { errorSlot, paramFields, readFields, showErrors } from "./forms.js";
import { go } from "./app.js";

export async function workflowsPage() {
  const wfs = await all("/api/workflows");
  const since = Date.now() - 24 * 3600 * 1000;
  const rows = await Promise.all(wfs.map(async (w) => {
    const runs = (await call("GET", `/api/workflows/${w.id}/runs?per_page=200`)).data;
    const recent = runs.filter((r) => Date.parse(r.created_at) >= since);
    return { w, runs: recent.length, failed: recent.filter((r) => r.status === "failed").length, last: runs[0] && runs[0].created_at };
  }));
  const admin = isAdmin();
  const table = h("table", {},
    h("thead", {}, h("tr", {}, ["Name", "Trigger", "Enabled", "Runs (24 h)", "Failures (24 h)", "Last run", admin ? "Actions" : null].filter(Boolean).map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows.map(({ w, runs, failed, last }) => h("tr", {},
      h("td", {}, h("a", { href: `#/${state.ws}/workflows/${w.id}` }, w.name)),
      h("td", {}, w.trigger_type),
      h("td", {}, h("input", { type: "checkbox", checked: w.is_enabled, disabled: !admin, "aria-label": "Enabled: " + w.name,
        onchange: async (e) => { await call("PUT", `/api/workflows/${w.id}`, { is_enabled: e.target.checked }); announce(w.name + (e.target.checked ? " enabled" : " disabled")); } })),
      h("td", {}, String(runs)), h("td", {}, String(failed)), h("td", {}, when(last)),
      admin ? h("td", {},
        h("button", { class: "secondary", onclick: () => duplicate(w) }, "Duplicate", h("span", { class: "skip" }, " " + w.name)),
        h("button", { class: "danger", onclick: () => remove(w) }, "Delete", h("span", { class: "skip" }, " " + w.name))) : null,
    ))));
  show(h("h1", {}, "Workflows"), admin ? h("p", {}, h("a", { href: `#/${state.ws}/workflows/new` }, "New workflow")) : null,
    wfs.length ? h("div", { class: "scroll" }, table) : h("p", {}, "No workflow yet."));
}

async function duplicate(w) {
  const copy = await get(`/api/workflows/${w.id}`);
  copy.name = "Copy of " + copy.name;
  copy.is_enabled = false;
  for (const k of ["id", "created_at", "updated_at", "version", "warnings"]) delete copy[k];
  const saved = (await call("POST", "/api/workflows", copy)).data;
  go("workflows/" + saved.id);
}

async function remove(w) {
  if (!confirm(`Delete the workflow "${w.name}"?`)) return;
  await call("DELETE", `/api/workflows/${w.id}`);
  announce(w.name + " deleted");
  workflowsPage();
}

// objects loads what reference pickers offer, by reference kind.
export async function objects() {
  const [tags, teams, users, channels, connectors] = await Promise.all(["/api/tags", "/api/teams", "/api/users", "/api/channels", "/api/connectors"].map((p) => all(p)));
  const named = (xs) => xs.map((x) => ({ id: x.id, label: x.name, type: x.type }));
  return { tag: named(tags), team: named(teams), channel: named(channels), connector: named(connectors),
    user: users.map((u) => ({ id: u.id, label: u.name + (u.email ? " <" + u.email + ">" : "") })) };
}

export async function builderPage(id) {
  const specs = state.specs;
  const objs = await objects();
  let draft = id ? await get(`/api/workflows/${id}`) : { name: "", description: "", trigger_type: specs.triggers[0].type, trigger_parameters: {}, condition_match_type: "all", conditions: [], actions: [], is_enabled: true };
  const admin = isAdmin();
  const summary = h("ul", { class: "error", "aria-live": "polite" });
  const notes = h("div", { "aria-live": "polite" });
  const form = h("form", { "aria-label": "Workflow" });

  const byType = (list, t) => list.find((x) => x.type === t);
  const join = (base, key) => (base ? base + "." + key : key);
  // block returns the object that holds the conditions and actions at
  // base: the workflow ("") or one of its paths ("paths.N").
  const block = (d, base) => (base ? d.paths[Number(base.split(".")[1])] : d);
  const readBlock = (base) => {
    const b = { conditions: [], actions: [] };
    form.querySelectorAll(`[data-row="condition"][data-base="${base}"]`).forEach((row, i) => {
      const p = join(base, `conditions.${i}`);
      b.conditions.push({ type: row.querySelector(`[data-path="${p}.type"]`).value, parameters: readFields(row, p + ".parameters") });
    });
    form.querySelectorAll(`[data-row="action"][data-base="${base}"]`).forEach((row, i) => {
      const p = join(base, `actions.${i}`);
      const a = { type: row.querySelector(`[data-path="${p}.type"]`).value, parameters: readFields(row, p + ".parameters") };
      const label = row.querySelector(`[data-path="${p}.label"]`).value.trim();
      if (label) a.label = label;
      b.actions.push(a);
    });
    const match = form.querySelector(`[data-path="${join(base, "condition_match_type")}"]`);
    if (match) b.condition_match_type = match.value;
    return b;
  };
  const read = () => {
    const d = { name: form.querySelector('[data-path="name"]').value, description: form.querySelector('[data-path="description"]').value,
      trigger_type: form.querySelector('[data-path="trigger_type"]').value, trigger_parameters: readFields(form, "trigger_parameters"), ...readBlock(""), paths: [] };
    form.querySelectorAll("[data-path-block]").forEach((el, i) => {
      d.paths.push({ name: form.querySelector(`[data-path="paths.${i}.name"]`).value, ...readBlock(`paths.${i}`) });
    });
    return d;
  };
  const rerender = (change) => { const d = read(); if (change) change(d); draft = { ...draft, ...d }; render(); };
  // outputFields are the fields of a platform action's output the catalog
  // states (".0.id" when the output is a list), for every platform that
  // offers the action.
  const outputFields = (actionId) => {
    const fields = new Set();
    for (const p of specs.platforms || []) {
      const a = p.actions.find((x) => x.id === actionId);
      if (a) a.output.forEach((f) => fields.add((a.output_list ? ".0." : ".") + f));
    }
    return [...fields];
  };
  // variablesBefore lists the template variables a step at base can use:
  // the schema's, and those saved by earlier steps with the fields of a
  // platform action's output (a path's steps run after the main ones).
  const variablesBefore = (base, i) => () => {
    const saved = [];
    const collect = (b, upTo) => form.querySelectorAll(`[data-row="action"][data-base="${b}"]`).forEach((row, j) => {
      const p = join(b, `actions.${j}`);
      const s = row.querySelector(`[data-path="${p}.parameters.saveAs"]`);
      if (j >= upTo || !s || !s.value.trim()) return;
      const name = "variables." + s.value.trim();
      saved.push(name);
      const action = row.querySelector(`[data-path="${p}.parameters.actionId"]`);
      if (action) saved.push(...outputFields(action.value.trim()).map((f) => name + f));
    });
    if (base) collect("", Infinity);
    collect(base, i);
    return [...specs.templates.variables, ...saved];
  };
  const select = (path, options, value, label) => h("select", { id: "f-" + path, "data-path": path, "aria-label": label }, options.map((o) => h("option", { value: o, selected: o === value }, o)));
  const where = (base) => (base ? `path ${Number(base.split(".")[1]) + 1} ` : "");

  function conditionRows(base, list) {
    // Conditions that read run variables belong to paths, which run after
    // the main steps saved them.
    const types = specs.conditions.filter((c) => base || !c.paths_only).map((c) => c.type);
    return [
      h("label", { for: "f-" + join(base, "condition_match_type") }, "Match"), select(join(base, "condition_match_type"), ["all", "any"], block(draft, base).condition_match_type || "all", `Match of ${where(base)}conditions`),
      (list || []).map((c, i) => {
        const p = join(base, `conditions.${i}`);
        const spec = byType(specs.conditions, c.type) || byType(specs.conditions, types[0]);
        const typeSel = select(p + ".type", types, spec.type, `${where(base)}condition ${i + 1} type`);
        typeSel.addEventListener("change", () => rerender((d) => { block(d, base).conditions[i].parameters = {}; }));
        return h("div", { class: "card", "data-row": "condition", "data-base": base }, h("h3", {}, `Condition ${i + 1}`),
          h("label", { for: typeSel.id }, "Type"), typeSel, h("p", { class: "hint" }, spec.description), errorSlot(p + ".type"),
          paramFields(spec.parameters, c.parameters, p + ".parameters", objs, () => specs.templates.variables), errorSlot(p),
          h("button", { type: "button", class: "secondary", onclick: () => rerender((d) => block(d, base).conditions.splice(i, 1)) }, `Remove ${where(base)}condition ${i + 1}`));
      }),
      h("button", { type: "button", class: "secondary", onclick: () => rerender((d) => block(d, base).conditions.push({ type: types[0], parameters: {} })) }, `Add a ${where(base)}condition`),
      errorSlot(join(base, "conditions"))];
  }

  function actionRows(base, list) {
    return [(list || []).map((a, i) => {
      const p = join(base, `actions.${i}`);
      const spec = byType(specs.actions, a.type) || specs.actions[0];
      const typeSel = select(p + ".type", specs.actions.map((x) => x.type), spec.type, `${where(base)}step ${i + 1} action`);
      typeSel.addEventListener("change", () => rerender((d) => { block(d, base).actions[i].parameters = {}; }));
      const steps = (d) => block(d, base).actions;
      return h("div", { class: "card", "data-row": "action", "data-base": base }, h("h3", {}, `Step ${i + 1}`),
        h("label", { for: typeSel.id }, "Action"), typeSel, h("p", { class: "hint" }, spec.description), errorSlot(p + ".type"),
        h("label", { for: `f-${p}.label` }, "Label"), h("input", { id: `f-${p}.label`, type: "text", "data-path": p + ".label", value: a.label || "" }),
        paramFields(spec.parameters, a.parameters, p + ".parameters", objs, variablesBefore(base, i)),
        h("details", {}, h("summary", {}, "Timeout, approval, saveAs"), paramFields(specs.common_parameters, a.parameters, p + ".parameters", objs, variablesBefore(base, i))),
        errorSlot(p),
        i > 0 ? h("button", { type: "button", class: "secondary", onclick: () => rerender((d) => steps(d).splice(i - 1, 0, steps(d).splice(i, 1)[0])) }, `Move ${where(base)}step ${i + 1} up`) : null,
        h("button", { type: "button", class: "secondary", onclick: () => rerender((d) => steps(d).splice(i, 1)) }, `Remove ${where(base)}step ${i + 1}`));
    }),
    h("button", { type: "button", class: "secondary", onclick: () => rerender((d) => block(d, base).actions.push({ type: specs.actions[0].type, parameters: {} })) }, `Add a ${where(base)}step`),
    errorSlot(join(base, "actions"))];
  }

  function render() {
    const trigger = byType(specs.triggers, draft.trigger_type) || specs.triggers[0];
    const triggerSelect = select("trigger_type", specs.triggers.map((t) => t.type), trigger.type, "Trigger");
    triggerSelect.addEventListener("change", () => rerender((d) => { d.trigger_parameters = {}; }));
    fill(form,
      h("label", { for: "f-name" }, "Name (required)"), h("input", { id: "f-name", type: "text", "data-path": "name", value: draft.name }), errorSlot("name"),
      h("label", { for: "f-description" }, "Description"), h("textarea", { id: "f-description", "data-path": "description", value: draft.description || "" }), errorSlot("description"),
      h("fieldset", {}, h("legend", {}, "Trigger"),
        h("label", { for: "f-trigger_type" }, "When"), triggerSelect, h("p", { class: "hint" }, trigger.description), errorSlot("trigger_type"),
        paramFields(trigger.parameters, draft.trigger_parameters, "trigger_parameters", objs, () => specs.templates.variables), errorSlot("trigger_parameters")),
      h("fieldset", {}, h("legend", {}, "Conditions"), conditionRows("", draft.conditions)),
      h("fieldset", {}, h("legend", {}, "Actions, in order"), actionRows("", draft.actions)),
      h("fieldset", {}, h("legend", {}, "Paths: branches that run after the steps above, each when its own conditions pass"),
        (draft.paths || []).map((path, n) => h("div", { class: "card", "data-path-block": n },
          h("h3", {}, `Path ${n + 1}`),
          h("label", { for: `f-paths.${n}.name` }, "Name"), h("input", { id: `f-paths.${n}.name`, type: "text", "data-path": `paths.${n}.name`, value: path.name || "" }), errorSlot(`paths.${n}.name`),
          h("h4", {}, "Conditions"), conditionRows(`paths.${n}`, path.conditions),
          h("h4", {}, "Steps"), actionRows(`paths.${n}`, path.actions),
          h("button", { type: "button", class: "secondary", onclick: () => rerender((d) => d.paths.splice(n, 1)) }, `Remove path ${n + 1}`))),
        h("button", { type: "button", class: "secondary", onclick: () => rerender((d) => d.paths.push({ name: `Path ${d.paths.length + 1}`, condition_match_type: "all", conditions: [], actions: [] })) }, "Add a path"),
        errorSlot("paths")),
      h("label", { class: "inline" }, h("input", { type: "checkbox", "data-path": "is_enabled", checked: draft.is_enabled, id: "f-is_enabled" }), "Enabled"),
      admin ? h("button", { type: "submit" }, "Save") : h("p", { class: "hint" }, "Only admins change workflows."),
      summary, notes);
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = read();
    body.is_enabled = form.querySelector('[data-path="is_enabled"]').checked;
    try {
      const saved = id ? (await call("PUT", `/api/workflows/${id}`, body)).data : (await call("POST", "/api/workflows", body)).data;
      showErrors(form, {}, summary);
      fill(notes, h("p", {}, `Saved: version ${saved.version}.`), (saved.warnings || []).map((w) => h("p", { class: "error" }, "Warning: " + w)));
      announce("Saved " + saved.name);
      if (!id) go("workflows/" + saved.id);
    } catch (err) {
      if (!(err instanceof APIError)) throw err;
      showErrors(form, err.status === 422 ? err.fields : {}, summary);
      if (err.status !== 422) summary.append(h("li", {}, err.message));
    }
  });
  render();
  show(h("h1", {}, id ? "Workflow: " + draft.name : "New workflow"), form,
    id ? h("p", {}, h("a", { href: `#/${state.ws}/tickets` }, "Watch its runs on the tickets")) : null);
}
