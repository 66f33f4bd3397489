// The console: routes (#/<workspace>/<page>), the header, and the pages.
import { fill, h, show, announce } from "./dom.js";
import { APIError, call, state } from "./api.js";
import { workflowsPage, builderPage } from "./workflows.js";
import { ticketsPage, ticketPage } from "./tickets.js";
import { approvalsPage, connectorsPage, settingsPage } from "./admin.js";

const pages = [
  ["workflows", "Workflows"], ["tickets", "Tickets"], ["approvals", "Approvals"], ["connectors", "Connectors"], ["settings", "Settings"],
];

let stopPolling = () => {};
// poll runs fn now and every 3 seconds while its page is shown: runs move
// on their own, and a ticket page follows them.
export function poll(fn) {
  let timer = null, stopped = false;
  const tick = async () => { if (stopped) return; try { await fn(); } catch (e) { if (!(e instanceof APIError)) throw e; } if (!stopped) timer = setTimeout(tick, 3000); };
  stopPolling = () => { stopped = true; clearTimeout(timer); };
  tick();
}

async function route() {
  stopPolling();
  try {
    state.session = (await call("GET", "/api/session")).data;
  } catch (e) {
    if (e instanceof APIError && e.status === 401) return signInPage();
    throw e;
  }
  const [, wsText, page = "workflows", id] = location.hash.replace(/^#\/?/, "#/").split("/");
  const ws = Number(wsText) || (state.session.workspaces[0] && state.session.workspaces[0].workspace_id);
  if (!ws) return show(h("h1", {}, "No workspace"), h("p", {}, "You are not a member of any workspace."));
  if (ws !== state.ws) { state.ws = ws; state.specs = null; }
  if (!state.specs) state.specs = (await call("GET", "/api/specs")).data;
  header(page);
  const pageOf = {
    workflows: () => (id === "new" ? builderPage(null) : id ? builderPage(id) : workflowsPage()),
    welcome: () => settingsPage(true),
    tickets: () => (id ? ticketPage(id) : ticketsPage()),
    approvals: approvalsPage, connectors: connectorsPage, settings: () => settingsPage(false),
  };
  await (pageOf[page] || pageOf.workflows)();
}

export function go(page) {
  location.hash = "#/" + state.ws + "/" + page;
}

function header(current) {
  const me = state.session.user;
  const top = document.getElementById("top");
  const choose = h("select", { "aria-label": "Workspace", onchange: (e) => { location.hash = "#/" + e.target.value + "/workflows"; } },
    state.session.workspaces.map((w) => h("option", { value: w.workspace_id, selected: w.workspace_id === state.ws }, w.name + " (" + w.role + ")")));
  fill(top, 
    h("strong", {}, "deskflow"),
    h("nav", { "aria-label": "Main" }, pages.map(([p, label]) => h("a", { href: "#/" + state.ws + "/" + p, "aria-current": p === current ? "page" : null }, label))),
    h("div", { class: "who" }, choose, h("span", {}, me.name || me.email), h("button", { class: "secondary", onclick: signOut }, "Sign out")),
  );
}

async function signOut() {
  await call("DELETE", "/api/session");
  state.session = null; state.ws = null;
  location.hash = "";
  route();
}

function signInPage() {
  fill(document.getElementById("top"), h("strong", {}, "deskflow"));
  const error = h("p", { class: "error", role: "alert" });
  const email = h("input", { id: "email", type: "email", autocomplete: "username", required: true });
  const password = h("input", { id: "password", type: "password", autocomplete: "current-password", required: true });
  const form = h("form", { onsubmit: async (e) => {
    e.preventDefault();
    error.textContent = "";
    try {
      await call("POST", "/api/session", { email: email.value, password: password.value });
      route();
    } catch (err) {
      error.textContent = err.message;
    }
  } }, h("label", { for: "email" }, "Email"), email, h("label", { for: "password" }, "Password"), password, error, h("button", { type: "submit" }, "Sign in"));
  show(h("h1", {}, "Sign in"), form, h("p", { class: "hint" }, "First time? Open the sign-in link that deskflow printed when it started, or the one in your invitation."));
}

window.addEventListener("hashchange", () => route().catch(fatal));
route().catch(fatal);

function fatal(e) {
  console.error(e);
  announce("Something went wrong: " + e.message);
}
