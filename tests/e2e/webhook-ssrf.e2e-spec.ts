/**
 * Alarm webhooks cannot be turned against the platform's own network (issue 8 item 1, server-side
 * request forgery). At creation a URL whose host is, or resolves to, a loopback, private,
 * link-local, unspecified or cloud-metadata address is a 400 naming the reason; at delivery the
 * address the connection actually uses is checked again (a host that resolved elsewhere when the
 * webhook was made, DNS rebinding) and redirects are not followed: refused, counted by reason in
 * /metrics, never retried. The allow-listed relay (WEBHOOK_ALLOWED_HOSTS=127.0.0.2) still gets its
 * deliveries. Two local servers: the relay on 127.0.0.2 and an "internal service" on 127.0.0.1
 * that must never be called.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MqttClient } from 'mqtt';
import type { Socket } from 'socket.io-client';
import { AlarmRepository } from '../../apps/platform/src/repositories/alarm.repository';
import { publishJson, startTestPlatform, type TestPlatform } from '../support/platform';
import { nextEvent, waitFor } from '../support/wait';

const SECRET = 'ssrf-webhook-secret-0123456789';

interface Received {
  path: string;
  body: string;
}

/** A local HTTP server on `host` recording what it gets; `/redirect` answers 302 to `redirectTo`. */
async function startServer(host: string, redirectTo?: string): Promise<{ server: Server; port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body });
      if (req.url === '/redirect' && redirectTo) res.writeHead(302, { location: redirectTo }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return { server, port: (server.address() as AddressInfo).port, received };
}

describe('alarm webhooks: private-address guard (SSRF)', () => {
  let tp: TestPlatform;
  let internal: Awaited<ReturnType<typeof startServer>>;
  let relay: Awaited<ReturnType<typeof startServer>>;
  let community: { id: string };
  let socket: Socket;
  let client: MqttClient | undefined;

  beforeAll(async () => {
    internal = await startServer('127.0.0.1');
    relay = await startServer('127.0.0.2', `http://127.0.0.1:${internal.port}/internal`);
    tp = await startTestPlatform({ env: { WEBHOOK_ALLOWED_HOSTS: '127.0.0.2' } });
    tp.defer(() => new Promise((r) => internal.server.close(r)));
    tp.defer(() => new Promise((r) => relay.server.close(r)));
    community = await tp.createCommunity();
    socket = await tp.socket();
  }, 180_000);
  afterAll(async () => {
    await tp?.close();
  });

  const create = (url: string) => tp.api('POST', '/api/v1/alarm-webhooks', { communityId: community.id, url, secret: SECRET, format: 'json', minSeverity: 3 });

  it.each([
    ['http://127.0.0.1:8086/query', 'loopback'],
    ['http://0x7f000001/', 'loopback'],
    ['http://10.1.2.3/hook', 'private'],
    ['http://192.168.0.10/hook', 'private'],
    ['http://169.254.169.254/latest/meta-data/', 'metadata'],
    ['http://[::1]:8086/query', 'loopback'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://[fe80::1]/', 'linkLocal'],
    ['http://0.0.0.0:8086/', 'unspecified'],
    ['http://localhost:8086/query', 'loopback'],
    ['http://no-such-host.invalid/hook', 'unresolvable'],
  ])('refuses %s at creation: 400 (%s), counted', async (url, reason) => {
    const before = await tp.metric('spp_webhook_refused_total', { stage: 'create', reason });
    const res = await create(url);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(`(${reason})`);
    expect(await tp.metric('spp_webhook_refused_total', { stage: 'create', reason })).toBe(before + 1);
  });

  it('at delivery: a host now resolving to loopback and a redirect are refused and counted; the allow-listed relay is served', async () => {
    expect((await tp.api('PUT', `/api/v1/alarm-escalation/${community.id}/top_overtravel`, { tiers: [{ name: 'duty_room', roles: ['property_staff'], scopeLevel: 'community', ackWithinS: 0 }] })).status).toBe(200);
    const allowed = await create(`http://127.0.0.2:${relay.port}/hook`);
    expect(allowed.status).toBe(201);
    expect((await create(`http://127.0.0.2:${relay.port}/redirect`)).status).toBe(201);
    // A webhook whose host resolved to a public address when it was made and to loopback now
    // (DNS rebinding), stored as creation would have stored it.
    const alarms = tp.platform.app.get(AlarmRepository);
    const owner = (await alarms.webhook(allowed.body.id))!.created_by!;
    await alarms.addWebhook({ communityId: community.id, url: `http://localhost:${internal.port}/rebound`, secret: SECRET, format: 'json', minSeverity: 3, by: owner });

    const loopbackBefore = await tp.metric('spp_webhook_refused_total', { stage: 'delivery', reason: 'loopback' });
    const redirectBefore = await tp.metric('spp_webhook_refused_total', { stage: 'delivery', reason: 'redirect' });
    const device = await tp.provisionDevice(community.id, 'elevator');
    client = await tp.connectDevice(device);
    const raised = nextEvent<{ alarmId: string; deviceId: string }>(socket, 'alarm.raised', { filter: (e) => e.deviceId === device.id });
    await publishJson(client, `v1/devices/${device.id}/events`, { type: 'top_overtravel', active: true });
    const { alarmId } = await raised;

    await waitFor(() => relay.received.some((r) => r.path === '/hook'), { timeoutMs: 20_000, message: 'the allow-listed relay served' });
    expect(JSON.parse(relay.received.find((r) => r.path === '/hook')!.body)).toMatchObject({ event: 'alarm.notify', alarm: { alarmId } });
    await waitFor(async () => (await tp.metric('spp_webhook_refused_total', { stage: 'delivery', reason: 'loopback' })) === loopbackBefore + 1, { timeoutMs: 20_000, message: 'rebound host refused' });
    await waitFor(async () => (await tp.metric('spp_webhook_refused_total', { stage: 'delivery', reason: 'redirect' })) === redirectBefore + 1, { timeoutMs: 20_000, message: 'redirect refused' });
    // Refusals are not retried, and the redirect was not followed: the internal service heard nothing.
    expect(relay.received.filter((r) => r.path === '/redirect')).toHaveLength(1);
    expect(internal.received).toEqual([]);
  }, 120_000);
});
