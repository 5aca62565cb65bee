// Paying a bill online (issue 13 §7), shared by the visitor's page /visit/ and the owner's /parking/:
// an order with WeChat Pay Native (Alipay face-to-face when WeChat Pay is not configured here),
// its QR code and a link that opens the payment app on this phone, then the bill asked again with
// back-off until nothing is due. No socket event reaches the payer, so polling it is; it stops after
// a few minutes and offers to look once more (a payment may still arrive later).
import './pay-strings.js';
import { t } from './i18n.js';
import { ApiError, request } from './api.js';
import { esc } from './escape.js';
import qrcode from '../vendor/qrcode-generator/qrcode.js';

/** The order routes in the order they are tried: the next one only when a provider is not configured (503). */
const ORDER_ROUTES = ['wechat-pay/native', 'alipay/precreate'];
const FIRST_POLL_MS = 2000;
const MAX_POLL_MS = 15_000;
const GIVE_UP_MS = 5 * 60_000;

const yuan = (fen) => (Number(fen || 0) / 100).toFixed(2);

/** What is still due on a bill (GET /billing/bills/:id or a list row of one), in fen. */
export const dueOf = (bill) => bill.amountFen - bill.paidFen;

/** The payment channel's name (provider wechat, alipay, cash…), or the provider as stored. */
export function channelName(provider) {
  const key = `pay.provider.${provider}`;
  const name = t(key);
  return name === key ? provider : name;
}

async function placeOrder(billId) {
  for (const [i, route] of ORDER_ROUTES.entries()) {
    try {
      return await request('POST', `/billing/bills/${encodeURIComponent(billId)}/${route}`);
    } catch (error) {
      const unconfigured = error instanceof ApiError && error.status === 503;
      if (!unconfigured || i === ORDER_ROUTES.length - 1) throw error;
    }
  }
}

function qrDataUrl(text) {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  return qr.createDataURL(6, 2);
}

/**
 * The payment box of one bill at a time. `root` is the element it renders into (a page may move
 * it between renders); element ids start with `id` (`<id>-pay-amount`, `<id>-qr`). `onPaid(bill)`
 * gets the bill (GET /billing/bills/:id, with its payments) once nothing is due.
 */
export class PayBox {
  constructor(root, { id, onPaid }) {
    this.root = root;
    this.id = id;
    this.onPaid = onPaid;
    this.order = null;
    this.timer = 0;
    root.classList.add('pay');
    root.hidden = true;
    root.addEventListener('click', (e) => {
      if (e.target.closest('[data-pay-recheck]')) this.watch();
    });
  }

  /** The bill being paid, or null. */
  get billId() {
    return this.order?.billId ?? null;
  }

  /** Places (or shows again) the order for what is due on the bill and waits for it to be paid; throws ApiError. */
  async open(billId) {
    this.close();
    const order = await placeOrder(billId);
    this.order = { ...order, image: qrDataUrl(order.codeUrl) };
    this.watch();
  }

  close() {
    clearTimeout(this.timer);
    this.order = null;
    this.render();
  }

  /** Polls from the start again: every 2 s, then 1.5× longer up to 15 s, for five minutes. */
  watch() {
    this.startedAt = Date.now();
    this.delay = FIRST_POLL_MS;
    this.gaveUp = false;
    this.render();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), this.delay);
  }

  async check() {
    const billId = this.billId;
    if (!billId) return;
    try {
      const bill = await request('GET', `/billing/bills/${encodeURIComponent(billId)}`);
      if (this.billId !== billId) return;
      if (dueOf(bill) <= 0) {
        this.close();
        this.onPaid(bill);
        return;
      }
    } catch {
      /* a failed look is retried at the next step */
    }
    if (this.billId !== billId) return;
    if (Date.now() - this.startedAt >= GIVE_UP_MS) {
      this.gaveUp = true;
      this.render();
      return;
    }
    this.delay = Math.min(this.delay * 1.5, MAX_POLL_MS);
    this.timer = setTimeout(() => this.check(), this.delay);
  }

  /** Draws the box from its state (again after a language switch). */
  render() {
    const o = this.order;
    this.root.hidden = !o;
    if (!o) {
      this.root.innerHTML = '';
      return;
    }
    const channel = o.provider === 'alipay' ? 'alipay' : 'wechat';
    this.root.innerHTML = `
      <p id="${esc(this.id)}-pay-amount" class="pay__amount">${esc(t('pay.amount', { amount: yuan(o.amountFen) }))}</p>
      <img id="${esc(this.id)}-qr" class="pay__qr" src="${esc(o.image)}" alt="${esc(t('pay.qr.alt'))}" data-code-url="${esc(o.codeUrl)}" width="232" height="232" />
      <p class="pay__hint">${esc(t(`pay.scan.${channel}`))}</p>
      <a class="btn btn--primary pay__link" href="${esc(o.codeUrl)}" data-pay-link>${esc(t(`pay.open.${channel}`))}</a>
      ${this.gaveUp ? `<p class="pay__hint" data-pay-stopped>${esc(t('pay.stopped'))}</p><button type="button" class="btn" data-pay-recheck>${esc(t('pay.recheck'))}</button>` : `<p class="pay__hint pay__wait">${esc(t('pay.waiting'))}</p>`}`;
  }
}
