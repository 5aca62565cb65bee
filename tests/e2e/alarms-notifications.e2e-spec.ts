/**
 * Alarm notifications end to end, the paths around the escalation itself: the arrival deadline
 * (an arrival_overdue alarm when nobody reports arrival in time, cleared when someone does),
 * webhook retries with back-off (a local receiver answers 500 twice, then accepts a correctly
 * signed delivery), the per-device hourly notification cap (suppressed and counted; severity 1
 * never capped) and per-user preferences (an opted-out user gets nothing in the inbox for it).
 * Short timings come from the escalation chain and detection settings REST.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MqttClient } from 'mqtt';
import type { Socket } from 'socket.io-client';
import { verifySignature } from '../../apps/platform/src/domain/alarm-webhook';
import { publishJson, startTestPlatform, type ProvisionedDevice, type TestPlatform } from '../support/platform';
import { nextEvent, waitFor } from '../support/wait';

interface AlarmEvent {
  alarmId: string;
  deviceId: string;
  communityId: string;
  type: string;
  severity: number;
  state: string;
  count: number;
}

interface InboxItem {
  id: string;
  alarmId: string;
  tier: number;
  kind: string;
  alarm: { type: string; severity: number; deviceId: string };
}

interface Attempt {
  at: number;
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

const SECRET = 'notifications-secret-0123456789';

/** A local webhook receiver that answers 500 to the first `failFirst` requests, then 200. */
async function startReceiver(failFirst: number): Promise<{ server: Server; url: string; attempts: Attempt[] }> {
  const attempts: Attempt[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const status = attempts.length < failFirst ? 500 : 200;
      attempts.push({ at: Date.now(), status, headers: req.headers, body });
      res.writeHead(status, { 'content-type': 'application/json' }).end(status === 200 ? '{"ok":true}' : '{"error":"try later"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, attempts };
}

describe('alarm notifications: arrival deadline, webhook retries, hourly cap, preferences', () => {
  let tp: TestPlatform;
  let community: { id: string; district: string; street: string };
  let socket: Socket;
  let hooked: { id: string };
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const clients = new Map<string, MqttClient>();

  const createUser = async (name: string, role: string, communityId: string) => {
    const username = `${name}_${Math.random().toString(36).slice(2, 7)}`;
    const res = await tp.api('POST', '/api/v1/users', { username, password: 'user-pass-123', role, scope: { level: 'community', communityIds: [communityId] } });
    expect(res.status).toBe(201);
    ids[name] = res.body.id;
    tokens[name] = await tp.login(username, 'user-pass-123');
  };
  const inbox = async (name: string) => (await tp.api('GET', '/api/v1/alarm-inbox?limit=200', undefined, tokens[name])).body as InboxItem[];
  const history = async (alarmId: string) =>
    ((await tp.api('GET', `/api/v1/alarms/${alarmId}`)).body.history as Array<{ action: string; detail: Record<string, any> }>) ?? [];
  /** A single-tier chain without escalation (no delayed jobs left behind). */
  const flatChain = (communityId: string, type: string, extra: Record<string, unknown> = {}) =>
    tp.api('PUT', `/api/v1/alarm-escalation/${communityId}/${type}`, { tiers: [{ name: 'duty_room', roles: ['property_staff'], scopeLevel: 'community', ackWithinS: 0 }], ...extra });
  const device = async (communityId: string): Promise<ProvisionedDevice> => {
    const d = await tp.provisionDevice(communityId, 'elevator');
    clients.set(d.id, await tp.connectDevice(d));
    return d;
  };
  /** Sends a device event and waits for the socket event it causes on that device. */
  const deviceEvent = async (d: ProvisionedDevice, type: string, active: boolean): Promise<AlarmEvent> => {
    const seen = nextEvent<AlarmEvent>(socket, active ? 'alarm.raised' : 'alarm.cleared', { filter: (e) => e.deviceId === d.id && e.type === type });
    await publishJson(clients.get(d.id)!, `v1/devices/${d.id}/events`, { type, active });
    return seen;
  };
  /** Waits until dispatch has decided about the alarm's first notice (sent or capped). */
  const firstNotice = (alarmId: string) =>
    waitFor(async () => (await history(alarmId)).find((h) => (h.action === 'notified' && h.detail.kind === 'notify') || h.action === 'notification_capped'), {
      message: `first notice of ${alarmId}`,
    });

  beforeAll(async () => {
    tp = await startTestPlatform({ env: { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } }); // the local receiver, past the private-address guard
    community = await tp.createCommunity({ district: 'Putuo', street: `Street ${Math.random().toString(36).slice(2, 6)}` });
    await createUser('duty', 'property_staff', community.id);
    await createUser('maint', 'maintenance_staff', community.id);
    hooked = await tp.createCommunity(); // before the socket connects: it joins the rooms of the communities that exist
    socket = await tp.socket();
  });
  afterAll(async () => {
    await tp?.close();
  });

  describe('arrival deadline', () => {
    it('nobody reports arrival in time: an arrival_overdue alarm (severity 1) for the same device, pointing at the alarm', async () => {
      const chain = await flatChain(community.id, 'emergency_call', { arrivalWithinS: 0.5 });
      expect(chain.status).toBe(200);
      expect(chain.body.chain).toMatchObject({ arrivalWithinS: 0.5 });
      const lift = await device(community.id);
      const overdue = nextEvent<AlarmEvent>(socket, 'alarm.raised', { filter: (e) => e.deviceId === lift.id && e.type === 'arrival_overdue' });
      const call = await deviceEvent(lift, 'emergency_call', true);
      const o = await overdue;
      expect(o).toMatchObject({ communityId: community.id, severity: 1, state: 'active', source: 'platform' });
      const detail = (await tp.api('GET', `/api/v1/alarms/${o.alarmId}`)).body;
      expect(detail.detail).toMatchObject({ alarmId: call.alarmId, alarmType: 'emergency_call' });
      expect((await history(call.alarmId)).map((h) => h.action)).toContain('arrival_overdue');
      // the overdue alarm is dispatched like any other: the duty room hears of it
      await waitFor(async () => (await inbox('duty')).some((i) => i.alarmId === o.alarmId), { message: 'arrival_overdue in the duty inbox' });

      // arrival reported late still clears the overdue alarm; the original stays open until the device clears it
      const cleared = nextEvent<AlarmEvent>(socket, 'alarm.cleared', { filter: (e) => e.alarmId === o.alarmId });
      const arrived = await tp.api('POST', `/api/v1/alarms/${call.alarmId}/arrived`, {}, tokens.maint);
      expect(arrived.status).toBe(200);
      expect(arrived.body).toMatchObject({ arrivedBy: ids.maint, state: 'active' });
      expect((await cleared).state).toBe('cleared');
      expect((await history(o.alarmId)).find((h) => h.action === 'cleared')?.detail).toEqual({ reason: 'arrival reported' });
      await deviceEvent(lift, 'emergency_call', false);
    });
  });

  describe('webhook retries', () => {
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let webhookId = '';

    beforeAll(async () => {
      receiver = await startReceiver(2);
      tp.defer(() => new Promise((r) => receiver.server.close(r)));
      expect((await flatChain(hooked.id, 'top_overtravel')).status).toBe(200);
      const hook = await tp.api('POST', '/api/v1/alarm-webhooks', { communityId: hooked.id, url: receiver.url, secret: SECRET, format: 'json', minSeverity: 3 });
      expect(hook.status).toBe(201);
      webhookId = hook.body.id;
    });
    afterAll(async () => {
      if (webhookId) await tp.api('DELETE', `/api/v1/alarm-webhooks/${webhookId}`);
    });

    it('a receiver answering 500 twice gets the delivery again with growing back-off; the accepted one verifies', async () => {
      const failedBefore = await tp.metric('spp_alarm_notifications_total', { channel: 'webhook', outcome: 'failed' });
      const sentBefore = await tp.metric('spp_alarm_notifications_total', { channel: 'webhook', outcome: 'sent' });
      const lift = await device(hooked.id);
      const raised = await deviceEvent(lift, 'top_overtravel', true);
      await waitFor(() => receiver.attempts.some((a) => a.status === 200), { timeoutMs: 15_000, message: 'a delivery accepted' });
      expect(receiver.attempts.map((a) => a.status)).toEqual([500, 500, 200]);
      const bodies = receiver.attempts.map((a) => JSON.parse(a.body));
      for (const b of bodies) expect(b).toMatchObject({ event: 'alarm.notify', tier: 0, tierName: 'duty_room', alarm: { alarmId: raised.alarmId, type: 'top_overtravel', severity: 2 } });
      // exponential back-off (500 ms base): the second wait is longer than the first
      const [a1, a2, a3] = receiver.attempts.map((a) => a.at);
      expect(a2 - a1).toBeGreaterThanOrEqual(400);
      expect(a3 - a2).toBeGreaterThan(a2 - a1);
      const ok = receiver.attempts[2];
      expect(verifySignature(SECRET, String(ok.headers['x-spp-timestamp']), ok.body, String(ok.headers['x-spp-signature']))).toBe(true);
      expect(verifySignature('another-secret-0000000', String(ok.headers['x-spp-timestamp']), ok.body, String(ok.headers['x-spp-signature']))).toBe(false);
      expect(await tp.metric('spp_alarm_notifications_total', { channel: 'webhook', outcome: 'failed' })).toBe(failedBefore + 2);
      await waitFor(async () => (await tp.metric('spp_alarm_notifications_total', { channel: 'webhook', outcome: 'sent' })) === sentBefore + 1, { message: 'sent counted' });
      await deviceEvent(lift, 'top_overtravel', false);
    });
  });

  describe('hourly cap per device', () => {
    it('notices beyond the cap are suppressed and counted; severity 1 is never capped', async () => {
      expect((await flatChain(community.id, 'door_open_fault')).status).toBe(200);
      expect((await flatChain(community.id, 'trapped_at_level')).status).toBe(200);
      const lift = await device(community.id);
      expectStatus(await tp.api('PUT', `/api/v1/alarm-settings/devices/${lift.id}`, { thresholds: { notifyCapPerHour: 0 } }), 400);
      expectStatus(await tp.api('PUT', `/api/v1/alarm-settings/devices/${lift.id}`, { thresholds: { notifyCapPerHour: 2 } }), 200);
      const cappedBefore = await tp.metric('spp_alarm_notifications_total', { channel: 'all', outcome: 'capped' });

      const alarms: string[] = [];
      for (let n = 0; n < 3; n++) {
        const a = await deviceEvent(lift, 'door_open_fault', true);
        expect(a.severity).toBe(3);
        alarms.push(a.alarmId);
        await firstNotice(a.alarmId);
        await deviceEvent(lift, 'door_open_fault', false);
      }
      const actions = await Promise.all(alarms.map(async (id) => (await history(id)).map((h) => h.action)));
      expect(actions.map((a) => a.includes('notified'))).toEqual([true, true, false]);
      expect(actions[2]).toContain('notification_capped');
      const forLift = (await inbox('duty')).filter((i) => i.alarm.deviceId === lift.id);
      expect(forLift.map((i) => i.alarmId).sort()).toEqual(alarms.slice(0, 2).sort());
      expect(await tp.metric('spp_alarm_notifications_total', { channel: 'all', outcome: 'capped' })).toBe(cappedBefore + 1);

      // over the cap, a trapped passenger still reaches everyone
      const trapped = await deviceEvent(lift, 'trapped_at_level', true);
      expect(trapped.severity).toBe(1);
      const notice = await firstNotice(trapped.alarmId);
      expect(notice.action).toBe('notified');
      expect(notice.detail.userIds).toContain(ids.duty);
      expect((await inbox('duty')).some((i) => i.alarmId === trapped.alarmId)).toBe(true);
      expect(await tp.metric('spp_alarm_notifications_total', { channel: 'all', outcome: 'capped' })).toBe(cappedBefore + 1);
      await deviceEvent(lift, 'trapped_at_level', false);
    });
  });

  describe('per-user preferences', () => {
    beforeAll(async () => {
      await createUser('critical_only', 'property_staff', community.id);
      await createUser('fire_only', 'property_staff', community.id);
      expect((await tp.api('PUT', '/api/v1/alarm-preferences', { severities: [1, 2], types: [] }, tokens.critical_only)).status).toBe(200);
      expect((await tp.api('PUT', '/api/v1/alarm-preferences', { severities: [], types: ['fire'] }, tokens.fire_only)).status).toBe(200);
      expect((await flatChain(community.id, 'door_close_fault')).status).toBe(200);
      expect((await flatChain(community.id, 'overspeed')).status).toBe(200);
      expect((await flatChain(community.id, 'trapped_at_level')).status).toBe(200);
    });

    it('an opted-out severity or type leaves the inbox empty for that user only', async () => {
      const lift = await device(community.id);
      const fault = await deviceEvent(lift, 'door_close_fault', true); // severity 3
      const notice = await firstNotice(fault.alarmId);
      expect(notice.detail.userIds).toContain(ids.duty);
      expect(notice.detail.userIds).not.toContain(ids.critical_only);
      expect(notice.detail.userIds).not.toContain(ids.fire_only);
      expect((await inbox('duty')).some((i) => i.alarmId === fault.alarmId)).toBe(true);
      expect((await inbox('critical_only')).some((i) => i.alarmId === fault.alarmId)).toBe(false);
      expect((await inbox('fire_only')).some((i) => i.alarmId === fault.alarmId)).toBe(false);

      const overspeed = await deviceEvent(lift, 'overspeed', true); // severity 2: within critical_only's list, not fire_only's type
      const n2 = await firstNotice(overspeed.alarmId);
      expect(n2.detail.userIds).toEqual(expect.arrayContaining([ids.duty, ids.critical_only]));
      expect(n2.detail.userIds).not.toContain(ids.fire_only);
      expect((await inbox('critical_only')).some((i) => i.alarmId === overspeed.alarmId)).toBe(true);
      expect((await inbox('fire_only')).some((i) => i.alarmId === overspeed.alarmId)).toBe(false);
      await deviceEvent(lift, 'door_close_fault', false);
      await deviceEvent(lift, 'overspeed', false);
    });

    it('severity 1 reaches everyone whatever their preferences', async () => {
      const lift = await device(community.id);
      const trapped = await deviceEvent(lift, 'trapped_at_level', true);
      expect(trapped.severity).toBe(1);
      const notice = await firstNotice(trapped.alarmId);
      expect(notice.detail.userIds).toEqual(expect.arrayContaining([ids.duty, ids.critical_only, ids.fire_only]));
      expect((await inbox('fire_only')).some((i) => i.alarmId === trapped.alarmId)).toBe(true);
      expect((await inbox('critical_only')).some((i) => i.alarmId === trapped.alarmId)).toBe(true);
      await deviceEvent(lift, 'trapped_at_level', false);
    });
  });
});

function expectStatus(res: { status: number }, status: number): void {
  expect(res.status).toBe(status);
}
