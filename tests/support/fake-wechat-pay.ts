/**
 * A local WeChat Pay API v3 for tests: it checks every merchant request's WECHATPAY2-SHA256-RSA2048
 * signature with the test merchant's public key, signs its answers with its own platform key,
 * takes Native orders (code_url), refunds, serves the trade bill, and sends signed, AES-GCM
 * encrypted notifications to the order's notify_url. Keys are generated per run; none is committed.
 */
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encryptResource, fenToYuan, parseAuthorization, requestMessage, responseMessage, signSha256Rsa, verifySha256Rsa } from '../../apps/platform/src/domain/wechat-pay';

export const FAKE_MCHID = '1900000109';
export const FAKE_APPID = 'wxd678efh567hg6787';
export const FAKE_SERIAL_NO = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1';
const PLATFORM_SERIAL = '7132D72A03E93CDDF8C03BBD1F37EEDF51A2E5E1';

interface FakeOrder {
  outTradeNo: string;
  totalFen: number;
  notifyUrl: string;
  codeUrl: string;
  transactionId: string;
  state: 'NOTPAY' | 'SUCCESS';
  paidAt?: Date;
}

interface FakeRefund {
  outRefundNo: string;
  outTradeNo: string;
  refundFen: number;
}

export interface Notification {
  headers: Record<string, string>;
  body: string;
}

const BILL_HEADER = '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';

export class FakeWechatPay {
  readonly apiV3Key = randomBytes(16).toString('hex');
  /** Every request the merchant made, with whether its signature verified. */
  readonly requests: Array<{ method: string; path: string; signed: boolean }> = [];
  readonly orders = new Map<string, FakeOrder>();
  readonly refunds: FakeRefund[] = [];
  /** Extra trade bill lines (a trade the platform never heard of, a wrong amount …). */
  readonly plantedLines: string[][] = [];
  private readonly merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly dir = mkdtempSync(join(tmpdir(), 'fake-wechat-pay-'));
  private readonly bills = new Map<string, string>();
  /** Set to sign answers with another key (a man in the middle): the platform must refuse them. */
  answerSigningKey: KeyObject | undefined;
  private server!: Server;
  baseUrl = '';

  /** Files the platform reads: the merchant private key and the platform public key (PEM). */
  readonly privateKeyPath = join(this.dir, 'apiclient_key.pem');
  readonly platformKeyPath = join(this.dir, 'wechatpay_pub.pem');

  async start(): Promise<this> {
    writeFileSync(this.privateKeyPath, this.merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(this.platformKeyPath, this.platform.publicKey.export({ type: 'spki', format: 'pem' }));
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The platform's environment for this merchant; notifyUrl is the platform's callback. */
  env(notifyUrl: string): Record<string, string> {
    return {
      WECHATPAY_MCHID: FAKE_MCHID,
      WECHATPAY_APPID: FAKE_APPID,
      WECHATPAY_SERIAL_NO: FAKE_SERIAL_NO,
      WECHATPAY_PRIVATE_KEY_PATH: this.privateKeyPath,
      WECHATPAY_APIV3_KEY: this.apiV3Key,
      WECHATPAY_PLATFORM_KEY_PATH: this.platformKeyPath,
      WECHATPAY_BASE_URL: this.baseUrl,
      WECHATPAY_NOTIFY_URL: notifyUrl,
    };
  }

  /** The payer scanned and paid: the order succeeds (its notification is built by notification()). */
  pay(outTradeNo: string): FakeOrder {
    const order = this.orders.get(outTradeNo);
    if (!order) throw new Error(`fake WeChat Pay has no order ${outTradeNo}`);
    order.state = 'SUCCESS';
    order.paidAt ??= new Date();
    return order;
  }

  /**
   * A TRANSACTION notification for the order as WeChat Pay sends it. `total` overrides the amount
   * (a tampered or mismatched one); `signingKey` signs with another key (a forgery).
   */
  notification(outTradeNo: string, options: { total?: number; tradeState?: string; signingKey?: KeyObject } = {}): Notification {
    const order = this.orders.get(outTradeNo)!;
    const transaction = {
      appid: FAKE_APPID,
      mchid: FAKE_MCHID,
      out_trade_no: outTradeNo,
      transaction_id: order.transactionId,
      trade_type: 'NATIVE',
      trade_state: options.tradeState ?? order.state,
      trade_state_desc: '支付成功',
      bank_type: 'OTHERS',
      success_time: (order.paidAt ?? new Date()).toISOString().replace(/\.\d{3}Z$/, '+00:00'),
      payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
      amount: { total: options.total ?? order.totalFen, payer_total: options.total ?? order.totalFen, currency: 'CNY', payer_currency: 'CNY' },
    };
    const body = JSON.stringify({
      id: randomBytes(8).toString('hex'),
      create_time: new Date().toISOString(),
      resource_type: 'encrypt-resource',
      event_type: transaction.trade_state === 'SUCCESS' ? 'TRANSACTION.SUCCESS' : `TRANSACTION.${transaction.trade_state}`,
      summary: '支付成功',
      resource: encryptResource(JSON.stringify(transaction), this.apiV3Key, randomBytes(6).toString('hex'), 'transaction'),
    });
    return { headers: this.signatureHeaders(body, options.signingKey), body };
  }

  /** Posts a notification to the order's notify_url; returns WeChat's view: the HTTP status. */
  async deliver(outTradeNo: string, notification: Notification): Promise<number> {
    const res = await fetch(this.orders.get(outTradeNo)!.notifyUrl, { method: 'POST', headers: { 'Content-Type': 'application/json', ...notification.headers }, body: notification.body });
    await res.text();
    return res.status;
  }

  /** A trade bill line that the platform has not booked (or books differently). */
  plantPayment(outTradeNo: string, fen: number): void {
    this.plantedLines.push(this.billLine({ state: 'SUCCESS', outTradeNo, transactionId: `42${randomBytes(8).toString('hex')}`, settledFen: fen, outRefundNo: '', refundFen: 0, at: new Date() }));
  }

  private signatureHeaders(body: string, key: KeyObject = this.platform.privateKey): Record<string, string> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(16).toString('hex');
    return { 'Wechatpay-Timestamp': timestamp, 'Wechatpay-Nonce': nonce, 'Wechatpay-Signature': signSha256Rsa(responseMessage(timestamp, nonce, body), key), 'Wechatpay-Serial': PLATFORM_SERIAL };
  }

  private reply(res: ServerResponse, status: number, payload: unknown, contentType = 'application/json'): void {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    res.writeHead(status, { 'Content-Type': contentType, ...this.signatureHeaders(body, this.answerSigningKey) });
    res.end(body);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = req.url ?? '/';
    const auth = parseAuthorization(req.headers.authorization);
    const signed =
      !!auth && auth.mchid === FAKE_MCHID && auth.serial_no === FAKE_SERIAL_NO && verifySha256Rsa(requestMessage(req.method!, path, auth.timestamp, auth.nonce_str, body), auth.signature, this.merchant.publicKey);
    this.requests.push({ method: req.method!, path, signed });
    if (!signed) return this.reply(res, 401, { code: 'SIGN_ERROR', message: '签名错误' });
    const url = new URL(path, this.baseUrl);
    if (req.method === 'POST' && url.pathname === '/v3/pay/transactions/native') return this.nativeOrder(res, JSON.parse(body));
    if (req.method === 'POST' && url.pathname === '/v3/refund/domestic/refunds') return this.refund(res, JSON.parse(body));
    if (req.method === 'GET' && url.pathname === '/v3/bill/tradebill') return this.tradeBill(res, url.searchParams.get('bill_date') ?? '');
    if (req.method === 'GET' && url.pathname === '/v3/billdownload/file') {
      const csv = this.bills.get(url.searchParams.get('token') ?? '');
      return csv === undefined ? this.reply(res, 404, { code: 'NOT_FOUND', message: 'no such bill' }) : this.reply(res, 200, csv, 'text/plain; charset=utf-8');
    }
    this.reply(res, 404, { code: 'NOT_FOUND', message: `${req.method} ${url.pathname}` });
  }

  private nativeOrder(res: ServerResponse, order: { appid?: string; mchid?: string; out_trade_no?: string; notify_url?: string; description?: string; amount?: { total?: number } }): void {
    const total = order.amount?.total;
    if (order.appid !== FAKE_APPID || order.mchid !== FAKE_MCHID || !order.out_trade_no || !/^[A-Za-z0-9_|*-]{6,32}$/.test(order.out_trade_no) || !order.notify_url || !order.description || !Number.isInteger(total) || total! < 1) {
      return this.reply(res, 400, { code: 'PARAM_ERROR', message: '参数错误' });
    }
    const existing = this.orders.get(order.out_trade_no);
    if (existing && existing.totalFen !== total) return this.reply(res, 400, { code: 'INVALID_REQUEST', message: '201 商户订单号重复' });
    const placed = existing ?? { outTradeNo: order.out_trade_no, totalFen: total!, notifyUrl: order.notify_url, codeUrl: `weixin://wxpay/bizpayurl?pr=${randomBytes(5).toString('hex')}`, transactionId: `42${randomBytes(12).toString('hex')}`, state: 'NOTPAY' as const };
    this.orders.set(placed.outTradeNo, placed);
    this.reply(res, 200, { code_url: placed.codeUrl });
  }

  private refund(res: ServerResponse, request: { out_trade_no?: string; out_refund_no?: string; amount?: { refund?: number; total?: number } }): void {
    const order = this.orders.get(request.out_trade_no ?? '');
    if (!order || order.state !== 'SUCCESS') return this.reply(res, 404, { code: 'RESOURCE_NOT_EXISTS', message: '订单不存在' });
    const already = this.refunds.filter((r) => r.outTradeNo === order.outTradeNo).reduce((s, r) => s + r.refundFen, 0);
    const refund = request.amount?.refund ?? 0;
    if (!request.out_refund_no || request.amount?.total !== order.totalFen || refund < 1 || already + refund > order.totalFen) return this.reply(res, 400, { code: 'PARAM_ERROR', message: '退款金额错误' });
    this.refunds.push({ outRefundNo: request.out_refund_no, outTradeNo: order.outTradeNo, refundFen: refund });
    this.reply(res, 200, { refund_id: `50${randomBytes(12).toString('hex')}`, out_refund_no: request.out_refund_no, out_trade_no: order.outTradeNo, transaction_id: order.transactionId, channel: 'ORIGINAL', status: 'PROCESSING', amount: { refund, total: order.totalFen, currency: 'CNY' } });
  }

  private billLine(t: { state: 'SUCCESS' | 'REFUND'; outTradeNo: string; transactionId: string; settledFen: number; outRefundNo: string; refundFen: number; at: Date }): string[] {
    return [t.at.toISOString(), FAKE_APPID, FAKE_MCHID, '0', '', t.transactionId, t.outTradeNo, 'oUser', 'NATIVE', t.state, 'OTHERS', 'CNY', fenToYuan(BigInt(t.settledFen)), '0.00', t.outRefundNo ? '50000001' : '0', t.outRefundNo || '0', fenToYuan(BigInt(t.refundFen)), '0.00', t.outRefundNo ? 'ORIGINAL' : '', t.outRefundNo ? 'SUCCESS' : '', '停车费', '', '0.00', '0.60%', fenToYuan(BigInt(t.settledFen)), fenToYuan(BigInt(t.refundFen)), ''];
  }

  /** Every trade of the fake (the test picks the date; the fake does not split days). */
  private tradeBill(res: ServerResponse, date: string): void {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return this.reply(res, 400, { code: 'PARAM_ERROR', message: 'bill_date' });
    const lines = [...this.orders.values()]
      .filter((o) => o.state === 'SUCCESS')
      .map((o) => this.billLine({ state: 'SUCCESS', outTradeNo: o.outTradeNo, transactionId: o.transactionId, settledFen: o.totalFen, outRefundNo: '', refundFen: 0, at: o.paidAt! }));
    for (const r of this.refunds) lines.push(this.billLine({ state: 'REFUND', outTradeNo: r.outTradeNo, transactionId: this.orders.get(r.outTradeNo)!.transactionId, settledFen: 0, outRefundNo: r.outRefundNo, refundFen: r.refundFen, at: new Date() }));
    lines.push(...this.plantedLines);
    const csv = [BILL_HEADER, ...lines.map((l) => l.map((v) => `\`${v}`).join(',')), '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额', `\`${lines.length},\`0.00,\`0.00,\`0.00,\`0.00,\`0.00,\`0.00`].join('\r\n');
    const token = randomBytes(8).toString('hex');
    this.bills.set(token, csv);
    this.reply(res, 200, { hash_type: 'SHA1', hash_value: createHash('sha1').update(csv).digest('hex'), download_url: `${this.baseUrl}/v3/billdownload/file?token=${token}` });
  }
}
