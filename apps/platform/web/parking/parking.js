// The owner's parking page: login (shared/api.js), tabs for my slots and share windows, bookings,
// finding and booking a slot, and monthly earnings. Chinese first, English through shared/i18n.js.
import { t, getLang, setLang, onLangChange, applyStatic } from '../shared/i18n.js';
import { api, request, ApiError, getToken, setToken, tokenExpiry, onUnauthorized } from '../shared/api.js';
import { SlotsPanel } from './slots.js';
import { BookingsPanel } from './bookings.js';
import { BookPanel } from './book.js';
import { EarningsPanel } from './earnings.js';

const $ = (id) => document.getElementById(id);
const ui = {
  loginView: $('login-view'),
  loginForm: $('login-form'),
  loginUser: $('login-username'),
  loginPass: $('login-password'),
  loginError: $('login-error'),
  loginSubmit: $('login-submit'),
  appView: $('app-view'),
  user: $('user-name'),
  logout: $('logout'),
  notice: $('notice'),
};

/** slotId → code, from my slots and the community's slot list (booking rows only carry ids). */
const codes = new Map();
const slotCode = (id) => codes.get(id) || '';

let noticeTimer = 0;
function notify(text, tone = 'ok') {
  clearTimeout(noticeTimer);
  ui.notice.textContent = text;
  ui.notice.className = `pk-notice pk-notice--${tone}`;
  ui.notice.hidden = !text;
  if (tone === 'ok') noticeTimer = setTimeout(() => (ui.notice.hidden = true), 6000);
}

const slots = new SlotsPanel($('tab-slots'), { notify, onChange: () => refreshSlots() });
const bookings = new BookingsPanel($('tab-bookings'), { notify, slotCode, onChange: () => refreshSlots() });
const book = new BookPanel($('tab-book'), { notify, onBooked: () => bookings.load() });
const earnings = new EarningsPanel($('tab-earnings'), { slotCode });

function showTab(name) {
  ui.notice.hidden = true;
  for (const b of document.querySelectorAll('.pk-tab')) {
    const on = b.dataset.tab === name;
    b.classList.toggle('is-active', on);
    b.setAttribute('aria-selected', String(on));
  }
  for (const p of document.querySelectorAll('.pk-panel')) p.hidden = p.dataset.panel !== name;
  if (name === 'bookings') {
    bookings.load();
    refreshSlots();
  }
  if (name === 'earnings') earnings.load();
  const url = new URL(location.href);
  url.hash = name === 'slots' ? '' : name;
  history.replaceState(null, '', url);
}
for (const b of document.querySelectorAll('.pk-tab')) b.addEventListener('click', () => showTab(b.dataset.tab));

async function refreshSlots() {
  const mine = await slots.load();
  for (const s of mine || []) codes.set(s.id, s.code);
  bookings.setSlots(mine);
  return mine;
}

// ---------------------------------------------------------------- login

function showLogin(message) {
  ui.appView.hidden = true;
  ui.loginView.hidden = false;
  ui.loginError.textContent = message || '';
  ui.loginError.hidden = !message;
  ui.loginSubmit.disabled = false;
  ui.loginPass.value = '';
  (ui.loginUser.value ? ui.loginPass : ui.loginUser).focus();
}

ui.loginForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const username = ui.loginUser.value.trim();
  const password = ui.loginPass.value;
  if (!username || !password) {
    ui.loginError.textContent = t('login.failed');
    ui.loginError.hidden = false;
    return;
  }
  ui.loginSubmit.disabled = true;
  ui.loginSubmit.textContent = t('login.submitting');
  try {
    const res = await api.login(username, password);
    setToken(res.accessToken);
    await showApp();
  } catch (err) {
    ui.loginError.textContent = err instanceof ApiError ? (err.status === 0 ? t('login.network') : err.message || t('login.failed')) : t('login.failed');
    ui.loginError.hidden = false;
  } finally {
    ui.loginSubmit.disabled = false;
    ui.loginSubmit.textContent = t('login.submit');
  }
});

ui.logout.addEventListener('click', () => {
  setToken(null);
  showLogin();
});
onUnauthorized(() => showLogin(t('login.expired')));

async function showApp() {
  ui.loginView.hidden = true;
  ui.appView.hidden = false;
  api
    .me()
    .then((me) => (ui.user.textContent = me.displayName || me.username || ''))
    .catch(() => {});
  const [mine, communities] = await Promise.all([refreshSlots(), api.communities().catch(() => [])]);
  const list = Array.isArray(communities) ? communities : [];
  book.setCommunities(list, (mine || [])[0]?.communityId);
  // slot codes of the community, so bookings show "B1-023" rather than an id
  for (const c of list.slice(0, 5)) {
    request('GET', `/parking/slots?communityId=${encodeURIComponent(c.id)}`)
      .then((all) => {
        for (const s of all) codes.set(s.id, s.code);
        bookings.render();
      })
      .catch(() => {});
  }
  const wanted = location.hash.slice(1);
  showTab(['bookings', 'book', 'earnings'].includes(wanted) ? wanted : 'slots');
}

// ---------------------------------------------------------------- language

function renderLangButtons() {
  for (const b of document.querySelectorAll('.lang__btn')) {
    const active = b.dataset.lang === getLang();
    b.classList.toggle('is-active', active);
    b.setAttribute('aria-pressed', String(active));
  }
}
for (const b of document.querySelectorAll('.lang__btn')) b.addEventListener('click', () => setLang(b.dataset.lang));
onLangChange(() => {
  ui.notice.hidden = true;
  renderLangButtons();
  slots.render();
  bookings.render();
  book.render();
  earnings.render();
});

applyStatic(document);
renderLangButtons();
{
  const token = getToken();
  const exp = token ? tokenExpiry(token) : null;
  if (token && (exp == null || exp > Date.now())) showApp().catch((err) => notify(err.message, 'alarm'));
  else {
    setToken(null);
    showLogin(token ? t('login.expired') : '');
  }
}
