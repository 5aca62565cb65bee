import { Readable } from 'node:stream';
import JSZip from 'jszip';
import { yuanToFen, type Movement } from './payment-reconciliation';

/**
 * The parts of Alipay's open platform protocol (opendocs.alipay.com, OpenAPI 2.0 gateway) that the
 * platform decides on itself: the signed content of a request or notification, what an
 * asynchronous trade notification may book, and the trade bill (业务明细) of the daily statement.
 * Signing, the calls and the verification of Alipay's signatures are alipay-sdk's; this is pure.
 */

/**
 * The string an RSA2 signature covers: every parameter but `sign` (and, for a notification,
 * `sign_type`) with a non-empty value, sorted by name, as name=value joined by "&", values as
 * received (not URL-encoded).
 */
export function signContent(params: Record<string, string>, options: { withSignType: boolean }): string {
  return Object.keys(params)
    .filter((k) => k !== 'sign' && (options.withSignType || k !== 'sign_type') && params[k] !== '' && params[k] !== undefined)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

/** The fields of an asynchronous trade notification (notify_type trade_status_sync) the platform uses. */
export interface AlipayTradeNotice {
  app_id: string;
  seller_id?: string;
  out_trade_no: string;
  trade_no: string;
  trade_status: string;
  total_amount: string;
}

/** What Alipay's merchant account is: the app that placed the order and, when configured, the seller (PID 2088…). */
export interface AlipayMerchant {
  appId: string;
  sellerId?: string;
}

export type AlipayNoticeVerdict = { book: true; amountFen: bigint } | { book: false; outcome: 'not_success' | 'wrong_merchant' | 'unknown_order' | 'amount_mismatch' };

/**
 * Whether a verified trade notification pays its order. TRADE_SUCCESS and TRADE_FINISHED both
 * mean the buyer paid (FINISHED follows once the trade can no longer be refunded, and may arrive
 * first); WAIT_BUYER_PAY and TRADE_CLOSED book nothing. A notification of another app or seller,
 * of an order the platform never placed, or for an amount other than the order's is refused.
 */
export function judgeTradeNotice(notice: AlipayTradeNotice, merchant: AlipayMerchant, order: { amountFen: bigint } | undefined): AlipayNoticeVerdict {
  if (notice.trade_status !== 'TRADE_SUCCESS' && notice.trade_status !== 'TRADE_FINISHED') return { book: false, outcome: 'not_success' };
  if (notice.app_id !== merchant.appId || (merchant.sellerId !== undefined && notice.seller_id !== merchant.sellerId)) return { book: false, outcome: 'wrong_merchant' };
  if (!order) return { book: false, outcome: 'unknown_order' };
  let amountFen: bigint;
  try {
    amountFen = yuanToFen(notice.total_amount);
  } catch {
    return { book: false, outcome: 'amount_mismatch' };
  }
  return amountFen === order.amountFen ? { book: true, amountFen } : { book: false, outcome: 'amount_mismatch' };
}

/** The trade bill's detail file in the statement archive (the other is its 汇总, the totals). */
const DETAIL_FILE = /业务明细\.csv$/;
/** A day's bill of a busy merchant is a few MiB; more than this is not a bill. */
export const ALIPAY_BILL_MAX_BYTES = 64 * 1024 * 1024;

const gbk = new TextDecoder('gbk');

/**
 * The CSV text of the trade bill (业务明细) in the archive alipay.data.dataservice.bill.downloadurl.query
 * points at: a zip of two GBK-encoded CSV files, `<PID>_<yyyyMMdd>_业务明细.csv` and
 * `…_业务明细(汇总).csv`, their names GBK-encoded as well.
 */
export async function billDetailCsv(zipBytes: Buffer): Promise<string> {
  const zip = await JSZip.loadAsync(zipBytes, { decodeFileName: (bytes) => gbk.decode(bytes as Uint8Array) });
  const entry = Object.values(zip.files).find((f) => !f.dir && DETAIL_FILE.test(f.name));
  if (!entry) throw new Error(`the Alipay bill archive has no 业务明细.csv (entries: ${Object.keys(zip.files).join(', ')})`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of new Readable().wrap(entry.nodeStream('nodebuffer')) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > ALIPAY_BILL_MAX_BYTES) throw new Error(`the Alipay bill ${entry.name} unpacks to more than ${ALIPAY_BILL_MAX_BYTES / 1024 / 1024} MiB`);
    chunks.push(chunk);
  }
  return gbk.decode(Buffer.concat(chunks));
}

/**
 * The movements of a trade bill (bill_type trade, 业务明细): "#" comment lines around a header row
 * and one row per movement, every value followed by a tab. 业务类型 交易 is a payment of
 * 商户订单号; 退款 a refund (its 订单金额 negative) of 退款批次号/请求号, our out_request_no.
 * Columns are found by their names, not positions.
 */
export function parseAlipayBill(csv: string): Movement[] {
  const rows = csv
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((r) => r.trim() !== '' && !r.startsWith('#'));
  if (rows.length === 0) return [];
  const cells = (row: string) => row.split(',').map((c) => c.trim());
  const header = cells(rows[0]);
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`Alipay bill has no column ${name}`);
    return i;
  };
  const [type, outTradeNo, amount, requestNo] = ['业务类型', '商户订单号', '订单金额（元）', '退款批次号/请求号'].map(col);
  const movements: Movement[] = [];
  for (const row of rows.slice(1)) {
    const v = cells(row);
    const fen = yuanToFen(v[amount]);
    if (v[type] === '交易') movements.push({ kind: 'payment', ref: v[outTradeNo], amountFen: fen });
    else if (v[type] === '退款') movements.push({ kind: 'refund', ref: v[requestNo] || v[outTradeNo], amountFen: fen < 0n ? -fen : fen });
  }
  return movements;
}
