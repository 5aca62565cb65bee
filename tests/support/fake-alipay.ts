/**
 * A local Alipay open platform gateway (OpenAPI 2.0, gateway.do) for tests: it checks every
 * request's RSA2 signature with the test application's public key, answers
 * `{"<method>_response":{…},"sign":"…"}` signed with its own Alipay key, takes face-to-face
 * precreate orders (qr_code), refunds, hands out the trade bill's download address and serves
 * the bill as Alipay does (a zip of GBK CSV files), and posts signed form-encoded trade
 * notifications to the order's notify_url. Keys are generated per run; none is committed.
 */
import { createSign, createVerify, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import JSZip from 'jszip';
import { signContent } from '../../apps/platform/src/domain/alipay';
import { fenToYuan, yuanToFen } from '../../apps/platform/src/domain/payment-reconciliation';

export const FAKE_ALIPAY_APP_ID = '2021000117600001';
export const FAKE_SELLER_ID = '2088102177000001';

interface FakeTrade {
  outTradeNo: string;
  totalFen: number;
  notifyUrl: string;
  qrCode: string;
  tradeNo: string;
  status: 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS';
  paidAt?: Date;
}

interface FakeRefund {
  outRequestNo: string;
  outTradeNo: string;
  refundFen: number;
}

/** Alipay's bill CSV columns (业务明细, bill_type trade). */
const BILL_HEADER = '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注';

let gbkTable: Map<string, number[]> | undefined;

/** Node decodes GBK but does not encode it: the table is the inverse of its decoder over every two-byte code. */
export function encodeGbk(text: string): Buffer {
  if (!gbkTable) {
    gbkTable = new Map();
    const decoder = new TextDecoder('gbk', { fatal: true });
    for (let lead = 0x81; lead <= 0xfe; lead++) {
      for (let trail = 0x40; trail <= 0xfe; trail++) {
        if (trail === 0x7f) continue;
        try {
          const ch = decoder.decode(Uint8Array.of(lead, trail));
          if (!gbkTable.has(ch)) gbkTable.set(ch, [lead, trail]);
        } catch {
          // not a GBK code
        }
      }
    }
  }
  const bytes: number[] = [];
  for (const ch of text) {
    if (ch.charCodeAt(0) < 0x80) bytes.push(ch.charCodeAt(0));
    else {
      const code = gbkTable.get(ch);
      if (!code) throw new Error(`"${ch}" has no GBK code`);
      bytes.push(...code);
    }
  }
  return Buffer.from(bytes);
}

/**
 * A zip of files named in GBK, as Alipay's bill archive is: JSZip also writes each name in UTF-8
 * in an Info-ZIP unicode path field (0x7075), which Alipay's archives lack and readers prefer;
 * renaming that field's id to an unknown one leaves the GBK names as the only names.
 */
export async function gbkZip(files: Record<string, string>): Promise<Buffer> {
  const zip = new JSZip();
  for (const [name, text] of Object.entries(files)) zip.file(name, encodeGbk(text));
  const bytes = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', encodeFileName: (name) => encodeGbk(name).toString('latin1') });
  const hide = (extraStart: number, extraLength: number) => {
    for (let at = extraStart; at + 4 <= extraStart + extraLength; at += 4 + bytes.readUInt16LE(at + 2)) {
      if (bytes.readUInt16LE(at) === 0x7075) bytes.writeUInt16LE(0xcafe, at);
    }
  };
  let at = 0;
  while (bytes.readUInt32LE(at) === 0x04034b50) {
    const nameLength = bytes.readUInt16LE(at + 26);
    const extraLength = bytes.readUInt16LE(at + 28);
    hide(at + 30 + nameLength, extraLength);
    at += 30 + nameLength + extraLength + bytes.readUInt32LE(at + 18);
  }
  while (bytes.readUInt32LE(at) === 0x02014b50) {
    const nameLength = bytes.readUInt16LE(at + 28);
    const extraLength = bytes.readUInt16LE(at + 30);
    hide(at + 46 + nameLength, extraLength);
    at += 46 + nameLength + extraLength + bytes.readUInt16LE(at + 32);
  }
  return bytes;
}

const stamp = (d: Date) => new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
const rsa2 = (content: string, key: KeyObject) => createSign('RSA-SHA256').update(content, 'utf8').sign(key, 'base64');

export class FakeAlipay {
  /** Every gateway call the merchant made, with whether its signature verified. */
  readonly requests: Array<{ method: string; signed: boolean }> = [];
  readonly trades = new Map<string, FakeTrade>();
  readonly refunds: FakeRefund[] = [];
  /** Extra bill rows (a trade the platform never heard of …). */
  readonly plantedRows: string[][] = [];
  private readonly app = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly alipay = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly dir = mkdtempSync(join(tmpdir(), 'fake-alipay-'));
  private readonly bills = new Map<string, Buffer>();
  /** Set to sign answers with another key (a man in the middle): the platform must refuse them. */
  answerSigningKey: KeyObject | undefined;
  private server!: Server;
  baseUrl = '';

  /** The application private key as PKCS#1 PEM, the Alipay public key as the console shows it (bare base64). */
  readonly privateKeyPath = join(this.dir, 'app_private_key.pem');
  readonly alipayPublicKeyPath = join(this.dir, 'alipay_public_key.txt');

  async start(): Promise<this> {
    writeFileSync(this.privateKeyPath, this.app.privateKey.export({ type: 'pkcs1', format: 'pem' }));
    writeFileSync(this.alipayPublicKeyPath, this.alipay.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'));
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The platform's environment for this app; notifyUrl is the platform's callback. */
  env(notifyUrl: string): Record<string, string> {
    return {
      ALIPAY_APP_ID: FAKE_ALIPAY_APP_ID,
      ALIPAY_PRIVATE_KEY_PATH: this.privateKeyPath,
      ALIPAY_PUBLIC_KEY_PATH: this.alipayPublicKeyPath,
      ALIPAY_SELLER_ID: FAKE_SELLER_ID,
      ALIPAY_GATEWAY_URL: `${this.baseUrl}/gateway.do`,
      ALIPAY_NOTIFY_URL: notifyUrl,
    };
  }

  /** The payer scanned and paid. */
  pay(outTradeNo: string): FakeTrade {
    const trade = this.trades.get(outTradeNo);
    if (!trade) throw new Error(`fake Alipay has no trade ${outTradeNo}`);
    trade.status = 'TRADE_SUCCESS';
    trade.paidAt ??= new Date();
    return trade;
  }

  /**
   * A trade_status_sync notification as Alipay posts it (form fields, signed over all but sign and
   * sign_type). Options override what a forged or mismatched one would carry.
   */
  notification(outTradeNo: string, options: { totalFen?: number; tradeStatus?: string; appId?: string; sellerId?: string; signingKey?: KeyObject } = {}): string {
    const trade = this.trades.get(outTradeNo)!;
    const fields: Record<string, string> = {
      gmt_create: stamp(new Date()),
      charset: 'utf-8',
      seller_email: 'parking@example.com',
      subject: '停车费',
      buyer_id: '2088102177846880',
      invoice_amount: fenToYuan(BigInt(options.totalFen ?? trade.totalFen)),
      notify_id: randomBytes(16).toString('hex'),
      fund_bill_list: JSON.stringify([{ amount: fenToYuan(BigInt(options.totalFen ?? trade.totalFen)), fundChannel: 'ALIPAYACCOUNT' }]),
      notify_type: 'trade_status_sync',
      trade_status: options.tradeStatus ?? trade.status,
      receipt_amount: fenToYuan(BigInt(options.totalFen ?? trade.totalFen)),
      app_id: options.appId ?? FAKE_ALIPAY_APP_ID,
      buyer_pay_amount: fenToYuan(BigInt(options.totalFen ?? trade.totalFen)),
      seller_id: options.sellerId ?? FAKE_SELLER_ID,
      gmt_payment: stamp(trade.paidAt ?? new Date()),
      notify_time: stamp(new Date()),
      version: '1.0',
      out_trade_no: outTradeNo,
      total_amount: fenToYuan(BigInt(options.totalFen ?? trade.totalFen)),
      trade_no: trade.tradeNo,
      auth_app_id: options.appId ?? FAKE_ALIPAY_APP_ID,
      buyer_logon_id: 'cus***@example.com',
      point_amount: '0.00',
    };
    const sign = rsa2(signContent(fields, { withSignType: false }), options.signingKey ?? this.alipay.privateKey);
    return new URLSearchParams({ ...fields, sign, sign_type: 'RSA2' }).toString();
  }

  /** Posts a notification to the order's notify_url; Alipay's view: the status and whether the body is `success`. */
  async deliver(outTradeNo: string, body: string): Promise<{ status: number; text: string }> {
    const res = await fetch(this.trades.get(outTradeNo)!.notifyUrl, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' }, body });
    return { status: res.status, text: await res.text() };
  }

  /** A bill row the platform has not booked (or books differently). */
  plantPayment(outTradeNo: string, fen: number): void {
    this.plantedRows.push(this.billRow({ type: '交易', outTradeNo, tradeNo: `2025${randomBytes(10).toString('hex')}`, fen, requestNo: '', at: new Date() }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', this.baseUrl);
    if (req.method === 'GET' && url.pathname === '/downloadBillFile.resource') {
      const zip = this.bills.get(url.searchParams.get('token') ?? '');
      if (!zip) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/zip' }).end(zip);
      return;
    }
    if (req.method !== 'POST' || url.pathname !== '/gateway.do') {
      res.writeHead(404).end();
      return;
    }
    // Common parameters travel in the query, biz_content in the form body; the signature covers both.
    const params: Record<string, string> = { ...Object.fromEntries(url.searchParams), ...Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) };
    const method = params.method ?? '';
    let signed = false;
    try {
      signed = params.app_id === FAKE_ALIPAY_APP_ID && params.sign_type === 'RSA2' && createVerify('RSA-SHA256').update(signContent(params, { withSignType: true }), 'utf8').verify(this.app.publicKey, params.sign ?? '', 'base64');
    } catch {
      signed = false;
    }
    this.requests.push({ method, signed });
    if (!signed) return this.answer(res, method, { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-signature', sub_msg: '验签出错' });
    const biz = JSON.parse(params.biz_content ?? '{}') as Record<string, string>;
    if (method === 'alipay.trade.precreate') return this.precreate(res, biz, params.notify_url);
    if (method === 'alipay.trade.refund') return this.refund(res, biz);
    if (method === 'alipay.data.dataservice.bill.downloadurl.query') return this.billUrl(res, biz);
    this.answer(res, method, { code: '40004', msg: 'Business Failed', sub_code: 'isv.invalid-method', sub_msg: '不存在的方法名' });
  }

  /** `{"<method>_response":{…},"sign":"…"}`, the sign over the exact text of the response object. */
  private answer(res: ServerResponse, method: string, payload: Record<string, unknown>): void {
    const inner = JSON.stringify(payload);
    const body = `{"${method.replaceAll('.', '_')}_response":${inner},"sign":"${rsa2(inner, this.answerSigningKey ?? this.alipay.privateKey)}"}`;
    res.writeHead(200, { 'Content-Type': 'text/html;charset=utf-8' }).end(body);
  }

  private precreate(res: ServerResponse, biz: Record<string, string>, notifyUrl: string | undefined): void {
    const method = 'alipay.trade.precreate';
    let fen: bigint;
    try {
      fen = yuanToFen(biz.total_amount ?? '');
    } catch {
      return this.answer(res, method, { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-parameter', sub_msg: 'total_amount' });
    }
    if (!biz.out_trade_no || biz.out_trade_no.length > 64 || !biz.subject || fen < 1n || !notifyUrl || (biz.seller_id && biz.seller_id !== FAKE_SELLER_ID)) {
      return this.answer(res, method, { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-parameter', sub_msg: '参数错误' });
    }
    const existing = this.trades.get(biz.out_trade_no);
    if (existing && BigInt(existing.totalFen) !== fen) return this.answer(res, method, { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.CONTEXT_INCONSISTENT', sub_msg: '交易信息被篡改' });
    const trade = existing ?? { outTradeNo: biz.out_trade_no, totalFen: Number(fen), notifyUrl, qrCode: `https://qr.alipay.com/bax${randomBytes(10).toString('hex')}`, tradeNo: `2025${randomBytes(12).toString('hex')}`, status: 'WAIT_BUYER_PAY' as const };
    this.trades.set(trade.outTradeNo, trade);
    this.answer(res, method, { code: '10000', msg: 'Success', out_trade_no: trade.outTradeNo, qr_code: trade.qrCode });
  }

  private refund(res: ServerResponse, biz: Record<string, string>): void {
    const method = 'alipay.trade.refund';
    const trade = this.trades.get(biz.out_trade_no ?? '');
    if (!trade || trade.status !== 'TRADE_SUCCESS') return this.answer(res, method, { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.TRADE_NOT_EXIST', sub_msg: '交易不存在' });
    const fen = Number(yuanToFen(biz.refund_amount ?? '0'));
    const requestNo = biz.out_request_no ?? biz.out_trade_no;
    const repeat = this.refunds.find((r) => r.outRequestNo === requestNo && r.outTradeNo === trade.outTradeNo);
    const already = this.refunds.filter((r) => r.outTradeNo === trade.outTradeNo).reduce((s, r) => s + r.refundFen, 0);
    if (!repeat) {
      if (fen < 1 || already + fen > trade.totalFen) return this.answer(res, method, { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', sub_msg: '退款金额超限' });
      this.refunds.push({ outRequestNo: requestNo, outTradeNo: trade.outTradeNo, refundFen: fen });
    }
    const total = this.refunds.filter((r) => r.outTradeNo === trade.outTradeNo).reduce((s, r) => s + r.refundFen, 0);
    this.answer(res, method, { code: '10000', msg: 'Success', trade_no: trade.tradeNo, out_trade_no: trade.outTradeNo, buyer_logon_id: 'cus***@example.com', fund_change: repeat ? 'N' : 'Y', refund_fee: fenToYuan(BigInt(total)), gmt_refund_pay: stamp(new Date()) });
  }

  private billRow(t: { type: '交易' | '退款'; outTradeNo: string; tradeNo: string; fen: number; requestNo: string; at: Date }): string[] {
    const yuan = fenToYuan(BigInt(t.fen));
    return [t.tradeNo, t.outTradeNo, t.type, '停车费', stamp(t.at), stamp(t.at), '', '', '', '', 'cus***@example.com', yuan, yuan, '0.00', '0.00', '0.00', '0.00', '0.00', '', '0.00', '0.00', t.requestNo, '0.00', '0.00', ''];
  }

  /** Every movement of the fake (the test picks the date; the fake does not split days), zipped as Alipay does. */
  private async billUrl(res: ServerResponse, biz: Record<string, string>): Promise<void> {
    const method = 'alipay.data.dataservice.bill.downloadurl.query';
    if (biz.bill_type !== 'trade' || !/^\d{4}-\d{2}-\d{2}$/.test(biz.bill_date ?? '')) return this.answer(res, method, { code: '40004', msg: 'Business Failed', sub_code: 'isp.bill_not_exist', sub_msg: '账单不存在' });
    const rows = [...this.trades.values()].filter((t) => t.status === 'TRADE_SUCCESS').map((t) => this.billRow({ type: '交易', outTradeNo: t.outTradeNo, tradeNo: t.tradeNo, fen: t.totalFen, requestNo: '', at: t.paidAt! }));
    for (const r of this.refunds) rows.push(this.billRow({ type: '退款', outTradeNo: r.outTradeNo, tradeNo: this.trades.get(r.outTradeNo)!.tradeNo, fen: -r.refundFen, requestNo: r.outRequestNo, at: new Date() }));
    rows.push(...this.plantedRows);
    const day = biz.bill_date.replaceAll('-', '');
    const detail = [
      '#支付宝业务明细查询',
      `#账号：[${FAKE_SELLER_ID}0156]`,
      `#起始日期：[${biz.bill_date} 00:00:00]   终止日期：[${biz.bill_date} 23:59:59]`,
      '#-----------------------------------------业务明细列表----------------------------------------',
      BILL_HEADER,
      ...rows.map((r) => r.map((v) => `${v}\t`).join(',')),
      '#-----------------------------------------业务明细列表结束------------------------------------',
      `#交易合计：${rows.filter((r) => r[2] === '交易').length}笔，退款合计：${rows.filter((r) => r[2] === '退款').length}笔`,
      `#导出时间：[${stamp(new Date())}]`,
    ].join('\r\n');
    const summary = ['#支付宝业务汇总查询', '门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）', `合计,,${rows.length},0,0.00`].join('\r\n');
    const token = randomBytes(8).toString('hex');
    this.bills.set(token, await gbkZip({ [`${FAKE_SELLER_ID}0156_${day}_业务明细.csv`]: detail, [`${FAKE_SELLER_ID}0156_${day}_业务明细(汇总).csv`]: summary }));
    this.answer(res, method, { code: '10000', msg: 'Success', bill_download_url: `${this.baseUrl}/downloadBillFile.resource?bizType=trade&userId=${FAKE_SELLER_ID}&fileType=csv.zip&bizDates=${day}&token=${token}` });
  }
}
