import { createCipheriv, createDecipheriv, createSign, createVerify, type KeyObject } from 'node:crypto';
import { yuanToFen } from './payment-reconciliation';

export { fenToYuan, yuanToFen } from './payment-reconciliation';

/**
 * The WeChat Pay API v3 protocol (pay.weixin.qq.com/docs/merchant/development/interface-rules/):
 * request signatures, response and notification signatures, AEAD_AES_256_GCM resources and the
 * trade bill. Pure: keys and clocks come from the caller. Written on node:crypto because WeChat
 * keeps no official Node SDK and the community one (wechatpay-axios-plugin) would add axios and an
 * XML parser for about a hundred lines of protocol.
 */

export const authorizationScheme = 'WECHATPAY2-SHA256-RSA2048';

/** The signed message of a merchant request: method, path with query, timestamp, nonce, body. */
export function requestMessage(method: string, pathAndQuery: string, timestamp: string, nonce: string, body: string): string {
  return `${method.toUpperCase()}\n${pathAndQuery}\n${timestamp}\n${nonce}\n${body}\n`;
}

/** The signed message of a WeChat Pay response or notification (Wechatpay-Timestamp, -Nonce, body). */
export function responseMessage(timestamp: string, nonce: string, body: string): string {
  return `${timestamp}\n${nonce}\n${body}\n`;
}

export function signSha256Rsa(message: string, privateKey: KeyObject | string): string {
  return createSign('RSA-SHA256').update(message).sign(privateKey, 'base64');
}

export function verifySha256Rsa(message: string, signature: string, publicKey: KeyObject | string): boolean {
  try {
    return createVerify('RSA-SHA256').update(message).verify(publicKey, signature, 'base64');
  } catch {
    return false;
  }
}

export interface Merchant {
  mchid: string;
  serialNo: string;
  privateKey: KeyObject | string;
}

export function authorizationHeader(merchant: Merchant, method: string, pathAndQuery: string, timestamp: string, nonce: string, body: string): string {
  const signature = signSha256Rsa(requestMessage(method, pathAndQuery, timestamp, nonce, body), merchant.privateKey);
  return `${authorizationScheme} mchid="${merchant.mchid}",nonce_str="${nonce}",signature="${signature}",timestamp="${timestamp}",serial_no="${merchant.serialNo}"`;
}

/** The fields of an Authorization header, or null when it is not a WeChat Pay v3 one. */
export function parseAuthorization(header: string | undefined): Record<'mchid' | 'nonce_str' | 'signature' | 'timestamp' | 'serial_no', string> | null {
  if (!header?.startsWith(`${authorizationScheme} `)) return null;
  const fields = Object.fromEntries([...header.slice(authorizationScheme.length + 1).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const names = ['mchid', 'nonce_str', 'signature', 'timestamp', 'serial_no'] as const;
  return names.every((n) => typeof fields[n] === 'string') ? (fields as Record<(typeof names)[number], string>) : null;
}

/** A notification's or response's signature headers (lower-case names, as Node gives them). */
export interface SignatureHeaders {
  'wechatpay-timestamp'?: string;
  'wechatpay-nonce'?: string;
  'wechatpay-signature'?: string;
  'wechatpay-serial'?: string;
}

export function verifyWechatSignature(headers: SignatureHeaders, body: string, platformPublicKey: KeyObject | string): boolean {
  const { 'wechatpay-timestamp': timestamp, 'wechatpay-nonce': nonce, 'wechatpay-signature': signature } = headers;
  if (!timestamp || !nonce || !signature) return false;
  return verifySha256Rsa(responseMessage(timestamp, nonce, body), signature, platformPublicKey);
}

export interface EncryptedResource {
  algorithm: 'AEAD_AES_256_GCM';
  ciphertext: string;
  nonce: string;
  associated_data?: string;
  original_type?: string;
}

/** Decrypts a notification resource with the APIv3 key; the 16-byte tag ends the ciphertext. Throws when it does not authenticate. */
export function decryptResource(resource: EncryptedResource, apiV3Key: string): string {
  const data = Buffer.from(resource.ciphertext, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(resource.nonce, 'utf8'));
  decipher.setAuthTag(data.subarray(data.length - 16));
  decipher.setAAD(Buffer.from(resource.associated_data ?? '', 'utf8'));
  return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
}

/** The inverse of decryptResource (what WeChat Pay does; used by the test double). */
export function encryptResource(plaintext: string, apiV3Key: string, nonce: string, associatedData: string): EncryptedResource {
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { algorithm: 'AEAD_AES_256_GCM', ciphertext: data.toString('base64'), nonce, associated_data: associatedData, original_type: 'transaction' };
}

/** One line of a trade bill (交易账单): a payment (SUCCESS) or a refund (REFUND), amounts in fen. */
export interface TradeBillLine {
  kind: 'payment' | 'refund';
  /** 商户订单号 for a payment, 商户退款单号 for a refund. */
  ref: string;
  amountFen: bigint;
}

/**
 * Parses a trade bill of type ALL: a header row, one row per trade with every value prefixed by
 * "`" (so spreadsheets keep long numbers as text), then the totals rows. Columns are found by
 * their Chinese header names, not positions.
 */
export function parseTradeBill(csv: string): TradeBillLine[] {
  const rows = csv.replace(/^\uFEFF/, '').split(/\r?\n/).filter((r) => r.trim() !== '');
  if (rows.length === 0) return [];
  const header = rows[0].split(',').map((h) => h.trim());
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`trade bill has no column ${name}`);
    return i;
  };
  const [state, outTradeNo, settled, outRefundNo, refunded] = ['交易状态', '商户订单号', '应结订单金额', '商户退款单号', '退款金额'].map(col);
  const lines: TradeBillLine[] = [];
  for (const row of rows.slice(1)) {
    if (!row.startsWith('`')) break; // the totals section (总交易单数,…) follows the trades
    const v = row.split(',').map((c) => c.replace(/^`/, '').trim());
    if (v[state] === 'SUCCESS') lines.push({ kind: 'payment', ref: v[outTradeNo], amountFen: yuanToFen(v[settled]) });
    else if (v[state] === 'REFUND') lines.push({ kind: 'refund', ref: v[outRefundNo], amountFen: yuanToFen(v[refunded]) });
  }
  return lines;
}
