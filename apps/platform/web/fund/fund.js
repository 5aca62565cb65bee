// The green-channel desk (维修资金应急使用): the emergency-repair cases waiting for my role, each
// with a countdown in working days to the deadline of its step (computed by the server on the
// holiday calendar), and the step itself through the fund REST API: the organiser proposes the
// plan (buildings charged, budget, contractor, evidence files) and publishes the notice; the
// residents' committee or street confirms; the district approves, rejects or pays; acceptance
// and disclosure. A case can be reported by hand (a leak, a falling facade: no device raises
// those). Live: a 'fund.case.updated' event reloads the queue (and the case shown, unless
// a form on it is being filled in). Evidence files open with the login token (shared/api.js
// fileUrl). Sign-in: ../shared/session.js. Chinese first, English through shared/i18n.js.
import '../shared/device-strings.js';
import './strings.js';
import { has, onLangChange, t } from '../shared/i18n.js';
import { api, fileUrl, request } from '../shared/api.js';
import { esc } from '../shared/escape.js';
import { noticeLine } from '../shared/notice.js';
import { accessToken, closeSocket, openSocket, startSession } from '../shared/session.js';

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;
const notify = noticeLine($('notice'), 'fd-notice');
const closed = ['rejected', 'disclosed', 'withdrawn'];

let cases = [];
const communities = new Map();
let socket = null;
let reloading = null;
/** The case shown in the detail view, with its community's buildings, or null on the queue. */
let open = null;

const label = (prefix, value) => (has(`${prefix}.${value}`) ? t(`${prefix}.${value}`) : value);
const when = (iso) => new Date(iso).toLocaleString(document.documentElement.lang || 'zh-CN', { dateStyle: 'short', timeStyle: 'short' });
const yuan = (fen) => (fen === null || fen === undefined ? '' : t('fd.yuan', { v: (Number(fen) / 100).toFixed(2) }));

/** "12345.6" → "1234560" (fen), or null when it is not an amount in yuan with at most two decimals. */
function toFen(text) {
  const m = /^(\d{1,15})(?:\.(\d{1,2}))?$/.exec(String(text).trim());
  return m ? String(BigInt(m[1]) * 100n + BigInt((m[2] || '').padEnd(2, '0'))) : null;
}

function countdown(c) {
  if (!c.deadline) return '';
  const d = c.deadline;
  const text = d.workingDaysLeft === null ? t('fd.overdue') : d.workingDaysLeft === 0 ? t('fd.dueToday') : t('fd.daysLeft', { n: d.workingDaysLeft });
  return `<span class="fd-countdown${d.workingDaysLeft === null ? ' fd-countdown--overdue' : ''}" data-field="countdown">${esc(t(`fd.deadline.${d.kind}`))} ${esc(text)}</span>
    <span class="fd-muted">${esc(t('fd.until', { at: when(d.at) }))}</span>`;
}

function card(c) {
  return `<li class="fd-card${c.deadline && c.deadline.workingDaysLeft === null ? ' fd-card--overdue' : ''}" data-case="${esc(c.id)}" data-state="${esc(c.state)}" tabindex="0" role="button">
    <div class="fd-card__head"><strong class="fd-card__title">${esc(c.title)}</strong><span class="badge badge--info" data-field="state">${esc(label('fd.state', c.state))}</span></div>
    <div class="fd-muted">${esc(communities.get(c.communityId)?.name || '')} · ${esc(label('fd.cat', c.category))}${c.budgetFen !== null ? ` · ${esc(yuan(c.budgetFen))}` : ''}</div>
    <div>${countdown(c)}</div>
  </li>`;
}

function renderQueue() {
  const live = cases.filter((c) => !closed.includes(c.state));
  // withdrawing is always possible early on; a case waits for me when another step is mine
  const waiting = (c) => c.availableActions.some((a) => a !== 'withdraw');
  const mine = live.filter(waiting);
  const others = live.filter((c) => !waiting(c));
  $('empty').hidden = mine.length > 0;
  $('queue').innerHTML = mine.map(card).join('');
  $('others').innerHTML = others.length ? others.map(card).join('') : `<li class="fd-muted">${esc(t('fd.none'))}</li>`;
}

async function load() {
  const [list, mine] = await Promise.all([request('GET', '/fund/cases'), communities.size ? null : api.communities()]);
  if (mine) for (const c of mine) communities.set(c.id, c);
  cases = list;
  renderQueue();
}

// ---------------------------------------------------------------- detail

async function showDetail(id) {
  const c = await request('GET', `/fund/cases/${enc(id)}`);
  const community = await request('GET', `/communities/${enc(c.communityId)}`);
  open = { c, buildings: community.buildings };
  renderDetail();
  $('queue-view').hidden = true;
  $('report-view').hidden = true;
  $('detail').hidden = false;
}

function closeDetail() {
  open = null;
  $('detail').hidden = true;
  $('report-view').hidden = true;
  $('queue-view').hidden = false;
}

// ---------------------------------------------------------------- reporting a case by hand

const categories = ['elevator', 'fire_facility', 'roof_wall_leak', 'facade_falling', 'secondary_water_pump', 'drainage'];

async function fillBuildings(form) {
  const id = form.elements.communityId.value;
  const buildings = id ? (await request('GET', `/communities/${enc(id)}`)).buildings : [];
  form.elements.buildingId.innerHTML = `<option value="">${esc(t('fd.building.none'))}</option>${buildings.map((b) => `<option value="${esc(b.id)}">${esc(b.name)}</option>`).join('')}`;
}

async function showReport() {
  const form = $('report-form');
  form.reset();
  form.elements.communityId.innerHTML = [...communities.values()].map((c) => `<option value="${esc(c.id)}">${esc(c.name)}</option>`).join('');
  form.elements.category.innerHTML = categories.map((c) => `<option value="${esc(c)}">${esc(label('fd.cat', c))}</option>`).join('');
  await fillBuildings(form);
  open = null;
  $('queue-view').hidden = true;
  $('detail').hidden = true;
  $('report-view').hidden = false;
}

$('report').addEventListener('click', () => showReport().catch((err) => notify(err.message, 'alarm')));
$('report-form').addEventListener('change', (event) => {
  if (event.target.name === 'communityId') fillBuildings(event.currentTarget).catch((err) => notify(err.message, 'alarm'));
});
$('report-form').addEventListener('click', (event) => {
  if (event.target.closest('[data-do="cancel-report"]')) closeDetail();
});
$('report-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const f = event.currentTarget.elements;
  const body = { communityId: f.communityId.value, category: f.category.value, title: f.title.value.trim() };
  if (f.buildingId.value) body.buildingId = f.buildingId.value;
  if (f.description.value.trim()) body.description = f.description.value.trim();
  try {
    const created = await request('POST', '/fund/cases', { body });
    notify(t('fd.report.done'));
    await Promise.all([showDetail(created.id), load()]);
  } catch (err) {
    notify(err.message, 'alarm');
  }
});

function scopeText(c) {
  const s = c.chargeScope;
  if (!s) return '';
  if (s.level === 'estate') return t('fd.scope.estate');
  if (s.level === 'building') return s.buildingIds.map((id) => open.buildings.find((b) => b.id === id)?.name || id).join('、');
  return t('fd.scope.units', { n: s.unitIds.length });
}

function facts(c) {
  const rows = [
    ['fd.f.community', communities.get(c.communityId)?.name],
    ['fd.f.category', label('fd.cat', c.category)],
    ['fd.f.source', c.alarmType ? label('alarm.type', c.alarmType) : t('fd.manual')],
    ['fd.f.plan', c.repairPlan],
    ['fd.f.contractor', c.contractor],
    ['fd.f.budget', yuan(c.budgetFen)],
    ['fd.f.scope', scopeText(c)],
    ['fd.f.noticeEnds', c.noticeEndsAt && when(c.noticeEndsAt)],
    ['fd.f.paid', c.paidFen ? yuan(c.paidFen) : ''],
    ['fd.f.actual', yuan(c.actualCostFen)],
  ].filter(([, v]) => v);
  return `<dl class="fd-facts">${rows.map(([k, v]) => `<dt>${esc(t(k))}</dt><dd data-field="${esc(k.slice(5))}">${esc(v)}</dd>`).join('')}</dl>`;
}

/** One form per action the role may take now; the server checks the rest (notice period, amounts). */
function actionForm(action, c) {
  const button = (key = `fd.do.${action}`, cls = 'btn--primary') => `<button type="submit" class="btn ${cls}">${esc(t(key))}</button>`;
  const form = (body, cls = 'btn--primary') => `<form class="fd-form" data-action="${esc(action)}"><strong>${esc(t(`fd.do.${action}`))}</strong>${body}${button(undefined, cls)}</form>`;
  switch (action) {
    case 'propose':
      return form(`
        <label>${esc(t('fd.f.plan'))}<textarea name="repairPlan" rows="3" required maxlength="4000"></textarea></label>
        <label>${esc(t('fd.f.contractor'))}<input type="text" name="contractor" required maxlength="200" /></label>
        <label>${esc(t('fd.f.budgetYuan'))}<input type="text" name="budget" inputmode="decimal" required /></label>
        <fieldset class="fd-buildings"><legend>${esc(t('fd.f.buildings'))}</legend>
          ${open.buildings.map((b) => `<label class="fd-check"><input type="checkbox" name="building" value="${esc(b.id)}" /> ${esc(b.name)}</label>`).join('')}
        </fieldset>`);
    case 'publish_notice':
      return form(`<p class="fd-muted">${esc(t('fd.publishHint'))}</p>`);
    case 'confirm':
      // the notice period must run out first (unless the notice runs during the works)
      if (c.deadline && c.deadline.kind === 'notice' && c.deadline.workingDaysLeft !== null && !c.noticeDuringWorks) {
        return `<form class="fd-form" data-action="confirm"><strong>${esc(t('fd.do.confirm'))}</strong><p class="fd-muted" data-field="wait">${esc(t('fd.confirmAfter', { at: when(c.deadline.at) }))}</p>${button(undefined, 'btn--ghost').replace('<button', '<button disabled')}</form>`;
      }
      return form(`<label>${esc(t('fd.note'))}<input type="text" name="note" maxlength="2000" /></label>`);
    case 'approve':
      return form(`<label>${esc(t('fd.note'))}<input type="text" name="note" maxlength="2000" /></label>`);
    case 'reject':
      return form(`<label>${esc(t('fd.reason'))}<input type="text" name="reason" required maxlength="2000" /></label>`, 'btn--ghost');
    case 'pay':
      return form(`<label>${esc(t('fd.f.amountYuan'))}<input type="text" name="amount" inputmode="decimal" placeholder="${esc(t('fd.payDefault'))}" /></label>`);
    case 'accept':
      return form(`<label>${esc(t('fd.f.actualYuan'))}<input type="text" name="actual" inputmode="decimal" required value="${c.budgetFen === null ? '' : esc((c.budgetFen / 100).toFixed(2))}" /></label>`);
    case 'withdraw':
      return form(`<label>${esc(t('fd.reason'))}<input type="text" name="reason" maxlength="2000" /></label>`, 'btn--ghost');
    default:
      return form('');
  }
}

function renderDetail() {
  if (!open) return;
  const { c } = open;
  const files = c.evidence.filter((e) => e.kind === 'upload');
  $('detail').innerHTML = `
    <button type="button" class="btn btn--ghost btn--sm" data-do="back">← ${esc(t('fd.back'))}</button>
    <article class="fd-card" data-case="${esc(c.id)}" data-state="${esc(c.state)}">
      <div class="fd-card__head"><strong class="fd-card__title">${esc(c.title)}</strong><span class="badge badge--info" data-field="state">${esc(label('fd.state', c.state))}</span></div>
      <div>${countdown(c)}</div>
      ${facts(c)}
    </article>
    ${c.availableActions.map((a) => actionForm(a, c)).join('')}
    ${
      closed.includes(c.state)
        ? ''
        : `<form class="fd-form" data-upload><strong>${esc(t('fd.evidence.add'))}</strong>
      <input type="file" name="file" accept="image/jpeg,image/png,application/pdf" required /><button type="submit" class="btn btn--ghost">${esc(t('fd.evidence.upload'))}</button></form>`
    }
    <h3 class="fd-h">${esc(t('fd.evidence'))}</h3>
    ${
      files.length
        ? `<ul class="fd-files" data-field="files">${files
            .map((e) => `<li><a href="#" data-evidence="${esc(e.id)}" data-name="${esc(e.fileName || e.sha256)}">${esc(e.fileName || e.sha256)}</a> <span class="fd-muted">${esc(when(e.createdAt))}</span></li>`)
            .join('')}</ul>`
        : `<p class="fd-muted">${esc(t('fd.evidence.none'))}</p>`
    }
    <h3 class="fd-h">${esc(t('fd.timeline'))}</h3>
    <ul class="fd-timeline">${c.timeline
      .map((e) => `<li data-action="${esc(e.action)}"><time class="fd-muted">${esc(when(e.at))}</time> ${esc(label('fd.h', e.action))}${e.actorRole ? ` <span class="fd-muted">${esc(label('fd.role', e.actorRole))}</span>` : ''}</li>`)
      .join('')}</ul>`;
}

function bodyOf(action, f) {
  const text = (name) => (f.elements[name]?.value || '').trim();
  const amount = (name, optional) => {
    if (optional && !text(name)) return undefined;
    const fen = toFen(text(name));
    if (fen === null) throw new Error(t('fd.badAmount'));
    return fen;
  };
  switch (action) {
    case 'propose': {
      const buildingIds = [...f.querySelectorAll('input[name=building]:checked')].map((i) => i.value);
      const chargeScope = buildingIds.length ? { level: 'building', buildingIds } : { level: 'estate' };
      return { action, repairPlan: text('repairPlan'), contractor: text('contractor'), budgetFen: amount('budget'), chargeScope };
    }
    case 'confirm':
    case 'approve':
      return text('note') ? { action, note: text('note') } : { action };
    case 'reject':
      return { action, reason: text('reason') };
    case 'withdraw':
      return text('reason') ? { action, reason: text('reason') } : { action };
    case 'pay': {
      const fen = amount('amount', true);
      return fen === undefined ? { action } : { action, amountFen: fen };
    }
    case 'accept':
      return { action, actualCostFen: amount('actual') };
    default:
      return { action };
  }
}

/** Evidence goes as multipart to the existing upload endpoint (api.js speaks JSON only). */
async function upload(file) {
  const data = new FormData();
  data.append('file', file);
  const res = await fetch(`/api/v1/fund/cases/${enc(open.c.id)}/evidence`, { method: 'POST', headers: { Authorization: `Bearer ${accessToken()}` }, body: data });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(Array.isArray(body.message) ? body.message.join('; ') : body.message || `${res.status}`);
}

$('detail').addEventListener('submit', async (event) => {
  event.preventDefault();
  const f = event.target;
  const button = f.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    if (f.hasAttribute('data-upload')) {
      await upload(f.elements.file.files[0]);
      notify(t('fd.evidence.done'));
    } else {
      const action = f.dataset.action;
      await request('POST', `/fund/cases/${enc(open.c.id)}/transitions`, { body: bodyOf(action, f) });
      notify(t('fd.done', { action: t(`fd.do.${action}`) }));
    }
    await Promise.all([showDetail(open.c.id), load()]);
  } catch (err) {
    notify(err.message, 'alarm');
    button.disabled = false;
  }
});

$('detail').addEventListener('click', (event) => {
  if (event.target.closest('[data-do="back"]')) closeDetail();
  const link = event.target.closest('[data-evidence]');
  if (link) {
    event.preventDefault();
    openEvidence(link.dataset.evidence, link.dataset.name).catch((err) => notify(err.message, 'alarm'));
  }
});

/** A stored file needs the login token, so it is fetched and handed to the browser as a download. */
async function openEvidence(evidenceId, name) {
  const url = await fileUrl(`/fund/cases/${enc(open.c.id)}/evidence/${enc(evidenceId)}/file`);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Another user moved a case on: the queue again, and the open case unless its forms are in use. */
function onCaseUpdated(event) {
  reloading ??= load()
    .catch((err) => notify(err.message, 'alarm'))
    .finally(() => (reloading = null));
  const editing = $('detail').contains(document.activeElement) && document.activeElement.matches('input, textarea, select');
  if (open && open.c.id === event.caseId && !editing) showDetail(event.caseId).catch((err) => notify(err.message, 'alarm'));
}

function connect() {
  closeSocket(socket);
  socket = openSocket();
  socket.on('fund.case.updated', onCaseUpdated);
}

function openFrom(event) {
  const li = event.target.closest('[data-case]');
  if (li) showDetail(li.dataset.case).catch((err) => notify(err.message, 'alarm'));
}
for (const list of [$('queue'), $('others')]) {
  list.addEventListener('click', openFrom);
  list.addEventListener('keydown', (event) => event.key === 'Enter' && openFrom(event));
}
$('refresh').addEventListener('click', () => load().catch((err) => notify(err.message, 'alarm')));

onLangChange(() => {
  renderQueue();
  renderDetail();
});

startSession({
  onLogin: () => {
    connect();
    return load().catch((err) => notify(t('loadError', { msg: err.message }), 'alarm'));
  },
  onLogout: () => {
    closeSocket(socket);
    socket = null;
    cases = [];
    communities.clear();
    closeDetail();
    notify('');
  },
});
