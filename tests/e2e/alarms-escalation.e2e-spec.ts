/**
 * Alarms end to end: a lift reports a trapped-passenger condition through readings only, the
 * platform infers it after the (per-device) hold without a further reading, a socket.io client
 * sees alarm.raised, nobody acknowledges, the escalation reaches the next tiers (their inboxes
 * and a signed webhook on a local HTTP server), acknowledging stops the escalation. Also the
 * lifecycle REST (repeat counts, manual clear, refusals) and the bus events others listen to.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MqttClient } from 'mqtt';
import type { Socket } from 'socket.io-client';
import { verifySignature } from '../../apps/platform/src/domain/alarm-webhook';
import { type AlarmNotice, EventBusRepository } from '../../apps/platform/src/repositories/event-bus.repository';
import { JobRepository } from '../../apps/platform/src/repositories/job.repository';
import { elevatorReading, publishJson, startTestPlatform, type ProvisionedDevice, type TestPlatform } from '../support/platform';
import { nextEvent, waitFor } from '../support/wait';

interface AlarmEvent {
  alarmId: string;
  deviceId: string;
  communityId: string;
  type: string;
  severity: number;
  state: string;
  acknowledged: boolean;
  count: number;
  escalationTier: number;
  ts: number;
}

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

const SECRET = 'webhook-secret-0123456789';

async function startReceiver(): Promise<{ server: Server; url: string; received: Received[]; failNext: { n: number } }> {
  const received: Received[] = [];
  const failNext = { n: 0 };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (failNext.n > 0) {
        failNext.n--;
        res.writeHead(503).end();
        return;
      }
      received.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, failNext };
}

const expectError = (res: { status: number; body: any }, status: number) => {
  expect(res.status).toBe(status);
  expect(res.body).toEqual(expect.objectContaining({ statusCode: status, error: expect.any(String), message: expect.any(String) }));
};

describe('alarms: detection → socket → escalation → acknowledgement', () => {
  let tp: TestPlatform;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let community: { id: string; district: string; street: string };
  let lift: ProvisionedDevice;
  let socket: Socket;
  let liftClient: MqttClient;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const bus: Array<[string, AlarmNotice]> = [];

  const createUser = async (name: string, role: string, scope: Record<string, unknown>) => {
    const username = `${name}_${Math.random().toString(36).slice(2, 7)}`;
    const res = await tp.api('POST', '/api/v1/users', { username, password: 'user-pass-123', role, scope });
    expect(res.status).toBe(201);
    ids[name] = res.body.id;
    tokens[name] = await tp.login(username, 'user-pass-123');
  };
  const inbox = async (name: string) => (await tp.api('GET', '/api/v1/alarm-inbox', undefined, tokens[name])).body as Array<{ id: string; alarmId: string; tier: number; kind: string }>;

  beforeAll(async () => {
    receiver = await startReceiver();
    tp = await startTestPlatform({ env: { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } }); // the local receiver, past the private-address guard
    tp.defer(() => new Promise((r) => receiver.server.close(r)));
    const eventBus = tp.platform.app.get(EventBusRepository);
    for (const e of ['alarm.raised', 'alarm.updated', 'alarm.cleared'] as const) eventBus.on(e, (n) => bus.push([e, n]));
    community = await tp.createCommunity({ district: 'Jing an', street: `Street ${Math.random().toString(36).slice(2, 6)}` });
    const other = await tp.createCommunity();
    await createUser('duty', 'property_staff', { level: 'community', communityIds: [community.id] });
    await createUser('maint', 'maintenance_staff', { level: 'community', communityIds: [community.id] });
    await createUser('rescue', 'maintenance_staff', { level: 'street', street: community.street, district: community.district });
    await createUser('officer', 'street_officer', { level: 'street', street: community.street, district: community.district });
    await createUser('stranger', 'property_staff', { level: 'community', communityIds: [other.id] });
    await createUser('owner', 'owner', { level: 'community', communityIds: [community.id] });
    lift = await tp.provisionDevice(community.id, 'elevator');
    socket = await tp.socket();
  });
  afterAll(async () => {
    await tp?.close();
  });

  it('sets a short escalation chain, a webhook and a per-device hold (settings REST, with refusals)', async () => {
    const chain = {
      tiers: [
        { name: 'duty_room', roles: ['property_staff'], scopeLevel: 'community', ackWithinS: 0.5 },
        { name: 'maintenance', roles: ['maintenance_staff'], scopeLevel: 'community', ackWithinS: 0.5 },
        { name: 'rescue_tier2', roles: ['maintenance_staff'], scopeLevel: 'street', ackWithinS: 1.5 },
        { name: 'authorities', roles: ['street_officer', 'district_authority'], ackWithinS: 60 },
      ],
    };
    const path = `/api/v1/alarm-escalation/${community.id}/trapped_not_level`;
    expectError(await tp.api('PUT', path, chain, null), 401);
    expectError(await tp.api('PUT', path, { tiers: [] }), 400);
    expectError(await tp.api('PUT', path, chain, tokens.maint), 403);
    expectError(await tp.api('PUT', path, chain, tokens.stranger), 404);
    expectError(await tp.api('PUT', `/api/v1/alarm-escalation/${community.id}/no_such_type`, chain), 404);
    const defaults = await tp.api('GET', path);
    expect(defaults.body).toMatchObject({ custom: false, chain: { arrivalWithinS: 1800, tiers: [{ name: 'duty_room', ackWithinS: 30, notifyAtStart: false }, { name: 'maintenance', ackWithinS: 180, notifyAtStart: true }, {}, {}] } });
    const set = await tp.api('PUT', path, chain, tokens.duty);
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ custom: true, chain: { tiers: [{ name: 'duty_room', notifyAtStart: false }, {}, {}, {}] } }); // a chain left without the flag is sequential

    expectError(await tp.api('POST', '/api/v1/alarm-webhooks', { communityId: community.id, url: 'ftp://x', secret: SECRET }), 400);
    const hook = await tp.api('POST', '/api/v1/alarm-webhooks', { communityId: community.id, url: receiver.url, secret: SECRET, format: 'json' });
    expect(hook.status).toBe(201);
    expect(hook.body).not.toHaveProperty('secret');

    const settingsPath = `/api/v1/alarm-settings/devices/${lift.id}`;
    expectError(await tp.api('PUT', settingsPath, { thresholds: { trappedHoldS: -1 } }), 400);
    expectError(await tp.api('PUT', settingsPath, { rules: { 'no.such.rule': { enabled: false } } }), 400);
    expectError(await tp.api('PUT', settingsPath, { thresholds: { trappedHoldS: 1 } }, tokens.owner), 403);
    expectError(await tp.api('GET', settingsPath, undefined, tokens.stranger), 404);
    const s = await tp.api('PUT', settingsPath, { thresholds: { trappedHoldS: 1 } });
    expect(s.status).toBe(200);
    expect(s.body.effective.thresholds).toMatchObject({ trappedHoldS: 1, tankLevelMin: 7, hydrantPressureMax: 700 });
  });

  let alarmId = '';

  it('infers trapped passengers from readings and pushes alarm.raised without a further reading', async () => {
    const raised = nextEvent<AlarmEvent>(socket, 'alarm.raised', { timeoutMs: 10_000, filter: (e) => e.deviceId === lift.id });
    const client = await tp.connectDevice(lift);
    liftClient = client;
    await publishJson(client, `v1/devices/${lift.id}/telemetry`, elevatorReading({ occupied: true, atLevel: false, door: 'closed', direction: 'stop' }));
    const e = await raised;
    expect(e).toMatchObject({ deviceId: lift.id, communityId: community.id, type: 'trapped_not_level', severity: 1, state: 'active', acknowledged: false, source: 'platform' });
    alarmId = e.alarmId;
    expect(bus).toContainEqual(['alarm.raised', expect.objectContaining({ alarmId, type: 'trapped_not_level', severity: 1, state: 'active', communityId: community.id })]);
  });

  it('tells the duty room at once, escalates to maintenance, then to the street rescue tier (inbox and signed webhook)', async () => {
    await waitFor(async () => (await inbox('duty')).some((i) => i.alarmId === alarmId && i.tier === 0), { message: 'duty room inbox' });
    await waitFor(async () => (await inbox('maint')).some((i) => i.alarmId === alarmId && i.tier === 1), { message: 'maintenance inbox' });
    const tier2 = await waitFor(async () => (await inbox('rescue')).find((i) => i.alarmId === alarmId && i.tier === 2), { message: 'rescue inbox' });
    expect(tier2.kind).toBe('escalation');
    const hook = await waitFor(() => receiver.received.map((r) => ({ r, body: JSON.parse(r.body) })).find((x) => x.body.tier === 2), { message: 'webhook tier 2' });
    expect(hook.body).toMatchObject({ event: 'alarm.escalation', tierName: 'rescue_tier2', alarm: { alarmId, type: 'trapped_not_level', severity: 1 } });
    expect(verifySignature(SECRET, String(hook.r.headers['x-spp-timestamp']), hook.r.body, String(hook.r.headers['x-spp-signature']))).toBe(true);
    expect(verifySignature('wrong-secret-000000', String(hook.r.headers['x-spp-timestamp']), hook.r.body, String(hook.r.headers['x-spp-signature']))).toBe(false);
  });

  it('acknowledging stops the escalation: the authorities tier is never told', async () => {
    expectError(await tp.api('POST', `/api/v1/alarms/${alarmId}/acknowledge`, {}, tokens.owner), 403);
    expectError(await tp.api('POST', `/api/v1/alarms/${alarmId}/acknowledge`, {}, tokens.stranger), 404);
    expectError(await tp.api('POST', `/api/v1/alarms/not-a-uuid/acknowledge`, {}), 400);
    const updated = nextEvent<AlarmEvent>(socket, 'alarm.updated', { filter: (e) => e.alarmId === alarmId && e.acknowledged });
    const ack = await tp.api('POST', `/api/v1/alarms/${alarmId}/acknowledge`, { comment: 'on my way' }, tokens.rescue);
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ acknowledged: true, acknowledgedBy: ids.rescue, responseS: expect.any(Number) });
    await updated;
    expectError(await tp.api('POST', `/api/v1/alarms/${alarmId}/acknowledge`, {}, tokens.duty), 409);
    const jobs = tp.platform.app.get(JobRepository);
    await waitFor(async () => {
      const c = await jobs.counts();
      return c.alarms.delayed === 0 && c.alarms.waiting === 0 && c.alarms.active === 0;
    }, { message: 'no pending escalation jobs' });
    expect(await inbox('officer')).toEqual([]);
    const detail = await tp.api('GET', `/api/v1/alarms/${alarmId}`);
    expect(detail.body.escalationTier).toBe(2);
    const actions = (detail.body.history as Array<{ action: string }>).map((h) => h.action);
    expect(actions).toEqual(expect.arrayContaining(['raised', 'notified', 'escalated', 'acknowledged']));
    expect(actions).not.toContain('arrival_overdue');
  });

  it('records arrival, refuses a second one, and clears the inferred alarm by hand', async () => {
    const arrived = await tp.api('POST', `/api/v1/alarms/${alarmId}/arrived`, {}, tokens.rescue);
    expect(arrived.status).toBe(200);
    expect(arrived.body.arrivalS).toEqual(expect.any(Number));
    expectError(await tp.api('POST', `/api/v1/alarms/${alarmId}/arrived`, {}, tokens.rescue), 409);
    expect((await tp.api('POST', `/api/v1/alarms/${alarmId}/comments`, { text: '' })).status).toBe(400);
    const commented = await tp.api('POST', `/api/v1/alarms/${alarmId}/comments`, { text: 'passengers released' }, tokens.rescue);
    expect(commented.status).toBe(201);
    expect(commented.body.history).toContainEqual(expect.objectContaining({ action: 'commented', actorId: ids.rescue, detail: { text: 'passengers released' } }));
    const assigned = await tp.api('POST', `/api/v1/alarms/${alarmId}/assign`, { userId: ids.maint }, tokens.duty);
    expect(assigned.body.assigneeId).toBe(ids.maint);
    expectError(await tp.api('POST', `/api/v1/alarms/${alarmId}/assign`, { userId: '00000000-0000-4000-8000-000000000000' }, tokens.duty), 404);
    const cleared = nextEvent<AlarmEvent>(socket, 'alarm.cleared', { filter: (e) => e.alarmId === alarmId });
    const res = await tp.api('POST', `/api/v1/alarms/${alarmId}/clear`, { comment: 'released' }, tokens.duty);
    expect(res.status).toBe(200);
    expect((await cleared).state).toBe('cleared');
    expect(bus).toContainEqual(['alarm.cleared', expect.objectContaining({ alarmId, state: 'cleared' })]);
    expectError(await tp.api('POST', `/api/v1/alarms/${alarmId}/clear`, {}, tokens.duty), 409);
  });

  it('one open alarm per device and type: a repeated device event counts; device-reported alarms are not cleared by hand', async () => {
    const client = liftClient;
    const raised = nextEvent<AlarmEvent>(socket, 'alarm.raised', { filter: (e) => e.type === 'emergency_call' });
    await publishJson(client, `v1/devices/${lift.id}/events`, { type: 'emergency_call', active: true });
    const first = await raised;
    expect(first).toMatchObject({ severity: 1, source: 'device', count: 1 });
    const repeated = nextEvent<AlarmEvent>(socket, 'alarm.updated', { filter: (e) => e.alarmId === first.alarmId && e.count === 2 });
    await publishJson(client, `v1/devices/${lift.id}/events`, { type: 'emergency_call', active: true });
    await repeated;
    const cleared = nextEvent<AlarmEvent>(socket, 'alarm.cleared', { filter: (e) => e.alarmId === first.alarmId });
    await publishJson(client, `v1/devices/${lift.id}/events`, { type: 'emergency_call', active: false });
    await cleared;
    const again = nextEvent<AlarmEvent>(socket, 'alarm.raised', { filter: (e) => e.type === 'emergency_call' && e.alarmId !== first.alarmId });
    await publishJson(client, `v1/devices/${lift.id}/events`, { type: 'emergency_call', active: true });
    const second = await again;
    expect(second.count).toBe(1);
    expectError(await tp.api('POST', `/api/v1/alarms/${second.alarmId}/clear`, {}), 409);
    const list = await tp.api('GET', `/api/v1/alarms?communityId=${community.id}`);
    expect(list.status).toBe(200);
    // active and unacknowledged first
    const states = (list.body as Array<{ state: string; acknowledged: boolean }>).map((a) => a.state === 'active' && !a.acknowledged);
    expect(states.indexOf(false)).toBeGreaterThan(states.lastIndexOf(true));
    expect((await tp.api('GET', `/api/v1/alarms?communityId=${community.id}`, undefined, tokens.stranger)).status).toBe(404);
    expect((await tp.api('GET', '/api/v1/alarms', undefined, tokens.owner)).status).toBe(403);
    expect((await tp.api('GET', '/api/v1/alarms?severity=9')).status).toBe(400);
    expect(((await tp.api('GET', '/api/v1/alarms', undefined, tokens.stranger)).body as unknown[]).length).toBe(0);
  });

  it('inbox read endpoints and preferences', async () => {
    const items = await inbox('duty');
    expect(items.length).toBeGreaterThan(0);
    const read = await tp.api('POST', `/api/v1/alarm-inbox/${items[0].id}/read`, {}, tokens.duty);
    expect(read.body).toEqual({ updated: 1 });
    expect((await tp.api('POST', `/api/v1/alarm-inbox/${items[0].id}/read`, {}, tokens.maint)).body).toEqual({ updated: 0 });
    await tp.api('POST', '/api/v1/alarm-inbox/read-all', {}, tokens.duty);
    expect((await tp.api('GET', '/api/v1/alarm-inbox?unread=true', undefined, tokens.duty)).body).toEqual([]);
    expect((await tp.api('PUT', '/api/v1/alarm-preferences', { severities: [7] }, tokens.duty)).status).toBe(400);
    const prefs = await tp.api('PUT', '/api/v1/alarm-preferences', { severities: [1, 2], types: [] }, tokens.duty);
    expect(prefs.body).toEqual({ severities: [1, 2], types: [] });
  });
});
