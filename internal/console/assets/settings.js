// Workspace settings for admins: business hours with a preview, tags,
// teams, saved replies and the email signature.
import { fill, h, announce } from "./dom.js";
import { APIError, all, call, get } from "./api.js";
import { errorSlot, showErrors } from "./forms.js";

const days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

export async function workspaceSettings() {
  const [hours, ws, tags, teams, replies, ai, connectors] = await Promise.all([get("/api/business-hours"), get("/api/workspace"), all("/api/tags"), all("/api/teams"),
    all("/api/saved-replies"), get("/api/ai-settings"), all("/api/connectors")]);
  return [h("h2", {}, "Business hours"), businessHours(hours), h("h2", {}, "Email signature"), signature(ws),
    h("h2", {}, "AI"), aiSettings(ai, connectors),
    h("h2", {}, "Tags"), named("/api/tags", "tag", tags), h("h2", {}, "Teams"), named("/api/teams", "team", teams),
    h("h2", {}, "Saved replies"), savedReplies(replies)];
}

function businessHours(hours) {
  const summary = h("ul", { class: "error" });
  const form = h("form", { "aria-label": "Business hours" },
    h("label", { for: "bh-timezone" }, "Time zone (IANA, e.g. Europe/Berlin)"), h("input", { id: "bh-timezone", type: "text", "data-path": "timezone", value: hours.timezone }), errorSlot("timezone"),
    days.map((d) => [h("label", { for: "bh-" + d }, d[0].toUpperCase() + d.slice(1) + " (e.g. 09:00-12:00, 13:00-17:00; empty: closed)"),
      h("input", { id: "bh-" + d, type: "text", "data-path": "weekly." + d, value: ((hours.weekly || {})[d] || []).map((i) => i.start + "-" + i.end).join(", ") }), errorSlot("weekly." + d)]),
    errorSlot("weekly"),
    h("label", { for: "bh-closed" }, "Closed dates (YYYY-MM-DD, comma-separated)"), h("input", { id: "bh-closed", type: "text", "data-path": "closed_dates", value: (hours.closed_dates || []).join(", ") }), errorSlot("closed_dates"),
    h("button", { type: "submit" }, "Save business hours"), summary);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const weekly = {};
    for (const d of days) {
      const text = form.querySelector("#bh-" + d).value.trim();
      if (text) weekly[d] = text.split(",").map((s) => { const [start, end] = s.trim().split("-").map((x) => (x || "").trim()); return { start, end }; });
    }
    const closed = form.querySelector("#bh-closed").value.split(",").map((s) => s.trim()).filter(Boolean);
    try {
      await call("PUT", "/api/business-hours", { timezone: form.querySelector("#bh-timezone").value.trim(), weekly, closed_dates: closed });
      showErrors(form, {}, summary);
      announce("Business hours saved");
      preview();
    } catch (err) { if (!(err instanceof APIError)) throw err; showErrors(form, err.fields, summary); }
  });
  const value = h("input", { id: "bh-value", type: "number", min: 1, value: "4" });
  const unit = h("select", { id: "bh-unit" }, ["minutes", "hours", "days"].map((u) => h("option", { value: u, selected: u === "hours" }, u)));
  const out = h("p", { "aria-live": "polite", id: "bh-preview" });
  const preview = async () => {
    try {
      const r = await get(`/api/business-hours/due?value=${encodeURIComponent(value.value)}&unit=${unit.value}`);
      fill(out, `A message now would be due at ${new Date(r.due_at).toLocaleString(undefined, { timeZone: r.timezone, timeZoneName: "short" })} (${value.value} business ${unit.value}).`);
    } catch (err) { if (!(err instanceof APIError)) throw err; fill(out, err.message); }
  };
  value.addEventListener("change", preview);
  unit.addEventListener("change", preview);
  preview();
  return h("div", {}, form, h("h3", {}, "Preview"), h("label", { for: "bh-value" }, "Wait"), value, h("label", { for: "bh-unit" }, "Unit"), unit, out);
}

function signature(ws) {
  const summary = h("ul", { class: "error" });
  const form = h("form", { "aria-label": "Email signature" },
    h("label", { for: "ws-signature" }, "Signature added to workflow replies"), h("textarea", { id: "ws-signature", "data-path": "signature", value: ws.signature || "" }), errorSlot("signature"),
    h("button", { type: "submit" }, "Save signature"), summary);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try { await call("PUT", "/api/workspace", { signature: form.querySelector("#ws-signature").value }); showErrors(form, {}, summary); announce("Signature saved"); } catch (err) { if (!(err instanceof APIError)) throw err; showErrors(form, err.fields, summary); }
  });
  return form;
}

function named(path, noun, items) {
  const listEl = h("ul", {}, items.map((x) => h("li", {}, x.name, " ",
    h("button", { class: "secondary", onclick: async (e) => {
      try { await call("DELETE", `${path}/${x.id}`); e.target.closest("li").remove(); announce(`${noun} ${x.name} deleted`); } catch (err) { if (!(err instanceof APIError)) throw err; announce(err.message); }
    } }, "Delete", h("span", { class: "skip" }, ` ${noun} ${x.name}`)))));
  const id = "new-" + noun;
  const summary = h("ul", { class: "error" });
  const form = h("form", { "aria-label": "New " + noun }, h("label", { for: id }, `New ${noun}`), h("input", { id, type: "text", "data-path": "name" }), errorSlot("name"), h("button", { type: "submit" }, `Add ${noun}`), summary);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const x = (await call("POST", path, { name: form.querySelector("#" + id).value })).data;
      listEl.append(h("li", {}, x.name));
      form.querySelector("#" + id).value = "";
      showErrors(form, {}, summary);
    } catch (err) { if (!(err instanceof APIError)) throw err; showErrors(form, err.fields, summary); }
  });
  return h("div", {}, listEl, form);
}

function savedReplies(items) {
  const listEl = h("ul", {}, items.map((r) => h("li", {}, h("strong", {}, r.title), ": ", r.body)));
  const summary = h("ul", { class: "error" });
  const form = h("form", { "aria-label": "New saved reply" },
    h("label", { for: "sr-title" }, "Title"), h("input", { id: "sr-title", type: "text", "data-path": "title" }), errorSlot("title"),
    h("label", { for: "sr-body" }, "Body (a template: {{customer.name}} …)"), h("textarea", { id: "sr-body", "data-path": "body" }), errorSlot("body"),
    h("button", { type: "submit" }, "Add saved reply"), summary);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const r = (await call("POST", "/api/saved-replies", { title: form.querySelector("#sr-title").value, body: form.querySelector("#sr-body").value })).data;
      listEl.append(h("li", {}, h("strong", {}, r.title), ": ", r.body));
      showErrors(form, {}, summary);
    } catch (err) { if (!(err instanceof APIError)) throw err; showErrors(form, err.fields, summary); }
  });
  return h("div", {}, listEl, form);
}


// aiSettings edits the workspace's AI defaults; the connectors offered are
// those the API accepts for them (a 422 names any other).
function aiSettings(ai, connectors) {
  const summary = h("ul", { class: "error" });
  const form = h("form", { "aria-label": "AI settings" },
    h("label", { for: "ai-connector" }, "Model (a connector; none: the built-in one)"),
    h("select", { id: "ai-connector", "data-path": "connector_id" }, h("option", { value: "" }, "Built-in"),
      connectors.map((c) => h("option", { value: c.id, selected: c.id === ai.connector_id }, `${c.name} (${c.type})`))), errorSlot("connector_id"),
    h("label", { for: "ai-categories" }, "Categories classify_ticket chooses from (comma-separated)"),
    h("input", { id: "ai-categories", type: "text", "data-path": "categories", value: (ai.categories || []).join(", ") }), errorSlot("categories"),
    h("label", { for: "ai-field" }, "Custom field that holds a ticket's category (empty: tags)"),
    h("input", { id: "ai-field", type: "text", "data-path": "category_field", value: ai.category_field || "" }), errorSlot("category_field"),
    h("button", { type: "submit" }, "Save AI settings"), summary);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const connector = form.querySelector("#ai-connector").value;
    const body = { connector_id: connector || null, categories: form.querySelector("#ai-categories").value.split(",").map((x) => x.trim()).filter(Boolean),
      category_field: form.querySelector("#ai-field").value.trim(), keywords: ai.keywords || {} };
    try { await call("PUT", "/api/ai-settings", body); showErrors(form, {}, summary); announce("AI settings saved"); } catch (err) { if (!(err instanceof APIError)) throw err; showErrors(form, err.fields, summary); }
  });
  return form;
}
