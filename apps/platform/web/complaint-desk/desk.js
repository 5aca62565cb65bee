// The complaint desk (接诉即办) for the property company and the supervising levels (residents'
// committee, street, district), phone first: the open complaints and repair requests of my scope
// (the server decides which), most urgent first, each with a live countdown to its deadline and
// overdue ones flagged; the item's steps, and what the state machine lets me do now
// (availableActions: accept and answer, resolve, keep on the street's ledger), link it to an alarm
// of its community, or turn it into an emergency repair (green channel). Live over socket.io
// (complaint.changed). Sign-in: ../shared/session.js. Chinese first, English through shared/i18n.js.
import '../shared/device-strings.js';
import '../complaints/strings.js';
import './strings.js';
import { has, onLangChange, t } from '../shared/i18n.js';
import { api, ApiError, request } from '../shared/api.js';
import { esc } from '../shared/escape.js';
import { noticeLine } from '../shared/notice.js';
import { closeSocket, openSocket, startSession } from '../shared/session.js';

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;
const ui = { queue: $('queue'), empty: $('empty'), queueView: $('queue-view'), detail: $('detail'), conn: $('conn'), counts: $('counts') };
const notify = noticeLine($('notice'), 'cd-notice');
const fail = (err) => notify(err instanceof ApiError ? err.message : String(err), 'alarm');
const fundCategories = ['roof_wall_leak', 'facade_falling', 'secondary_water_pump', 'drainage', 'elevator', 'fire_facility'];
const MIN = 60_000;

/** Items of my scope by id: open ones and those resolved awaiting the filer's rating. */
const items = new Map();
const communities = new Map();
let filter = 'open';
let socket = null;
/** The item shown in the detail view (its detail, with the community's alarms), or null on the queue. */
let open = null;
let reloadTimer = 0;

const label = (key, fallback) => (has(key) ? t(key) : fallback);
const when = (iso) => new Date(iso).toLocaleString(document.documentElement.lang || 'zh-CN', { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });

/** "2 d 3 h", "3 h 12 min", "40 min": the time between now and a deadline, either side. */
function span(ms) {
  const m = Math.floor(Math.abs(ms) / MIN);
  if (m >= 24 * 60) return t('cd.days', { d: Math.floor(m / 1440), h: Math.floor((m % 1440) / 60) });
  if (m >= 60) return t('cd.hours', { h: Math.floor(m / 60), m: m % 60 });
  return t('cd.minutes', { m });
}

function countdown(c) {
  if (c.state !== 'open') return '';
  const left = Date.parse(c.deadline) - Date.now();
  const overdue = left <= 0;
  return `<span class="cd-countdown${overdue ? ' cd-countdown--overdue' : ''}" data-field="countdown">${esc(t(overdue ? 'cd.overdueBy' : 'cd.left', { time: span(left) }))}</span>
    <span class="cd-muted">${esc(t('cd.due', { at: when(c.deadline) }))}</span>`;
}

const isOverdue = (c) => c.state === 'open' && Date.parse(c.deadline) <= Date.now();

function tags(c) {
  return `<div class="cd-tags">
    <span class="badge badge--info" data-field="state">${esc(t(`cmp.state.${c.state}`))}</span>
    <span class="badge" data-field="level">${esc(t(`cmp.level.${c.level}`))}</span>
    ${c.onLedger ? `<span class="badge badge--caution">${esc(t('cmp.ledger'))}</span>` : ''}
    ${isOverdue(c) ? `<span class="badge badge--alarm" data-field="overdue">${esc(t('cmp.overdue'))}</span>` : ''}
    ${c.fundCaseId ? `<span class="badge badge--caution" data-field="fund">${esc(t('cd.tag.fund'))}</span>` : ''}
  </div>`;
}

function card(c) {
  return `<li class="cd-card${isOverdue(c) ? ' cd-card--overdue' : c.state !== 'open' ? ' cd-card--done' : ''}" data-id="${esc(c.id)}" tabindex="0" role="button">
    <div class="cd-card__head"><strong>${esc(t(`cmp.kind.${c.kind}`))} · ${esc(t(`cmp.cat.${c.category}`))}</strong><time class="cd-muted">${esc(when(c.filedAt))}</time></div>
    <div class="cd-muted">${esc(communities.get(c.communityId) || '')} · ${esc(c.location)}</div>
    <div>${esc(c.text.slice(0, 80))}</div>
    ${tags(c)}
    <div>${countdown(c)}</div>
  </li>`;
}

function renderQueue() {
  const all = [...items.values()];
  const shown = all
    .filter((c) => (filter === 'resolved' ? c.state === 'resolved' : c.state === 'open' && (filter !== 'overdue' || isOverdue(c))))
    .sort((a, b) => Date.parse(a.deadline) - Date.parse(b.deadline));
  ui.empty.hidden = shown.length > 0;
  ui.queue.innerHTML = shown.map(card).join('');
  const openItems = all.filter((c) => c.state === 'open');
  ui.counts.textContent = t('cd.counts', { open: openItems.length, overdue: openItems.filter(isOverdue).length });
  for (const b of document.querySelectorAll('[data-filter]')) b.classList.toggle('is-active', b.dataset.filter === filter);
}

async function load() {
  const [openList, resolved] = await Promise.all([request('GET', '/complaints?state=open&limit=500'), request('GET', '/complaints?state=resolved&limit=200')]);
  items.clear();
  for (const c of [...openList, ...resolved]) items.set(c.id, c);
  renderQueue();
}

/** Several changes in a row (a burst of escalations) reload the queue once. */
function reloadSoon() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => load().catch(fail), 200);
}

// ---------------------------------------------------------------- detail

async function showDetail(id) {
  const c = await request('GET', `/complaints/${enc(id)}`);
  const alarms = c.availableActions.includes('link_alarm') ? await request('GET', `/alarms?communityId=${enc(c.communityId)}&limit=50`).catch(() => []) : [];
  open = { c, alarms };
  items.set(c.id, c);
  renderDetail();
  ui.queueView.hidden = true;
  ui.detail.hidden = false;
}

function closeDetail() {
  open = null;
  ui.detail.hidden = true;
  ui.queueView.hidden = false;
  renderQueue();
}

function step(e) {
  return `<li data-action="${esc(e.action)}"><time class="cd-muted">${esc(when(e.at))}</time> ${esc(label(`cmp.h.${e.action}`, e.action))} · ${esc(t(`cmp.level.${e.level}`))}${e.note ? ` — ${esc(e.note)}` : ''}</li>`;
}

function alarmName(a) {
  return `${label(`alarm.type.${a.type}`, a.type)} · ${a.deviceId} · ${when(a.lastAt || a.firstAt)}`;
}

function actions(c, alarms) {
  const can = (a) => c.availableActions.includes(a);
  const answer = ['respond', 'resolve', 'ledger'].filter(can);
  const parts = [];
  if (answer.length) {
    parts.push(`<div class="cd-row"><label class="field"><span>${esc(t('cd.note'))}</span><textarea id="note" rows="3" maxlength="2000"></textarea></label></div>
      <div class="cd-row">${answer.map((a) => `<button type="button" class="btn ${a === 'resolve' ? 'btn--primary' : ''} cd-wide" data-do="${a}">${esc(t(`cd.act.${a}`))}</button>`).join('')}</div>`);
  } else if (c.state === 'open') {
    parts.push(`<p class="cd-muted" data-field="readonly">${esc(t('cd.act.readOnly'))}</p>`);
  }
  if (can('link_alarm')) {
    const choices = alarms.filter((a) => a.alarmId !== c.alarmId);
    parts.push(
      choices.length
        ? `<div class="cd-row"><label class="field"><span>${esc(t('cd.act.linkChoose'))}</span>
            <select id="alarm" class="select">${choices.map((a) => `<option value="${esc(a.alarmId)}">${esc(alarmName(a))}</option>`).join('')}</select></label>
            <button type="button" class="btn" data-do="link">${esc(t('cd.act.link'))}</button></div>`
        : `<p class="cd-muted">${esc(t('cd.act.linkNone'))}</p>`,
    );
  }
  if (can('fund_case')) {
    parts.push(`<div class="cd-row"><label class="field"><span>${esc(t('cd.act.fundCategory'))}</span>
      <select id="fund-category" class="select">${fundCategories.map((f) => `<option value="${f}">${esc(t(`cd.fundCat.${f}`))}</option>`).join('')}</select></label>
      <button type="button" class="btn" data-do="fund">${esc(t('cd.act.fund'))}</button></div>`);
  }
  return parts.length ? `<div class="cd-actions">${parts.join('')}</div>` : '';
}

function renderDetail() {
  if (!open) return;
  const { c, alarms } = open;
  const linked = c.alarmId ? alarms.find((a) => a.alarmId === c.alarmId) : null;
  ui.detail.innerHTML = `
    <button type="button" class="btn btn--ghost btn--sm" data-do="back">← ${esc(t('cd.back'))}</button>
    <article class="cd-card${isOverdue(c) ? ' cd-card--overdue' : ''}" data-id="${esc(c.id)}" data-state="${esc(c.state)}">
      <div class="cd-card__head"><strong>${esc(t(`cmp.kind.${c.kind}`))} · ${esc(t(`cmp.cat.${c.category}`))}</strong><time class="cd-muted">${esc(when(c.filedAt))}</time></div>
      <div class="cd-muted">${esc(communities.get(c.communityId) || '')} · ${esc(c.location)}</div>
      <div data-field="text">${esc(c.text)}</div>
      ${tags(c)}
      <div>${countdown(c)}</div>
      ${c.contact ? `<div class="cd-muted">${esc(t('cd.contact', { v: '' }))}<a class="cd-tel" href="tel:${esc(c.contact)}">${esc(c.contact)}</a></div>` : ''}
      ${c.photos.length ? `<div class="cd-muted">${esc(t('cd.photos', { n: c.photos.length }))}</div>` : ''}
      ${c.alarmId ? `<div class="cd-muted" data-field="alarm">${esc(t('cd.alarm', { v: linked ? alarmName(linked) : c.alarmId }))}</div>` : ''}
      ${c.fundCaseId ? `<div class="cd-muted">${esc(t('cd.fundCase'))} · <a href="../fund/" data-field="fund-link">${esc(t('cd.fundCase.open'))}</a></div>` : ''}
      ${c.satisfaction ? `<div data-field="satisfaction">${esc(t('cmp.rated', { n: c.satisfaction }))}</div>` : ''}
    </article>
    ${actions(c, alarms)}
    <h3 class="cd-h">${esc(t('cmp.history'))}</h3>
    <ul id="history" class="cd-history">${c.timeline.map(step).join('')}</ul>`;
}

async function act(what, button) {
  const id = open.c.id;
  let call;
  if (['respond', 'resolve', 'ledger'].includes(what)) {
    const note = $('note').value.trim();
    if (!note) {
      notify(t('cd.noteNeeded'), 'alarm');
      return $('note').focus();
    }
    call = () => request('POST', `/complaints/${enc(id)}/actions`, { body: { action: what, note } });
  } else if (what === 'link') {
    call = () => request('POST', `/complaints/${enc(id)}/alarm`, { body: { alarmId: $('alarm').value } });
  } else if (what === 'fund') {
    call = () => request('POST', `/complaints/${enc(id)}/fund-case`, { body: { category: $('fund-category').value } });
  } else return;
  button.disabled = true;
  try {
    await call();
    notify(t(`cd.done.${what}`));
    await showDetail(id);
    reloadSoon();
  } catch (err) {
    button.disabled = false;
    fail(err);
  }
}

ui.queue.addEventListener('click', (e) => {
  const c = e.target.closest('[data-id]');
  if (c) showDetail(c.dataset.id).catch(fail);
});
ui.queue.addEventListener('keydown', (e) => {
  const c = e.target.closest('[data-id]');
  if (c && e.key === 'Enter') showDetail(c.dataset.id).catch(fail);
});
ui.detail.addEventListener('click', (e) => {
  const button = e.target.closest('button[data-do]');
  if (!button) return;
  if (button.dataset.do === 'back') closeDetail();
  else void act(button.dataset.do, button);
});
for (const b of document.querySelectorAll('[data-filter]')) {
  b.addEventListener('click', () => {
    filter = b.dataset.filter;
    renderQueue();
  });
}

// The countdowns move on their own: once a minute is enough for hours-long deadlines.
setInterval(() => {
  if (open) {
    const cd = ui.detail.querySelector('[data-field="countdown"]');
    if (cd) cd.parentElement.innerHTML = countdown(open.c);
  } else renderQueue();
}, 30_000);

function setConn(state) {
  ui.conn.dataset.state = state;
  ui.conn.textContent = t(`cd.conn.${state}`);
}

function connect() {
  closeSocket(socket);
  setConn('connecting');
  socket = openSocket();
  socket.on('connect', () => setConn('live'));
  socket.on('disconnect', () => setConn('down'));
  socket.on('complaint.changed', (e) => {
    if (e.action === 'escalated') notify(t('cd.live.escalated', { level: t(`cmp.level.${e.level}`) }), 'alarm');
    const known = items.get(e.complaintId);
    if (known) items.set(e.complaintId, { ...known, state: e.state, level: e.level, deadline: e.deadline, alarmId: e.alarmId, fundCaseId: e.fundCaseId });
    renderQueue();
    reloadSoon();
    if (open && open.c.id === e.complaintId) showDetail(e.complaintId).catch(fail);
    if (e.action === 'filed') request('GET', `/complaints/${enc(e.complaintId)}`).then((c) => notify(t('cd.live.new', { cat: t(`cmp.cat.${c.category}`) }), 'alarm')).catch(() => undefined);
  });
}

onLangChange(() => {
  setConn(ui.conn.dataset.state);
  renderQueue();
  renderDetail();
});

startSession({
  onLogin: async () => {
    const me = await api.me();
    $('user-name').textContent = me.displayName || me.username || '';
    for (const c of await api.communities()) communities.set(c.id, c.name);
    connect();
    await load().catch(fail);
  },
  onLogout: () => {
    closeSocket(socket);
    socket = null;
    items.clear();
    closeDetail();
  },
});
