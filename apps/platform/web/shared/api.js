// Small fetch wrapper for the REST API (/api/v1). Keeps the access token in sessionStorage.
// Errors are thrown as ApiError { status, message }. A 401 on an authenticated request clears
// the token and calls the handler registered with onUnauthorized (the page goes back to login).

const TOKEN_KEY = 'spp.accessToken';
const BASE = '/api/v1';

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

let unauthorizedHandler = null;

export function onUnauthorized(fn) {
  unauthorizedHandler = fn;
}

export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* ignore */
  }
}

/** Expiry of a JWT in ms since the epoch, or null when it has none / cannot be read. */
export function tokenExpiry(token) {
  try {
    const part = token.split('.')[1];
    const json = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/')));
    return typeof json.exp === 'number' ? json.exp * 1000 : null;
  } catch {
    return null;
  }
}

function messageOf(body, fallback) {
  if (body && typeof body === 'object') {
    const m = body.message;
    if (Array.isArray(m)) return m.join('; ');
    if (typeof m === 'string' && m) return m;
    if (m && typeof m === 'object') return JSON.stringify(m);
    if (typeof body.error === 'string') return body.error;
  }
  return fallback;
}

export async function request(method, path, { body, auth = true, signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const token = auth ? getToken() : null;
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', null);
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, messageOf(data, `${res.status} ${res.statusText}`), data);
    if (res.status === 401 && auth) {
      setToken(null);
      if (unauthorizedHandler) unauthorizedHandler(err);
    }
    throw err;
  }
  return data;
}

export const api = {
  login: (username, password) =>
    request('POST', '/auth/login', { body: { username, password }, auth: false }),
  me: () => request('GET', '/auth/me'),
  communities: () => request('GET', '/communities'),
  communityLive: (id, opts) => request('GET', `/communities/${encodeURIComponent(id)}/live`, opts),
  deviceLive: (id) => request('GET', `/devices/${encodeURIComponent(id)}/live`),
};
