import { Injectable } from '@nestjs/common';

export interface WebhookDelivery {
  url: string;
  body: string;
  headers: Record<string, string>;
}

/** Outgoing HTTP calls to outside systems (alarm webhooks, robot messages). */
@Injectable()
export class WebhookRepository {
  /** POSTs and throws unless the receiver answers 2xx (the caller's job retries with back-off). */
  async post(delivery: WebhookDelivery, timeoutMs = 5000): Promise<number> {
    const res = await fetch(delivery.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...delivery.headers },
      body: delivery.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status >= 300) throw new Error(`webhook ${new URL(delivery.url).host} answered ${res.status}`);
    return res.status;
  }
}
