// Tickets: the list with filters, and the ticket page with its timeline
// and automation panel, kept current by polling.
import { fill, h, show, announce, when, json } from "./dom.js";
import { all, call, get, list, state } from "./api.js";
import { poll } from "./app.js";
import { objects } from "./workflows.js";

export async function ticketsPage() {
  const [tickets, objs] = await Promise.all([list("/api/tickets?per_page=200"), objects()]);
  const tagName = Object.fromEntries(objs.tag.map((t) => [t.id, t.label]));
  const userName = Object.fromEntries(objs.user.map((u) => [u.id, u.label]));
  const f = { status: h("select", { id: "filter-status" }, h("option", { value: "" }, "Any"), ["new", "open", "pending", "on_hold", "solved", "closed", "spam"].map((s) => h("option", { value: s }, s))),
    tag: h("select", { id: "filter-tag" }, h("option", { value: "" }, "Any"), objs.tag.map((t) => h("option", { value: t.id }, t.label))),
    assignee: h("select", { id: "filter-assignee" }, h("option", { value: "" }, "Anyone"), objs.user.map((u) => h("option", { value: u.id }, u.label))),
    text: h("input", { id: "filter-text", type: "search" }) };
  const body = h("tbody");
  const draw = () => {
    const q = f.text.value.trim().toLowerCase();
    const rows = tickets.filter((t) => (!f.status.value || t.status === f.status.value) && (!f.tag.value || (t.tags || []).includes(f.tag.value))
      && (!f.assignee.value || (t.assignee && t.assignee.id === f.assignee.value)) && (!q || t.subject.toLowerCase().includes(q)));
    fill(body, ...rows.map((t) => h("tr", {},
      h("td", {}, h("a", { href: `#/${state.ws}/tickets/${t.id}` }, t.subject)), h("td", {}, t.status), h("td", {}, t.priority),
      h("td", {}, (t.tags || []).map((id) => h("span", { class: "badge" }, tagName[id] || id)), " "),
      h("td", {}, t.assignee ? (userName[t.assignee.id] || t.assignee.type) : "—"), h("td", {}, when(t.updated_at)))));
  };
  for (const el of Object.values(f)) el.addEventListener("input", draw);
  draw();
  show(h("h1", {}, "Tickets"),
    h("div", { role: "search" }, h("label", { for: "filter-status" }, "Status"), f.status, h("label", { for: "filter-tag" }, "Tag"), f.tag,
      h("label", { for: "filter-assignee" }, "Assignee"), f.assignee, h("label", { for: "filter-text" }, "Text in the subject"), f.text),
    h("p", { class: "hint" }, "The latest 200 tickets."),
    h("div", { class: "scroll" }, h("table", {}, h("thead", {}, h("tr", {}, ["Subject", "Status", "Priority", "Tags", "Assignee", "Updated"].map((x) => h("th", { scope: "col" }, x)))), body)));
}

export async function ticketPage(id) {
  const timeline = h("section", { "aria-labelledby": "timeline" });
  const panel = h("section", { "aria-labelledby": "automation" });
  const ticket = await get(`/api/tickets/${id}`);
  const zone = (await get("/api/business-hours")).timezone || undefined;
  const workflows = Object.fromEntries((await all("/api/workflows")).map((w) => [w.id, w]));
  show(h("h1", {}, ticket.subject),
    h("p", {}, `${ticket.status} · ${ticket.priority} · `, ticket.contact ? `${ticket.contact.name || ""} <${ticket.contact.email || ""}>` : ""),
    h("h2", { id: "timeline" }, "Conversation"), timeline, h("h2", { id: "automation" }, "Automation"), panel);
  poll(async () => {
    const [t, runs, evaluations, timers, manual] = await Promise.all([get(`/api/tickets/${id}`), all(`/api/tickets/${id}/runs`),
      list(`/api/tickets/${id}/evaluations?per_page=50`), get(`/api/tickets/${id}/timers`), get(`/api/tickets/${id}/workflows`)]);
    fill(timeline, ...t.messages.map((m) => h("article", { class: "msg " + (m.direction === "internal" || m.is_internal ? "note" : m.direction) },
      h("p", { class: "hint" }, `${m.direction} · ${when(m.created_at)}`, m.workflow_run_id ? [" · ", h("a", { href: "#run-" + m.workflow_run_id }, "by a workflow run")] : null),
      h("div", {}, m.body))));
    fill(panel, 
      h("h3", {}, "Runs"), runs.length ? runs.map(runCard) : h("p", {}, "No run yet."),
      h("h3", {}, "Evaluations that did not run"), notRun(evaluations, workflows),
      h("h3", {}, "Pending no-reply timers"), timers.length ? h("ul", {}, timers.map((x) => h("li", {}, `${(workflows[x.workflow_id] || {}).name || x.workflow_id}: ${x.status}, due `,
        x.due_at ? new Date(x.due_at).toLocaleString(undefined, { timeZone: zone, timeZoneName: "short" }) : (x.reason || "never")))) : h("p", {}, "None."),
      h("h3", {}, "Manual workflows that match"), manual.length ? h("ul", {}, manual.map((w) => h("li", {}, w.name, " ",
        h("button", { onclick: async () => { await call("POST", `/api/workflows/${w.id}/runs`, { ticket_id: id }); announce("Started " + w.name); } }, "Run", h("span", { class: "skip" }, " " + w.name))))) : h("p", {}, "None."));
  });
}

function runCard(r) {
  return h("article", { class: "card", id: "run-" + r.id },
    h("p", {}, h("strong", {}, r.workflow_name), ` · version ${r.workflow_version} · `, h("span", { class: "badge" }, r.status), ` · ${r.event_type} · ${when(r.created_at)}`),
    r.match && r.match.conditions && r.match.conditions.length ? h("details", {}, h("summary", {}, "Why it ran"), json(r.match)) : null,
    (r.steps || []).map((s) => h("div", { class: "step " + s.status },
      h("p", {}, `Step ${s.position + 1}${s.path ? " (path " + s.path + ")" : ""}: ${s.label || s.action_type} · `, h("span", { class: "badge" }, s.status)),
      s.error ? h("p", { class: "error" }, s.error) : null,
      s.input ? h("details", {}, h("summary", {}, "Input"), json(s.input)) : null,
      s.output ? h("details", {}, h("summary", {}, "Output"), json(s.output)) : null)));
}

// notRun explains the evaluations that started no run: the stop, or each
// condition that did not match with what it expected.
function notRun(evaluations, workflows) {
  const items = [];
  for (const ev of evaluations) {
    if (ev.stop) items.push(h("li", {}, `${ev.event_type}: stopped (${ev.stop.reason}) ${ev.stop.detail || ""}`));
    for (const r of ev.results || []) {
      if (r.run_id) continue;
      const defined = ((workflows[r.workflow_id] || {}).conditions) || [];
      const failed = (r.conditions || []).map((c, i) => ({ ...c, parameters: (defined[i] || {}).parameters })).filter((c) => !c.matched);
      items.push(h("li", {}, `${ev.event_type}: ${r.name} — ${r.outcome.replaceAll("_", " ")}${r.detail ? ": " + r.detail : ""}`,
        failed.length ? h("ul", {}, failed.map((c) => h("li", {}, `${c.type} did not match`, c.parameters ? ` (${JSON.stringify(c.parameters)})` : ""))) : null));
    }
  }
  return items.length ? h("ul", {}, items) : h("p", {}, "None.");
}
