/**
 * Every alarm type that qualifies for the maintenance-fund green channel, raised the way a device
 * raises it (MQTT events and readings through the embedded broker and the rule engine), opens a
 * draft repair case of the right category; a trapped passenger and a passenger call open none.
 * The fund profiles once named fire alarms the engine never raises (fault, low_pressure): this
 * walks the real path, so a drift shows here as well as in fund-profiles.spec.ts.
 */
import type { MqttClient } from 'mqtt';
import { deviceTopic } from '@app/contracts';
import { fundQualifyingAlarmTypes } from '../../apps/platform/src/domain/fund-profiles';
import { publishJson, startTestPlatform, type ProvisionedDevice, type TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

interface CaseRow {
  alarmType: string;
  deviceId: string;
  category: string;
  state: string;
  source: string;
}

describe('fund cases from every qualifying alarm type (e2e, MQTT → rule engine → outbox → case)', () => {
  let tp: TestPlatform;
  let communityId: string;
  const devices: Record<string, ProvisionedDevice> = {};
  const clients: Record<string, MqttClient> = {};

  beforeAll(async () => {
    tp = await startTestPlatform();
    communityId = (await tp.createCommunity()).id;
    // Raise at once: the holds of the inferred pressure and tank alarms are tested in alarm-rules.spec.ts.
    expect((await tp.api('PUT', `/api/v1/alarm-settings/communities/${communityId}`, { thresholds: { pressureHoldS: 0, tankHoldS: 0 } })).status).toBe(200);
    devices.elevator = await tp.provisionDevice(communityId, 'elevator');
    devices.controller = await tp.provisionDevice(communityId, 'fire', { subtype: 'controller' });
    devices.hydrant = await tp.provisionDevice(communityId, 'fire', { subtype: 'hydrant_pressure' });
    devices.sprinkler = await tp.provisionDevice(communityId, 'fire', { subtype: 'sprinkler_pressure' });
    devices.tank = await tp.provisionDevice(communityId, 'fire', { subtype: 'tank_level' });
    for (const [name, device] of Object.entries(devices)) clients[name] = await tp.connectDevice(device);
  });
  afterAll(async () => {
    await tp?.close();
  });

  const cases = async () => (await tp.api<CaseRow[]>('GET', `/api/v1/fund/cases?communityId=${communityId}`)).body;

  it('raises each qualifying type from a device and sees one draft case per type', async () => {
    const raised: Array<[device: string, type: string]> = [];
    const elevatorTypes = fundQualifyingAlarmTypes.filter((t) => !t.startsWith('fire_') && t !== 'pressure_low' && t !== 'tank_level_low');
    for (const type of elevatorTypes) {
      await publishJson(clients.elevator, deviceTopic(devices.elevator.id, 'events'), { type, active: true });
      raised.push(['elevator', type]);
    }
    await publishJson(clients.controller, deviceTopic(devices.controller.id, 'events'), { type: 'fault', active: true });
    raised.push(['controller', 'fire_fault']);
    await publishJson(clients.controller, deviceTopic(devices.controller.id, 'telemetry'), { flags: { powerFault: true } });
    raised.push(['controller', 'fire_power_fault']);
    await publishJson(clients.hydrant, deviceTopic(devices.hydrant.id, 'telemetry'), { value: 120 }); // kPa, below 350
    raised.push(['hydrant', 'pressure_low']);
    await publishJson(clients.sprinkler, deviceTopic(devices.sprinkler.id, 'telemetry'), { value: 40 }); // kPa, below 100
    raised.push(['sprinkler', 'pressure_low']);
    await publishJson(clients.tank, deviceTopic(devices.tank.id, 'telemetry'), { value: 2 }); // m, below 7
    raised.push(['tank', 'tank_level_low']);

    // every qualifying type is exercised
    expect(new Set(raised.map(([, t]) => t))).toEqual(new Set(fundQualifyingAlarmTypes));
    const opened = await waitFor(async () => {
      const rows = await cases();
      return rows.length >= raised.length ? rows : undefined;
    }, { timeoutMs: 60_000, message: `${raised.length} fund cases` });
    expect(opened).toHaveLength(raised.length);
    for (const [name, type] of raised) {
      const row = opened.find((c) => c.deviceId === devices[name].id && c.alarmType === type);
      expect(row).toMatchObject({ source: 'alarm', state: 'draft', category: name === 'elevator' ? 'elevator' : 'fire_facility' });
    }
  });

  it('a trapped passenger and a passenger call are rescues: their alarms open no case', async () => {
    const before = (await cases()).length;
    for (const type of ['trapped_not_level', 'emergency_call']) await publishJson(clients.elevator, deviceTopic(devices.elevator.id, 'events'), { type, active: true });
    const alarms = await waitFor(async () => {
      const rows = (await tp.api<Array<{ type: string; deviceId: string }>>('GET', `/api/v1/alarms?communityId=${communityId}`)).body;
      return ['trapped_not_level', 'emergency_call'].every((t) => rows.some((a) => a.type === t && a.deviceId === devices.elevator.id)) ? rows : undefined;
    }, { message: 'trapped and call alarms raised' });
    expect(alarms.length).toBeGreaterThan(0);
    // a qualifying alarm raised after them (another car) opens its case: theirs would be there by then
    const lift2 = await tp.provisionDevice(communityId, 'elevator');
    const client2 = await tp.connectDevice(lift2);
    await publishJson(client2, deviceTopic(lift2.id, 'events'), { type: 'overspeed', active: true });
    const rows = await waitFor(async () => {
      const r = await cases();
      return r.some((c) => c.deviceId === lift2.id) ? r : undefined;
    }, { message: 'case of the later overspeed' });
    expect(rows).toHaveLength(before + 1);
    expect(rows.some((c) => c.alarmType.startsWith('trapped') || c.alarmType === 'emergency_call')).toBe(false);
  });
});
