// The duty desk (phone first): the active alarms of the communities in my scope, live over
// socket.io, each with its escalation tier and who has been told; acknowledge, assign to a
// colleague, "arrived on site", comment (with a photo) and clear with a cause, through the alarms
// REST API. Severity 1 rings (Web Audio, after the sound button was pressed once) and vibrates.
// The maintenance tab (maintenance.js) shows the plans and records visits and certificates.
import '../shared/device-strings.js';
import './strings.js';
import { has, onLangChange, t } from '../shared/i18n.js';
import { api, request } from '../shared/api.js';
import { esc } from '../shared/escape.js';
import { noticeLine } from '../shared/notice.js';
import { closeSocket, openSocket, startSession } from '../shared/session.js';
import { beep } from '../dashboard/alarms.js';
import { createMaintenance, fileLink, loadThumbs, openFile } from './maintenance.js';

const $ = (id) => document.getElementById(id);
const ui = { inbox: $('inbox'), empty: $('empty'), list: $('inbox-view'), detail: $('detail'), notice: $('notice'), conn: $('conn'), user: $('user-name'), sound: $('sound'), tabs: document.querySelectorAll('.dd-tab') };

const alarms = new Map();
const communities = new Map();
/** Device names by id, for the inbox (an alarm names its device by id only). */
const deviceNames = new Map();
let tab = 'alarms';
let me = null;
let socket = null;
let sound = false;
/** The alarm shown in the detail view, with its history and people, or null on the list. */
let open = null;

const tierLabel = (name) => (has(`duty.tierName.${name}`) ? t(`duty.tierName.${name}`) : name);
const typeLabel = (type) => (has(`alarm.type.${type}`) ? t(`alarm.type.${type}`) : type);
const when = (ts) => new Date(ts).toLocaleString(undefined, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
const enc = encodeURIComponent;

const notify = noticeLine(ui.notice, 'dd-notice');
const maintenance = createMaintenance({ notify: (text, tone) => notify(text, tone), me: () => me || {}, communities: () => communities });
const deviceLabel = (id) => deviceNames.get(id) || id;
/** Alarms the maintenance records clear (a visit, a certificate): the desk leads to the device's maintenance form. */
const MAINTENANCE_TYPES = new Set(['maintenance_overdue', 'certificate_expiring', 'certificate_expired', 'certificate_missing']);
const ACCEPT = 'image/jpeg,image/png,image/webp,application/pdf';

let namesLoading = null;
/** (Re)loads the names of the devices in scope; a device added since is looked up again when an alarm names it. */
function loadDeviceNames() {
  namesLoading ??= request('GET', '/devices')
    .then((list) => {
      for (const d of list) deviceNames.set(d.id, d.name);
    })
    .catch(() => undefined)
    .finally(() => (namesLoading = null));
  return namesLoading;
}

function ring(a) {
  if (a.severity !== 1) return;
  if (sound) beep();
  if (navigator.vibrate) navigator.vibrate([300, 150, 300]);
}

// ---------------------------------------------------------------- list

function renderList() {
  const list = [...alarms.values()]
    .filter((a) => a.state === 'active')
    .sort((a, b) => Number(a.acknowledged) - Number(b.acknowledged) || a.severity - b.severity || b.ts - a.ts);
  ui.empty.hidden = list.length > 0;
  ui.inbox.innerHTML = list
    .map(
      (a) => `<li class="dd-card dd-card--sev${a.severity}${a.acknowledged ? ' is-acked' : ''}" data-alarm-id="${esc(a.alarmId)}" tabindex="0" role="button">
        <div class="dd-card__head">
          <span class="dd-sev">${esc(t(`alarm.sev.${a.severity}`))}</span>
          <strong class="dd-card__type">${esc(typeLabel(a.type))}</strong>
          <time class="dd-muted">${esc(when(a.ts))}</time>
        </div>
        <div class="dd-muted" data-field="device">${esc(communities.get(a.communityId) || '')} · ${esc(deviceLabel(a.deviceId))}${a.count > 1 ? ` · ${esc(t('duty.count', { n: a.count }))}` : ''}</div>
        <div class="dd-tags">
          <span class="badge badge--info" data-field="tier">${esc(t('duty.tier', { n: a.escalationTier + 1 }))}</span>
          <span class="badge ${a.acknowledged ? 'badge--ok' : 'badge--alarm'}" data-field="ack">${esc(t(a.acknowledged ? 'duty.acked' : 'duty.unacked'))}</span>
          ${a.arrivedAt ? `<span class="badge badge--ok" data-field="arrived">${esc(t('duty.arrived'))}</span>` : ''}
          ${a.assigneeId && me && a.assigneeId === me.id ? `<span class="badge badge--caution">${esc(t('duty.assignee.me'))}</span>` : ''}
        </div>
      </li>`,
    )
    .join('');
}

function upsert(e) {
  alarms.set(e.alarmId, { ...(alarms.get(e.alarmId) || {}), ...e });
  renderList();
  if (!deviceNames.has(e.deviceId)) void loadDeviceNames().then(renderList);
  if (open && open.alarm.alarmId === e.alarmId) void showDetail(e.alarmId);
}

// ---------------------------------------------------------------- detail

async function showDetail(alarmId) {
  const [alarm, people] = await Promise.all([request('GET', `/alarms/${enc(alarmId)}`), request('GET', `/alarms/${enc(alarmId)}/people`)]);
  open = { alarm, people };
  alarms.set(alarmId, { ...(alarms.get(alarmId) || {}), ...alarm });
  renderDetail();
  if (tab !== 'alarms') return;
  ui.list.hidden = true;
  ui.detail.hidden = false;
}

function closeDetail() {
  open = null;
  ui.detail.hidden = true;
  ui.list.hidden = false;
  renderList();
}

function historyLine(h) {
  const d = h.detail || {};
  const who = (id) => open.people.told.find((p) => p.userId === id)?.displayName || open.people.assignable.find((p) => p.userId === id)?.displayName || '';
  let extra = '';
  if (h.action === 'notified' || h.action === 'escalated') extra = t('duty.tier', { n: (d.tier ?? 0) + 1 });
  else if (h.action === 'commented') extra = d.text || (d.photoId ? t('duty.photo') : '');
  else if (h.action === 'assigned') extra = who(d.assigneeId);
  else if (h.action === 'cleared') extra = d.cause ? t(`duty.cause.${d.cause}`) : d.reason || '';
  const label = has(`duty.h.${h.action}`) ? t(`duty.h.${h.action}`) : h.action;
  const photo = h.action === 'commented' && d.photoId ? `<div class="dd-thumbs">${fileLink(`/alarms/${enc(open.alarm.alarmId)}/photos/${enc(d.photoId)}/file`, { fileName: d.fileName || 'photo', contentType: d.contentType || 'image/jpeg' })}</div>` : '';
  return `<li data-action="${esc(h.action)}"><time class="dd-muted">${esc(when(h.at))}</time> ${esc(label)}${extra ? ` · ${esc(extra)}` : ''}${h.actorId ? ` <span class="dd-muted">${esc(who(h.actorId))}</span>` : ''}${photo}</li>`;
}

function renderDetail() {
  if (!open) return;
  const { alarm: a, people } = open;
  const active = a.state === 'active';
  const tierName = people.told.find((p) => p.tier === a.escalationTier)?.tierName;
  const assignee = people.assignable.find((p) => p.userId === a.assigneeId) || people.told.find((p) => p.userId === a.assigneeId);
  ui.detail.innerHTML = `
    <button type="button" class="btn btn--ghost btn--sm" data-do="back">← ${esc(t('duty.back'))}</button>
    <article class="dd-card dd-card--sev${a.severity}" data-alarm-id="${esc(a.alarmId)}" data-state="${esc(a.state)}">
      <div class="dd-card__head">
        <span class="dd-sev">${esc(t(`alarm.sev.${a.severity}`))}</span>
        <strong class="dd-card__type">${esc(typeLabel(a.type))}</strong>
      </div>
      <div class="dd-muted" data-field="device">${esc(communities.get(a.communityId) || '')} · ${esc(deviceLabel(a.deviceId))} · ${esc(when(a.firstAt))}</div>
      <div class="dd-tags">
        <span class="badge badge--info" data-field="tier">${esc(tierName ? t('duty.tier.named', { n: a.escalationTier + 1, name: tierLabel(tierName) }) : t('duty.tier', { n: a.escalationTier + 1 }))}</span>
        <span class="badge ${a.acknowledged ? 'badge--ok' : 'badge--alarm'}" data-field="ack">${esc(t(a.acknowledged ? 'duty.acked' : 'duty.unacked'))}</span>
        ${a.arrivedAt ? `<span class="badge badge--ok" data-field="arrived">${esc(t('duty.arrived'))} ${esc(when(a.arrivedAt))}</span>` : ''}
        ${active ? '' : `<span class="badge badge--muted" data-field="cleared">${esc(t('duty.cleared'))}</span>`}
        ${assignee ? `<span class="badge badge--caution" data-field="assignee">${esc(t('duty.assignee', { name: assignee.displayName }))}</span>` : ''}
      </div>
      ${
        a.handOff.length
          ? `<p class="dd-handoff" data-field="handoff">${esc(t('duty.handoff'))} ${a.handOff.map((n) => `<a class="dd-tel" href="tel:${esc(n)}">${esc(n)}</a>`).join(' ')}</p>`
          : ''
      }
    </article>
    ${active ? actions(a, people) : ''}
    <h3 class="dd-h">${esc(t('duty.told'))}</h3>
    ${
      people.told.length
        ? `<ul class="dd-told" data-field="told">${people.told.map((p) => `<li>${esc(p.displayName)} <span class="dd-muted">${esc(t('duty.tier', { n: (p.tier ?? 0) + 1 }))} · ${esc(when(p.at))}</span></li>`).join('')}</ul>`
        : `<p class="dd-muted">${esc(t('duty.told.none'))}</p>`
    }
    <h3 class="dd-h">${esc(t('duty.history'))}</h3>
    <ul class="dd-history">${a.history.map(historyLine).join('')}</ul>`;
  loadThumbs(ui.detail);
}

function actions(a, people) {
  return `<div class="dd-actions">
    ${a.acknowledged ? '' : `<button type="button" class="btn btn--primary dd-wide" data-do="ack">${esc(t('duty.act.ack'))}</button>`}
    ${a.arrivedAt ? '' : `<button type="button" class="btn dd-wide" data-do="arrived">${esc(t('duty.act.arrived'))}</button>`}
    ${
      people.assignable.length
        ? `<div class="dd-row"><label class="field"><span>${esc(t('duty.act.assignTo'))}</span>
            <select id="assignee" class="select">${people.assignable.map((p) => `<option value="${esc(p.userId)}"${p.userId === a.assigneeId ? ' selected' : ''}>${esc(p.displayName)}</option>`).join('')}</select></label>
            <button type="button" class="btn" data-do="assign">${esc(t('duty.act.assign'))}</button></div>`
        : ''
    }
    <div class="dd-row"><label class="field"><span>${esc(t('duty.act.commentLabel'))}</span><textarea id="comment" rows="2" maxlength="2000"></textarea></label>
      <label class="field"><span>${esc(t('duty.act.photo'))}</span><input id="comment-photo" type="file" accept="${ACCEPT}" /></label>
      <button type="button" class="btn" data-do="comment">${esc(t('duty.act.comment'))}</button></div>
    ${
      a.manualClear
        ? `<div class="dd-row"><label class="field"><span>${esc(t('duty.act.cause'))}</span>
            <select id="cause" class="select"><option value="">${esc(t('duty.act.causeChoose'))}</option>${a.clearCauses.map((c) => `<option value="${esc(c)}">${esc(t(`duty.cause.${c}`))}</option>`).join('')}</select></label>
            <button type="button" class="btn btn--danger" data-do="clear">${esc(t('duty.act.clear'))}</button></div>`
        : MAINTENANCE_TYPES.has(a.type)
          ? `<p class="dd-muted">${esc(t('duty.act.maintClears'))}</p>
            <button type="button" class="btn dd-wide" data-do="maint" data-device-id="${esc(a.deviceId)}">${esc(t('duty.act.toMaint'))}</button>`
          : `<p class="dd-muted">${esc(t('duty.act.deviceClears'))}</p>`
    }
  </div>`;
}

async function act(what, button) {
  const id = open.alarm.alarmId;
  const path = `/alarms/${enc(id)}`;
  let call;
  if (what === 'ack') call = () => request('POST', `${path}/acknowledge`, { body: {} });
  else if (what === 'arrived') call = () => request('POST', `${path}/arrived`, { body: {} });
  else if (what === 'assign') call = () => request('POST', `${path}/assign`, { body: { userId: $('assignee').value } });
  else if (what === 'comment') {
    const text = $('comment').value.trim();
    const photo = $('comment-photo').files[0];
    if (photo) {
      const form = new FormData();
      form.append('file', photo, photo.name);
      if (text) form.append('text', text);
      call = () => request('POST', `${path}/photos`, { body: form });
    } else {
      if (!text) return $('comment').focus();
      call = () => request('POST', `${path}/comments`, { body: { text } });
    }
  } else if (what === 'clear') {
    const cause = $('cause').value;
    if (!cause) return $('cause').focus();
    call = () => request('POST', `${path}/clear`, { body: { cause } });
  }
  button.disabled = true;
  try {
    await call();
    const done = { ack: 'acknowledged', arrived: 'arrived', assign: 'assigned', comment: 'commented', clear: 'cleared' }[what];
    notify(t(`duty.done.${done}`));
    await showDetail(id);
  } catch (err) {
    button.disabled = false;
    notify(err.message || String(err), 'alarm');
  }
}

ui.inbox.addEventListener('click', (e) => {
  const card = e.target.closest('[data-alarm-id]');
  if (card) showDetail(card.dataset.alarmId).catch((err) => notify(err.message, 'alarm'));
});
ui.inbox.addEventListener('keydown', (e) => {
  const card = e.target.closest('[data-alarm-id]');
  if (card && e.key === 'Enter') showDetail(card.dataset.alarmId).catch((err) => notify(err.message, 'alarm'));
});
ui.detail.addEventListener('click', (e) => {
  const file = e.target.closest('[data-open]');
  if (file) return void openFile(file.dataset.open).catch((err) => notify(err.message, 'alarm'));
  const button = e.target.closest('[data-do]');
  if (!button) return;
  if (button.dataset.do === 'back') closeDetail();
  else if (button.dataset.do === 'maint') {
    const deviceId = button.dataset.deviceId;
    closeDetail();
    showTab('maint', deviceId);
  } else void act(button.dataset.do, button);
});
ui.sound.addEventListener('click', () => {
  sound = !sound;
  if (sound) beep(); // the gesture that lets the browser play sound later
  renderSound();
});

function showTab(next, deviceId) {
  tab = next;
  for (const b of ui.tabs) {
    const active = b.dataset.tab === next;
    b.classList.toggle('is-active', active);
    b.setAttribute('aria-selected', String(active));
  }
  if (next === 'maint') {
    ui.list.hidden = true;
    ui.detail.hidden = true;
    void maintenance.show(deviceId);
  } else {
    maintenance.hide();
    ui.list.hidden = !!open;
    ui.detail.hidden = !open;
    renderList();
  }
}
for (const b of ui.tabs) b.addEventListener('click', () => showTab(b.dataset.tab));

function renderSound() {
  ui.sound.textContent = t(sound ? 'duty.sound.on' : 'duty.sound.off');
  ui.sound.setAttribute('aria-pressed', String(sound));
}

function setConn(state) {
  ui.conn.dataset.state = state;
  ui.conn.textContent = t(`duty.conn.${state}`);
}

// ---------------------------------------------------------------- session

async function showApp() {
  me = await api.me();
  ui.user.textContent = me.displayName || me.username || '';
  for (const c of await api.communities()) communities.set(c.id, c.name);
  await loadDeviceNames();
  connect();
  const list = await request('GET', '/alarms?state=active&limit=200');
  for (const a of list) alarms.set(a.alarmId, a);
  renderList();
}

function connect() {
  closeSocket(socket);
  setConn('connecting');
  socket = openSocket();
  socket.on('connect', () => setConn('live'));
  socket.on('disconnect', () => setConn('down'));
  socket.on('alarm.raised', (e) => {
    upsert(e);
    ring(e);
    if (e.severity === 1) notify(t('duty.new', { type: typeLabel(e.type) }), 'alarm');
  });
  socket.on('alarm.updated', upsert);
  socket.on('alarm.cleared', upsert);
}

onLangChange(() => {
  renderSound();
  setConn(ui.conn.dataset.state);
  renderList();
  renderDetail();
  maintenance.redraw();
});

startSession({
  onLogin: () => showApp().catch((err) => notify(err.message, 'alarm')),
  onLogout: () => {
    closeSocket(socket);
    socket = null;
    alarms.clear();
    deviceNames.clear();
    maintenance.reset();
    showTab('alarms');
    closeDetail();
  },
});
