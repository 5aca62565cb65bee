/**
 * The trapped-passenger chain end to end, driven by the simulator's own scenario (in process):
 * an elevator plays normal trips, then stops between floors with passengers inside; the platform
 * infers trapped_not_level, a socket.io client of the community sees alarm.raised, the duty room
 * and the maintenance company are told at once, nobody acknowledges, maintenance's own deadline
 * escalates to the street officer (their alarm inboxes), no repair case is opened (a rescue is not
 * necessarily a repair); the "release" command frees the passengers and the alarm clears.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'socket.io-client';
import { BrokerService } from '../../apps/platform/src/services/broker.service';
import { EventBusRepository } from '../../apps/platform/src/repositories/event-bus.repository';
import { runTrappedScenario, type ScenarioSummary } from '../../device-sim/src/modes/scenario';
import { startTestPlatform, type ProvisionedDevice, type TestPlatform } from '../support/platform';
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
  source: string;
  escalationTier: number;
}

/** Collects the simulator's timeline and re-emits each record as an event. */
class Timeline extends EventEmitter {
  readonly records: Array<Record<string, unknown>> = [];
  record(type: string, data: Record<string, unknown>): void {
    const r = { type, ...data };
    this.records.push(r);
    this.emit(type, r);
  }
  info(): void {}
  warn(message: string): void {
    this.records.push({ type: 'warn', message });
  }
}

describe('trapped passengers: simulator → alarm → socket → escalation → release', () => {
  let tp: TestPlatform;
  let community: { id: string; district: string; street: string };
  let lift: ProvisionedDevice;
  let socket: Socket;
  const tokens: Record<string, string> = {};
  const timeline = new Timeline();
  const release = new AbortController();
  const abort = new AbortController();
  let scenario: Promise<ScenarioSummary> | undefined;

  const createUser = async (name: string, role: string, scope: Record<string, unknown>) => {
    const username = `${name}_${Math.random().toString(36).slice(2, 7)}`;
    const res = await tp.api('POST', '/api/v1/users', { username, password: 'user-pass-123', role, scope });
    expect(res.status).toBe(201);
    tokens[name] = await tp.login(username, 'user-pass-123');
  };
  const inbox = async (name: string) => (await tp.api('GET', '/api/v1/alarm-inbox', undefined, tokens[name])).body as Array<{ alarmId: string; tier: number; kind: string; createdAt: string }>;

  beforeAll(async () => {
    tp = await startTestPlatform();
    tp.defer(async () => {
      abort.abort();
      await scenario?.catch(() => undefined);
    });
    community = await tp.createCommunity({ district: 'Xuhui', street: `Street ${Math.random().toString(36).slice(2, 6)}` });
    await createUser('duty', 'property_staff', { level: 'community', communityIds: [community.id] });
    await createUser('maint', 'maintenance_staff', { level: 'community', communityIds: [community.id] });
    await createUser('officer', 'street_officer', { level: 'street', street: community.street, district: community.district });
    lift = await tp.provisionDevice(community.id, 'elevator');
    // Short timings through the settings REST, shaped like the default trapped chain: the
    // maintenance company is told at the raise with its own deadline; the duty room's is long, so
    // the street officer can only hear of it through maintenance's lapse.
    const chain = {
      tiers: [
        { name: 'duty_room', roles: ['property_staff'], scopeLevel: 'community', ackWithinS: 60 },
        { name: 'maintenance', roles: ['maintenance_staff'], scopeLevel: 'community', ackWithinS: 0.5, notifyAtStart: true },
        { name: 'authorities', roles: ['street_officer'], scopeLevel: 'street', ackWithinS: 60 },
      ],
    };
    expect((await tp.api('PUT', `/api/v1/alarm-escalation/${community.id}/trapped_not_level`, chain, tokens.duty)).status).toBe(200);
    expect((await tp.api('PUT', `/api/v1/alarm-settings/devices/${lift.id}`, { thresholds: { trappedHoldS: 2 } })).status).toBe(200);
    socket = await tp.socket(tokens.duty);
  });
  afterAll(async () => {
    await tp?.close();
  });

  let alarm: AlarmEvent;

  it('the scenario stops the car between floors with passengers; the community socket gets alarm.raised (trapped_not_level, severity 1)', async () => {
    const raised = nextEvent<AlarmEvent>(socket, 'alarm.raised', { timeoutMs: 40_000, filter: (e) => e.deviceId === lift.id && e.type.startsWith('trapped') });
    const trapped = nextEvent<Record<string, unknown>>(timeline, 'phase', { timeoutMs: 40_000, filter: (r) => r.phase === 'trapped' });
    scenario = runTrappedScenario({
      mqtt: tp.mqttUrl!,
      device: lift,
      seed: 11,
      level: false,
      tripsBefore: 1,
      eventAfterS: 20,
      timeScale: 4,
      release: release.signal,
      abort: abort.signal,
      reporter: timeline,
    });
    scenario.catch(() => undefined);
    await trapped;
    alarm = await raised;
    expect(alarm).toMatchObject({ deviceId: lift.id, communityId: community.id, type: 'trapped_not_level', severity: 1, state: 'active', acknowledged: false });
    // what the device sent: normal trips first, then stopped between floors, occupied, door closed
    const readings = timeline.records.filter((r) => r.type === 'reading');
    expect(readings.some((r) => r.phase === 'trips' && (r.speed as number) > 1)).toBe(true);
    expect(readings.at(-1)).toMatchObject({ phase: 'trapped', atLevel: false, occupied: true, door: 'closed', speed: 0, direction: 'stop' });
  });

  it('nobody acknowledges: duty room and maintenance are told at the raise; maintenance\'s own lapse reaches the street officer', async () => {
    await waitFor(async () => (await inbox('duty')).some((i) => i.alarmId === alarm.alarmId && i.tier === 0), { message: 'duty room inbox' });
    const tier1 = await waitFor(async () => (await inbox('maint')).find((i) => i.alarmId === alarm.alarmId && i.tier === 1), { message: 'maintenance inbox' });
    expect(tier1.kind).toBe('notify'); // told at the raise, not escalated to
    // the duty room has 60 s: the officer hears of it well before, through maintenance's 0.5 s
    const tier2 = await waitFor(async () => (await inbox('officer')).find((i) => i.alarmId === alarm.alarmId && i.tier === 2), { message: 'street officer inbox' });
    expect(tier2.kind).toBe('escalation');
    const detail = await tp.api('GET', `/api/v1/alarms/${alarm.alarmId}`);
    expect(detail.body).toMatchObject({ state: 'active', acknowledged: false, escalationTier: 2 });
    const history = detail.body.history as Array<{ action: string; detail: { tier?: number; kind?: string } }>;
    expect(history.filter((h) => h.action === 'escalated').map((h) => h.detail.tier)).toEqual([2]);
    expect(history.filter((h) => h.action === 'notified' && h.detail.kind === 'notify').map((h) => h.detail.tier).sort()).toEqual([0, 1]);
    expect(Date.parse(tier1.createdAt) - Date.parse(tier2.createdAt)).toBeLessThan(0);
  });

  it('the terminal reports the trapped event itself after a while: the same alarm counts it', async () => {
    const repeated = nextEvent<AlarmEvent>(socket, 'alarm.updated', { timeoutMs: 20_000, filter: (e) => e.alarmId === alarm.alarmId && e.count >= 2 });
    await waitFor(() => timeline.records.some((r) => r.type === 'event' && r.active === true), { timeoutMs: 20_000, message: 'trapped event sent' });
    expect((await repeated).state).toBe('active');
  });

  it('the "release" command frees the passengers: the event clears, the door opens, the alarm clears', async () => {
    const cleared = nextEvent<AlarmEvent>(socket, 'alarm.cleared', { timeoutMs: 20_000, filter: (e) => e.alarmId === alarm.alarmId });
    const acks: Array<{ id: string; ok: boolean }> = [];
    tp.platform.app.get(EventBusRepository).on('device.commandAck', (e) => acks.push(e.ack));
    await tp.platform.app.get(BrokerService).sendCommand(lift.id, { id: 'release-1', cmd: 'release' });
    expect(await waitFor(() => acks.find((a) => a.id === 'release-1'), { message: 'ack of the release command' })).toMatchObject({ ok: true });
    expect((await cleared).state).toBe('cleared');
    const summary = await scenario!;
    expect(summary).toMatchObject({ deviceId: lift.id, released: true, releaseReason: 'release command', commands: 1 });
    expect(timeline.records.filter((r) => r.type === 'event').map((r) => [r.active])).toEqual([[true], [false]]);
    expect(timeline.records.filter((r) => r.type === 'reading').at(-1)).toMatchObject({ phase: 'released', atLevel: true, door: 'open', occupied: false });
    const detail = await tp.api('GET', `/api/v1/alarms/${alarm.alarmId}`);
    expect(detail.body).toMatchObject({ state: 'cleared', acknowledged: false });
    // a rescue, not necessarily a repair (fund-profiles.ts): no case was ever opened for it
    const cases = (await tp.api('GET', `/api/v1/fund/cases?communityId=${community.id}`, undefined, tokens.duty)).body as Array<{ alarmId: string }>;
    expect(cases.filter((c) => c.alarmId === alarm.alarmId)).toEqual([]);
  });
});
