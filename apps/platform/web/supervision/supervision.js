// Supervision page (street / district officers): every community of the user's area with live
// counts. Snapshot from GET /api/v1/supervision/overview, then 'supervision.community' events
// over socket.io (after 'supervision.subscribe'); a reconnect reloads the snapshot. The committees'
// overdue board sections (GET /api/v1/board/committee-staleness) come with each snapshot.
import './strings.js';
import { t, getLang, onLangChange } from '../shared/i18n.js';
import { api, request, ApiError } from '../shared/api.js';
import { esc } from '../shared/escape.js';
import { closeSocket, openSocket, startSession } from '../shared/session.js';
import { loadDecisions, renderDecisions } from './decisions.js';

const $ = (id) => document.getElementById(id);
const SEVERITIES = ['1', '2', '3', '4', '5'];
const SOON_MS = 24 * 3600 * 1000;

const state = { rows: new Map(), sort: { key: 'alarms', dir: -1 }, socket: null, connState: 'connecting' };


function sortValue(r, key) {
  switch (key) {
    case 'name': return r.name;
    case 'street': return `${r.district} ${r.street}`;
    case 'alarms': return SEVERITIES.reduce((acc, s) => acc * 1000 + (r.alarms.bySeverity[s] ?? 0), 0);
    case 'offline': return r.devices.offline;
    case 'fund': return r.fundCases.open;
    case 'deadline': return r.fundCases.nextDeadline ? -Date.parse(r.fundCases.nextDeadline) : -Infinity;
    case 'complaints': return r.complaints.overdue * 1e6 + r.complaints.open;
    case 'committee': return r.committeeStale.length;
  }
  return 0;
}

function fmtDeadline(iso) {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-GB', { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

function rowHtml(r) {
  const sev = SEVERITIES.map((s) => {
    const n = r.alarms.bySeverity[s] ?? 0;
    return `<span class="sup-sev sup-sev--${s}" data-sev="${s}" data-n="${n}" title="${esc(t(`sup.sev.${s}`))}">${n}</span>`;
  }).join('');
  const soon = r.fundCases.nextDeadline && Date.parse(r.fundCases.nextDeadline) - Date.now() < SOON_MS;
  return `<tr data-community-id="${esc(r.id)}">
    <td><a href="/dashboard/?community=${encodeURIComponent(r.id)}" data-field="name">${esc(r.name)}</a></td>
    <td class="sup-area">${esc(r.street)} · ${esc(r.district)}</td>
    <td><span data-field="alarms" hidden>${r.alarms.total}</span>${sev}</td>
    <td><span class="sup-num ${r.devices.offline > 0 ? 'sup-num--bad' : ''}" data-field="offline">${r.devices.offline}</span><span class="sup-area"> / ${r.devices.total}</span></td>
    <td><span class="sup-num ${r.fundCases.open > 0 ? 'sup-num--bad' : ''}" data-field="fund">${r.fundCases.open}</span></td>
    <td><span class="${soon ? 'sup-deadline--soon' : ''}" data-field="deadline">${esc(fmtDeadline(r.fundCases.nextDeadline))}</span></td>
    <td><span class="sup-num" data-field="complaints">${r.complaints.open}</span><span class="sup-area"> / </span><span class="sup-num ${r.complaints.overdue > 0 ? 'sup-num--bad' : ''}" data-field="complaints-overdue">${r.complaints.overdue}</span></td>
    <td><span class="sup-num ${r.committeeStale.length > 0 ? 'sup-num--bad' : ''}" data-field="committee" title="${esc(r.committeeStale.map((s) => t(`sup.committee.${s}`)).join('、'))}">${r.committeeStale.length}</span></td>
  </tr>`;
}

function render(flashId) {
  const rows = [...state.rows.values()];
  const { key, dir } = state.sort;
  rows.sort((a, b) => {
    const va = sortValue(a, key), vb = sortValue(b, key);
    const c = typeof va === 'string' ? va.localeCompare(vb, 'zh-CN') : va - vb;
    return c * dir || a.name.localeCompare(b.name, 'zh-CN');
  });
  $('rows').innerHTML = rows.map(rowHtml).join('');
  $('empty').hidden = rows.length > 0;
  $('table').hidden = rows.length === 0;
  for (const b of document.querySelectorAll('th button[data-sort]')) {
    if (b.dataset.sort === key) b.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');
    else b.removeAttribute('aria-sort');
  }
  const alarms = rows.reduce((a, r) => a + r.alarms.total, 0);
  const offline = rows.reduce((a, r) => a + r.devices.offline, 0);
  const fund = rows.reduce((a, r) => a + r.fundCases.open, 0);
  $('summary').textContent = t('sup.summary', { n: rows.length, alarms, offline, fund });
  if (flashId) document.querySelector(`tr[data-community-id="${CSS.escape(flashId)}"]`)?.classList.add('sup-flash');
}

function setConn(s) {
  state.connState = s;
  $('conn').dataset.state = s;
  $('conn').textContent = t(`sup.conn.${s}`);
}

async function loadSnapshot() {
  const [rows, committees] = await Promise.all([request('GET', '/supervision/overview'), request('GET', '/board/committee-staleness')]);
  const stale = new Map(committees.map((c) => [c.communityId, c.stale]));
  state.rows = new Map(rows.map((r) => [r.id, { ...r, committeeStale: stale.get(r.id) ?? [] }]));
  render();
}

function connect() {
  closeSocket(state.socket);
  setConn('connecting');
  const socket = openSocket({}, { transports: ['websocket'], reconnectionDelay: 1000, reconnectionDelayMax: 10000 });
  state.socket = socket;
  socket.on('connect', () => {
    socket.emit('supervision.subscribe', {}, async () => {
      setConn('live');
      try {
        await loadSnapshot(); // closes the gap between the first snapshot and the subscription
      } catch { /* the next event or reconnect catches up */ }
    });
  });
  socket.on('disconnect', () => setConn('down'));
  socket.on('connect_error', () => setConn('down'));
  socket.on('supervision.community', (e) => {
    const row = state.rows.get(e.communityId);
    if (!row) return;
    Object.assign(row, { alarms: e.alarms, devices: e.devices, fundCases: e.fundCases, complaints: e.complaints });
    render(e.communityId);
  });
}

async function showApp() {
  const me = api.me().catch(() => null);
  void me.then((m) => m && ($('user-name').textContent = m.displayName || m.username || ''));
  try {
    await loadSnapshot();
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) $('summary').textContent = err.message;
  }
  connect();
  try {
    await loadDecisions([...state.rows.values()].map((r) => ({ id: r.id, name: r.name })), (await me)?.role);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) $('decisions-summary').textContent = t('loadError', { msg: err.message });
  }
}

for (const b of document.querySelectorAll('th button[data-sort]')) {
  b.addEventListener('click', () => {
    const key = b.dataset.sort;
    state.sort = state.sort.key === key ? { key, dir: -state.sort.dir } : { key, dir: key === 'name' || key === 'street' ? 1 : -1 };
    render();
  });
}
onLangChange(() => {
  setConn(state.connState);
  render();
  renderDecisions();
});

startSession({
  onLogin: showApp,
  onLogout: () => {
    closeSocket(state.socket);
    state.socket = null;
  },
});
