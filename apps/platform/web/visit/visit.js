// The visitor's phone page (issue 13 §7): phone → SMS code → community, time and plate → a free
// slot → book → the bill → paying online (../shared/pay.js: a QR code and a link), until it shows paid.
// The visitor session is an access token kept for this tab only (sessionStorage).
import './strings.js';
import { applyStatic, getLang, onLangChange, t } from '../shared/i18n.js';
import { ApiError, configureAuth, request } from '../shared/api.js';
import { esc } from '../shared/escape.js';
import { noticeLine } from '../shared/notice.js';
import { PayBox } from '../shared/pay.js';
import { langSwitch, watchLanguage } from '../shared/shell.js';

const TOKEN_KEY = 'spp.visit.session';
const PLATE_KEY = 'spp.visit.plate';
const $ = (id) => document.getElementById(id);
const notify = noticeLine($('notice'), 'vs-notice');

let session = load();
let phoneNumber = '';
const pay = new PayBox($('visit-pay'), {
  id: 'visit',
  onPaid: () => {
    notify(t('visit.pay.done'));
    refreshMine().catch(failure);
  },
});

function load() {
  try {
    const s = JSON.parse(sessionStorage.getItem(TOKEN_KEY) || 'null');
    return s && s.until > Date.now() ? s : null;
  } catch {
    return null;
  }
}

function save(s) {
  session = s;
  try {
    if (s) sessionStorage.setItem(TOKEN_KEY, JSON.stringify(s));
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage may be unavailable */
  }
}

configureAuth({
  token: () => session?.token ?? null,
  // No refresh for visitors: an ended session goes back to the phone step.
  onUnauthorized: async () => {
    signOut();
    return false;
  },
});

const pad = (n) => String(n).padStart(2, '0');
const localInput = (ms) => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};
const when = (iso) => new Date(iso).toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-GB', { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const yuan = (fen) => `${Math.trunc(fen / 100)}.${pad(Math.abs(fen) % 100)}`;

function failure(error) {
  if (error instanceof ApiError && error.status === 429) return notify(t('visit.tooMany'), 'warn');
  if (error instanceof ApiError && error.status === 503) return notify(t('visit.unavailable'), 'warn');
  notify(t('visit.error', { message: error.message }), 'warn');
}

function show(step) {
  $('step-phone').hidden = step !== 'phone';
  $('step-book').hidden = step !== 'book';
  $('step-mine').hidden = step !== 'book';
}

function signOut() {
  save(null);
  pay.close();
  $('code-form').hidden = true;
  show('phone');
}

// ---- 1. phone and code
$('phone-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const phone = $('visit-phone').value.replace(/[\s-]/g, '');
  if (!/^(\+86|0086)?1[3-9]\d{9}$/.test(phone)) return notify(t('visit.phone.invalid'), 'warn');
  try {
    const sent = await request('POST', '/public/visit/codes', { body: { phone }, auth: false });
    phoneNumber = phone;
    $('code-sent').textContent = t('visit.code.sent', { phone: sent.phone, minutes: Math.round(sent.expiresInS / 60) });
    $('code-form').hidden = false;
    $('visit-code').focus();
  } catch (error) {
    failure(error);
  }
});

$('code-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    const s = await request('POST', '/public/visit/sessions', { body: { phone: phoneNumber, code: $('visit-code').value.trim() }, auth: false });
    save({ token: s.accessToken, until: Date.now() + s.expiresIn * 1000, phone: s.phone });
    $('visit-code').value = '';
    await enter();
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 400)) notify(t('visit.code.bad'), 'warn');
    else failure(error);
  }
});

// ---- 2. search and book
async function enter() {
  show('book');
  $('visit-who').textContent = session.phone;
  const communities = await request('GET', '/visit/communities');
  $('visit-community').innerHTML = communities.length
    ? communities.map((c) => `<option value="${esc(c.id)}">${esc(c.name)}</option>`).join('')
    : `<option value="">${esc(t('visit.community.none'))}</option>`;
  const start = Math.ceil((Date.now() + 15 * 60_000) / 1_800_000) * 1_800_000;
  $('visit-from').value = localInput(start);
  $('visit-to').value = localInput(start + 2 * 3600_000);
  try {
    $('visit-plate').value = localStorage.getItem(PLATE_KEY) || '';
  } catch {
    /* ignore */
  }
  await refreshMine();
}

let results = [];
$('search-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const communityId = $('visit-community').value;
  const from = new Date($('visit-from').value).getTime();
  const to = new Date($('visit-to').value).getTime();
  if (!communityId) return notify(t('visit.community.none'), 'warn');
  try {
    results = await request('GET', `/visit/availability?communityId=${encodeURIComponent(communityId)}&from=${from}&to=${to}`);
    $('visit-results').innerHTML = results.length
      ? results
          .map(
            (s) => `<li class="vs-item"><div class="vs-item__main"><span class="vs-item__title">${esc(t('visit.slot', { code: s.code }))}</span><span class="vs-muted">${esc(s.location)}</span></div>
            <button type="button" class="btn btn--primary" data-book="${esc(s.id)}">${esc(t('visit.book'))}</button></li>`,
          )
          .join('')
      : `<li class="vs-muted">${esc(t('visit.results.none'))}</li>`;
  } catch (error) {
    failure(error);
  }
});

$('visit-results').addEventListener('click', async (e) => {
  const button = e.target.closest('[data-book]');
  if (!button) return;
  const plate = $('visit-plate').value.trim();
  try {
    localStorage.setItem(PLATE_KEY, plate);
  } catch {
    /* ignore */
  }
  button.disabled = true;
  try {
    await request('POST', '/visit/bookings', {
      body: { slotId: button.dataset.book, plate, startsAt: new Date($('visit-from').value).getTime(), endsAt: new Date($('visit-to').value).getTime() },
    });
    const slot = results.find((s) => s.id === button.dataset.book);
    notify(t('visit.booked', { code: slot?.code ?? '' }));
    $('visit-results').innerHTML = '';
    await refreshMine();
  } catch (error) {
    button.disabled = false;
    failure(error);
  }
});

// ---- 3. my bookings and bills, paying
async function refreshMine() {
  const [bookings, bills] = await Promise.all([request('GET', '/visit/bookings'), request('GET', '/visit/bills')]);
  $('visit-bookings').innerHTML = bookings.length
    ? bookings
        .map(
          (b) => `<li class="vs-item" data-booking="${esc(b.id)}"><div class="vs-item__main"><span class="vs-item__title">${esc(b.plate)}</span>
          <span class="vs-muted">${esc(when(b.startsAt))} – ${esc(when(b.endsAt))} · ${esc(t(`visit.status.${b.status}`))}</span></div>
          ${b.status === 'booked' ? `<button type="button" class="btn" data-cancel="${esc(b.id)}">${esc(t('visit.cancel'))}</button>` : '<span></span>'}</li>`,
        )
        .join('')
    : `<li class="vs-muted">${esc(t('visit.bookings.none'))}</li>`;
  $('visit-bills').innerHTML = bills.length
    ? bills
        .map((b) => {
          const due = b.amountFen - b.paidFen;
          const action = due > 0 ? `<button type="button" class="btn btn--primary" data-pay="${esc(b.id)}">${esc(t('visit.pay'))}</button>` : `<span class="vs-status--${esc(b.status)}">${esc(t(`visit.bill.status.${b.status}`))}</span>`;
          return `<li class="vs-item" data-bill="${esc(b.id)}" data-status="${esc(b.status)}"><div class="vs-item__main"><span class="vs-item__title">${esc(b.plate)} · ¥${esc(yuan(b.amountFen))}</span>
          <span class="vs-muted">${esc(when(b.entryAt))} – ${esc(when(b.exitAt))} · ${esc(t(`visit.bill.status.${b.status}`))}</span></div>${action}</li>`;
        })
        .join('')
    : `<li class="vs-muted">${esc(t('visit.bills.none'))}</li>`;
}

$('visit-bookings').addEventListener('click', async (e) => {
  const button = e.target.closest('[data-cancel]');
  if (!button) return;
  try {
    await request('POST', `/visit/bookings/${encodeURIComponent(button.dataset.cancel)}/cancel`);
    notify(t('visit.cancelled'));
    await refreshMine();
  } catch (error) {
    failure(error);
  }
});

$('visit-bills').addEventListener('click', async (e) => {
  const button = e.target.closest('[data-pay]');
  if (!button) return;
  try {
    await pay.open(button.dataset.pay);
  } catch (error) {
    failure(error);
  }
});

$('visit-signout').addEventListener('click', signOut);

// ---- start
$('vs-lang').innerHTML = langSwitch();
watchLanguage();
onLangChange(() => {
  pay.render();
  if (session) refreshMine().catch(failure);
});
applyStatic(document);
if (session) enter().catch(failure);
else show('phone');
