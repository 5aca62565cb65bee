import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOptions } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { Injectable } from '@nestjs/common';
import type { PlatformConfig } from '../config/config';
import { InjectConfig } from '../config/config.provider';
import { addressRefusal, bareHost, isAllowListed } from '../domain/outbound-address';

export interface WebhookDelivery {
  url: string;
  body: string;
  headers: Record<string, string>;
}

/** A webhook the platform will not call: its host resolves to an address it must not reach, or it redirects. */
export class WebhookRefusedError extends Error {
  constructor(
    readonly reason: string,
    detail: string,
  ) {
    super(`webhook refused (${reason}): ${detail}`);
  }
}

/** A webhook call that did not finish within its time-out. */
export class WebhookTimeoutError extends Error {}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * Outgoing HTTP calls to outside systems (alarm webhooks, robot messages), guarded against
 * server-side request forgery: every address the host resolves to must be a public unicast one
 * (domain/outbound-address), checked inside the connection's own DNS lookup so the address checked
 * is the address connected to (a second resolution cannot rebind it), and redirects are not
 * followed. Hosts on WEBHOOK_ALLOWED_HOSTS skip the check (an internal relay).
 */
@Injectable()
export class WebhookRepository {
  private readonly allowedHosts: readonly string[];

  constructor(@InjectConfig() config: PlatformConfig) {
    this.allowedHosts = config.notifications.webhookAllowedHosts;
  }

  /** Why the platform would not call this URL now (resolving its host), or undefined when it would. */
  async refusal(url: string): Promise<WebhookRefusedError | undefined> {
    const { hostname } = new URL(url);
    if (isAllowListed(hostname, this.allowedHosts)) return undefined;
    try {
      await new Promise<void>((resolve, reject) => this.guardedLookup(bareHost(hostname), { all: true }, (error) => (error ? reject(error) : resolve())));
      return undefined;
    } catch (error) {
      if (error instanceof WebhookRefusedError) return error;
      return new WebhookRefusedError('unresolvable', `${hostname} does not resolve (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }

  /**
   * POSTs and throws unless the receiver answers 2xx within `timeoutMs` for the whole call
   * (WebhookTimeoutError past it: a receiver that accepts and never answers, or answers a byte at
   * a time, holds nothing longer); WebhookRefusedError when refused.
   */
  async post(delivery: WebhookDelivery, timeoutMs: number): Promise<number> {
    const url = new URL(delivery.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebhookRefusedError('scheme', url.protocol);
    const guarded = !isAllowListed(url.hostname, this.allowedHosts);
    const literal = bareHost(url.hostname);
    // An IP literal never reaches the lookup: judge it here.
    const literalRefusal = guarded && isIP(literal) ? addressRefusal(literal) : undefined;
    if (literalRefusal) throw new WebhookRefusedError(literalRefusal, literal);
    const options: RequestOptions = {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(delivery.body), ...delivery.headers },
      lookup: guarded ? (hostname, opts, callback) => this.guardedLookup(hostname, opts, callback as LookupCallback) : undefined,
    };
    let timer: NodeJS.Timeout | undefined;
    const status = await new Promise<number>((resolve, reject) => {
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (res) => {
        res.resume(); // the answer's body is not needed
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      timer = setTimeout(() => req.destroy(new WebhookTimeoutError(`webhook ${url.host} did not answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('error', reject);
      req.end(delivery.body);
    }).finally(() => clearTimeout(timer));
    if (status >= 300 && status < 400) throw new WebhookRefusedError('redirect', `${url.host} answered ${status}; redirects are not followed`);
    if (status < 200 || status >= 300) throw new Error(`webhook ${url.host} answered ${status}`);
    return status;
  }

  /** dns.lookup that fails when any resolved address is refused, answering in the shape the caller asked for. */
  private guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
    dnsLookup(hostname, { ...options, all: true } as LookupAllOptions, (error, addresses) => {
      if (error) return callback(error, []);
      const refused = addresses.map((a) => ({ a, reason: addressRefusal(a.address) })).find((r) => r.reason);
      if (refused) return callback(new WebhookRefusedError(refused.reason!, `${hostname} resolves to ${refused.a.address}`), []);
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  }
}
