// Approvals, connectors and settings.
import { fill, h, show, announce, when, json } from "./dom.js";
import { APIError, all, call, get, isAdmin, state } from "./api.js";
import { errorSlot, paramFields, readFields, showErrors } from "./forms.js";
import { workspaceSettings } from "./settings.js";

export async function approvalsPage() {
  const [pending, decided] = await Promise.all([all("/api/approvals?status=pending"), call("GET", "/api/approvals?per_page=50").then((r) => r.data.filter((a) => a.status !== "pending"))]);
  const admin = isAdmin();
  const cards = await Promise.all(pending.map(async (a) => {
    const [t, w] = await Promise.all([get(`/api/tickets/${a.ticket_id}`), get(`/api/workflows/${a.workflow_id}`)]);
    const step = (w.actions || [])[a.position] || {};
    const reason = h("input", { type: "text", id: "reason-" + a.id });
    const decide = (verb) => async () => {
      await call("POST", `/api/approvals/${a.id}/${verb}`, reason.value ? { reason: reason.value } : undefined);
      announce(verb === "approve" ? "Approved" : "Rejected");
      approvalsPage();
    };
    const left = Math.max(0, Date.parse(a.expires_at) - Date.now());
    return h("article", { class: "card" },
      h("h2", {}, `${w.name}: ${step.label || a.action_type}`),
      h("p", {}, "Ticket: ", h("a", { href: `#/${state.ws}/tickets/${t.id}` }, t.subject), " · customer: ", t.contact ? `${t.contact.name || ""} <${t.contact.email || ""}>` : "—"),
      h("p", {}, `Expires in ${Math.round(left / 60000)} minutes (${when(a.expires_at)})`),
      h("h3", {}, "What the step will do, rendered for this ticket"), json(a.parameters),
      admin ? [h("label", { for: "reason-" + a.id }, "Reason (optional)"), reason,
        h("button", { onclick: decide("approve") }, "Approve"), h("button", { class: "danger", onclick: decide("reject") }, "Reject")] : h("p", { class: "hint" }, "Only admins decide."));
  }));
  show(h("h1", {}, "Approvals"), cards.length ? cards : h("p", {}, "Nothing waits for approval."),
    h("h2", {}, "Decided"), decided.length ? h("ul", {}, decided.map((a) => h("li", {}, `${a.action_type}: ${a.status} ${when(a.decided_at)} ${a.reason || ""}`))) : h("p", {}, "None."));
}

export async function connectorsPage() {
  const connectors = await all("/api/connectors");
  const admin = isAdmin();
  const types = state.specs.connector_types;
  const summary = h("ul", { class: "error" });
  const form = h("form", { "aria-label": "New connector" });
  let type = types[0].type;
  const render = () => {
    const t = types.find((x) => x.type === type);
    const sel = h("select", { id: "f-type", "data-path": "type" }, types.map((x) => h("option", { value: x.type, selected: x.type === type }, x.type)));
    sel.addEventListener("change", () => { type = sel.value; render(); });
    fill(form, h("label", { for: "f-type" }, "Type"), sel, errorSlot("type"),
      h("label", { for: "f-cname" }, "Name"), h("input", { id: "f-cname", type: "text", "data-path": "name" }), errorSlot("name"),
      h("fieldset", {}, h("legend", {}, "Settings"), paramFields(t.settings || [], {}, "settings", {}, () => []), errorSlot("settings")),
      h("fieldset", {}, h("legend", {}, "Credentials (write-only: never shown again)"),
        (t.credentials || []).map((c) => h("div", {}, h("label", { for: "cred-" + c.key }, c.key + (c.required ? " (required)" : "")),
          h("input", { id: "cred-" + c.key, type: "password", autocomplete: "off", "data-credential": c.key }), h("span", { class: "hint" }, c.description || ""), errorSlot("credentials." + c.key)))),
      h("button", { type: "submit" }, "Create connector"), summary);
  };
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const credentials = {};
    form.querySelectorAll("[data-credential]").forEach((el) => { if (el.value) credentials[el.dataset.credential] = el.value; });
    try {
      await call("POST", "/api/connectors", { type, name: form.querySelector('[data-path="name"]').value, settings: readFields(form, "settings"), credentials });
      announce("Connector created");
      connectorsPage();
    } catch (err) {
      if (!(err instanceof APIError)) throw err;
      showErrors(form, err.fields, summary);
    }
  });
  render();
  const result = h("p", { "aria-live": "polite" });
  show(h("h1", {}, "Connectors"),
    connectors.length ? h("div", { class: "scroll" }, h("table", {}, h("thead", {}, h("tr", {}, ["Name", "Type", "Credentials set", admin ? "Check" : null].filter(Boolean).map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, connectors.map((c) => h("tr", {}, h("td", {}, c.name), h("td", {}, c.type), h("td", {}, (c.credentials_set || []).join(", ") || "none"),
        admin ? h("td", {}, h("button", { class: "secondary", onclick: async () => { const r = (await call("POST", `/api/connectors/${c.id}/test`)).data; result.textContent = `${c.name}: ${r.ok ? "works" : "fails: " + r.error}`; } }, "Test", h("span", { class: "skip" }, " " + c.name)),
          rotate(c, types.find((x) => x.type === c.type), result)) : null))))) : h("p", {}, "No connector yet."),
    result, admin ? [h("h2", {}, "New connector"), form] : null);
}

// rotate replaces some of a connector's credentials; they are write-only:
// the form starts empty and is emptied after the save.
function rotate(c, type, result) {
  const inputs = ((type && type.credentials) || []).map((k) => ({ key: k.key, input: h("input", { id: `rot-${c.id}-${k.key}`, type: "password", autocomplete: "off" }) }));
  const form = h("form", { "aria-label": "Rotate the credentials of " + c.name },
    inputs.map(({ key, input }) => [h("label", { for: input.id }, key), input]),
    h("button", { type: "submit" }, "Save credentials"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const credentials = {};
    for (const { key, input } of inputs) if (input.value) credentials[key] = input.value;
    try {
      await call("PUT", `/api/connectors/${c.id}`, { credentials });
      for (const { input } of inputs) input.value = "";
      result.textContent = `${c.name}: credentials saved`;
    } catch (err) { if (!(err instanceof APIError)) throw err; result.textContent = `${c.name}: ${err.message}`; }
  });
  return h("details", {}, h("summary", {}, "Rotate credentials", h("span", { class: "skip" }, " of " + c.name)), form);
}

export async function settingsPage(welcome) {
  const me = state.session.user;
  const summary = h("ul", { class: "error" });
  const profile = h("form", { "aria-label": "Your profile" },
    h("label", { for: "p-name" }, "Name"), h("input", { id: "p-name", type: "text", "data-path": "name", value: me.name }), errorSlot("name"),
    h("label", { for: "p-email" }, "Email"), h("input", { id: "p-email", type: "email", "data-path": "email", value: me.email, autocomplete: "username" }), errorSlot("email"),
    h("label", { for: "p-password" }, "New password (at least 10 characters)"), h("input", { id: "p-password", type: "password", "data-path": "password", autocomplete: "new-password" }), errorSlot("password"),
    h("button", { type: "submit" }, "Save profile"), summary);
  profile.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { name: profile.querySelector("#p-name").value, email: profile.querySelector("#p-email").value };
    const pw = profile.querySelector("#p-password").value;
    if (pw) body.password = pw;
    try { await call("PUT", "/api/me", body); showErrors(profile, {}, summary); announce("Profile saved"); } catch (err) { if (!(err instanceof APIError)) throw err; showErrors(profile, err.fields, summary); }
  });
  const parts = [h("h1", {}, welcome ? "Welcome to deskflow" : "Settings"),
    welcome ? h("p", {}, "You are signed in. Set an email and a password to sign in again later, then ", h("a", { href: `#/${state.ws}/workflows/new` }, "build your first workflow"), ".") : null,
    h("h2", {}, "Your profile"), profile];
  if (isAdmin()) {
    const users = await all("/api/users");
    const out = h("p", { "aria-live": "polite" });
    const isum = h("ul", { class: "error" });
    const invite = h("form", { "aria-label": "Invite" },
      h("label", { for: "i-name" }, "Name"), h("input", { id: "i-name", type: "text", "data-path": "name" }), errorSlot("name"),
      h("label", { for: "i-email" }, "Email"), h("input", { id: "i-email", type: "email", "data-path": "email" }), errorSlot("email"),
      h("label", { for: "i-role" }, "Role"), h("select", { id: "i-role", "data-path": "role" }, h("option", { value: "agent" }, "agent"), h("option", { value: "admin" }, "admin")),
      h("button", { type: "submit" }, "Invite"), isum, out);
    invite.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const r = (await call("POST", "/api/invitations", { name: invite.querySelector("#i-name").value, email: invite.querySelector("#i-email").value, role: invite.querySelector("#i-role").value })).data;
        out.textContent = `Send this link to ${r.user.email} (one use, until ${when(r.expires_at)}): ${location.origin}${r.link_path}`;
      } catch (err) { if (!(err instanceof APIError)) throw err; showErrors(invite, err.fields, isum); }
    });
    parts.push(h("h2", {}, "People"), h("ul", {}, users.map((u) => h("li", {}, `${u.name} ${u.email ? "<" + u.email + ">" : ""} · `,
      h("select", { "aria-label": "Role of " + u.name, onchange: async (e) => { await call("PUT", `/api/users/${u.id}`, { role: e.target.value }); announce("Role changed"); } },
        ["agent", "admin"].map((r) => h("option", { value: r, selected: r === u.role }, r)))))), h("h2", {}, "Invite someone"), invite, await workspaceSettings());
  }
  show(...parts);
}
