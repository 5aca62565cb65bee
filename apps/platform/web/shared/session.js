// One session for every page: the login form, the tokens, their renewal before the access token
// runs out, 401 handling, socket.io connections that follow the token, the language switch and
// logout. A page calls startSession({ onLogin, onLogout }) and opens its sockets with
// openSocket(); nothing else about signing in lives in the pages.
//
// The tokens are kept in localStorage, shared by the tabs of the browser: one tab renews them
// (under a Web Lock where the browser has the API) and the others take the new ones, since a
// refresh token works once. Signing out in one tab signs out all of them.
import { api, ApiError, configureAuth } from './api.js';
import { esc } from './escape.js';
import { applyStatic, t } from './i18n.js';
import { langSwitch, watchLanguage } from './shell.js';

const KEY = 'spp.session';
/** Renew this long before the access token expires (at most a third of its lifetime). */
const RENEW_AHEAD_MS = 60_000;
const RETRY_MS = 5_000;

let current = null;
let hooks = { onLogin: async () => {}, onLogout: () => {} };
let renewTimer = 0;
let renewing = null;
const sockets = new Set();
const $ = (id) => document.getElementById(id);

function read() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || 'null');
  } catch {
    return null;
  }
}

function write(session) {
  try {
    if (session) localStorage.setItem(KEY, JSON.stringify(session));
    else localStorage.removeItem(KEY);
  } catch {
    /* storage disabled: the session lives as long as the page */
  }
}

function fromTokens(res, username) {
  const now = Date.now();
  return { username, accessToken: res.accessToken, refreshToken: res.refreshToken, expiresAt: now + res.expiresIn * 1000, lifetimeMs: res.expiresIn * 1000 };
}

/** The access token for REST calls and socket handshakes (null when signed out). */
export function accessToken() {
  return current ? current.accessToken : null;
}

function adopt(session, { store = true } = {}) {
  current = session;
  if (store) write(session);
  schedule();
  for (const socket of sockets) if (socket.connected) socket.emit('auth.renew', { token: session.accessToken });
}

function schedule() {
  clearTimeout(renewTimer);
  if (!current) return;
  const ahead = Math.min(RENEW_AHEAD_MS, current.lifetimeMs / 3);
  renewTimer = setTimeout(async () => {
    const result = await renew(true);
    if (result === 'network') renewTimer = setTimeout(schedule, RETRY_MS);
    else if (result === false) end(t('login.expired'));
  }, Math.max(0, current.expiresAt - ahead - Date.now()));
}

/**
 * Fresh tokens: true when there are some (renewed here or by another tab), false when the
 * session has ended, 'network' when the server could not be asked. One renewal at a time.
 */
function renew(force = false) {
  renewing ??= (async () => {
    try {
      const run = () => renewNow(force);
      return navigator.locks ? await navigator.locks.request('spp.session.renew', run) : await run();
    } finally {
      renewing = null;
    }
  })();
  return renewing;
}

async function renewNow(force) {
  const latest = read();
  if (!latest || !current || latest.username !== current.username) return false;
  // Another tab renewed meanwhile (or nothing is due yet): take what is stored.
  if (latest.refreshToken !== current.refreshToken || (!force && latest.expiresAt - Date.now() > RENEW_AHEAD_MS)) {
    adopt(latest);
    return true;
  }
  try {
    adopt(fromTokens(await api.refresh(latest.refreshToken), latest.username));
    return true;
  } catch (err) {
    const after = read();
    if (after && after.refreshToken !== latest.refreshToken && after.username === latest.username) {
      adopt(after);
      return true;
    }
    return err instanceof ApiError && err.status === 0 ? 'network' : false;
  }
}

/** Signs out locally: tokens forgotten, sockets closed, the login form shown with `message`. */
function end(message = '') {
  clearTimeout(renewTimer);
  const had = current;
  current = null;
  write(null);
  for (const socket of [...sockets]) closeSocket(socket);
  if (had) hooks.onLogout();
  showLogin(message);
}

export async function logout() {
  const refreshToken = current && current.refreshToken;
  end('');
  if (refreshToken) await api.logout(refreshToken).catch(() => {});
}

// ---------------------------------------------------------------- socket.io

/**
 * A socket.io connection that follows the session: each (re)connection presents the current
 * token, a renewed token is handed over ('auth.renew'), and when the server closes the
 * connection (its token ran out, or the user was changed or disabled) the session is renewed and
 * the connection reopened, or the session ends.
 */
export function openSocket(auth = {}, options = {}) {
  const socket = window.io({ transports: ['websocket', 'polling'], ...options, auth: (cb) => cb({ ...auth, token: accessToken() }) });
  sockets.add(socket);
  const recover = async () => {
    const result = await renew(true);
    if (!sockets.has(socket)) return;
    if (result === true) socket.connect();
    else if (result === 'network') setTimeout(() => sockets.has(socket) && !socket.connected && recover(), RETRY_MS);
    else end(t('login.expired'));
  };
  socket.on('disconnect', (reason) => {
    if (reason === 'io server disconnect') void recover();
  });
  socket.on('connect_error', () => {
    // A refused handshake is not retried by socket.io itself (socket.active is false).
    if (!socket.active) void recover();
  });
  return socket;
}

/** A socket in one community's room, joined again after every reconnect; null without socket.io. */
export function openCommunitySocket(communityId) {
  if (typeof window.io !== 'function') return null;
  const socket = openSocket();
  socket.on('connect', () => socket.emit('subscribe', { communityId }));
  return socket;
}

export function closeSocket(socket) {
  if (!socket) return;
  sockets.delete(socket);
  socket.removeAllListeners();
  socket.disconnect();
}

// ---------------------------------------------------------------- login form, language, logout

function loginMarkup(subtitleKey) {
  return `<form id="login-form" class="login__card" novalidate>
    <div class="login__brand">
      <span class="logo" aria-hidden="true"></span>
      <div>
        <h1 class="login__title" data-i18n="app.brand">${esc(t('app.brand'))}</h1>
        <p class="login__subtitle" data-i18n="${esc(subtitleKey)}">${esc(t(subtitleKey))}</p>
      </div>
    </div>
    <label class="field"><span data-i18n="login.username">${esc(t('login.username'))}</span>
      <input id="login-username" name="username" autocomplete="username" required /></label>
    <label class="field"><span data-i18n="login.password">${esc(t('login.password'))}</span>
      <input id="login-password" name="password" type="password" autocomplete="current-password" required /></label>
    <p id="login-error" class="login__error" role="alert" aria-live="assertive" hidden></p>
    <button id="login-submit" class="btn btn--primary" type="submit" data-i18n="login.submit">${esc(t('login.submit'))}</button>
    <div class="login__foot">${langSwitch()}</div>
  </form>`;
}

function setLoginError(message) {
  $('login-error').textContent = message;
  $('login-error').hidden = !message;
}

function showLogin(message) {
  $('app-view').hidden = true;
  $('login-view').hidden = false;
  setLoginError(message || '');
  const submit = $('login-submit');
  submit.disabled = false;
  submit.textContent = t('login.submit');
  $('login-password').value = '';
  ($('login-username').value ? $('login-password') : $('login-username')).focus();
}

function loginFailure(err) {
  if (!(err instanceof ApiError)) return t('login.failed');
  if (err.status === 0) return t('login.network');
  if (err.status === 429) return t('login.throttled', { s: (err.body && err.body.retryAfterS) || 60 });
  if (err.status === 503) return t('login.busy');
  return err.message || t('login.failed');
}

async function submitLogin(event) {
  event.preventDefault();
  const username = $('login-username').value.trim();
  const password = $('login-password').value;
  if (!username || !password) return setLoginError(t('login.failed'));
  const submit = $('login-submit');
  submit.disabled = true;
  submit.textContent = t('login.submitting');
  setLoginError('');
  try {
    adopt(fromTokens(await api.login(username, password), username));
    await enter();
  } catch (err) {
    setLoginError(loginFailure(err));
    $('login-password').select();
  } finally {
    submit.disabled = false;
    submit.textContent = t('login.submit');
  }
}

async function enter() {
  $('login-view').hidden = true;
  $('app-view').hidden = false;
  // The top bar's account name until the page knows the display name (pages that fetch it overwrite it).
  const name = $('user-name');
  if (name && current) name.textContent = current.username;
  await hooks.onLogin();
}

/**
 * Starts the page: renders the login form into #login-view (its data-subtitle names the page),
 * wires the language buttons and #logout, then either resumes the stored session (onLogin) or
 * shows the form. onLogout runs when the session ends, before the form is shown.
 */
export function startSession({ onLogin, onLogout = () => {} }) {
  hooks = { onLogin, onLogout };
  const view = $('login-view');
  view.innerHTML = loginMarkup(view.dataset.subtitle || 'login.subtitle');
  $('login-form').addEventListener('submit', submitLogin);
  watchLanguage();
  const logoutButton = $('logout');
  if (logoutButton) logoutButton.addEventListener('click', () => void logout());
  configureAuth({
    token: accessToken,
    onUnauthorized: async () => {
      if (!current) return false;
      const result = await renew(true);
      if (result === true) return true;
      if (result === false) end(t('login.expired'));
      return false;
    },
  });
  // Another tab signed in, renewed or signed out.
  window.addEventListener('storage', (e) => {
    if (e.key !== KEY) return;
    const stored = read();
    if (!stored) {
      if (current) end(t('login.signedOutElsewhere'));
    } else if (current && stored.username !== current.username) {
      location.reload();
    } else if (current) {
      adopt(stored, { store: false });
    }
  });
  try {
    sessionStorage.removeItem('spp.accessToken'); // the single-token session of earlier versions
  } catch {
    /* ignore */
  }
  applyStatic(document);
  const stored = read();
  if (stored && stored.refreshToken) {
    current = stored;
    const start = stored.expiresAt - Date.now() > 5_000 ? Promise.resolve(true) : renew(true);
    void start.then((result) => {
      if (result === false) end(t('login.expired'));
      else {
        schedule();
        void enter();
      }
    });
  } else {
    write(null);
    showLogin('');
  }
}
