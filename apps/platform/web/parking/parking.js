// The owner's parking page: tabs for my slots and share windows, bookings, finding and booking a
// slot, paying my own bills online, and monthly earnings (sign-in: ../shared/session.js). Chinese
// first, English through shared/i18n.js.
import './strings.js';
import { onLangChange } from '../shared/i18n.js';
import { api, request } from '../shared/api.js';
import { noticeLine } from '../shared/notice.js';
import { startSession } from '../shared/session.js';
import { SlotsPanel } from './slots.js';
import { BookingsPanel } from './bookings.js';
import { BookPanel } from './book.js';
import { EarningsPanel } from './earnings.js';

const $ = (id) => document.getElementById(id);
const ui = {
  user: $('user-name'),
  notice: $('notice'),
};

/** slotId → code, from my slots and the community's slot list (booking rows only carry ids). */
const codes = new Map();
const slotCode = (id) => codes.get(id) || '';

const notify = noticeLine(ui.notice, 'pk-notice');

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

async function showApp() {
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

onLangChange(() => {
  ui.notice.hidden = true;
  slots.render();
  bookings.render();
  book.render();
  earnings.render();
});

startSession({
  onLogin: () => showApp().catch((err) => notify(err.message, 'alarm')),
  onLogout: () => {
    ui.user.textContent = '';
    ui.notice.hidden = true;
  },
});
