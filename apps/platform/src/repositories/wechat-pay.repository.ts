import { createHash, createPrivateKey, createPublicKey, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BadGatewayException, Injectable } from '@nestjs/common';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { authorizationHeader, decryptResource, verifyWechatSignature, type EncryptedResource, type Merchant, type SignatureHeaders } from '../domain/wechat-pay';
import { ClockRepository } from './clock.repository';
import { PaymentProviderRepository, type PaymentProvider, type PaymentRequest, type PaymentResult } from './payment.repository';

const TIMEOUT_MS = 10_000;

/** The decrypted resource of a TRANSACTION.* notification (the fields the platform uses). */
export interface WechatTransaction {
  mchid: string;
  out_trade_no: string;
  transaction_id: string;
  trade_state: string;
  amount: { total: number; currency?: string };
}

/** WeChat Pay refused, failed or answered without its signature: the caller sees 502, not an internal error. */
export class WechatPayError extends BadGatewayException {}

/** A PEM public key, or the public key of a PEM platform certificate. */
function loadPublicKey(pem: string): KeyObject {
  return pem.includes('BEGIN CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
}

/**
 * WeChat Pay API v3 (the merchant's side): Native orders, refunds, the trade bill and the
 * verification of notifications. Registers itself as the "wechat" payment provider when
 * WECHATPAY_MCHID is configured.
 */
@Injectable()
export class WechatPayRepository implements PaymentProvider {
  readonly name = 'wechat';
  readonly online = true;
  private readonly settings: NonNullable<PlatformConfig['wechatPay']> | undefined;
  private readonly merchant: Merchant | undefined;
  private readonly platformKey: KeyObject | undefined;

  constructor(@InjectConfig() config: PlatformConfig, providers: PaymentProviderRepository, private readonly clock: ClockRepository) {
    this.settings = config.wechatPay;
    if (!this.settings) return;
    this.merchant = { mchid: this.settings.mchid, serialNo: this.settings.serialNo, privateKey: createPrivateKey(readFileSync(this.settings.privateKeyPath)) };
    this.platformKey = loadPublicKey(readFileSync(this.settings.platformKeyPath, 'utf8'));
    providers.register(this);
  }

  get enabled(): boolean {
    return this.settings !== undefined;
  }

  /** Places a Native order: `reference` is our out_trade_no; the result carries the code_url to show as a QR code. */
  async charge(request: PaymentRequest): Promise<PaymentResult> {
    const outTradeNo = request.reference!;
    const s = this.configured();
    const body = await this.call<{ code_url: string }>('POST', '/v3/pay/transactions/native', {
      appid: s.appid,
      mchid: s.mchid,
      description: `停车费 ${request.billId}`.slice(0, 127),
      out_trade_no: outTradeNo,
      attach: request.billId,
      notify_url: s.notifyUrl,
      amount: { total: Number(request.amountFen), currency: 'CNY' },
    });
    return { status: 'pending', providerRef: outTradeNo, payUrl: body.code_url };
  }

  /** Asks for a refund; WeChat Pay accepts it (PROCESSING) and settles it later. `reference` is our out_refund_no. */
  async refund(request: PaymentRequest & { originalRef: string; originalAmountFen?: bigint }): Promise<PaymentResult> {
    const outRefundNo = request.reference ?? `R${randomBytes(15).toString('hex')}`;
    const body = await this.call<{ refund_id: string; status: string }>('POST', '/v3/refund/domestic/refunds', {
      out_trade_no: request.originalRef,
      out_refund_no: outRefundNo,
      amount: { refund: Number(request.amountFen), total: Number(request.originalAmountFen ?? request.amountFen), currency: 'CNY' },
    });
    const accepted = body.status === 'SUCCESS' || body.status === 'PROCESSING';
    return { status: accepted ? 'succeeded' : 'failed', providerRef: outRefundNo, message: `WeChat Pay refund ${body.refund_id} ${body.status}` };
  }

  /** The trade bill (交易账单, all trades) of one day (YYYY-MM-DD, Beijing time), checked against its SHA1. */
  async tradeBill(date: string): Promise<string> {
    const meta = await this.call<{ download_url: string; hash_type: string; hash_value: string }>('GET', `/v3/bill/tradebill?bill_date=${date}&bill_type=ALL`);
    const url = new URL(meta.download_url);
    // The download is signed like any request but its body is not: the hash from the signed answer vouches for it.
    const res = await this.send('GET', `${url.pathname}${url.search}`, '', `${url.origin}`);
    const text = await res.text();
    if (!res.ok) throw new WechatPayError(`trade bill download failed: HTTP ${res.status}`);
    if (meta.hash_type === 'SHA1' && createHash('sha1').update(text).digest('hex') !== meta.hash_value.toLowerCase()) {
      throw new WechatPayError('trade bill does not match its SHA1 hash');
    }
    return text;
  }

  /** The transaction a notification carries, or null when its signature is not WeChat Pay's or its resource does not decrypt. */
  openNotification(headers: SignatureHeaders, rawBody: string): WechatTransaction | null {
    const s = this.configured();
    if (!verifyWechatSignature(headers, rawBody, this.platformKey!)) return null;
    try {
      const notice = JSON.parse(rawBody) as { resource?: EncryptedResource };
      if (notice.resource?.algorithm !== 'AEAD_AES_256_GCM') return null;
      return JSON.parse(decryptResource(notice.resource, s.apiV3Key)) as WechatTransaction;
    } catch {
      return null;
    }
  }

  private configured() {
    if (!this.settings) throw new WechatPayError('WeChat Pay is not configured (WECHATPAY_MCHID)');
    return this.settings;
  }

  private send(method: string, pathAndQuery: string, body: string, origin = this.configured().baseUrl): Promise<Response> {
    const timestamp = String(Math.floor(this.clock.now() / 1000));
    const nonce = randomBytes(16).toString('hex');
    return fetch(`${origin}${pathAndQuery}`, {
      method,
      headers: {
        Authorization: authorizationHeader(this.merchant!, method, pathAndQuery, timestamp, nonce, body),
        Accept: 'application/json',
        ...(body ? { 'Content-Type': 'application/json' } : {}),
      },
      body: body || undefined,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  }

  /** A signed call whose answer must carry WeChat Pay's signature. */
  private async call<T>(method: string, pathAndQuery: string, payload?: unknown): Promise<T> {
    const res = await this.send(method, pathAndQuery, payload === undefined ? '' : JSON.stringify(payload));
    const text = await res.text();
    const headers = Object.fromEntries(['wechatpay-timestamp', 'wechatpay-nonce', 'wechatpay-signature', 'wechatpay-serial'].map((h) => [h, res.headers.get(h) ?? undefined]));
    if (!verifyWechatSignature(headers, text, this.platformKey!)) throw new WechatPayError(`WeChat Pay answer to ${method} ${pathAndQuery} is not signed by the platform key (HTTP ${res.status})`);
    if (!res.ok) throw new WechatPayError(`WeChat Pay refused ${method} ${pathAndQuery}: HTTP ${res.status} ${text.slice(0, 200)}`);
    return (text ? JSON.parse(text) : {}) as T;
  }
}
