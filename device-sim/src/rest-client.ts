import { writeToString } from '@fast-csv/format';
import {
  deviceImportColumns,
  type CreateCommunityRequest,
  type CreateDeviceRequest,
  type DeviceCredentialsResponse,
  type DeviceImportResult,
  type DeviceResponse,
} from '@app/contracts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly method: string,
    readonly path: string,
  ) {
    const detail = typeof body === 'object' && body && 'message' in body ? JSON.stringify((body as { message: unknown }).message) : String(body);
    super(`${method} ${path} → ${status}: ${detail}`);
  }
}

export interface CommunityResponse {
  id: string;
  name: string;
  district: string;
  street: string;
  buildings?: { id: string; name: string; units?: { id: string; number: string; floorArea: string }[] }[];
}

export interface DeadLetter {
  ts: number | string;
  deviceId: string | null;
  topic: string;
  reason: string;
  payloadPrefix: string;
}

/** A small client for the platform's REST API (contract §4), using the global fetch of Node 20. */
export class PlatformClient {
  private token: string | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 15000,
  ) {}

  get authenticated(): boolean {
    return this.token !== undefined;
  }

  async login(username: string, password: string): Promise<void> {
    const res = await this.request<{ accessToken: string }>('POST', '/api/v1/auth/login', { username, password }, false);
    this.token = res.accessToken;
  }

  async request<T>(method: string, path: string, body?: unknown, auth = true, options: { contentType?: string; timeoutMs?: number } = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    if (auth && this.token) headers.authorization = `Bearer ${this.token}`;
    const res = await fetch(new URL(path, this.baseUrl), {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // keep text
    }
    if (!res.ok) throw new ApiError(res.status, parsed, method, path);
    return parsed as T;
  }

  createCommunity(req: CreateCommunityRequest): Promise<CommunityResponse> {
    return this.request('POST', '/api/v1/communities', req);
  }

  getCommunity(id: string): Promise<CommunityResponse> {
    return this.request('GET', `/api/v1/communities/${encodeURIComponent(id)}`);
  }

  createDevice(req: CreateDeviceRequest): Promise<DeviceCredentialsResponse> {
    return this.request('POST', '/api/v1/devices', req);
  }

  listDevices(communityId: string): Promise<DeviceResponse[]> {
    return this.request('GET', `/api/v1/devices?communityId=${encodeURIComponent(communityId)}`);
  }

  rotateSecret(id: string): Promise<DeviceCredentialsResponse> {
    return this.request('POST', `/api/v1/devices/${encodeURIComponent(id)}/rotate-secret`);
  }

  /**
   * Bulk provisioning through the import endpoint, as a CSV file. Secrets are hashed on the
   * platform, so a large file takes a while: the request may run for many minutes.
   */
  async importDevices(devices: CreateDeviceRequest[], timeoutMs = 60 * 60_000): Promise<DeviceImportResult> {
    const csv = await writeToString(
      devices.map((d) => deviceImportColumns.map((c) => (d[c] ?? '') as string)),
      { headers: [...deviceImportColumns], writeHeaders: true },
    );
    return this.request('POST', '/api/v1/devices/import', csv, true, { contentType: 'text/csv', timeoutMs });
  }

  /** Creates the device; if the id already exists (409), rotates its secret instead. */
  async provisionDevice(req: CreateDeviceRequest): Promise<DeviceCredentialsResponse> {
    try {
      return await this.createDevice(req);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && req.id) return this.rotateSecret(req.id);
      throw err;
    }
  }

  deadLetters(limit = 100): Promise<DeadLetter[]> {
    return this.request('GET', `/api/v1/dead-letters?limit=${limit}`);
  }

  /** Prometheus text from /metrics (unauthenticated or with the token). */
  async metrics(): Promise<string> {
    const res = await fetch(new URL('/metrics', this.baseUrl), {
      headers: this.token ? { authorization: `Bearer ${this.token}` } : {},
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw new ApiError(res.status, await res.text(), 'GET', '/metrics');
    return res.text();
  }
}

/** Sums Prometheus samples of one metric by a label's value, e.g. rejected messages by reason. */
export function metricByLabel(text: string, metric: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  const re = new RegExp(`^${metric}\\{([^}]*)\\}\\s+([0-9.eE+-]+)`, 'gm');
  for (const m of text.matchAll(re)) {
    const labelMatch = new RegExp(`${label}="([^"]*)"`).exec(m[1]);
    const key = labelMatch ? labelMatch[1] : '';
    out[key] = (out[key] ?? 0) + Number(m[2]);
  }
  return out;
}

/** Runs async tasks with bounded concurrency, preserving order of results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return results;
}
