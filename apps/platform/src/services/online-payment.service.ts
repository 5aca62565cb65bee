import { randomBytes } from 'node:crypto';
import { BadRequestException, ConflictException, Injectable, Logger, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { nextLocalMidnight, startOfLocalDay } from '../domain/business-time';
import { reconcile, type Mismatch } from '../domain/payment-reconciliation';
import { parseTradeBill, type SignatureHeaders } from '../domain/wechat-pay';
import { AuditRepository } from '../repositories/audit.repository';
import { toFen } from '../repositories/billing.schema';
import { ClockRepository } from '../repositories/clock.repository';
import { MetricsRepository } from '../repositories/metrics.repository';
import { OnlinePaymentRepository } from '../repositories/online-payment.repository';
import { WechatPayRepository } from '../repositories/wechat-pay.repository';
import type { AuthUser } from './auth-user';
import { BillingService } from './billing.service';

/** WeChat Pay's bill dates and trade times are Beijing time, whatever the platform's business zone. */
const WECHAT_TIME_ZONE = 'Asia/Shanghai';

type NotificationOutcome = 'paid' | 'duplicate' | 'bad_signature' | 'amount_mismatch' | 'unknown_order' | 'not_success' | 'bill_settled';

const mismatchJson = (m: Mismatch) => ({
  problem: m.problem,
  kind: m.kind,
  ref: m.ref,
  platformFen: 'platformFen' in m ? Number(m.platformFen) : null,
  providerFen: 'providerFen' in m ? Number(m.providerFen) : null,
});

/**
 * Online payment of parking bills (issue 13 §7) with WeChat Pay Native: an order and its QR code,
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
    private readonly metrics: MetricsRepository,
    private readonly audit: AuditRepository,
    private readonly clock: ClockRepository,
  ) {}

  /** A Native order for what is due on the bill; the payer scans codeUrl as a QR code. */
  async startWechatNative(user: AuthUser, billId: string) {
    const bill = await this.billing.billFor(user, billId);
    if (!this.wechat.enabled) throw new ServiceUnavailableException('WeChat Pay is not configured on this platform');
    const due = toFen(bill.amount_fen) - toFen(bill.paid_fen);
    if (due <= 0n) throw new ConflictException(`bill ${billId} has nothing due`);
    const pending = await this.orders.pendingOrder(this.wechat.name, billId, due);
    if (pending) return { billId, provider: this.wechat.name, outTradeNo: pending.out_trade_no, amountFen: Number(due), codeUrl: pending.code_url! };
    // 32 characters at most, [A-Za-z0-9]: WeChat Pay's limit for out_trade_no.
    const outTradeNo = `P${this.clock.now().toString(36)}${randomBytes(8).toString('hex')}`.toUpperCase();
    const result = await this.wechat.charge({ billId, amountFen: due, reference: outTradeNo });
    await this.orders.insertOrder({ out_trade_no: outTradeNo, provider: this.wechat.name, bill_id: billId, community_id: bill.community_id, amount_fen: due, code_url: result.payUrl ?? null, created_by: user.id });
    await this.audit.record({ actorId: user.id, action: 'billing.online_order.created', subjectType: 'parking_bill', subjectId: billId, detail: { provider: this.wechat.name, outTradeNo, amountFen: Number(due) } });
    return { billId, provider: this.wechat.name, outTradeNo, amountFen: Number(due), codeUrl: result.payUrl! };
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
    const outcome = await this.billing.inBillTransaction(order.bill_id, async (tx, bill): Promise<NotificationOutcome> => {
      if ((await this.orders.lockedOrder(tx, order.out_trade_no))!.status === 'paid') return 'duplicate';
      // Paid by other means while the QR code was open: the money stays unbooked and shows in reconciliation for a refund.
      if (amount > toFen(bill.amount_fen) - toFen(bill.paid_fen)) return 'bill_settled';
      await this.billing.bookPayment(tx, bill, this.wechat.name, order.out_trade_no, amount, null);
      await this.orders.markPaid(tx, order.out_trade_no, transaction.transaction_id, new Date(this.clock.now()));
      return 'paid';
    });
    count(outcome);
    if (outcome === 'bill_settled') this.logger.warn(`WeChat Pay payment ${order.out_trade_no} arrived for bill ${order.bill_id}, already settled: refund it`);
    if (outcome === 'paid') {
      await this.audit.record({ actorId: null, action: 'billing.payment.recorded', subjectType: 'parking_bill', subjectId: order.bill_id, detail: { provider: this.wechat.name, reference: order.out_trade_no, transactionId: transaction.transaction_id, amountFen: Number(amount) } });
    }
    return { code: 'SUCCESS' };
  }

  /** The day's WeChat Pay trade bill against the platform's WeChat payments and refunds. */
  async reconcileWechat(date: string) {
    if (!this.wechat.enabled) throw new ServiceUnavailableException('WeChat Pay is not configured on this platform');
    const statement = parseTradeBill(await this.wechat.tradeBill(date));
    const from = startOfLocalDay(date, WECHAT_TIME_ZONE);
    const rows = await this.orders.movements(this.wechat.name, new Date(from), new Date(nextLocalMidnight(from, WECHAT_TIME_ZONE)));
    const result = reconcile(
      rows.map((r) => ({ kind: r.kind, ref: r.provider_ref, amountFen: toFen(r.amount_fen) })),
      statement,
    );
    return { provider: this.wechat.name, date, matched: result.matched, mismatches: result.mismatches.map(mismatchJson) };
  }
}
