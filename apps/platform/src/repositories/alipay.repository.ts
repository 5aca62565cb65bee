import { createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BadGatewayException, Injectable } from '@nestjs/common';
import { AlipaySdk, type AlipaySdkCommonResult } from 'alipay-sdk';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import type { AlipayMerchant } from '../domain/alipay';
import { fenToYuan } from '../domain/payment-reconciliation';
import { PaymentProviderRepository, type PaymentProvider, type PaymentRequest, type PaymentResult } from './payment.repository';

const TIMEOUT_MS = 10_000;

/** Alipay refused, failed, or answered without its signature: the caller sees 502, not an internal error. */
export class AlipayError extends BadGatewayException {}

/**
 * A key file as Alipay's key tool or console gives it: PEM (PKCS#1 or PKCS#8, SPKI) or the bare
 * base64 of its DER (PKCS#8 for the private key, SPKI for the public one).
 */
function loadKey(path: string, kind: 'private' | 'public'): KeyObject {
  const text = readFileSync(path, 'utf8').trim();
  if (text.includes('-----BEGIN')) return kind === 'private' ? createPrivateKey(text) : createPublicKey(text);
  const der = Buffer.from(text.replace(/\s+/g, ''), 'base64');
  return kind === 'private' ? createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) : createPublicKey({ key: der, format: 'der', type: 'spki' });
}

/**
 * Alipay's open platform through its own SDK (alipay-sdk, OpenAPI 2.0 gateway, RSA2): face-to-face
 * precreate orders (a QR code), refunds, the trade bill's download address, and the verification
 * of asynchronous notifications. Registers itself as the "alipay" payment provider when
 * ALIPAY_APP_ID is configured.
 */
@Injectable()
export class AlipayRepository implements PaymentProvider {
  readonly name = 'alipay';
  readonly online = true;
  private readonly settings: NonNullable<PlatformConfig['alipay']> | undefined;
  private readonly sdk: AlipaySdk | undefined;

  constructor(@InjectConfig() config: PlatformConfig, providers: PaymentProviderRepository) {
    this.settings = config.alipay;
    if (!this.settings) return;
    this.sdk = new AlipaySdk({
      appId: this.settings.appId,
      privateKey: loadKey(this.settings.privateKeyPath, 'private').export({ type: 'pkcs8', format: 'pem' }).toString(),
      keyType: 'PKCS8',
      alipayPublicKey: loadKey(this.settings.publicKeyPath, 'public').export({ type: 'spki', format: 'pem' }).toString(),
      gateway: this.settings.gatewayUrl,
      signType: 'RSA2',
      timeout: TIMEOUT_MS,
      camelcase: false,
    });
    providers.register(this);
  }

  get enabled(): boolean {
    return this.settings !== undefined;
  }

  /** Whose notifications the platform takes: this app, and the seller when ALIPAY_SELLER_ID is set. */
  get merchant(): AlipayMerchant {
    const s = this.configured();
    return { appId: s.appId, sellerId: s.sellerId };
  }

  /** alipay.trade.precreate (当面付 扫码): `reference` is our out_trade_no; the result carries the qr_code to show. */
  async charge(request: PaymentRequest): Promise<PaymentResult> {
    const outTradeNo = request.reference!;
    const s = this.configured();
    const body = await this.call<{ qr_code?: string }>('alipay.trade.precreate', {
      notify_url: s.notifyUrl,
      bizContent: {
        out_trade_no: outTradeNo,
        total_amount: fenToYuan(request.amountFen),
        subject: `停车费 ${request.billId}`.slice(0, 256),
        ...(s.sellerId ? { seller_id: s.sellerId } : {}),
      },
    });
    if (!body.qr_code) throw new AlipayError(`Alipay precreate of ${outTradeNo} answered without a qr_code`);
    return { status: 'pending', providerRef: outTradeNo, payUrl: body.qr_code };
  }

  /** alipay.trade.refund, settled synchronously; `reference` is our out_request_no (required for partial refunds). */
  async refund(request: PaymentRequest & { originalRef: string }): Promise<PaymentResult> {
    const outRequestNo = request.reference ?? `R${randomBytes(15).toString('hex')}`;
    const body = await this.call<{ trade_no?: string; fund_change?: string; refund_fee?: string }>('alipay.trade.refund', {
      bizContent: { out_trade_no: request.originalRef, refund_amount: fenToYuan(request.amountFen), out_request_no: outRequestNo, refund_reason: `停车费退款 ${request.billId}`.slice(0, 256) },
    });
    return { status: 'succeeded', providerRef: outRequestNo, message: `Alipay refund of trade ${body.trade_no ?? request.originalRef}: fund_change ${body.fund_change ?? '?'}, refunded ${body.refund_fee ?? '?'} yuan in all` };
  }

  /** The day's trade bill archive (YYYY-MM-DD, Beijing time): its address from the signed answer, then the zip itself. */
  async tradeBillArchive(date: string): Promise<Buffer> {
    const body = await this.call<{ bill_download_url?: string }>('alipay.data.dataservice.bill.downloadurl.query', { bizContent: { bill_type: 'trade', bill_date: date } });
    if (!body.bill_download_url) throw new AlipayError(`Alipay answered the bill query for ${date} without a bill_download_url`);
    // The address is short-lived and carries its own token; the download itself is not signed.
    const res = await fetch(body.bill_download_url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!res.ok) throw new AlipayError(`Alipay bill download for ${date} failed: HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }

  /** Whether a notification's parameters carry Alipay's RSA2 signature (values as received, already form-decoded). */
  verifyNotification(params: Record<string, string>): boolean {
    try {
      return this.sdk !== undefined && this.sdk.checkNotifySignV2(params);
    } catch {
      return false;
    }
  }

  private configured() {
    if (!this.settings) throw new AlipayError('Alipay is not configured (ALIPAY_APP_ID)');
    return this.settings;
  }

  /** A signed gateway call whose answer must carry Alipay's signature and code 10000. */
  private async call<T>(method: string, params: Record<string, unknown>): Promise<T & AlipaySdkCommonResult> {
    this.configured();
    let result: AlipaySdkCommonResult;
    try {
      result = await this.sdk!.exec(method, params, { validateSign: true });
    } catch (error) {
      throw new AlipayError(`Alipay ${method} failed: ${(error as Error).message.slice(0, 300)}`);
    }
    if (result.code !== '10000') throw new AlipayError(`Alipay refused ${method}: ${result.code} ${result.msg} ${result.sub_code ?? ''} ${result.sub_msg ?? ''}`.trim());
    return result as T & AlipaySdkCommonResult;
  }
}
