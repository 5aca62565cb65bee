// The duty desk's maintenance tab (issue 12 §4): the plans of the elevators and fire equipment
// in my scope with what is due or overdue, and for one device the visit form (who, when, the items
// done from the plan's item list, photos), the inspection certificate form (number, expiry, a
// scan), and what has been recorded. Through the maintenance REST API; photos and scans go
// through the same checked upload as the fund's evidence.
import { has, t } from '../shared/i18n.js';
import { fileUrl, request } from '../shared/api.js';
import { esc } from '../shared/escape.js';

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;
const ACCEPT = 'image/jpeg,image/png,image/webp,application/pdf';

const day = (iso) => (iso ? new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: '2-digit', day: '2-digit' }) : '—');
const kindLabel = (kind) => (has(`mt.kind.${kind}`) ? t(`mt.kind.${kind}`) : kind);
const pad = (n) => String(n).padStart(2, '0');
/** "now" for a datetime-local input, in the phone's time zone. */
function localNow() {
  const d = new Date();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Object URLs of the thumbnails shown, revoked when the view is drawn again. */
const shown = new Set();
function releaseThumbs() {
  for (const url of shown) URL.revokeObjectURL(url);
  shown.clear();
}

/** Fills every <img data-src> under root from the API (the token cannot go in an <img src>). */
export function loadThumbs(root) {
  for (const img of root.querySelectorAll('img[data-src]')) {
    const path = img.dataset.src;
    img.removeAttribute('data-src');
    fileUrl(path)
      .then((url) => {
        shown.add(url);
        img.src = url;
      })
      .catch(() => img.remove());
  }
}

/** A stored file: an image as a thumbnail, a PDF as a link opened from an object URL. */
export function fileLink(path, file) {
  return file.contentType.startsWith('image/')
    ? `<img alt="${esc(file.fileName)}" data-src="${esc(path)}" />`
    : `<button type="button" class="btn btn--ghost btn--sm dd-file" data-open="${esc(path)}">📄 ${esc(file.fileName)}</button>`;
}

export async function openFile(path) {
  const url = await fileUrl(path);
  window.open(url, '_blank', 'noopener');
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function createMaintenance({ notify, me, communities }) {
  const ui = { list: $('plans'), empty: $('maint-empty'), view: $('maint-view'), detail: $('maint-detail') };
  let plans = [];
  /** The device shown in the detail view: its plan, visits and certificates, or null on the list. */
  let open = null;
  let chosenKind = null;

  async function load() {
    const lists = await Promise.all([...communities().keys()].map((id) => request('GET', `/maintenance/plans?communityId=${enc(id)}`)));
    plans = lists.flat();
    renderList();
  }

  const overdueOf = (p) => p.due.filter((d) => d.overdue);
  const certProblem = (p) => p.regime === 'tsg_t5002' && p.certificate.status !== 'valid';

  function renderList() {
    const sorted = [...plans].sort((a, b) => overdueOf(b).length - overdueOf(a).length || Number(certProblem(b)) - Number(certProblem(a)) || a.deviceName.localeCompare(b.deviceName));
    ui.empty.hidden = sorted.length > 0;
    ui.list.innerHTML = sorted
      .map((p) => {
        const overdue = overdueOf(p);
        const next = [...p.due].sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt))[0];
        return `<li class="dd-card ${overdue.length ? 'dd-card--sev2' : ''}" data-device-id="${esc(p.deviceId)}" tabindex="0" role="button">
          <div class="dd-card__head"><strong class="dd-card__type">${esc(p.deviceName)}</strong><span class="dd-muted">${esc(t(p.regime === 'tsg_t5002' ? 'mt.regime.elevator' : 'mt.regime.fire'))}</span></div>
          <div class="dd-muted">${esc(communities().get(p.communityId) || '')} · ${esc(p.company)}</div>
          <div class="dd-tags">
            ${overdue.map((d) => `<span class="badge badge--alarm" data-field="overdue">${esc(t('mt.overdue', { kind: kindLabel(d.kind) }))}</span>`).join('')}
            ${!overdue.length && next ? `<span class="badge badge--ok" data-field="next">${esc(t('mt.next', { kind: kindLabel(next.kind), date: day(next.dueAt) }))}</span>` : ''}
            ${p.regime === 'tsg_t5002' ? `<span class="badge ${p.certificate.status === 'valid' ? 'badge--ok' : 'badge--caution'}" data-field="cert">${esc(t(`mt.cert.${p.certificate.status}`))}</span>` : ''}
          </div>
        </li>`;
      })
      .join('');
  }

  async function showDetail(deviceId) {
    const [visits, certificates] = await Promise.all([request('GET', `/maintenance/devices/${enc(deviceId)}/visits`), request('GET', `/maintenance/devices/${enc(deviceId)}/certificates`)]);
    const plan = plans.find((p) => p.deviceId === deviceId);
    if (!open || open.plan.deviceId !== deviceId) chosenKind = (overdueOf(plan)[0] || plan.due[0]).kind;
    open = { plan, visits, certificates };
    renderDetail();
    ui.view.hidden = true;
    ui.detail.hidden = false;
  }

  function closeDetail() {
    open = null;
    releaseThumbs();
    ui.detail.hidden = true;
    ui.view.hidden = false;
    renderList();
  }

  function itemsOf(kind) {
    return open.plan.due.find((d) => d.kind === kind)?.items ?? [];
  }

  function renderItems() {
    $('visit-items').innerHTML = itemsOf(chosenKind)
      .map((item) => `<label><input type="checkbox" name="item" value="${esc(item)}" />${esc(item)}</label>`)
      .join('');
  }

  function renderDetail() {
    if (!open) return;
    releaseThumbs();
    const { plan: p, visits, certificates } = open;
    const elevator = p.regime === 'tsg_t5002';
    const path = `/maintenance/devices/${enc(p.deviceId)}`;
    ui.detail.innerHTML = `
      <button type="button" class="btn btn--ghost btn--sm" data-do="back">← ${esc(t('duty.back'))}</button>
      <article class="dd-card" data-device-id="${esc(p.deviceId)}">
        <div class="dd-card__head"><strong class="dd-card__type">${esc(p.deviceName)}</strong><span class="dd-muted">${esc(t(elevator ? 'mt.regime.elevator' : 'mt.regime.fire'))}</span></div>
        <div class="dd-muted">${esc(p.company)} · <a href="tel:${esc(p.companyPhone)}">${esc(p.companyPhone)}</a></div>
        <ul class="dd-due" data-field="due">${p.due
          .map(
            (d) => `<li data-kind="${esc(d.kind)}"><span>${esc(kindLabel(d.kind))}</span>
              <span class="badge ${d.overdue ? 'badge--alarm' : 'badge--ok'}">${esc(t(d.overdue ? 'mt.due.overdue' : 'mt.due.by', { date: day(d.dueAt) }))}</span>
              <span class="dd-muted">${esc(t('mt.due.last', { date: day(d.lastAt) }))}</span></li>`,
          )
          .join('')}</ul>
        ${elevator ? `<div class="dd-tags"><span class="badge ${p.certificate.status === 'valid' ? 'badge--ok' : 'badge--caution'}" data-field="cert">${esc(t(`mt.cert.${p.certificate.status}`))}${p.certificate.expiresOn ? ` · ${esc(p.certificate.expiresOn)}` : ''}</span></div>` : ''}
      </article>

      <h3 class="dd-h">${esc(t('mt.visit.title'))}</h3>
      <form id="visit-form" class="dd-form" novalidate>
        <label class="field"><span>${esc(t('mt.visit.kind'))}</span>
          <select id="visit-kind">${p.due.map((d) => `<option value="${esc(d.kind)}"${d.kind === chosenKind ? ' selected' : ''}>${esc(kindLabel(d.kind))}</option>`).join('')}</select></label>
        <label class="field"><span>${esc(t('mt.visit.worker'))}</span><input id="visit-worker" maxlength="60" value="${esc(me().displayName || me().username || '')}" /></label>
        <label class="field"><span>${esc(t('mt.visit.at'))}</span><input id="visit-at" type="datetime-local" value="${esc(localNow())}" /></label>
        <div class="field"><span>${esc(t('mt.visit.items'))}</span>
          <label><input type="checkbox" id="visit-all" />${esc(t('mt.visit.all'))}</label>
          <div id="visit-items" class="dd-items"></div></div>
        <label class="field"><span>${esc(t('mt.visit.other'))}</span><input id="visit-other" maxlength="200" /></label>
        <label class="field"><span>${esc(t('mt.visit.note'))}</span><textarea id="visit-note" rows="2" maxlength="1000"></textarea></label>
        <label class="field"><span>${esc(t('mt.visit.photos'))}</span><input id="visit-photos" type="file" accept="${ACCEPT}" multiple /></label>
        <button type="submit" class="btn btn--primary dd-wide" data-do="visit">${esc(t('mt.visit.save'))}</button>
      </form>

      ${
        elevator
          ? `<h3 class="dd-h">${esc(t('mt.certForm.title'))}</h3>
      <form id="cert-form" class="dd-form" novalidate>
        <label class="field"><span>${esc(t('mt.certForm.agency'))}</span><input id="cert-agency" maxlength="120" /></label>
        <label class="field"><span>${esc(t('mt.certForm.no'))}</span><input id="cert-no" maxlength="60" /></label>
        <label class="field"><span>${esc(t('mt.certForm.result'))}</span><select id="cert-result">${['pass', 'pass_after_rectification', 'fail'].map((r) => `<option value="${r}">${esc(t(`mt.result.${r}`))}</option>`).join('')}</select></label>
        <label class="field"><span>${esc(t('mt.certForm.inspectedOn'))}</span><input id="cert-inspected" type="date" /></label>
        <label class="field"><span>${esc(t('mt.certForm.expiresOn'))}</span><input id="cert-expires" type="date" /></label>
        <label class="field"><span>${esc(t('mt.certForm.scan'))}</span><input id="cert-scan" type="file" accept="${ACCEPT}" /></label>
        <button type="submit" class="btn dd-wide" data-do="cert">${esc(t('mt.certForm.save'))}</button>
      </form>`
          : ''
      }

      <h3 class="dd-h">${esc(t('mt.visits'))}</h3>
      ${
        visits.length
          ? `<ul class="dd-history" data-field="visits">${visits
              .map(
                (v) => `<li data-visit-id="${esc(v.id)}"><time class="dd-muted">${esc(day(v.visitedAt))}</time> ${esc(kindLabel(v.kind))} · ${esc(v.worker)}
                  <div class="dd-muted">${esc(v.items.join('；'))}${v.note ? ` — ${esc(v.note)}` : ''}</div>
                  ${v.photos.length ? `<div class="dd-thumbs">${v.photos.map((ph) => fileLink(`${path}/visits/${enc(v.id)}/photos/${enc(ph.id)}/file`, ph)).join('')}</div>` : ''}</li>`,
              )
              .join('')}</ul>`
          : `<p class="dd-muted">${esc(t('mt.visits.none'))}</p>`
      }
      ${
        elevator
          ? `<h3 class="dd-h">${esc(t('mt.certs'))}</h3>
      ${
        certificates.length
          ? `<ul class="dd-history" data-field="certificates">${certificates
              .map(
                (c) => `<li data-certificate-id="${esc(c.id)}">${esc(c.certificateNo || '—')} · ${esc(c.agency)} · ${esc(t(`mt.result.${c.result}`))}
                  <div class="dd-muted">${esc(t('mt.certs.dates', { from: c.inspectedOn, to: c.expiresOn }))}</div>
                  ${c.scans.length ? `<div class="dd-thumbs">${c.scans.map((s) => fileLink(`${path}/certificates/${enc(c.id)}/scans/${enc(s.id)}/file`, s)).join('')}</div>` : ''}</li>`,
              )
              .join('')}</ul>`
          : `<p class="dd-muted">${esc(t('mt.certs.none'))}</p>`
      }`
          : ''
      }`;
    renderItems();
    loadThumbs(ui.detail);
  }

  async function upload(path, file) {
    const form = new FormData();
    form.append('file', file, file.name);
    await request('POST', path, { body: form });
  }

  async function saveVisit(button) {
    const p = open.plan;
    const items = [...document.querySelectorAll('#visit-items input:checked')].map((i) => i.value);
    const other = $('visit-other').value.trim();
    if (other) items.push(other);
    const worker = $('visit-worker').value.trim();
    const at = $('visit-at').value;
    if (!worker) return $('visit-worker').focus();
    if (!at) return $('visit-at').focus();
    if (!items.length) return notify(t('mt.visit.noItems'), 'alarm');
    const note = $('visit-note').value.trim();
    const photos = [...$('visit-photos').files];
    button.disabled = true;
    try {
      const base = `/maintenance/devices/${enc(p.deviceId)}`;
      const visit = await request('POST', `${base}/visits`, { body: { kind: $('visit-kind').value, visitedAt: new Date(at).toISOString(), worker, items, ...(note ? { note } : {}) } });
      for (const photo of photos) await upload(`${base}/visits/${enc(visit.id)}/photos`, photo);
      notify(t('mt.visit.saved'));
      await load();
      await showDetail(p.deviceId);
    } catch (err) {
      button.disabled = false;
      notify(err.message || String(err), 'alarm');
    }
  }

  async function saveCertificate(button) {
    const p = open.plan;
    const agency = $('cert-agency').value.trim();
    const inspectedOn = $('cert-inspected').value;
    const expiresOn = $('cert-expires').value;
    if (!agency) return $('cert-agency').focus();
    if (!inspectedOn) return $('cert-inspected').focus();
    if (!expiresOn) return $('cert-expires').focus();
    const certificateNo = $('cert-no').value.trim();
    const scan = $('cert-scan').files[0];
    button.disabled = true;
    try {
      const base = `/maintenance/devices/${enc(p.deviceId)}`;
      const cert = await request('POST', `${base}/certificates`, { body: { agency, result: $('cert-result').value, inspectedOn, expiresOn, ...(certificateNo ? { certificateNo } : {}) } });
      if (scan) await upload(`${base}/certificates/${enc(cert.id)}/scans`, scan);
      notify(t('mt.certForm.saved'));
      await load();
      await showDetail(p.deviceId);
    } catch (err) {
      button.disabled = false;
      notify(err.message || String(err), 'alarm');
    }
  }

  const fail = (err) => notify(err.message || String(err), 'alarm');
  ui.list.addEventListener('click', (e) => {
    const card = e.target.closest('[data-device-id]');
    if (card) showDetail(card.dataset.deviceId).catch(fail);
  });
  ui.list.addEventListener('keydown', (e) => {
    const card = e.target.closest('[data-device-id]');
    if (card && e.key === 'Enter') showDetail(card.dataset.deviceId).catch(fail);
  });
  ui.detail.addEventListener('click', (e) => {
    const button = e.target.closest('[data-do], [data-open]');
    if (!button) return;
    if (button.dataset.open) return void openFile(button.dataset.open).catch(fail);
    e.preventDefault();
    if (button.dataset.do === 'back') closeDetail();
    else if (button.dataset.do === 'visit') void saveVisit(button);
    else if (button.dataset.do === 'cert') void saveCertificate(button);
  });
  ui.detail.addEventListener('submit', (e) => e.preventDefault());
  ui.detail.addEventListener('change', (e) => {
    if (e.target.id === 'visit-kind') {
      chosenKind = e.target.value;
      $('visit-all').checked = false;
      renderItems();
    } else if (e.target.id === 'visit-all') {
      for (const box of document.querySelectorAll('#visit-items input')) box.checked = e.target.checked;
    }
  });

  return {
    load,
    /** Shows the tab: the list, the device open before, or the given device's plan. */
    async show(deviceId) {
      ui.view.hidden = !!open;
      ui.detail.hidden = !open;
      try {
        await load();
        if (deviceId && plans.some((p) => p.deviceId === deviceId)) await showDetail(deviceId);
      } catch (err) {
        fail(err);
      }
    },
    hide() {
      ui.view.hidden = true;
      ui.detail.hidden = true;
    },
    /** Language switch: draw again, keeping what was typed in the forms only when nothing is open. */
    redraw() {
      renderList();
      if (open) renderDetail();
    },
    reset() {
      plans = [];
      open = null;
      releaseThumbs();
      ui.list.innerHTML = '';
      ui.detail.innerHTML = '';
    },
  };
}
