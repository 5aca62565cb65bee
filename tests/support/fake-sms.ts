/**
 * A local Tencent Cloud SMS (API 2021-01-11) for tests: it answers SendSms at
 * http://sms.localhost:PORT/ as the real service does, after checking the request's
 * TC3-HMAC-SHA256 signature (canonical request of content-type and host, credential scope
 * date/sms/tc3_request, a timestamp within five minutes) with the secret it handed out. Every
 * accepted message is recorded, so a test reads the visitor's code from it.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const FAKE_SMS_SECRET_ID = 'AKIDfakeSmsSecretId0001';
export const FAKE_SMS_SECRET_KEY = 'fake-sms-secret-key-0123456789abcdef';
export const FAKE_SMS_APP_ID = '1400006666';
export const FAKE_SMS_SIGN = '智慧物业';
export const FAKE_SMS_TEMPLATE = '1234567';

export interface SentSms {
  phone: string;
  signName: string;
  templateId: string;
  params: string[];
}

const sha256Hex = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();

export class FakeSms {
  private server!: Server;
  port = 0;
  readonly messages: SentSms[] = [];
  /** Requests refused for their signature. */
  badSignatures = 0;
  /** Set: the next SendSms answers this send status code instead of "Ok" (e.g. a carrier refusal). */
  failNext?: string;

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  env(overrides: { secretKey?: string } = {}): Record<string, string> {
    return {
      SMS_TENCENT_SECRET_ID: FAKE_SMS_SECRET_ID,
      SMS_TENCENT_SECRET_KEY: overrides.secretKey ?? FAKE_SMS_SECRET_KEY,
      SMS_TENCENT_SDK_APP_ID: FAKE_SMS_APP_ID,
      SMS_TENCENT_SIGN_NAME: FAKE_SMS_SIGN,
      SMS_TENCENT_TEMPLATE_ID: FAKE_SMS_TEMPLATE,
      SMS_TENCENT_ENDPOINT: `http://sms.localhost:${this.port}`,
    };
  }

  /** The code in the last message to the (11-digit) number. */
  lastCode(phone: string): string | undefined {
    return this.messages.filter((m) => m.phone === `+86${phone}`).at(-1)?.params[0];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const requestId = randomUUID();
    const answer = (response: object) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ Response: { ...response, RequestId: requestId } }));
    };
    const fail = (code: string, message: string) => answer({ Error: { Code: code, Message: message } });
    if (req.method !== 'POST' || req.headers['x-tc-action'] !== 'SendSms' || req.headers['x-tc-version'] !== '2021-01-11') {
      return fail('InvalidAction', 'only SendSms 2021-01-11 is served here');
    }
    const problem = this.signatureProblem(req, body);
    if (problem) {
      this.badSignatures++;
      return fail('AuthFailure.SignatureFailure', problem);
    }
    const input = JSON.parse(body.toString('utf8')) as { PhoneNumberSet: string[]; SmsSdkAppId: string; SignName: string; TemplateId: string; TemplateParamSet?: string[] };
    if (input.SmsSdkAppId !== FAKE_SMS_APP_ID) return fail('FailedOperation.SmsSdkAppIdVerifyFail', 'unknown SdkAppId');
    if (input.SignName !== FAKE_SMS_SIGN) return fail('FailedOperation.SignatureIncorrectOrUnapproved', 'signature not approved');
    if (input.TemplateId !== FAKE_SMS_TEMPLATE) return fail('FailedOperation.TemplateIncorrectOrUnapproved', 'template not approved');
    const failing = this.failNext;
    this.failNext = undefined;
    const statuses = input.PhoneNumberSet.map((phone) => {
      if (!failing) this.messages.push({ phone, signName: input.SignName, templateId: input.TemplateId, params: input.TemplateParamSet ?? [] });
      return { SerialNo: `2640:${randomUUID()}`, PhoneNumber: phone, Fee: 1, SessionContext: '', Code: failing ?? 'Ok', Message: failing ? 'refused' : 'send success', IsoCode: 'CN' };
    });
    answer({ SendStatusSet: statuses });
  }

  /** Checks TC3-HMAC-SHA256 as Tencent Cloud documents it; undefined when it verifies. */
  private signatureProblem(req: IncomingMessage, body: Buffer): string | undefined {
    const auth = /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/([a-z]+)\/tc3_request, SignedHeaders=([a-z;-]+), Signature=([0-9a-f]{64})$/.exec(req.headers.authorization ?? '');
    if (!auth) return 'no TC3-HMAC-SHA256 authorization';
    const [, secretId, date, service, signedHeaders, signature] = auth;
    if (secretId !== FAKE_SMS_SECRET_ID) return 'unknown SecretId';
    if (service !== 'sms') return `credential scope names service ${service}, not sms`;
    const timestamp = Number(req.headers['x-tc-timestamp']);
    if (!Number.isFinite(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300) return 'timestamp more than five minutes off';
    if (new Date(timestamp * 1000).toISOString().slice(0, 10) !== date) return 'credential date is not the timestamp’s UTC date';
    const names = signedHeaders.split(';');
    if (!names.includes('host') || !names.includes('content-type')) return 'host and content-type must be signed';
    const headerValue = (name: string) => {
      const v = String(req.headers[name] ?? '');
      return (name === 'host' ? v.replace(/:\d+$/, '') : v).trim().toLowerCase();
    };
    const canonicalHeaders = names.map((n) => `${n}:${headerValue(n)}\n`).join('');
    const url = new URL(req.url ?? '/', 'http://sms.localhost');
    const canonicalRequest = ['POST', url.pathname, url.search.slice(1), canonicalHeaders, signedHeaders, sha256Hex(body)].join('\n');
    const stringToSign = ['TC3-HMAC-SHA256', String(timestamp), `${date}/sms/tc3_request`, sha256Hex(canonicalRequest)].join('\n');
    const kSigning = hmac(hmac(hmac(`TC3${FAKE_SMS_SECRET_KEY}`, date), 'sms'), 'tc3_request');
    const expected = createHmac('sha256', kSigning).update(stringToSign).digest();
    const given = Buffer.from(signature, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected) ? undefined : 'signature does not verify';
  }
}
