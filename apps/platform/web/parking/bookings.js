// "Bookings": bookings of my slots (as owner, from GET /parking/slots/mine) and my own bookings
// as a guest (GET /parking/bookings/mine) with a cancel button while a booking is still 'booked'.
import { t } from '../shared/i18n.js';
import { request } from '../shared/api.js';
import { esc, range, statusBadge } from './util.js';

export class BookingsPanel {
  constructor(root, { notify, slotCode, onChange }) {
    this.root = root;
    this.notify = notify;
    this.slotCode = slotCode;
    this.onChange = onChange || (() => {});
    this.mySlots = [];
    this.mine = [];
    this.loaded = false;
    this.error = '';
    root.addEventListener('click', (e) => {
      const b = e.target.closest('[data-cancel]');
      if (b) this.cancel(b.dataset.cancel, b);
    });
  }

  setSlots(slots) {
    this.mySlots = slots || [];
    this.render();
  }

  async load() {
    try {
      this.mine = await request('GET', '/parking/bookings/mine');
      this.error = '';
    } catch (err) {
      this.error = err.message;
    }
    this.loaded = true;
    this.render();
  }

  async cancel(id, button) {
    button.disabled = true;
    try {
      const b = await request('POST', `/parking/bookings/${encodeURIComponent(id)}/cancel`, { body: {} });
      this.notify(b.lateCancel ? t('parking.cancelled.late') : t('parking.cancelled'), 'ok');
      await this.load();
      this.onChange();
    } catch (err) {
      button.disabled = false;
      this.notify(err.message, 'alarm');
    }
  }

  row(b, { asGuest }) {
    const cancel = asGuest && b.status === 'booked' ? `<button type="button" class="btn btn--ghost btn--sm" data-cancel="${esc(b.id)}">${esc(t('parking.cancel'))}</button>` : '';
    return `<li class="pk-booking" data-booking-id="${esc(b.id)}">
      <div class="pk-booking__main">
        <span class="pk-booking__slot">${esc(this.slotCode(b.slotId) || t('parking.slot'))}</span>
        <span class="pk-plate">${esc(b.plate)}</span>
        ${statusBadge(b.status)}
      </div>
      <div class="pk-booking__time">${esc(range(b.startsAt, b.endsAt))}</div>
      ${cancel}
    </li>`;
  }

  render() {
    const byTime = (a, b) => new Date(b.startsAt) - new Date(a.startsAt);
    const ofMySlots = this.mySlots.flatMap((s) => s.bookings || []).sort(byTime);
    const mine = [...this.mine].sort(byTime);
    const list = (items, asGuest, none) => (items.length ? `<ul class="pk-bookings">${items.map((b) => this.row(b, { asGuest })).join('')}</ul>` : `<p class="pk-muted">${esc(t(none))}</p>`);
    this.root.innerHTML = `
      <div class="pk-card" id="bookings-of-my-slots">
        <h3>${esc(t('parking.bookings.ofMySlots'))}</h3>
        ${this.mySlots.length ? list(ofMySlots, false, 'parking.bookings.noneOfMySlots') : `<p class="pk-muted">${esc(t('parking.slots.none'))}</p>`}
      </div>
      <div class="pk-card" id="my-bookings">
        <h3>${esc(t('parking.bookings.mine'))}</h3>
        ${this.error ? `<p class="pk-empty--error">${esc(t('loadError', { msg: this.error }))}</p>` : !this.loaded ? `<p class="pk-muted">${esc(t('loading'))}</p>` : list(mine, true, 'parking.bookings.noneMine')}
      </div>`;
  }
}
