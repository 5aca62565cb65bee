import { randomBytes } from 'node:crypto';
import { BadRequestException, ConflictException, Injectable, Logger, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { nextLocalMidnight, startOfLocalDay } from '../domain/business-time';
import { z } from 'zod';
import { billDetailCsv, judgeTradeNotice, parseAlipayBill } from '../domain/alipay';
import { reconcile, type Mismatch, type Movement } from '../domain/payment-reconciliation';
import { parseTradeBill, type SignatureHeaders } from '../domain/wechat-pay';
import { AlipayRepository } from '../repositories/alipay.repository';
import { AuditRepository } from '../repositories/audit.repository';
import type { BillRow } from '../repositories/billing.repository';
import { toFen } from '../repositories/billing.schema';
import { ClockRepository } from '../repositories/clock.repository';
import { EventBusRepository } from '../repositories/event-bus.repository';
import { MetricsRepository } from '../repositories/metrics.repository';
import { OnlinePaymentRepository, type OnlinePaymentOrderRow } from '../repositories/online-payment.repository';
import { WechatPayRepository } from '../repositories/wechat-pay.repository';
import type { AuthUser } from './auth-user';
import { BillingService } from './billing.service';

/** WeChat Pay's and Alipay's bill dates and trade times are Beijing time, whatever the platform's business zone. */
const PROVIDER_TIME_ZONE = 'Asia/Shanghai';

type NotificationOutcome = 'paid' | 'duplicate' | 'bad_signature' | 'amount_mismatch' | 'unknown_order' | 'not_success' | 'bill_settled' | 'wrong_merchant' | 'malformed';

/** An online provider that takes orders for a bill (its charge answers with the QR code content). */
type OrderingProvider = WechatPayRepository | AlipayRepository;

/** The fields of an Alipay trade notification the platform reads; the rest is signed and ignored. */
const alipayNoticeSchema = z.object({
  notify_type: z.literal('trade_status_sync'),
  app_id: z.string(),
  seller_id: z.string().optional(),
  out_trade_no: z.string().min(1),
  trade_no: z.string().min(1),
  trade_status: z.string(),
  total_amount: z.string(),
});

const mismatchJson = (m: Mismatch) => ({
  problem: m.problem,
  kind: m.kind,
  ref: m.ref,
  platformFen: 'platformFen' in m ? Number(m.platformFen) : null,
  providerFen: 'providerFen' in m ? Number(m.providerFen) : null,
});

/**
 * Online payment of parking bills (issue 13 §7) with WeChat Pay Native and Alipay face-to-face: an order and its QR code,
 * the provider's notification booking the payment exactly once, and the daily reconciliation.
 * Refunds go through BillingService.refund, which finds the provider of the payment.
 */
@Injectable()
export class OnlinePaymentService {
  private readonly logger = new Logger(OnlinePaymentService.name);

  constructor(
    private readonly billing: BillingService,
    private readonly orders: OnlinePaymentRepository,
    private readonly wechat: WechatPayRepository,
    private readonly alipay: AlipayRepository,
    private readonly metrics: MetricsRepository,
    private readonly audit: AuditRepository,
    private readonly clock: ClockRepository,
    private readonly bus: EventBusRepository,
  ) {}

  /** A Native order for what is due on the bill; the payer scans codeUrl as a QR code. */
  startWechatNative(user: AuthUser, billId: string) {
    return this.startOrder(this.wechat, 'WeChat Pay', user, billId);
  }

  /** An Alipay face-to-face precreate order for what is due on the bill; codeUrl is its qr_code. */
  startAlipayPrecreate(user: AuthUser, billId: string) {
    return this.startOrder(this.alipay, 'Alipay', user, billId);
  }

  private async startOrder(provider: OrderingProvider, label: string, user: AuthUser, billId: string) {
    const bill = await this.billing.billFor(user, billId);
    if (!provider.enabled) throw new ServiceUnavailableException(`${label} is not configured on this platform`);
    const due = toFen(bill.amount_fen) - toFen(bill.paid_fen);
    if (due <= 0n) throw new ConflictException(`bill ${billId} has nothing due`);
    const pending = await this.orders.pendingOrder(provider.name, billId, due);
    if (pending) return { billId, provider: provider.name, outTradeNo: pending.out_trade_no, amountFen: Number(due), codeUrl: pending.code_url! };
    const { outTradeNo, codeUrl } = await this.placeOrder(provider, bill, due, user.id);
    return { billId, provider: provider.name, outTradeNo, amountFen: Number(due), codeUrl };
  }

  private async placeOrder(provider: OrderingProvider, bill: BillRow, due: bigint, actorId: string | null): Promise<{ outTradeNo: string; codeUrl: string }> {
    // 32 characters at most, [A-Za-z0-9]: WeChat Pay's limit for out_trade_no (Alipay's is 64).
    const outTradeNo = `P${this.clock.now().toString(36)}${randomBytes(8).toString('hex')}`.toUpperCase();
    const result = await provider.charge({ billId: bill.id, amountFen: due, reference: outTradeNo });
    await this.orders.insertOrder({ out_trade_no: outTradeNo, provider: provider.name, bill_id: bill.id, community_id: bill.community_id, amount_fen: due, code_url: result.payUrl ?? null, created_by: actorId });
    await this.audit.record({ actorId, action: 'billing.online_order.created', subjectType: 'parking_bill', subjectId: bill.id, detail: { provider: provider.name, outTradeNo, amountFen: Number(due) } });
    return { outTradeNo, codeUrl: result.payUrl! };
  }

  /**
   * The order shown at an exit lane held for a bill (the platform places it, no user): WeChat Pay
   * Native if configured, else Alipay face-to-face; the pending one for what is due if there is
   * one, else a new one. Undefined when neither is configured (pay at the booth).
   */
  async exitLaneOrder(bill: BillRow, due: bigint): Promise<{ provider: string; outTradeNo: string; codeUrl: string } | undefined> {
    const provider = [this.wechat, this.alipay].find((p) => p.enabled);
    if (!provider || due <= 0n) return undefined;
    const pending = await this.orders.pendingOrder(provider.name, bill.id, due);
    if (pending?.code_url) return { provider: provider.name, outTradeNo: pending.out_trade_no, codeUrl: pending.code_url };
    return { provider: provider.name, ...(await this.placeOrder(provider, bill, due, null)) };
  }

  /**
   * A WeChat Pay notification: verified, decrypted, then booked once. Repeats, late deliveries and
   * non-SUCCESS states change nothing; a bad signature is 401, an unknown order or a wrong amount 400.
   */
  async wechatNotification(headers: SignatureHeaders, rawBody: string): Promise<{ code: 'SUCCESS' }> {
    const count = (outcome: NotificationOutcome) => this.metrics.paymentNotifications.inc({ provider: this.wechat.name, outcome });
    const transaction = this.wechat.enabled ? this.wechat.openNotification(headers, rawBody) : null;
    if (!transaction) {
      count('bad_signature');
      throw new UnauthorizedException('payment notification signature does not verify');
    }
    if (transaction.trade_state !== 'SUCCESS') {
      count('not_success');
      return { code: 'SUCCESS' };
    }
    const order = await this.orders.order(transaction.out_trade_no);
    if (!order || order.provider !== this.wechat.name) {
      count('unknown_order');
      throw new BadRequestException(`unknown out_trade_no ${transaction.out_trade_no}`);
    }
    const amount = BigInt(transaction.amount.total);
    if (amount !== toFen(order.amount_fen)) {
      count('amount_mismatch');
      this.logger.warn(`WeChat Pay notification for ${order.out_trade_no} says ${amount} fen, the order is ${toFen(order.amount_fen)} fen: refused`);
      throw new BadRequestException(`amount ${amount} does not match the order`);
    }
    await this.book(this.wechat.name, order, amount, transaction.transaction_id);
    return { code: 'SUCCESS' };
  }

  /**
   * An Alipay asynchronous notification (form-encoded): verified with Alipay's public key, then
   * booked once. TRADE_SUCCESS and TRADE_FINISHED pay the order, whichever comes first; repeats,
   * late and other states change nothing. A bad signature is 401; another app or seller, an
   * unknown order or a wrong amount 400. Alipay takes the plain text `success` as received.
   */
  async alipayNotification(rawBody: string): Promise<'success'> {
    const count = (outcome: NotificationOutcome) => this.metrics.paymentNotifications.inc({ provider: this.alipay.name, outcome });
    const params = Object.fromEntries(new URLSearchParams(rawBody));
    if (!this.alipay.enabled || !this.alipay.verifyNotification(params)) {
      count('bad_signature');
      throw new UnauthorizedException('payment notification signature does not verify');
    }
    const notice = alipayNoticeSchema.safeParse(params);
    if (!notice.success) {
      count('malformed');
      throw new BadRequestException(`not an Alipay trade notification: ${notice.error.issues.map((i) => i.path.join('.')).join(', ')}`);
    }
    const found = await this.orders.order(notice.data.out_trade_no);
    const order = found?.provider === this.alipay.name ? found : undefined;
    const verdict = judgeTradeNotice(notice.data, this.alipay.merchant, order && { amountFen: toFen(order.amount_fen) });
    if (!verdict.book) {
      count(verdict.outcome);
      if (verdict.outcome === 'not_success') return 'success';
      this.logger.warn(`Alipay notification for ${notice.data.out_trade_no} refused: ${verdict.outcome} (app ${notice.data.app_id}, seller ${notice.data.seller_id ?? '-'}, ${notice.data.total_amount} yuan)`);
      throw new BadRequestException(`notification refused: ${verdict.outcome}`);
    }
    await this.book(this.alipay.name, order!, verdict.amountFen, notice.data.trade_no);
    return 'success';
  }

  /** Books a verified payment of an order once, under the bill's lock, and counts the outcome. */
  private async book(provider: string, order: OnlinePaymentOrderRow, amount: bigint, transactionId: string): Promise<void> {
    const outcome = await this.billing.inBillTransaction(order.bill_id, async (tx, bill): Promise<NotificationOutcome> => {
      if ((await this.orders.lockedOrder(tx, order.out_trade_no))!.status === 'paid') return 'duplicate';
      // Paid by other means while the QR code was open: the money stays unbooked and shows in reconciliation for a refund.
      if (amount > toFen(bill.amount_fen) - toFen(bill.paid_fen)) return 'bill_settled';
      await this.billing.bookPayment(tx, bill, provider, order.out_trade_no, amount, null);
      await this.orders.markPaid(tx, order.out_trade_no, transactionId, new Date(this.clock.now()));
      return 'paid';
    });
    this.metrics.paymentNotifications.inc({ provider, outcome });
    if (outcome === 'bill_settled') this.logger.warn(`${provider} payment ${order.out_trade_no} arrived for bill ${order.bill_id}, already settled: refund it`);
    if (outcome === 'paid') {
      await this.audit.record({ actorId: null, action: 'billing.payment.recorded', subjectType: 'parking_bill', subjectId: order.bill_id, detail: { provider, reference: order.out_trade_no, transactionId, amountFen: Number(amount) } });
      this.bus.emit('billing.bill.paid', { billId: order.bill_id, communityId: order.community_id });
    }
  }

  /** The day's WeChat Pay trade bill against the platform's WeChat payments and refunds. */
  async reconcileWechat(date: string) {
    if (!this.wechat.enabled) throw new ServiceUnavailableException('WeChat Pay is not configured on this platform');
    return this.reconcileDay(this.wechat.name, date, parseTradeBill(await this.wechat.tradeBill(date)));
  }

  /** The day's Alipay trade bill (业务明细) against the platform's Alipay payments and refunds. */
  async reconcileAlipay(date: string) {
    if (!this.alipay.enabled) throw new ServiceUnavailableException('Alipay is not configured on this platform');
    return this.reconcileDay(this.alipay.name, date, parseAlipayBill(await billDetailCsv(await this.alipay.tradeBillArchive(date))));
  }

  private async reconcileDay(provider: string, date: string, statement: Movement[]) {
    const from = startOfLocalDay(date, PROVIDER_TIME_ZONE);
    const rows = await this.orders.movements(provider, new Date(from), new Date(nextLocalMidnight(from, PROVIDER_TIME_ZONE)));
    const result = reconcile(
      rows.map((r) => ({ kind: r.kind, ref: r.provider_ref, amountFen: toFen(r.amount_fen) })),
      statement,
    );
    return { provider, date, matched: result.matched, mismatches: result.mismatches.map(mismatchJson) };
  }
}
