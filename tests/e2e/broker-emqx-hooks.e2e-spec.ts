/**
 * MQTT_BROKER_AUTH=emqx-http: the platform's EMQX 5 HTTP authentication and authorisation hooks,
 * called here as EMQX calls them (POST, JSON bodies of rendered placeholders, the shared secret
 * as a bearer token; EMQX itself is not packaged for this machine), and EMQX's REST API faked by a
 * local server speaking its DELETE /api/v5/clients/{clientid}, to see devices disconnected when
 * they are disabled or re-keyed.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuditRepository } from '../../apps/platform/src/repositories/audit.repository';
import { startTestPlatform, type ProvisionedDevice, type TestPlatform } from '../support/platform';
import { testServices } from '../support/test-services';
import { waitFor } from '../support/wait';

const HOOK_SECRET = 'emqx-hook-secret-'.padEnd(40, 'x');
const PLATFORM_USER = { username: 'spp-platform', password: 'platform-password' };
const API = { key: 'emqx-api-key', secret: 'emqx-api-secret' };

/** EMQX's REST API as far as the platform uses it. */
class FakeEmqxApi {
  readonly kicks: string[] = [];
  connected = new Set<string>();
  down = false;
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const match = /^\/api\/v5\/clients\/([^/]+)$/.exec(req.url ?? '');
      const expected = `Basic ${Buffer.from(`${API.key}:${API.secret}`).toString('base64')}`;
      if (this.down) return void res.writeHead(503).end('{"code":"SERVICE_UNAVAILABLE"}');
      if (req.headers.authorization !== expected) return void res.writeHead(401).end('{"code":"BAD_API_KEY_OR_SECRET"}');
      if (req.method !== 'DELETE' || !match) return void res.writeHead(404).end();
      const id = decodeURIComponent(match[1]);
      this.kicks.push(id);
      if (!this.connected.delete(id)) return void res.writeHead(404).end('{"code":"CLIENTID_NOT_FOUND"}');
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

describe('EMQX HTTP authentication and authorisation hooks', () => {
  const api = new FakeEmqxApi();
  let platform: TestPlatform;
  let hooks: string;
  let communityId: string;
  let device: ProvisionedDevice;
  let other: ProvisionedDevice;

  beforeAll(async () => {
    platform = await startTestPlatform({
      env: {
        // The platform's own MQTT connection goes to the run's Mosquitto: only the hooks are under test.
        MQTT_URL: testServices().mqttExternalUrl,
        MQTT_USERNAME: PLATFORM_USER.username,
        MQTT_PASSWORD: PLATFORM_USER.password,
        MQTT_BROKER_AUTH: 'emqx-http',
        BROKER_AUTH_PORT: '0',
        BROKER_AUTH_SECRET: HOOK_SECRET,
        BROKER_API_URL: await api.start(),
        BROKER_API_KEY: API.key,
        BROKER_API_SECRET: API.secret,
      },
    });
    hooks = platform.platform.brokerHooksUrl!;
    communityId = (await platform.createCommunity()).id;
    device = await platform.provisionDevice(communityId, 'elevator');
    other = await platform.provisionDevice(communityId, 'gate');
  });

  afterAll(async () => {
    await platform?.close();
    await api.stop();
  });

  const call = async (path: string, body: unknown, secret: string | null = HOOK_SECRET) => {
    const res = await fetch(`${hooks}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(secret === null ? {} : { authorization: `Bearer ${secret}` }) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
  };
  // The bodies deploy/emqx configures: every placeholder rendered as a string.
  const authn = (username: string, password: string, clientid = username) => call('/emqx/authn', { clientid, username, password, peerhost: '10.1.2.3' });
  const authz = (username: string, action: 'publish' | 'subscribe', topic: string, clientid = username) =>
    call('/emqx/authz', { clientid, username, topic, action, peerhost: '10.1.2.3', qos: '1', retain: 'false' });

  it('listens on its own port, not on the public HTTP port', async () => {
    expect(new URL(hooks).port).not.toBe(new URL(platform.httpUrl).port);
    const res = await fetch(`${platform.httpUrl}/emqx/authn`, { method: 'POST', headers: { authorization: `Bearer ${HOOK_SECRET}` } });
    expect(res.status).toBe(404);
    const health = (await platform.api('GET', '/health', undefined, null)).body;
    expect(health.checks.brokerRegistry).toEqual({ status: 'ok', mode: 'emqx-http', agrees: true, disconnects: 'rest-api', pendingDisconnects: { count: 0, ids: [] } });
  });

  it('authenticates a device by id and secret, as EMQX expects the answer', async () => {
    const ok = await authn(device.id, device.secret);
    expect(ok).toEqual({ status: 200, type: 'application/json', body: { result: 'allow', is_superuser: false } });
    expect((await authn(device.id, 'wrong')).body).toEqual({ result: 'deny' });
    expect((await authn(device.id, device.secret, `${device.id}-2`)).body).toEqual({ result: 'deny' });
    expect((await authn('no-such-device', device.secret)).body).toEqual({ result: 'deny' });
    expect((await authn('bad id!', device.secret)).body).toEqual({ result: 'deny' });
    expect((await authn('', '')).body).toEqual({ result: 'deny' });
    expect(await platform.metric('spp_mqtt_auth_failures_total', { reason: 'bad_secret' })).toBe(1);
    expect(await platform.metric('spp_mqtt_auth_failures_total', { reason: 'username_must_equal_client_id' })).toBe(2);
    expect(await platform.metric('spp_mqtt_auth_failures_total', { reason: 'unknown_device' })).toBe(2);
  });

  it("authenticates the platform's own user with MQTT_PASSWORD, never as a superuser", async () => {
    expect((await authn(PLATFORM_USER.username, PLATFORM_USER.password, 'platform-1')).body).toEqual({ result: 'allow', is_superuser: false });
    expect((await authn(PLATFORM_USER.username, 'guess', 'platform-1')).body).toEqual({ result: 'deny' });
  });

  it('refuses requests without the shared secret, and bodies that are not what EMQX sends', async () => {
    const body = { clientid: device.id, username: device.id, password: device.secret };
    expect((await call('/emqx/authn', body, null)).status).toBe(401);
    expect((await call('/emqx/authn', body, 'x'.repeat(40))).status).toBe(401);
    expect((await call('/emqx/authz', { ...body, topic: 't', action: 'publish' }, HOOK_SECRET.slice(0, -1))).status).toBe(401);
    expect((await call('/emqx/authn', 'not json')).status).toBe(400);
    const missing = await call('/emqx/authn', { username: device.id });
    expect(missing.status).toBe(400);
    expect(String(missing.body.error)).toMatch(/clientid/);
    expect((await call('/emqx/authz', { ...body, topic: 't', action: 'all' })).status).toBe(400);
    expect((await call('/emqx/other', body)).status).toBe(404);
    expect(await platform.metric('spp_broker_hook_requests_total', { result: 'bad_hook_secret' })).toBe(3);
  });

  it("authorises a device's own topics only (contract §2)", async () => {
    for (const channel of ['telemetry', 'events', 'status', 'commands/ack']) {
      expect((await authz(device.id, 'publish', `v1/devices/${device.id}/${channel}`)).body).toEqual({ result: 'allow', is_superuser: false });
    }
    expect((await authz(device.id, 'subscribe', `v1/devices/${device.id}/commands`)).body.result).toBe('allow');
    const before = await platform.metric('spp_mqtt_acl_denied_total', { action: 'publish' });
    for (const topic of [`v1/devices/${other.id}/telemetry`, `v1/devices/${device.id}/commands`, 'v1/devices/+/telemetry', '$SYS/broker']) {
      expect((await authz(device.id, 'publish', topic)).body).toEqual({ result: 'deny' });
    }
    for (const topic of [`v1/devices/${other.id}/commands`, 'v1/devices/+/commands', '#', `$share/g/v1/devices/${device.id}/commands`]) {
      expect((await authz(device.id, 'subscribe', topic)).body).toEqual({ result: 'deny' });
    }
    expect((await authz(device.id, 'publish', `v1/devices/${device.id}/telemetry`, other.id)).body.result).toBe('deny');
    expect(await platform.metric('spp_mqtt_acl_denied_total', { action: 'publish' })).toBe(before + 5);
    expect(await platform.metric('spp_mqtt_acl_denied_total', { action: 'subscribe' })).toBeGreaterThanOrEqual(4);
    // Refused publishes are dead-lettered like the embedded broker's.
    expect(await platform.metric('spp_ingest_rejected_total', { reason: 'acl_denied' })).toBeGreaterThanOrEqual(5);
  });

  it("authorises the platform's shared subscriptions and commands, nothing else", async () => {
    const group = platform.env.MQTT_SHARE_GROUP!;
    for (const channel of ['telemetry', 'events', 'status', 'commands/ack']) {
      expect((await authz(PLATFORM_USER.username, 'subscribe', `$share/${group}/v1/devices/+/${channel}`, 'platform-1')).body.result).toBe('allow');
      expect((await authz(PLATFORM_USER.username, 'subscribe', `v1/devices/+/${channel}`, 'platform-1')).body.result).toBe('allow');
    }
    expect((await authz(PLATFORM_USER.username, 'publish', `v1/devices/${other.id}/commands`, 'platform-1')).body.result).toBe('allow');
    expect((await authz(PLATFORM_USER.username, 'subscribe', `$share/another/v1/devices/+/telemetry`, 'platform-1')).body.result).toBe('deny');
    expect((await authz(PLATFORM_USER.username, 'subscribe', '#', 'platform-1')).body.result).toBe('deny');
    expect((await authz(PLATFORM_USER.username, 'publish', `v1/devices/${other.id}/telemetry`, 'platform-1')).body.result).toBe('deny');
  });

  it('throttles repeated failures of one device and audits refused logins', async () => {
    const target = await platform.provisionDevice(communityId, 'fire');
    for (let i = 0; i < 6; i++) expect((await authn(target.id, `wrong-${i}`)).body.result).toBe('deny');
    // Locked now: even the right secret is refused, unchecked.
    expect((await authn(target.id, target.secret)).body.result).toBe('deny');
    expect(await platform.metric('spp_mqtt_auth_failures_total', { reason: 'throttled' })).toBeGreaterThanOrEqual(1);
    // Other devices are not affected.
    expect((await authn(other.id, other.secret)).body.result).toBe('allow');
    // The lock ends (1 s after the sixth failure) and the right secret works again.
    await waitFor(async () => (await authn(target.id, target.secret)).body.result === 'allow', { timeoutMs: 15_000, intervalMs: 250, message: 'the lock ends' });
    const audit = platform.platform.app.get(AuditRepository);
    const refused = await waitFor(async () => {
      const rows = (await audit.forSubject('device', target.id)).filter((r) => r.action === 'mqtt.auth_refused');
      return rows.length >= 6 ? rows : undefined;
    });
    expect(refused).toHaveLength(6); // the throttled attempt is counted, not audited
    expect(refused[0].detail).toMatchObject({ reason: 'bad_secret', peerhost: '10.1.2.3', broker: 'emqx' });
  });

  it('disable: EMQX is told to disconnect the device, and the hooks refuse it', async () => {
    const target = await platform.provisionDevice(communityId, 'elevator');
    api.connected.add(target.id);
    expect((await platform.api('POST', `/api/v1/devices/${target.id}/disable`)).status).toBe(200);
    expect(api.kicks).toContain(target.id);
    expect(api.connected.has(target.id)).toBe(false);
    expect((await authn(target.id, target.secret)).body.result).toBe('deny');
    expect((await authz(target.id, 'publish', `v1/devices/${target.id}/telemetry`)).body.result).toBe('deny');
    expect(await platform.metric('spp_mqtt_auth_failures_total', { reason: 'disabled' })).toBeGreaterThanOrEqual(1);
    expect((await platform.api('POST', `/api/v1/devices/${target.id}/enable`)).status).toBe(200);
    expect((await authn(target.id, target.secret)).body.result).toBe('allow');
  });

  it('rotate: the device is disconnected and must come back with the new secret', async () => {
    const target = await platform.provisionDevice(communityId, 'gate');
    api.connected.add(target.id);
    const rotated = await platform.api('POST', `/api/v1/devices/${target.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(api.connected.has(target.id)).toBe(false);
    expect((await authn(target.id, target.secret)).body.result).toBe('deny');
    expect((await authn(target.id, rotated.body.secret)).body.result).toBe('allow');
  });

  it("keeps trying to disconnect while EMQX's API is down, and /health says so meanwhile", async () => {
    const target = await platform.provisionDevice(communityId, 'elevator');
    api.connected.add(target.id);
    api.down = true;
    expect((await platform.api('POST', `/api/v1/devices/${target.id}/disable`)).status).toBe(200);
    const waiting = (await platform.api('GET', '/health', undefined, null)).body.checks.brokerRegistry;
    expect(waiting).toMatchObject({ status: 'ok', agrees: false, pendingDisconnects: { count: 1, ids: [target.id] } });
    api.down = false;
    await waitFor(async () => (await platform.api('GET', '/health', undefined, null)).body.checks.brokerRegistry.agrees === true, {
      timeoutMs: 20_000,
      intervalMs: 250,
      message: 'the disconnect is retried',
    });
    expect(api.connected.has(target.id)).toBe(false);
    expect(await platform.metric('spp_broker_registry_changes_total', { operation: 'disable_disconnect', outcome: 'failed' })).toBe(1);
  });
});
