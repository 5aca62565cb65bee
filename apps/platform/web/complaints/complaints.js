// Complaints and repair requests for owners and residents (phone first): file one (category,
// text, location, optional contact and photo), follow its level and deadline, see each step,
// reopen it or rate the result, through the complaints REST API (/api/v1/complaints).
import './strings.js';
import { onLangChange, t } from '../shared/i18n.js';
import { api, ApiError, request } from '../shared/api.js';
import { esc } from '../shared/escape.js';
import { noticeLine } from '../shared/notice.js';
import { accessToken, startSession } from '../shared/session.js';

const $ = (id) => document.getElementById(id);
const ui = { list: $('list'), empty: $('empty'), listView: $('list-view'), formView: $('form-view'), form: $('file-form'), detail: $('detail'), notice: $('notice'), community: $('f-community'), category: $('f-category') };
const categories = ['repair_urgent', 'repair', 'environment', 'security', 'parking', 'fees', 'service', 'other'];
const enc = encodeURIComponent;
const when = (iso) => new Date(iso).toLocaleString(undefined, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });

let items = [];
let communities = [];
/** The item shown in the detail view, or null. */
let open = null;

const notify = noticeLine(ui.notice, 'cp-notice');
const fail = (err) => notify(err instanceof ApiError ? err.message : String(err), 'alarm');

function show(view) {
  ui.listView.hidden = view !== 'list';
  ui.formView.hidden = view !== 'form';
  ui.detail.hidden = view !== 'detail';
}

function tags(c) {
  return `<div class="cp-tags">
    <span class="badge badge--info" data-field="state">${esc(t(`cmp.state.${c.state}`))}</span>
    <span class="badge" data-field="level">${esc(t(`cmp.level.${c.level}`))}</span>
    ${c.onLedger ? `<span class="badge badge--caution">${esc(t('cmp.ledger'))}</span>` : ''}
    ${c.overdue ? `<span class="badge badge--alarm" data-field="overdue">${esc(t('cmp.overdue'))}</span>` : ''}
  </div>`;
}

function renderList() {
  ui.empty.hidden = items.length > 0;
  ui.list.innerHTML = items
    .map(
      (c) => `<li class="cp-card ${c.overdue ? 'cp-card--overdue' : c.state === 'open' ? 'cp-card--open' : ''}" data-id="${esc(c.id)}" tabindex="0" role="button">
        <div class="cp-card__head"><strong>${esc(t(`cmp.cat.${c.category}`))}</strong><time class="cp-muted">${esc(when(c.filedAt))}</time></div>
        <div class="cp-muted">${esc(c.location)} · ${esc(c.text.slice(0, 60))}</div>
        ${tags(c)}
      </li>`,
    )
    .join('');
}

async function load() {
  items = await request('GET', '/complaints?limit=200');
  renderList();
}

function renderForm() {
  const chosen = ui.category.value;
  ui.category.innerHTML = categories.map((c) => `<option value="${c}">${esc(t(`cmp.cat.${c}`))}</option>`).join('');
  if (chosen) ui.category.value = chosen;
  const community = ui.community.value;
  ui.community.innerHTML = communities.map((c) => `<option value="${esc(c.id)}">${esc(c.name)}</option>`).join('');
  if (community) ui.community.value = community;
}

async function uploadPhoto(id, file) {
  const form = new FormData();
  form.append('file', file, file.name);
  const res = await fetch(`/api/v1/complaints/${enc(id)}/photos`, { method: 'POST', body: form, headers: { Authorization: `Bearer ${accessToken()}` } });
  if (!res.ok) throw new ApiError(res.status, t('cmp.photoFailed'), null);
}

async function submit(e) {
  e.preventDefault();
  const contact = $('f-contact').value.trim();
  const body = { communityId: ui.community.value, kind: $('f-kind').value, category: ui.category.value, text: $('f-text').value, location: $('f-location').value, ...(contact ? { contact } : {}) };
  const created = await request('POST', '/complaints', { body });
  const photo = $('f-photo').files[0];
  if (photo) await uploadPhoto(created.id, photo).catch(fail);
  ui.form.reset();
  notify(t('cmp.filed', { time: when(created.deadline) }));
  await load();
  await showDetail(created.id);
}

function renderDetail() {
  if (!open) return;
  const c = open;
  const history = c.timeline
    .map((e) => `<li><time class="cp-muted">${esc(when(e.at))}</time> ${esc(t(`cmp.h.${e.action}`))} · ${esc(t(`cmp.level.${e.level}`))}${e.note ? ` — ${esc(e.note)}` : ''}</li>`)
    .join('');
  const photos = c.photos.map((p) => `<li class="cp-muted">${esc(t('cmp.photo'))} · ${esc(when(p.createdAt))}</li>`).join('');
  const resolved = c.state === 'resolved';
  ui.detail.innerHTML = `
    <button type="button" class="btn btn--ghost btn--sm" data-do="back">${esc(t('cmp.back'))}</button>
    <div class="cp-card">
      <div class="cp-card__head"><strong>${esc(t(`cmp.kind.${c.kind}`))} · ${esc(t(`cmp.cat.${c.category}`))}</strong></div>
      <div>${esc(c.text)}</div>
      <div class="cp-muted">${esc(c.location)}</div>
      ${tags(c)}
      ${c.state === 'open' ? `<div class="cp-muted" data-field="deadline">${esc(t('cmp.deadline', { time: when(c.deadline) }))}</div>` : ''}
      ${c.satisfaction ? `<div data-field="satisfaction">${esc(t('cmp.rated', { n: c.satisfaction }))}</div>` : ''}
    </div>
    ${photos ? `<ul id="photos" class="cp-history">${photos}</ul>` : ''}
    ${resolved
      ? `<h3 class="cp-h">${esc(t('cmp.rate'))}</h3>
         <div class="cp-stars">${[1, 2, 3, 4, 5].map((n) => `<button type="button" class="btn" data-do="rate" data-n="${n}">${n}★</button>`).join('')}</div>
         <label class="field"><span>${esc(t('cmp.reopenWhy'))}</span><textarea id="reopen-note" rows="2" maxlength="2000"></textarea></label>
         <button type="button" class="btn btn--ghost cp-wide" data-do="reopen">${esc(t('cmp.reopen'))}</button>`
      : ''}
    <h3 class="cp-h">${esc(t('cmp.history'))}</h3>
    <ul id="history" class="cp-history">${history}</ul>`;
}

async function showDetail(id) {
  open = await request('GET', `/complaints/${enc(id)}`);
  renderDetail();
  show('detail');
}

async function act(button) {
  const body = button.dataset.do === 'rate' ? { action: 'rate', satisfaction: Number(button.dataset.n) } : { action: 'reopen', note: $('reopen-note').value.trim() || t('cmp.reopen') };
  open = await request('POST', `/complaints/${enc(open.id)}/actions`, { body });
  notify(t(`cmp.done.${body.action}`));
  renderDetail();
  await load();
}

ui.list.addEventListener('click', (e) => {
  const card = e.target.closest('[data-id]');
  if (card) showDetail(card.dataset.id).catch(fail);
});
ui.list.addEventListener('keydown', (e) => {
  const card = e.target.closest('[data-id]');
  if (card && e.key === 'Enter') showDetail(card.dataset.id).catch(fail);
});
ui.detail.addEventListener('click', (e) => {
  const button = e.target.closest('[data-do]');
  if (!button) return;
  if (button.dataset.do === 'back') {
    open = null;
    show('list');
  } else act(button).catch(fail);
});
$('new').addEventListener('click', () => {
  renderForm();
  show('form');
});
$('cancel').addEventListener('click', () => show('list'));
ui.form.addEventListener('submit', (e) => submit(e).catch(fail));

onLangChange(() => {
  renderList();
  renderForm();
  renderDetail();
});

startSession({
  onLogin: async () => {
    api.me().then((me) => ($('user-name').textContent = me.displayName || me.username || '')).catch(() => undefined);
    communities = await api.communities();
    show('list');
    await load().catch(fail);
  },
  onLogout: () => {
    items = [];
    open = null;
    show('list');
  },
});
