// "Bookings": bookings of my slots (as owner, from GET /parking/slots/mine) and my own bookings
// as a guest (GET /parking/bookings/mine) with a cancel button while a booking is still 'booked'.
// A stay of mine that is parked can be checked out (POST /parking/bookings/:id/checkout); its bill
// (GET /billing/bills/mine) shows what is due with a pay button (../shared/pay.js), and once paid
// a receipt: amount, time, channel and the provider's transaction number.
import { t } from '../shared/i18n.js';
import { request } from '../shared/api.js';
import { channelName, dueOf, PayBox } from '../shared/pay.js';
import { esc, range, statusBadge, when, yuan } from './util.js';

export class BookingsPanel {
  constructor(root, { notify, slotCode, onChange }) {
    this.root = root;
    this.notify = notify;
    this.slotCode = slotCode;
    this.onChange = onChange || (() => {});
    this.mySlots = [];
    this.mine = [];
    this.bills = [];
    this.loaded = false;
    this.error = '';
    // One box, moved into the row being paid at each render (render rewrites the panel).
    this.pay = new PayBox(document.createElement('div'), { id: 'owner', onPaid: () => this.paid() });
    root.addEventListener('click', (e) => {
      const cancel = e.target.closest('[data-cancel]');
      if (cancel) this.cancel(cancel.dataset.cancel, cancel);
      const checkout = e.target.closest('[data-checkout]');
      if (checkout) this.checkout(checkout.dataset.checkout, checkout);
      const pay = e.target.closest('[data-pay]');
      if (pay) this.startPay(pay.dataset.pay, pay);
    });
  }

  setSlots(slots) {
    this.mySlots = slots || [];
    this.render();
  }

  async load() {
    try {
      [this.mine, this.bills] = await Promise.all([request('GET', '/parking/bookings/mine'), request('GET', '/billing/bills/mine')]);
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

  /** Ends my parked stay now and prices it; what is due is paid at once, before driving to the exit. */
  async checkout(bookingId, button) {
    button.disabled = true;
    try {
      const out = await request('POST', `/parking/bookings/${encodeURIComponent(bookingId)}/checkout`, { body: {} });
      await this.load();
      if (out.billId && out.dueFen > 0) await this.startPay(out.billId);
      else this.notify(t('parking.checkout.nothingDue', { minutes: out.paidGraceMin }), 'ok');
    } catch (err) {
      button.disabled = false;
      this.notify(err.message, 'alarm');
    }
  }

  async startPay(billId, button) {
    if (button) button.disabled = true;
    try {
      await this.pay.open(billId);
      this.render();
    } catch (err) {
      this.notify(t('parking.pay.failed', { msg: err.message }), 'alarm');
    } finally {
      if (button) button.disabled = false;
    }
  }

  async paid() {
    this.notify(t('parking.pay.done'), 'ok');
    await this.load();
  }

  /** My bill of the booking's stay, if it has one. */
  billOf(bookingId) {
    return this.bills.find((b) => b.bookingId === bookingId);
  }

  billPart(bill) {
    if (!bill) return '';
    const due = dueOf(bill);
    if (due > 0) {
      const paying = this.pay.billId === bill.id;
      return `<div class="pk-bill" data-bill-id="${esc(bill.id)}" data-bill-status="${esc(bill.status)}">
        <span class="pk-bill__due">${esc(t('parking.bill.due', { amount: yuan(due) }))}</span>
        ${paying ? '' : `<button type="button" class="btn btn--primary btn--sm" data-pay="${esc(bill.id)}">${esc(t('parking.pay'))}</button>`}
      </div>`;
    }
    const paid = bill.payments.filter((p) => p.kind === 'payment').at(-1);
    const receipt = paid
      ? `<dl class="pk-receipt" data-receipt>
          <div><dt>${esc(t('parking.receipt.amount'))}</dt><dd data-receipt-amount>¥${esc(yuan(paid.amountFen))}</dd></div>
          <div><dt>${esc(t('parking.receipt.paidAt'))}</dt><dd data-receipt-time>${esc(when(paid.createdAt))}</dd></div>
          <div><dt>${esc(t('parking.receipt.channel'))}</dt><dd data-receipt-channel>${esc(channelName(paid.provider))}</dd></div>
          <div><dt>${esc(t('parking.receipt.transaction'))}</dt><dd data-receipt-transaction>${esc(paid.transactionId || paid.reference)}</dd></div>
        </dl>`
      : '';
    return `<div class="pk-bill" data-bill-id="${esc(bill.id)}" data-bill-status="${esc(bill.status)}">
        <span class="pk-bill__state pk-bill__state--${esc(bill.status)}">${esc(t(`parking.bill.status.${bill.status}`))} · ¥${esc(yuan(bill.amountFen))}</span>
      </div>${receipt}`;
  }

  row(b, { asGuest }) {
    const bill = asGuest ? this.billOf(b.id) : undefined;
    const action =
      asGuest && b.status === 'booked'
        ? `<button type="button" class="btn btn--ghost btn--sm" data-cancel="${esc(b.id)}">${esc(t('parking.cancel'))}</button>`
        : asGuest && b.status === 'active' && !bill
          ? `<button type="button" class="btn btn--primary btn--sm" data-checkout="${esc(b.id)}">${esc(t('parking.checkout'))}</button>`
          : '';
    return `<li class="pk-booking" data-booking-id="${esc(b.id)}">
      <div class="pk-booking__main">
        <span class="pk-booking__slot">${esc(this.slotCode(b.slotId) || t('parking.slot'))}</span>
        <span class="pk-plate">${esc(b.plate)}</span>
        ${statusBadge(b.status)}
      </div>
      <div class="pk-booking__time">${esc(range(b.startsAt, b.endsAt))}</div>
      ${action}
      ${this.billPart(bill)}
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
    this.pay.render();
    const paying = this.pay.billId && this.root.querySelector(`#my-bookings [data-bill-id="${CSS.escape(this.pay.billId)}"]`);
    if (paying) paying.after(this.pay.root);
  }
}
