// The dashboard's client of Paige's HTTP API. Every call names an operation of this table;
// tests/browser/api_client_test.mjs checks each against api/web/openapi.json, so a route that
// changes or disappears fails the build, not the page.

export const operations = {
  me: ["GET", "/v1/me"],
  listProjects: ["GET", "/v1/projects"],
  createProject: ["POST", "/v1/projects"],
  getProject: ["GET", "/v1/projects/{project_id}"],
  updateProject: ["PATCH", "/v1/projects/{project_id}"],
  deleteProject: ["DELETE", "/v1/projects/{project_id}"],
  pauseProject: ["POST", "/v1/projects/{project_id}/pause"],
  resumeProject: ["POST", "/v1/projects/{project_id}/resume"],
  listKeys: ["GET", "/v1/projects/{project_id}/keys"],
  createKey: ["POST", "/v1/projects/{project_id}/keys"],
  revokeKey: ["DELETE", "/v1/projects/{project_id}/keys/{key_id}"],
  connectWhatsApp: ["PUT", "/v1/projects/{project_id}/whatsapp"],
  signUpWhatsApp: ["POST", "/v1/projects/{project_id}/whatsapp/signup"],
  getProfile: ["GET", "/v1/projects/{project_id}/whatsapp/profile"],
  updateProfile: ["PATCH", "/v1/projects/{project_id}/whatsapp/profile"],
  setProfilePhoto: ["PUT", "/v1/projects/{project_id}/whatsapp/profile/photo"],
  requestDisplayName: ["POST", "/v1/projects/{project_id}/whatsapp/display-name"],
  accountEvents: ["GET", "/v1/projects/{project_id}/whatsapp/events"],
  listTemplates: ["GET", "/v1/projects/{project_id}/templates"],
  createTemplate: ["POST", "/v1/projects/{project_id}/templates"],
  syncTemplates: ["POST", "/v1/projects/{project_id}/templates/sync"],
  uploadTemplateMedia: ["POST", "/v1/projects/{project_id}/templates/media"],
  getTemplate: ["GET", "/v1/projects/{project_id}/templates/{name}/{language}"],
  updateTemplate: ["PATCH", "/v1/projects/{project_id}/templates/{name}/{language}"],
  deleteTemplateLanguage: ["DELETE", "/v1/projects/{project_id}/templates/{name}/{language}"],
  deleteTemplate: ["DELETE", "/v1/projects/{project_id}/templates/{name}"],
  listFlows: ["GET", "/v1/projects/{project_id}/flows"],
  createFlow: ["POST", "/v1/projects/{project_id}/flows"],
  getFlow: ["GET", "/v1/projects/{project_id}/flows/{name}"],
  updateFlow: ["PATCH", "/v1/projects/{project_id}/flows/{name}"],
  deleteFlow: ["DELETE", "/v1/projects/{project_id}/flows/{name}"],
  publishFlow: ["POST", "/v1/projects/{project_id}/flows/{name}/publish"],
  deprecateFlow: ["POST", "/v1/projects/{project_id}/flows/{name}/deprecate"],
  flowPreview: ["GET", "/v1/projects/{project_id}/flows/{name}/preview"],
  flowAnswers: ["GET", "/v1/projects/{project_id}/flows/{name}/answers"],
  getFlowsKey: ["GET", "/v1/projects/{project_id}/whatsapp/flows-key"],
  makeFlowsKey: ["PUT", "/v1/projects/{project_id}/whatsapp/flows-key"],
  listBroadcasts: ["GET", "/v1/projects/{project_id}/broadcasts"],
  createBroadcast: ["POST", "/v1/projects/{project_id}/broadcasts"],
  countAudience: ["POST", "/v1/projects/{project_id}/broadcasts/audience"],
  getBroadcast: ["GET", "/v1/projects/{project_id}/broadcasts/{broadcast_id}"],
  broadcastRecipients: ["GET", "/v1/projects/{project_id}/broadcasts/{broadcast_id}/recipients"],
  pauseBroadcast: ["POST", "/v1/projects/{project_id}/broadcasts/{broadcast_id}/pause"],
  resumeBroadcast: ["POST", "/v1/projects/{project_id}/broadcasts/{broadcast_id}/resume"],
  cancelBroadcast: ["POST", "/v1/projects/{project_id}/broadcasts/{broadcast_id}/cancel"],
  getBot: ["GET", "/v1/projects/{project_id}/bot"],
  putBot: ["PUT", "/v1/projects/{project_id}/bot"],
  botVersions: ["GET", "/v1/projects/{project_id}/bot/versions"],
  rotateBotSecret: ["POST", "/v1/projects/{project_id}/bot/secret"],
  botRuntime: ["GET", "/v1/projects/{project_id}/bot/runtime"],
  botLogs: ["GET", "/v1/projects/{project_id}/bot/logs"],
  botPreview: ["POST", "/v1/projects/{project_id}/bot/preview"],
  botLogStream: ["GET", "/v1/projects/{project_id}/bot/logs/stream"],
  restoreBotVersion: ["POST", "/v1/projects/{project_id}/bot/versions/{version}/restore"],
  botDiff: ["GET", "/v1/projects/{project_id}/bot/diff"],
  listSecrets: ["GET", "/v1/projects/{project_id}/secrets"],
  putSecret: ["PUT", "/v1/projects/{project_id}/secrets/{name}"],
  deleteSecret: ["DELETE", "/v1/projects/{project_id}/secrets/{name}"],
  listTables: ["GET", "/v1/projects/{project_id}/tables"],
  createTable: ["POST", "/v1/projects/{project_id}/tables"],
  getTable: ["GET", "/v1/projects/{project_id}/tables/{table}"],
  dropTable: ["DELETE", "/v1/projects/{project_id}/tables/{table}"],
  addColumn: ["POST", "/v1/projects/{project_id}/tables/{table}/columns"],
  listRows: ["GET", "/v1/projects/{project_id}/tables/{table}/rows"],
  insertRow: ["POST", "/v1/projects/{project_id}/tables/{table}/rows"],
  clearTable: ["DELETE", "/v1/projects/{project_id}/tables/{table}/rows"],
  updateRow: ["PATCH", "/v1/projects/{project_id}/tables/{table}/rows/{key}"],
  deleteRow: ["DELETE", "/v1/projects/{project_id}/tables/{table}/rows/{key}"],
  runSql: ["POST", "/v1/projects/{project_id}/sql"],
  listContacts: ["GET", "/v1/projects/{project_id}/contacts"],
  getContact: ["GET", "/v1/projects/{project_id}/contacts/{contact_id}"],
  updateContact: ["PATCH", "/v1/projects/{project_id}/contacts/{contact_id}"],
  contactConversations: ["GET", "/v1/projects/{project_id}/contacts/{contact_id}/conversations"],
  listConversations: ["GET", "/v1/projects/{project_id}/conversations"],
  conversationStates: ["GET", "/v1/projects/{project_id}/conversations/states"],
  getConversation: ["GET", "/v1/projects/{project_id}/conversations/{conversation_id}"],
  changeState: ["PATCH", "/v1/projects/{project_id}/conversations/{conversation_id}"],
  closeConversation: ["POST", "/v1/projects/{project_id}/conversations/{conversation_id}/close"],
  conversationMessages: ["GET", "/v1/projects/{project_id}/conversations/{conversation_id}/messages"],
  sendToConversation: ["POST", "/v1/projects/{project_id}/conversations/{conversation_id}/messages"],
  events: ["GET", "/v1/projects/{project_id}/events"],
  health: ["GET", "/healthz"],
  ready: ["GET", "/readyz"],
  metrics: ["GET", "/metrics"],
};

/** An answer of the API that is not a success: its status, `code`, message and details. */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const keySlot = "paige.key";

/** The signed-in key: in sessionStorage only (gone with the tab; never a URL or a cookie). */
export const session = {
  key: () => sessionStorage.getItem(keySlot),
  signIn: (key) => sessionStorage.setItem(keySlot, key),
  signOut: () => sessionStorage.removeItem(keySlot),
};

/** Fills "{name}" segments from `params`, each escaped as one path segment. */
export function pathOf(op, params = {}) {
  const entry = operations[op];
  if (!entry) throw new Error(`unknown operation ${op}`);
  return entry[1].replace(/\{(\w+)\}/g, (_, name) => {
    if (params[name] === undefined) throw new Error(`${op}: missing ${name}`);
    return encodeURIComponent(String(params[name]));
  });
}

/**
 * The request of an operation: URL (with `query`), method and headers. The body is `body` as
 * JSON, or `file` (a Blob) as it is, with its own type.
 */
export function requestOf(op, params = {}, { query, body, file, key, headers = {} } = {}) {
  const [method] = operations[op];
  let url = pathOf(op, params);
  if (query) {
    const q = new URLSearchParams();
    for (const [name, value] of Object.entries(query))
      if (value !== undefined && value !== null && value !== "") q.append(name, String(value));
    const text = q.toString();
    if (text) url += "?" + text;
  }
  const h = { ...headers };
  const k = key ?? session.key();
  if (k) h.Authorization = "Bearer " + k;
  if (file !== undefined) {
    h["Content-Type"] = file.type || "application/octet-stream";
    return { url, init: { method, headers: h, body: file } };
  }
  if (body !== undefined) h["Content-Type"] = "application/json";
  return { url, init: { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) } };
}

/**
 * Calls an operation; resolves to its JSON (null for 204), rejects with ApiError. A 401 on a
 * signed-in session signs it out (the key was revoked) and tells the page through "paige:signedout".
 */
export async function call(op, params = {}, options = {}) {
  const { url, init } = requestOf(op, params, options);
  let res;
  try {
    res = await fetch(url, { ...init, signal: options.signal });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError(0, "network", "Paige cannot be reached: " + e.message);
  }
  if (res.status === 204) return null;
  const type = res.headers.get("content-type") ?? "";
  const payload = type.includes("json") ? await res.json().catch(() => null) : await res.text();
  if (res.ok) return payload;
  const err = payload?.error ?? {};
  const error = new ApiError(res.status, err.code ?? "http_" + res.status,
    err.message ?? `${res.status} ${res.statusText}`, err.details);
  if (res.status === 401 && !options.key && session.key()) {
    session.signOut();
    window.dispatchEvent(new CustomEvent("paige:signedout", { detail: error.message }));
  }
  throw error;
}
