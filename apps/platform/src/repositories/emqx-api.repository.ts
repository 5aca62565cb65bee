import { Injectable } from '@nestjs/common';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';

const REQUEST_TIMEOUT_MS = 5000;

/**
 * EMQX 5's REST API (BROKER_API_URL, authenticated with an API key and secret): used to
 * disconnect a device at once when the registry disables it or changes its secret, so it must
 * authenticate again through the platform's hook.
 */
@Injectable()
export class EmqxApiRepository {
  constructor(@InjectConfig() private readonly config: PlatformConfig) {}

  get configured(): boolean {
    return this.config.brokerAuth.api !== undefined;
  }

  /** Disconnects a client; 'not_connected' when EMQX holds no connection of that id. */
  async kick(clientId: string): Promise<'kicked' | 'not_connected'> {
    const api = this.config.brokerAuth.api;
    if (!api) throw new Error('BROKER_API_URL is not set');
    const response = await fetch(`${api.url}/api/v5/clients/${encodeURIComponent(clientId)}`, {
      method: 'DELETE',
      headers: { authorization: `Basic ${Buffer.from(`${api.key}:${api.secret}`).toString('base64')}` },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await response.arrayBuffer().catch(() => undefined);
    if (response.status === 204 || response.status === 200) return 'kicked';
    if (response.status === 404) return 'not_connected';
    throw new Error(`EMQX answered ${response.status} to DELETE /api/v5/clients/${clientId}`);
  }
}
