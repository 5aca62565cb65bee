// "Earnings": the owner's earnings of a month (GET /billing/owners/me/earnings?month=YYYY-MM).
// A 404 (billing not there yet) or a month without bills shows a clear "no earnings yet" state.
import { t } from '../shared/i18n.js';
import { request, ApiError } from '../shared/api.js';
import { esc, yuan, thisMonth, when } from './util.js';

export class EarningsPanel {
  constructor(root, { slotCode }) {
    this.root = root;
    this.slotCode = slotCode;
    this.month = thisMonth();
    this.data = null;
    this.state = 'idle'; // idle | loading | ready | empty | error
    this.error = '';
    root.addEventListener('change', (e) => {
      if (e.target.id === 'earnings-month' && /^\d{4}-\d{2}$/.test(e.target.value)) {
        this.month = e.target.value;
        this.load();
      }
    });
  }

  async load() {
    const month = this.month;
    this.state = 'loading';
    this.render();
    try {
      const data = await request('GET', `/billing/owners/me/earnings?month=${encodeURIComponent(month)}`);
      if (month !== this.month) return;
      this.data = data;
      const items = (data && data.items) || [];
      this.state = !data || (!items.length && !Number(data.bills) && !Number(data.ownerEarningsFen)) ? 'empty' : 'ready';
    } catch (err) {
      if (month !== this.month) return;
      if (err instanceof ApiError && err.status === 404) this.state = 'empty';
      else {
        this.state = 'error';
        this.error = err.message;
      }
    }
    this.render();
  }

  render() {
    const d = this.data || {};
    let body = '';
    if (this.state === 'loading' || this.state === 'idle') body = `<p class="pk-muted">${esc(t('loading'))}</p>`;
    else if (this.state === 'error') body = `<p class="pk-empty--error">${esc(t('loadError', { msg: this.error }))}</p>`;
    else if (this.state === 'empty')
      body = `<div class="pk-empty" id="earnings-empty"><h2>${esc(t('owner.earnings.none'))}</h2><p>${esc(t('owner.earnings.noneBody'))}</p></div>`;
    else
      body = `
        <div class="pk-total" id="earnings-total"><span>${esc(t('owner.earnings.total'))}</span><strong>¥${esc(yuan(d.ownerEarningsFen))}</strong></div>
        <dl class="pk-kv">
          <div><dt>${esc(t('owner.earnings.bills'))}</dt><dd>${esc(d.bills ?? (d.items || []).length)}</dd></div>
          <div><dt>${esc(t('owner.earnings.revenue'))}</dt><dd>¥${esc(yuan(d.revenueFen))}</dd></div>
          <div><dt>${esc(t('owner.earnings.commission'))}</dt><dd>¥${esc(yuan(d.commissionFen))}</dd></div>
          <div><dt>${esc(t('owner.earnings.platformFee'))}</dt><dd>¥${esc(yuan(d.platformFeeFen))}</dd></div>
        </dl>
        <ul class="pk-bookings">${(d.items || [])
          .map(
            (i) => `<li class="pk-booking"><div class="pk-booking__main"><span class="pk-booking__slot">${esc(this.slotCode(i.slotId) || '')}</span>
              <span class="pk-muted">${esc(when(i.exitAt))}</span><strong>¥${esc(yuan(i.ownerFen))}</strong></div>
              <div class="pk-muted">${esc(t('owner.earnings.item', { amount: yuan(i.amountFen), status: i.status }))}</div></li>`,
          )
          .join('')}</ul>`;
    this.root.innerHTML = `
      <div class="pk-card">
        <div class="pk-card__head">
          <h3>${esc(t('owner.earnings'))}</h3>
          <label class="pk-field"><span class="sr-only">${esc(t('owner.earnings.month'))}</span><input type="month" id="earnings-month" value="${esc(this.month)}" /></label>
        </div>
        ${body}
      </div>`;
  }
}
