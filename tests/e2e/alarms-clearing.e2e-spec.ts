/**
 * Clearing semantics when a device-reported event and a platform inference hold the same alarm
 * type (trapped_not_level): the terminal withdrawing its event does not clear the alarm while the
 * readings still show a stopped, occupied car with the door closed (the safer way for trapped
 * passengers); a person on site can still clear it by hand, even though the device reported it
 * first; the persisting condition does not re-open it, a new onset does.
 */
import type { MqttClient } from 'mqtt';
import type { Socket } from 'socket.io-client';
import { elevatorReading, publishJson, startTestPlatform, type ProvisionedDevice, type TestPlatform } from '../support/platform';
import { nextEvent } from '../support/wait';

interface AlarmEvent {
  alarmId: string;
  deviceId: string;
  type: string;
  state: string;
  count: number;
  source: string;
}

describe('alarms: one type held by a device event and an inference', () => {
  let tp: TestPlatform;
  let community: { id: string };
  let lift: ProvisionedDevice;
  let client: MqttClient;
  let socket: Socket;
  let dutyToken = '';
  let dutyId = '';
  const seen: Array<[string, AlarmEvent]> = [];
  const trapped = elevatorReading({ atLevel: false, occupied: true, door: 'closed', direction: 'stop' });

  beforeAll(async () => {
    tp = await startTestPlatform();
    community = await tp.createCommunity();
    const username = `duty_${Math.random().toString(36).slice(2, 7)}`;
    const user = await tp.api('POST', '/api/v1/users', { username, password: 'user-pass-123', role: 'property_staff', scope: { level: 'community', communityIds: [community.id] } });
    expect(user.status).toBe(201);
    dutyId = user.body.id;
    dutyToken = await tp.login(username, 'user-pass-123');
    const chain = { tiers: [{ name: 'duty_room', roles: ['property_staff'], scopeLevel: 'community', ackWithinS: 0 }] };
    expect((await tp.api('PUT', `/api/v1/alarm-escalation/${community.id}/trapped_not_level`, chain)).status).toBe(200);
    lift = await tp.provisionDevice(community.id, 'elevator');
    expect((await tp.api('PUT', `/api/v1/alarm-settings/devices/${lift.id}`, { thresholds: { trappedHoldS: 0.5 } })).status).toBe(200);
    client = await tp.connectDevice(lift);
    socket = await tp.socket();
    for (const e of ['alarm.raised', 'alarm.updated', 'alarm.cleared']) socket.on(e, (a: AlarmEvent) => seen.push([e, a]));
  });
  afterAll(async () => {
    await tp?.close();
  });

  let alarmId = '';

  it('the device reports trapped first, then the readings hold it too (one alarm, counted)', async () => {
    const raised = nextEvent<AlarmEvent>(socket, 'alarm.raised', { filter: (e) => e.deviceId === lift.id && e.type === 'trapped_not_level' });
    await publishJson(client, `v1/devices/${lift.id}/events`, { type: 'trapped_not_level', active: true });
    const a = await raised;
    expect(a).toMatchObject({ source: 'device', count: 1, state: 'active' });
    alarmId = a.alarmId;
    const inferred = nextEvent<AlarmEvent>(socket, 'alarm.updated', { filter: (e) => e.alarmId === alarmId && e.count === 2 });
    await publishJson(client, `v1/devices/${lift.id}/telemetry`, trapped);
    expect((await inferred).state).toBe('active'); // the inference raised after its hold: a repeat on the same alarm
  });

  it('the terminal withdrawing its event does not clear it while the readings still show trapped passengers', async () => {
    await publishJson(client, `v1/devices/${lift.id}/events`, { type: 'trapped_not_level', active: false });
    // a later message of the same device, processed after the withdrawal
    const marker = nextEvent<AlarmEvent>(socket, 'alarm.raised', { filter: (e) => e.deviceId === lift.id && e.type === 'landing_button_stuck' });
    await publishJson(client, `v1/devices/${lift.id}/events`, { type: 'landing_button_stuck', active: true });
    await marker;
    const detail = await tp.api('GET', `/api/v1/alarms/${alarmId}`);
    expect(detail.body).toMatchObject({ state: 'active', manualClear: true });
    expect(seen.filter(([e, a]) => e === 'alarm.cleared' && a.alarmId === alarmId)).toEqual([]);
  });

  it('a person can still clear it by hand, though the device reported it first', async () => {
    const cleared = nextEvent<AlarmEvent>(socket, 'alarm.cleared', { filter: (e) => e.alarmId === alarmId });
    const res = await tp.api('POST', `/api/v1/alarms/${alarmId}/clear`, { comment: 'passengers released on site' }, dutyToken);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'cleared', clearedBy: dutyId, source: 'device' });
    expect((await cleared).state).toBe('cleared');
    const history = (await tp.api('GET', `/api/v1/alarms/${alarmId}`)).body.history as Array<{ action: string; actorId: string | null; detail: unknown }>;
    expect(history.find((h) => h.action === 'cleared')).toMatchObject({ actorId: dutyId, detail: { reason: 'passengers released on site' } });
    // a device-only fault is still refused
    const stuck = (await tp.api('GET', `/api/v1/alarms?deviceId=${lift.id}&type=landing_button_stuck&state=active`)).body as Array<{ alarmId: string }>;
    expect(stuck).toHaveLength(1);
    const refused = await tp.api('POST', `/api/v1/alarms/${stuck[0].alarmId}/clear`, {}, dutyToken);
    expect(refused.status).toBe(409);
  });

  it('the persisting condition does not re-open it; the end and a new onset of it raise a new alarm', async () => {
    // still trapped readings: nothing new; then the door opens (the inference ends, nothing open to clear)
    await publishJson(client, `v1/devices/${lift.id}/telemetry`, trapped);
    await publishJson(client, `v1/devices/${lift.id}/telemetry`, elevatorReading({ atLevel: true, door: 'open', occupied: false }));
    const again = nextEvent<AlarmEvent>(socket, 'alarm.raised', { filter: (e) => e.deviceId === lift.id && e.type === 'trapped_not_level' });
    await publishJson(client, `v1/devices/${lift.id}/telemetry`, trapped);
    const second = await again;
    expect(second.alarmId).not.toBe(alarmId);
    expect(second).toMatchObject({ source: 'platform', count: 1 });
    expect(seen.filter(([e, a]) => e === 'alarm.raised' && a.type === 'trapped_not_level').map(([, a]) => a.alarmId)).toEqual([alarmId, second.alarmId]);
    await publishJson(client, `v1/devices/${lift.id}/events`, { type: 'landing_button_stuck', active: false });
  });
});
