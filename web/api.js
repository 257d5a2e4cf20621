// Calls to the node's JSON API. The session cookie is HttpOnly, so page
// scripts cannot read it. State changes carry the CSRF token that the API
// returned at login.

let csrf = "";

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `request failed (${status})`);
    this.status = status;
    this.code = body && body.error ? body.error : "";
  }
}

async function call(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  if (method === "POST" && csrf) headers["X-CSRF-Token"] = csrf;
  const res = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = {};
  try {
    data = await res.json();
  } catch (e) {
    data = {};
  }
  if (!res.ok) throw new ApiError(res.status, data);
  if (data.csrf) csrf = data.csrf;
  return data;
}

export const api = {
  session: () => call("GET", "/api/session"),
  login: (username, password) =>
    call("POST", "/api/login", { username, password }),
  logout: () => call("POST", "/api/logout", {}),
  setPin: (pin) => call("POST", "/api/pin", { pin }),
  unlock: (pin) => call("POST", "/api/unlock", { pin }),
  lock: () => call("POST", "/api/lock", {}),
  spaces: () => call("GET", "/api/spaces"),
  ward: (space) => call("GET", `/api/ward?space=${space}`),
  messages: (space) => call("GET", `/api/messages?space=${space}`),
  post: (space, text, urgent, patient) =>
    call("POST", "/api/messages", patient ? { space, text, urgent, patient } : { space, text, urgent }),
  update: (space, entity, fields) =>
    call("POST", "/api/entity", { space, entity, fields }),
  devices: () => call("GET", "/api/devices"),
  alerts: () => call("GET", "/api/alerts"),
  users: () => call("GET", "/api/users"),
  adminSpaces: () => call("GET", "/api/admin/spaces"),
  unlockUser: (username) => call("POST", "/api/users/unlock", { username }),
  audit: (query) => call("GET", `/api/audit?${query}`),
  policy: () => call("GET", "/api/policy"),
  setPolicy: (days) => call("POST", "/api/policy", { days }),
  createSpace: (body) => call("POST", "/api/spaces", body),
  changeMembers: (body) => call("POST", "/api/spaces/members", body),
  members: (space) => call("GET", `/api/members?space=${space}`),
  history: (space, entity) =>
    call("GET", `/api/history?space=${space}&entity=${encodeURIComponent(entity)}`),
};
