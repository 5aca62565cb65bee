/**
 * An in-process platform for integration and end-to-end tests, isolated on the run's shared
 * services: a fresh InfluxDB database, a fresh Redis key prefix, a temporary DATA_DIR (embedded
 * PGlite unless DATABASE_URL is given) and ports picked by the OS. Logs in as the administrator
 * and offers small helpers (REST, provisioning, MQTT device clients, socket.io clients, metrics,
 * InfluxQL). close() releases everything it started, in reverse order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import { startPlatform, type RunningPlatform } from '../../apps/platform/src/bootstrap';
import { freshInfluxDatabase, freshRedisPrefix, type FreshInflux } from './databases';
import { testServices } from './test-services';
import { waitFor } from './wait';

export const ADMIN = { username: 'admin', password: 'admin-pass-123' };
export const TEST_JWT_SECRET = 'test-jwt-secret-'.padEnd(48, 'x');
/** One device-secret key for every test platform, so a restart on the same database (a fresh DATA_DIR) still verifies the stored secrets. */
export const TEST_DEVICE_SECRET_KEY = 'test-device-secret-key-'.padEnd(48, 'k');

export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

export interface ProvisionedDevice {
  id: string;
  secret: string;
  communityId: string;
  kind: 'elevator' | 'fire' | 'gate';
  subtype: string | null;
  [key: string]: unknown;
}

export interface StartTestPlatformOptions {
  /** Variables added to (or replacing) the generated environment; `undefined` removes one. */
  env?: Record<string, string | undefined>;
  /** Reuse a DATA_DIR (e.g. to restart on the same PGlite); otherwise a temp dir is made and removed. */
  dataDir?: string;
  /** Reuse an InfluxDB database (e.g. two processes); otherwise a fresh one is made and dropped. */
  influx?: FreshInflux;
  /** Reuse a Redis prefix; otherwise a fresh one. */
  redisPrefix?: string;
  /** Log in as the administrator after start (default true; needs the api role). */
  login?: boolean;
}

export interface TestPlatform {
  platform: RunningPlatform;
  httpUrl: string;
  mqttUrl?: string;
  env: Record<string, string | undefined>;
  influx: FreshInflux;
  redisPrefix: string;
  dataDir: string;
  /** The administrator's access token ('' when login was off). */
  token: string;
  api<T = any>(method: string, path: string, body?: unknown, token?: string | null): Promise<ApiResponse<T>>;
  login(username: string, password: string): Promise<string>;
  createCommunity(overrides?: Record<string, unknown>, token?: string): Promise<{ id: string; name: string; district: string; street: string }>;
  provisionDevice(communityId: string, kind: 'elevator' | 'fire' | 'gate', extra?: Record<string, unknown>, token?: string): Promise<ProvisionedDevice>;
  /** Connects an MQTT client as the device (clientId = username = id), last will "offline". Ended by close(). */
  connectDevice(device: { id: string; secret: string }, options?: IClientOptions): Promise<MqttClient>;
  /** A socket.io client, connected (or rejected if the handshake fails). Disconnected by close(). */
  socket(token?: string): Promise<Socket>;
  metrics(): Promise<string>;
  /** Sum of a metric's samples whose labels include `labels` (0 when absent). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** One InfluxQL query on this platform's database; returns rows (tags and fields as columns, time in ms). */
  influxRows(query: string): Promise<Array<Record<string, any>>>;
  /** Tracks something to release at close() (run in reverse order, errors ignored). */
  defer(fn: () => unknown): void;
  close(): Promise<void>;
}

/** Builds the environment of an isolated test platform. */
export function testPlatformEnv(dataDir: string, influx: FreshInflux, redisPrefix: string): Record<string, string | undefined> {
  const s = testServices();
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    MQTT_PORT: '0',
    MQTT_WS_PORT: '0',
    DATA_DIR: dataDir,
    REDIS_URL: s.redisUrl,
    REDIS_PREFIX: redisPrefix,
    INFLUX_URL: influx.url,
    INFLUX_FLUSH_MS: '100',
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    JWT_SECRET: TEST_JWT_SECRET,
    DEVICE_SECRET_KEY: TEST_DEVICE_SECRET_KEY,
    LIVE_UPDATE_INTERVAL_MS: '100',
    // Only used against an external broker: a group of its own, so platforms of other test files
    // on the shared Mosquitto do not take this one's messages.
    MQTT_SHARE_GROUP: `g_${redisPrefix}`.replace(/[^A-Za-z0-9_-]/g, '_'),
  };
}

export async function startTestPlatform(options: StartTestPlatformOptions = {}): Promise<TestPlatform> {
  const cleanups: Array<() => unknown> = [];
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'spp-e2e-'));
  if (ownDataDir) cleanups.push(() => rmSync(dataDir, { recursive: true, force: true, maxRetries: 3 }));
  const influx = options.influx ?? freshInfluxDatabase();
  if (!options.influx) cleanups.push(() => influx.drop());
  const redisPrefix = options.redisPrefix ?? freshRedisPrefix();
  const env = { ...testPlatformEnv(dataDir, influx, redisPrefix), ...(options.env ?? {}) };

  const runCleanups = async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(fn),
          new Promise((resolve) => {
            timer = setTimeout(resolve, 15_000);
          }),
        ]);
      } catch {
        /* best effort */
      } finally {
        clearTimeout(timer);
      }
    }
  };

  let platform: RunningPlatform;
  try {
    platform = await startPlatform(env);
  } catch (error) {
    await runCleanups();
    throw error;
  }
  cleanups.push(() => platform.close());

  const httpUrl = platform.httpUrl;
  const influxDbUrl = new URL(influx.url);
  const influxRoot = `${influxDbUrl.protocol}//${influxDbUrl.host}`;

  const api = async <T = any>(method: string, path: string, body?: unknown, token?: string | null): Promise<ApiResponse<T>> => {
    const bearer = token === undefined ? tp.token : token;
    const res = await fetch(`${httpUrl}${path.startsWith('/') ? path : `/api/v1/${path}`}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}),
      },
      // No per-request time-out: on a loaded machine a slow answer is not a failure; the test's own time-out bounds it.
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed as T };
  };

  const tp: TestPlatform = {
    platform,
    httpUrl,
    mqttUrl: platform.mqttUrl,
    env,
    influx,
    redisPrefix,
    dataDir,
    token: '',
    api,
    async login(username, password) {
      const res = await api<{ accessToken: string }>('POST', '/api/v1/auth/login', { username, password }, null);
      if (res.status !== 200) throw new Error(`login of ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.accessToken;
    },
    async createCommunity(overrides = {}, token) {
      const n = Math.random().toString(36).slice(2, 8);
      const res = await api('POST', '/api/v1/communities', { name: `Community ${n}`, district: 'Xuhui', street: 'Tianping', ...overrides }, token);
      if (res.status !== 201) throw new Error(`create community failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async provisionDevice(communityId, kind, extra = {}, token) {
      const body = { communityId, kind, name: `${kind} ${Math.random().toString(36).slice(2, 6)}`, ...(kind === 'fire' ? { subtype: 'hydrant_pressure' } : {}), ...extra };
      const res = await api('POST', '/api/v1/devices', body, token);
      if (res.status !== 201) throw new Error(`provision failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as ProvisionedDevice;
    },
    async connectDevice(device, opts = {}) {
      if (!tp.mqttUrl) throw new Error('this platform has no MQTT URL');
      const client = await connectAsync(tp.mqttUrl, {
        clientId: device.id,
        username: device.id,
        password: device.secret,
        protocolVersion: 4,
        reconnectPeriod: 0,
        connectTimeout: 5000,
        will: { topic: `v1/devices/${device.id}/status`, payload: Buffer.from('offline'), qos: 1, retain: true },
        ...opts,
      });
      cleanups.push(() => client.endAsync(true));
      return client;
    },
    async socket(token) {
      const socket = io(httpUrl, { auth: { token: token ?? tp.token }, transports: ['websocket'], reconnection: false, forceNew: true });
      cleanups.push(() => socket.disconnect());
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('socket.io connect timed out')), 5000);
        socket.once('connect', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.once('connect_error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
      });
      return socket;
    },
    async metrics() {
      const res = await fetch(`${httpUrl}/metrics`);
      return res.text();
    },
    async metric(name, labels = {}) {
      return metricValue(await tp.metrics(), name, labels);
    },
    async influxRows(query) {
      return influxRows(influxRoot, influx.name, query);
    },
    defer(fn) {
      cleanups.push(fn);
    },
    close: runCleanups,
  };

  if (options.login !== false) {
    try {
      tp.token = await tp.login(ADMIN.username, ADMIN.password);
    } catch (error) {
      await runCleanups();
      throw error;
    }
  }
  return tp;
}

/** Sums the samples of `name` in Prometheus text whose labels include `labels`. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have: Record<string, string> = {};
    for (const pair of (m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) have[pair[1]] = pair[2];
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[4]);
  }
  return sum;
}

/** Runs an InfluxQL query against `db` with ms epochs and flattens the series into rows (series tags merged in). */
export async function influxRows(baseUrl: string, db: string, query: string): Promise<Array<Record<string, any>>> {
  const res = await fetch(`${baseUrl}/query?db=${encodeURIComponent(db)}&epoch=ms`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `q=${encodeURIComponent(query)}`,
  });
  const body = (await res.json()) as {
    error?: string;
    results?: Array<{ error?: string; series?: Array<{ name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }> }>;
  };
  const err = body.error ?? body.results?.find((r) => r.error)?.error;
  if (!res.ok || err) throw new Error(`InfluxQL "${query}": HTTP ${res.status} ${err ?? ''}`);
  const rows: Array<Record<string, any>> = [];
  for (const result of body.results ?? []) {
    for (const series of result.series ?? []) {
      for (const values of series.values) {
        const row: Record<string, any> = { _measurement: series.name, ...(series.tags ?? {}) };
        series.columns.forEach((c, i) => (row[c] = values[i]));
        rows.push(row);
      }
    }
  }
  return rows;
}

/** Waits until `query` returns at least `count` rows, and returns them. */
export async function waitForInfluxRows(tp: Pick<TestPlatform, 'influxRows'>, query: string, count: number, timeoutMs = 10_000): Promise<Array<Record<string, any>>> {
  let last: Array<Record<string, any>> = [];
  await waitFor(
    async () => {
      last = await tp.influxRows(query);
      return last.length >= count;
    },
    { timeoutMs, intervalMs: 100, message: `InfluxDB rows for ${query} (wanted ${count}, got ${last.length})` },
  );
  return last;
}

/** A valid elevator reading with overrides. */
export function elevatorReading(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    mode: 'normal',
    direction: 'stop',
    floor: 1,
    atLevel: true,
    door: 'closed',
    speed: 0,
    occupied: false,
    power: 'mains',
    safetyCircuit: 'closed',
    ...overrides,
  };
}

/** Publishes with QoS 1 and waits for the PUBACK. */
export async function publishJson(client: MqttClient, topic: string, payload: unknown, qos: 0 | 1 = 1, retain = false): Promise<void> {
  await client.publishAsync(topic, typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload), { qos, retain });
}
