// Dashboard page controller: community choice, snapshot + live updates (sign-in, tokens and the
// language switch are the shared session's: ../shared/session.js).
import './strings.js';
import '../shared/device-strings.js';
import { t, getLang, onLangChange } from '../shared/i18n.js';
import { api, ApiError } from '../shared/api.js';
import { esc } from '../shared/escape.js';
import { startSession } from '../shared/session.js';
import { LiveStore, LiveConnection, loadSnapshot } from './live.js';
import { DeviceGrid, problemsOf } from './render/tiles.js';
import { AlarmPanel } from './alarms.js';
import { ParkingPanel } from './parking.js';

const $ = (id) => document.getElementById(id);

const ui = {
  appView: $('app-view'),
  select: $('community-select'),
  communityName: $('community-name'),
  communityPlace: $('community-place'),
  conn: $('conn'),
  connText: $('conn-text'),
  notice: $('notice'),
  state: $('state'),
  grid: $('grid'),
  user: $('user-name'),
  clock: $('clock'),
  counts: {
    total: $('count-total'),
    online: $('count-online'),
    offline: $('count-offline'),
    alarm: $('count-alarm'),
  },
};

const store = new LiveStore();
const grid = new DeviceGrid(ui.grid);
const alarmPanel = new AlarmPanel($('alarm-panel'));
const parkingPanel = new ParkingPanel($('parking-panel'));

const page = {
  communities: [],
  communityId: null,
  connection: null,
  connState: 'connecting',
  connDetail: '',
  loadAbort: null,
  view: null, // 'loading' | 'error' | 'empty' | 'grid' | 'nocommunity'
  viewDetail: '',
  resyncTimer: 0,
  lastResync: 0,
};

// ---------------------------------------------------------------- app shell

async function showApp() {
  setView('loading');
  api
    .me()
    .then((me) => {
      ui.user.textContent = me.displayName || me.username || '';
    })
    .catch(() => {});
  let communities;
  try {
    communities = await api.communities();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    setView('error', err.message);
    return;
  }
  page.communities = Array.isArray(communities) ? communities : [];
  if (!page.communities.length) {
    renderCommunitySelect();
    setView('nocommunity');
    return;
  }
  const wanted = new URLSearchParams(location.search).get('community');
  let chosen = page.communities.find((c) => c.id === wanted);
  if (wanted && !chosen) showNotice(t('community.notFound'), 'warn');
  if (!chosen) chosen = page.communities[0];
  renderCommunitySelect();
  selectCommunity(chosen.id, { replace: true });
}

function communityLabel(c) {
  const place = [c.district, c.street].filter(Boolean).join(' ');
  return place ? `${c.name} · ${place}` : c.name;
}

function renderCommunitySelect() {
  ui.select.innerHTML = page.communities
    .map((c) => `<option value="${esc(c.id)}">${esc(communityLabel(c))}</option>`)
    .join('');
  ui.select.disabled = page.communities.length < 2;
  if (page.communityId) ui.select.value = page.communityId;
}

ui.select.addEventListener('change', () => selectCommunity(ui.select.value, { replace: false }));

window.addEventListener('popstate', () => {
  const id = new URLSearchParams(location.search).get('community');
  if (id && id !== page.communityId && page.communities.some((c) => c.id === id)) selectCommunity(id, { history: false });
});

async function selectCommunity(id, { replace = false, history = true } = {}) {
  const c = page.communities.find((x) => x.id === id);
  if (!c) return;
  page.communityId = id;
  ui.select.value = id;
  if (history) {
    const url = new URL(location.href);
    url.searchParams.set('community', id);
    if (url.href !== location.href) window.history[replace ? 'replaceState' : 'pushState'](null, '', url);
  }
  ui.communityName.textContent = c.name;
  ui.communityPlace.textContent = [c.district, c.street, c.address].filter(Boolean).join(' · ');

  stopLive();
  store.reset([]);
  setView('loading');
  const abort = new AbortController();
  page.loadAbort = abort;
  try {
    await loadSnapshot(store, id, abort.signal);
  } catch (err) {
    if (abort.signal.aborted || (err instanceof ApiError && err.status === 401)) return;
    setView('error', err.message === 'network' ? t('login.network') : err.message);
    return;
  }
  if (page.communityId !== id) return;
  startLive(id);
  alarmPanel.show(id);
  parkingPanel.show(id);
}

function stopLive() {
  if (page.loadAbort) page.loadAbort.abort();
  page.loadAbort = null;
  if (page.connection) page.connection.stop();
  page.connection = null;
  alarmPanel.stop();
  parkingPanel.stop();
  clearTimeout(page.resyncTimer);
}

function startLive(communityId) {
  const conn = new LiveConnection({
    communityId,
    store,
    onConnState: (state, detail) => setConn(state, detail),
    onUnknownDevice: () => requestResync(),
    onResync: () => requestResync(true),
    onPlatformAlert: (alert) => {
      // The ingestion log cannot be written (disk full): devices are held back until it can; gone when it recovers.
      if (alert.kind === 'ingest_wal_unwritable') showNotice(t('platform.walUnwritable', { error: alert.error || '' }), 'alarm', 'platform');
      else if (alert.kind === 'ingest_wal_recovered') hideNotice('platform');
    },
  });
  page.connection = conn;
  conn.start();
}

/** Reload the snapshot (new device appeared, reconnect). Throttled to one request per 3 s. */
function requestResync(immediate = false) {
  if (page.resyncTimer) return;
  const wait = immediate ? 0 : Math.max(0, page.lastResync + 3000 - Date.now());
  page.resyncTimer = setTimeout(async () => {
    page.lastResync = Date.now();
    const id = page.communityId;
    try {
      await loadSnapshot(store, id);
    } catch {
      /* the connection indicator / 401 handler already tell the user */
    } finally {
      page.resyncTimer = 0;
    }
  }, wait);
}

// ---------------------------------------------------------------- connection indicator & notices

function setConn(state, detail = '') {
  page.connState = state;
  page.connDetail = detail;
  renderConn();
  // while disconnected the tiles may be out of date: dim them and stop the motion
  ui.grid.classList.toggle('is-stale', state !== 'live' && state !== 'connecting');
  if (state === 'live') hideNotice('conn');
  // A refused handshake (an ended session) is the shared session's to handle.
  if (state === 'error') showNotice(t('conn.error', { msg: detail }), 'alarm', 'conn');
}

function renderConn() {
  const s = page.connState;
  const map = {
    connecting: ['connecting', t('conn.connecting')],
    live: ['live', t('conn.live')],
    reconnecting: ['down', t('conn.reconnecting')],
    down: ['down', t('conn.down')],
    error: ['down', t('conn.reconnecting')],
  };
  const [cls, text] = map[s] || map.connecting;
  ui.conn.className = `conn conn--${cls}`;
  ui.connText.textContent = text;
  ui.conn.title = page.connDetail || '';
}

function showNotice(text, tone = 'warn', source = 'other') {
  ui.notice.textContent = text;
  ui.notice.className = `notice notice--${tone}`;
  ui.notice.dataset.source = source;
  ui.notice.hidden = false;
}

function hideNotice(source) {
  if (!source || ui.notice.dataset.source === source) ui.notice.hidden = true;
}

// ---------------------------------------------------------------- main area

function setView(view, detail = '') {
  page.view = view;
  page.viewDetail = detail;
  renderView();
}

function renderView() {
  const v = page.view;
  ui.grid.hidden = v !== 'grid';
  ui.state.hidden = v === 'grid';
  ui.state.className = `state state--${v}`;
  ui.state.removeAttribute('aria-busy');
  if (v === 'loading') {
    ui.state.setAttribute('aria-busy', 'true');
    ui.state.innerHTML = `<div class="spinner" aria-hidden="true"></div><p>${esc(t('loading'))}</p>`;
  } else if (v === 'error') {
    ui.state.innerHTML = `<h2>${esc(t('loadError', { msg: page.viewDetail }))}</h2>
      <button type="button" class="btn btn--primary" id="retry">${esc(t('retry'))}</button>`;
    ui.state.querySelector('#retry').addEventListener('click', () => showApp());
  } else if (v === 'nocommunity') {
    ui.communityName.textContent = '';
    ui.communityPlace.textContent = '';
    ui.state.innerHTML = `<h2>${esc(t('community.none.title'))}</h2><p>${esc(t('community.none.body'))}</p>`;
  } else if (v === 'empty') {
    const cid = page.communityId || '<communityId>';
    ui.state.innerHTML = `
      <div class="empty__icon" aria-hidden="true"></div>
      <h2>${esc(t('empty.title'))}</h2>
      <p>${esc(t('empty.body'))}</p>
      <div class="empty__cmds">
        <div class="cmd"><div class="cmd__label">${esc(t('empty.cli'))}</div>
          <code>npm run cli -- device add --community ${esc(cid)} --kind elevator --name "1号楼 1号梯"</code></div>
        <div class="cmd"><div class="cmd__label">${esc(t('empty.sim'))}</div>
          <code>npm run sim -- demo</code></div>
      </div>
      <p class="empty__after">${esc(t('empty.after'))}</p>`;
  }
}

function renderCounts() {
  const all = store.all();
  let online = 0;
  let alarm = 0;
  for (const d of all) {
    if (d.online) online++;
    if (d.online && problemsOf(d).length) alarm++;
  }
  ui.counts.total.textContent = String(all.length);
  ui.counts.online.textContent = String(online);
  ui.counts.offline.textContent = String(all.length - online);
  ui.counts.alarm.textContent = String(alarm);
  ui.counts.alarm.parentElement.classList.toggle('is-active', alarm > 0);
  ui.counts.offline.parentElement.classList.toggle('is-active', all.length - online > 0);
}

store.onFlush(({ ids, structure }) => {
  if (page.view === 'loading' || page.view === 'empty' || page.view === 'grid') {
    const all = store.all();
    if (structure) {
      // while loading, a reset([]) must not flash the empty state
      if (page.view === 'loading' && page.loadAbort && !page.loadAbort.signal.aborted && !all.length && !page.connection) {
        renderCounts();
        return;
      }
      if (all.length) {
        grid.rebuild(all);
        if (page.view !== 'grid') setView('grid');
      } else {
        grid.rebuild([]);
        setView('empty');
      }
    } else {
      for (const id of ids) {
        const d = store.get(id);
        if (d) grid.updateTile(d);
      }
      grid.updateSectionHeads(all);
    }
  }
  renderCounts();
});

// ---------------------------------------------------------------- clock, language

function tick() {
  const now = new Date();
  ui.clock.textContent = now.toLocaleTimeString(getLang() === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false });
  grid.tickAgo(now.getTime());
}
setInterval(tick, 1000);

onLangChange(() => {
  renderConn();
  if (page.view !== 'grid') renderView();
  grid.updateAll(store.all());
  alarmPanel.render();
  parkingPanel.render();
  tick();
});

// ---------------------------------------------------------------- start

renderConn();
tick();
startSession({
  onLogin: showApp,
  onLogout: () => {
    stopLive();
    ui.user.textContent = '';
  },
});
