// Small fetch wrapper for the REST API (/api/v1). The session (session.js) supplies the access
// token and, on a 401, renews it once and the request is retried; if that fails the session ends.
// Errors are thrown as ApiError { status, message, body }. A FormData body goes as multipart (file
// uploads: photos, scans); fileUrl() reads a stored file with the token into an object URL.

const BASE = '/api/v1';

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

let auth = { token: () => null, onUnauthorized: async () => false };

/** session.js: where the token comes from, and what to do on a 401 (resolve true to retry once). */
export function configureAuth(hooks) {
  auth = hooks;
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

export async function request(method, path, { body, auth: withAuth = true, signal, retried = false } = {}) {
  const headers = { Accept: 'application/json' };
  const multipart = typeof FormData !== 'undefined' && body instanceof FormData;
  if (body !== undefined && !multipart) headers['Content-Type'] = 'application/json';
  const token = withAuth ? auth.token() : null;
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(BASE + path, { method, headers, body: body === undefined || multipart ? body : JSON.stringify(body), signal });
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
    if (res.status === 401 && withAuth && !retried && (await auth.onUnauthorized())) {
      return request(method, path, { body, auth: withAuth, signal, retried: true });
    }
    throw new ApiError(res.status, messageOf(data, `${res.status} ${res.statusText}`), data);
  }
  return data;
}

/** A stored file (photo, scan) behind the API, fetched with the token, as an object URL for <img>/<a>; revoke it when done. */
export async function fileUrl(path, { retried = false } = {}) {
  const token = auth.token();
  let res;
  try {
    res = await fetch(BASE + path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  } catch {
    throw new ApiError(0, 'network', null);
  }
  if (res.status === 401 && !retried && (await auth.onUnauthorized())) return fileUrl(path, { retried: true });
  if (!res.ok) throw new ApiError(res.status, `${res.status} ${res.statusText}`, null);
  return URL.createObjectURL(await res.blob());
}

export const api = {
  login: (username, password) => request('POST', '/auth/login', { body: { username, password }, auth: false }),
  refresh: (refreshToken) => request('POST', '/auth/refresh', { body: { refreshToken }, auth: false }),
  logout: (refreshToken) => request('POST', '/auth/logout', { body: { refreshToken }, auth: false }),
  me: () => request('GET', '/auth/me'),
  communities: () => request('GET', '/communities'),
  communityLive: (id, opts) => request('GET', `/communities/${encodeURIComponent(id)}/live`, opts),
  deviceLive: (id) => request('GET', `/devices/${encodeURIComponent(id)}/live`),
};
