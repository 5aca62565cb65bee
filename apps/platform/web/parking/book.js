// "Find a slot": free shared slots of a community for a time range (GET /parking/availability),
// booked with a plate (POST /parking/bookings). The plate is remembered on this device.
import { t } from '../shared/i18n.js';
import { request } from '../shared/api.js';
import { esc, localInput, range } from './util.js';

const PLATE_KEY = 'spp.parking.plate';

function defaultRange(now = Date.now()) {
  const start = Math.ceil((now + 15 * 60_000) / 1_800_000) * 1_800_000; // next half hour, ≥ 15 min ahead
  return { from: start, to: start + 2 * 3600_000 };
}

export class BookPanel {
  constructor(root, { notify, onBooked }) {
    this.root = root;
    this.notify = notify;
    this.onBooked = onBooked || (() => {});
    this.communities = [];
    this.communityId = null;
    this.results = null;
    this.range = defaultRange();
    this.searching = false;
    root.addEventListener('submit', (e) => {
      if (e.target.id === 'search-form') {
        e.preventDefault();
        this.search();
      }
    });
    root.addEventListener('click', (e) => {
      const b = e.target.closest('[data-book]');
      if (b) this.book(b.dataset.book, b);
    });
    root.addEventListener('change', (e) => {
      if (e.target.id === 'search-community') this.communityId = e.target.value;
      if (e.target.id === 'book-plate') {
        try {
          localStorage.setItem(PLATE_KEY, e.target.value.trim());
        } catch {
          /* ignore */
        }
      }
    });
  }

  setCommunities(list, preferred) {
    this.communities = list || [];
    if (!this.communityId || !this.communities.some((c) => c.id === this.communityId)) {
      this.communityId = (this.communities.find((c) => c.id === preferred) || this.communities[0] || {}).id || null;
    }
    this.render();
  }

  readForm() {
    const from = new Date(this.root.querySelector('#search-from').value).getTime();
    const to = new Date(this.root.querySelector('#search-to').value).getTime();
    this.range = { from, to };
    return { from, to };
  }

  plate() {
    return (this.root.querySelector('#book-plate')?.value || '').trim();
  }

  async search() {
    const { from, to } = this.readForm();
    if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) {
      this.notify(t('parking.err.range'), 'warn');
      return;
    }
    if (!this.communityId) return;
    this.searching = true;
    this.render();
    try {
      this.results = await request('GET', `/parking/availability?communityId=${encodeURIComponent(this.communityId)}&from=${from}&to=${to}`);
    } catch (err) {
      this.results = null;
      this.notify(err.message, 'alarm');
    } finally {
      this.searching = false;
    }
    this.render();
  }

  async book(slotId, button) {
    const plate = this.plate();
    if (plate.length < 2) {
      this.notify(t('parking.err.plate'), 'warn');
      this.root.querySelector('#book-plate')?.focus();
      return;
    }
    button.disabled = true;
    try {
      const b = await request('POST', '/parking/bookings', { body: { slotId, plate, startsAt: this.range.from, endsAt: this.range.to } });
      this.notify(t('parking.booked', { plate: b.plate, when: range(b.startsAt, b.endsAt) }), 'ok');
      this.results = (this.results || []).filter((s) => s.id !== slotId);
      this.render();
      this.onBooked(b);
    } catch (err) {
      button.disabled = false;
      this.notify(err.message, 'alarm');
    }
  }

  render() {
    let savedPlate = this.plate();
    if (!savedPlate) {
      try {
        savedPlate = localStorage.getItem(PLATE_KEY) || '';
      } catch {
        savedPlate = '';
      }
    }
    const communitySelect =
      this.communities.length > 1
        ? `<label class="pk-field pk-field--wide"><span>${esc(t('community.label'))}</span><select id="search-community" class="select">${this.communities
            .map((c) => `<option value="${esc(c.id)}"${c.id === this.communityId ? ' selected' : ''}>${esc(c.name)}</option>`)
            .join('')}</select></label>`
        : '';
    const results =
      this.results == null
        ? ''
        : this.results.length === 0
          ? `<p class="pk-empty" id="search-none">${esc(t('parking.search.none'))}</p>`
          : `<ul class="pk-results" id="search-results">${this.results
              .map(
                (s) => `<li class="pk-result" data-result-slot="${esc(s.id)}" data-slot-code="${esc(s.code)}">
                  <div><strong class="pk-result__code">${esc(s.code)}</strong> <span class="pk-muted">${esc(s.location)}</span>
                  <span class="badge badge--${s.ownership === 'common' ? 'info' : 'neutral'}">${esc(t(`parking.ownership.${s.ownership}`))}</span></div>
                  <button type="button" class="btn btn--primary" data-book="${esc(s.id)}">${esc(t('parking.book'))}</button>
                </li>`,
              )
              .join('')}</ul>`;
    this.root.innerHTML = `
      <div class="pk-card">
        <h3>${esc(t('parking.search'))}</h3>
        ${this.communities.length ? '' : `<p class="pk-muted">${esc(t('community.none.body'))}</p>`}
        <form id="search-form" class="pk-form">
          <div class="pk-row">
            ${communitySelect}
            <label class="pk-field"><span>${esc(t('parking.start'))}</span><input type="datetime-local" id="search-from" step="300" value="${esc(localInput(this.range.from))}" required /></label>
            <label class="pk-field"><span>${esc(t('parking.end'))}</span><input type="datetime-local" id="search-to" step="300" value="${esc(localInput(this.range.to))}" required /></label>
            <label class="pk-field"><span>${esc(t('parking.plate'))}</span><input id="book-plate" autocomplete="off" placeholder="${esc(t('parking.plate.placeholder'))}" value="${esc(savedPlate)}" maxlength="16" /></label>
            <button type="submit" class="btn btn--primary" id="search-submit" ${this.searching || !this.communityId ? 'disabled' : ''}>${esc(t(this.searching ? 'parking.searching' : 'parking.searchAction'))}</button>
          </div>
        </form>
        ${results}
      </div>`;
  }
}
