// The public API, with the session cookie and the chosen workspace.
export class APIError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : "The server answered " + status);
    this.status = status;
    this.fields = (body && body.errors) || {};
  }
}

export const state = { ws: null, session: null, specs: null };

export async function call(method, path, body) {
  const headers = {};
  if (state.ws) headers["X-Workspace-Id"] = String(state.ws);
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 204) return null;
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (!res.ok) throw new APIError(res.status, data);
  return data;
}

export const get = (path) => call("GET", path).then((r) => r.data);
export const list = (path) => call("GET", path).then((r) => r.data);

// all reads every page of a list (at most 10 pages of 200).
export async function all(path) {
  const out = [];
  for (let page = 1; page <= 10; page++) {
    const sep = path.includes("?") ? "&" : "?";
    const r = await call("GET", `${path}${sep}per_page=200&page=${page}`);
    out.push(...r.data);
    if (!r.meta || out.length >= r.meta.total || r.data.length === 0) break;
  }
  return out;
}

export function isAdmin() {
  const m = state.session && state.session.workspaces.find((w) => w.workspace_id === state.ws);
  return !!m && m.role === "admin";
}
