/**
 * The ingestion path end to end on the embedded broker: devices provisioned over REST connect
 * with real MQTT clients and publish readings (single and backfill arrays), events and vehicle
 * events; the points land in InfluxDB in the contract §3 layout, the live state is served over
 * REST and pushed over socket.io, and the telemetry history endpoint answers raw and aggregated.
 */
import type { MqttClient } from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import {
  elevatorReading,
  publishJson,
  startTestPlatform,
  waitForInfluxRows,
  type ProvisionedDevice,
  type TestPlatform,
} from '../support/platform';
import { nextEvent, waitFor } from '../support/wait';

interface StateEvent {
  deviceId: string;
  communityId: string;
  kind: string;
  state: Record<string, any>;
  ts: number;
}
interface StatusEvent {
  deviceId: string;
  communityId: string;
  online: boolean;
  ts: number;
}

describe('ingestion over MQTT (embedded broker)', () => {
  let tp: TestPlatform;
  let communityId: string;
  let elevator: ProvisionedDevice;
  let hydrant: ProvisionedDevice;
  let gate: ProvisionedDevice;
  let socket: Socket;
  const states: StateEvent[] = [];
  const statuses: StatusEvent[] = [];
  const clients: Record<string, MqttClient> = {};
  const now = Date.now();
  const backfill = [
    { ts: now - 5 * 60_000, value: 310.5, flags: { fire: false, fault: false } },
    { ts: now - 4 * 60_000, value: 305.25, flags: { fault: true } },
    { ts: now - 3 * 60_000, value: 298, flags: { fault: false, supervisory: true } },
  ];

  beforeAll(async () => {
    tp = await startTestPlatform();
    communityId = (await tp.createCommunity()).id;
    elevator = await tp.provisionDevice(communityId, 'elevator', { id: `ing-elev-${now.toString(36)}` });
    hydrant = await tp.provisionDevice(communityId, 'fire', { subtype: 'hydrant_pressure', id: `ing-hyd-${now.toString(36)}` });
    gate = await tp.provisionDevice(communityId, 'gate', { id: `ing-gate-${now.toString(36)}` });
    socket = await tp.socket();
    socket.on('device.state', (e: StateEvent) => states.push(e));
    socket.on('device.status', (e: StatusEvent) => statuses.push(e));
    for (const d of [elevator, hydrant, gate]) clients[d.id] = await tp.connectDevice(d);
  });

  afterAll(async () => {
    await tp?.close();
  });

  it('reports each connected device online over socket.io, with its communityId', async () => {
    await waitFor(() => [elevator, hydrant, gate].every((d) => statuses.some((s) => s.deviceId === d.id && s.online)), {
      timeoutMs: 5000,
      message: 'device.status online for all three devices',
    });
    for (const s of statuses) {
      expect(s).toEqual({ deviceId: expect.any(String), communityId, online: true, ts: expect.any(Number) });
    }
  });

  it('stores a single elevator reading in InfluxDB with the contract field names and tags', async () => {
    const pushed = nextEvent<StateEvent>(socket, 'device.state', { filter: (e) => e.deviceId === elevator.id, timeoutMs: 5000 });
    await publishJson(clients[elevator.id], `v1/devices/${elevator.id}/telemetry`, elevatorReading({ floor: 7, direction: 'up', speed: 1.5, occupied: true, atLevel: false, door: 'closed' }));

    const rows = await waitForInfluxRows(tp, `SELECT * FROM "elevator" WHERE "device_id" = '${elevator.id}'`, 1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      _measurement: 'elevator',
      community_id: communityId,
      device_id: elevator.id,
      mode: 'normal',
      direction: 'up',
      floor: 7,
      atLevel: false,
      door: 'closed',
      speed: 1.5,
      occupied: true,
      power: 'mains',
      safetyCircuit: 'closed',
    });
    expect(Math.abs(rows[0].time - Date.now())).toBeLessThan(60_000);

    const event = await pushed;
    expect(event).toMatchObject({ deviceId: elevator.id, communityId, kind: 'elevator', state: { floor: 7, direction: 'up', occupied: true } });
  });

  it('stores a backfill array of fire readings at their own timestamps, flags as separate boolean fields', async () => {
    await publishJson(clients[hydrant.id], `v1/devices/${hydrant.id}/telemetry`, backfill);
    const rows = await waitForInfluxRows(tp, `SELECT * FROM "fire" WHERE "device_id" = '${hydrant.id}' ORDER BY time`, 3);
    expect(rows.map((r) => r.time)).toEqual(backfill.map((b) => b.ts));
    expect(rows.map((r) => r.value)).toEqual([310.5, 305.25, 298]);
    for (const r of rows) {
      expect(r).toMatchObject({ _measurement: 'fire', community_id: communityId, device_id: hydrant.id, subtype: 'hydrant_pressure' });
      expect(r).not.toHaveProperty('flags');
    }
    expect([rows[0].fire, rows[0].fault, rows[1].fault, rows[2].fault, rows[2].supervisory]).toEqual([false, false, true, false, true]);
    // A flag a reading did not carry is not written as a field of that point.
    expect(rows[1].fire).toBeNull();

    // The field types are right for Grafana: booleans are booleans, value is a float.
    const keys = await tp.influxRows('SHOW FIELD KEYS FROM "fire"');
    const types = Object.fromEntries(keys.map((k) => [k.fieldKey, k.fieldType]));
    expect(types).toMatchObject({ value: 'float', fire: 'boolean', fault: 'boolean', supervisory: 'boolean' });
  });

  it('stores events: elevator fault, fire alarm with zone, vehicle with lane tag', async () => {
    await publishJson(clients[elevator.id], `v1/devices/${elevator.id}/events`, { type: 'trapped_at_level', active: true });
    await publishJson(clients[hydrant.id], `v1/devices/${hydrant.id}/events`, { type: 'fire', active: true, zone: 'B2-North' });
    const vehicleTs = Date.now() - 1000;
    await publishJson(clients[gate.id], `v1/devices/${gate.id}/events`, {
      ts: vehicleTs,
      type: 'vehicle',
      lane: 'L1',
      direction: 'in',
      plate: '沪A12345',
      confidence: 0.93,
    });
    await publishJson(clients[gate.id], `v1/devices/${gate.id}/telemetry`, { barrier: 'open' });

    const elevatorEvents = await waitForInfluxRows(tp, `SELECT * FROM "elevator" WHERE "device_id" = '${elevator.id}' AND "event" <> ''`, 1);
    expect(elevatorEvents[0]).toMatchObject({ event: 'trapped_at_level', active: true, community_id: communityId });

    const fireEvents = await waitForInfluxRows(tp, `SELECT * FROM "fire" WHERE "device_id" = '${hydrant.id}' AND "event" <> ''`, 1);
    expect(fireEvents[0]).toMatchObject({ event: 'fire', active: true, zone: 'B2-North', subtype: 'hydrant_pressure' });

    const gateRows = await waitForInfluxRows(tp, `SELECT * FROM "gate" WHERE "device_id" = '${gate.id}' ORDER BY time`, 2);
    const vehicle = gateRows.find((r) => r.plate);
    expect(vehicle).toMatchObject({
      _measurement: 'gate',
      community_id: communityId,
      device_id: gate.id,
      lane: 'L1',
      direction: 'in',
      plate: '沪A12345',
      confidence: 0.93,
      time: vehicleTs,
    });
    const barrier = gateRows.find((r) => r.barrier);
    expect(barrier).toMatchObject({ barrier: 'open', device_id: gate.id });
    const laneTags = await tp.influxRows('SHOW TAG VALUES FROM "gate" WITH KEY = "lane"');
    expect(laneTags.map((t) => t.value)).toEqual(['L1']);
  });

  it('serves the merged live state per community and per device', async () => {
    const live = await waitFor(
      async () => {
        const res = await tp.api<Array<Record<string, any>>>('GET', `/api/v1/communities/${communityId}/live`);
        const byId = new Map(res.body.map((d) => [d.deviceId, d]));
        const ok =
          byId.get(elevator.id)?.state?.faults?.includes('trapped_at_level') &&
          byId.get(hydrant.id)?.state?.flags?.fire === true &&
          byId.get(gate.id)?.state?.lastPlate === '沪A12345';
        return ok ? byId : undefined;
      },
      { timeoutMs: 5000, message: 'live state with events merged' },
    );
    expect(live.size).toBe(3);
    expect(live.get(elevator.id)).toMatchObject({ communityId, kind: 'elevator', online: true, state: { floor: 7, door: 'closed', faults: ['trapped_at_level'] } });
    // The newest backfill reading wins, flags merged flag by flag, then the event raised `fire`.
    expect(live.get(hydrant.id)).toMatchObject({
      kind: 'fire',
      subtype: 'hydrant_pressure',
      online: true,
      state: { value: 298, flags: { fire: true, fault: false, supervisory: true }, lastZone: 'B2-North' },
    });
    expect(live.get(gate.id)).toMatchObject({ kind: 'gate', online: true, state: { barrier: 'open', lastPlate: '沪A12345', lastLane: 'L1', lastDirection: 'in' } });

    const one = await tp.api('GET', `/api/v1/devices/${hydrant.id}/live`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(live.get(hydrant.id));
    expect(typeof one.body.ts).toBe('number');
  });

  it('pushed device.state for every device, each with its communityId', async () => {
    await waitFor(() => [elevator, hydrant, gate].every((d) => states.some((s) => s.deviceId === d.id)), { timeoutMs: 5000 });
    for (const s of states) {
      expect(s.communityId).toBe(communityId);
      expect(['elevator', 'fire', 'gate']).toContain(s.kind);
      expect(typeof s.ts).toBe('number');
    }
    // Coalesced pushes still end on the newest state.
    const lastGate = await waitFor(
      () => {
        const last = [...states].reverse().find((s) => s.deviceId === gate.id);
        return last?.state.lastPlate === '沪A12345' && last.state.barrier === 'open' ? last : undefined;
      },
      { timeoutMs: 5000, message: 'newest gate state pushed' },
    );
    expect(lastGate).toMatchObject({ kind: 'gate', communityId, state: { lastLane: 'L1' } });
  });

  it('answers telemetry history raw and aggregated per minute', async () => {
    const raw = await tp.api('GET', `/api/v1/devices/${hydrant.id}/telemetry`);
    expect(raw.status).toBe(200);
    expect(raw.body).toMatchObject({ deviceId: hydrant.id, measurement: 'fire', every: null });
    const readings = (raw.body.points as Array<Record<string, any>>).filter((p) => typeof p.value === 'number');
    expect(readings.map((p) => p.value)).toEqual([310.5, 305.25, 298]);
    expect(readings.map((p) => p.time)).toEqual(backfill.map((b) => new Date(b.ts).toISOString()));

    const from = new Date(now - 10 * 60_000).toISOString();
    const to = new Date(Date.now() + 1000).toISOString();
    const agg = await tp.api('GET', `/api/v1/devices/${hydrant.id}/telemetry?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&every=1m`);
    expect(agg.status).toBe(200);
    expect(agg.body.every).toBe('1m');
    const buckets = (agg.body.points as Array<Record<string, any>>).filter((p) => p.value !== null && p.value !== undefined);
    expect(buckets).toHaveLength(3);
    for (const b of buckets) expect(new Date(b.time).getUTCSeconds()).toBe(0);
    expect(buckets.map((b) => b.value)).toEqual([310.5, 305.25, 298]);
    expect(Math.min(...buckets.map((b) => b.value_min))).toBe(298);
    expect(Math.max(...buckets.map((b) => b.value_max))).toBe(310.5);

    const elevatorAgg = await tp.api('GET', `/api/v1/devices/${elevator.id}/telemetry?every=1m`);
    expect(elevatorAgg.status).toBe(200);
    expect(elevatorAgg.body.points.some((p: Record<string, any>) => p.floor === 7 && p.speed === 1.5)).toBe(true);
  });

  it('counts accepted messages by kind and channel', async () => {
    expect(await tp.metric('spp_ingest_messages_total', { kind: 'fire', channel: 'telemetry' })).toBeGreaterThanOrEqual(1);
    expect(await tp.metric('spp_ingest_messages_total', { kind: 'gate', channel: 'events' })).toBeGreaterThanOrEqual(1);
    expect(await tp.metric('spp_ingest_messages_total', { kind: 'elevator', channel: 'telemetry' })).toBeGreaterThanOrEqual(1);
    expect(await tp.metric('spp_influx_points_written_total')).toBeGreaterThanOrEqual(8);
    expect(await tp.metric('spp_ingest_rejected_total')).toBe(0);
  });

  it('sends a client that asked for batches one device.states per interval instead of device.state', async () => {
    const batched = io(tp.httpUrl, { auth: { token: tp.token, batch: true }, transports: ['websocket'], reconnection: false, forceNew: true });
    try {
      await nextEvent(batched, 'connect', 5000);
      const single: unknown[] = [];
      batched.on('device.state', (e) => single.push(e));
      const batch = nextEvent<{ communityId: string; states: StateEvent[] }>(batched, 'device.states', {
        filter: (b) => b.states.some((e) => e.deviceId === elevator.id && (e.state as { floor?: number }).floor === 11),
        timeoutMs: 5000,
      });
      const plain = nextEvent<StateEvent>(socket, 'device.state', { filter: (e) => e.deviceId === elevator.id && (e.state as { floor?: number }).floor === 11, timeoutMs: 5000 });
      await publishJson(clients[elevator.id], `v1/devices/${elevator.id}/telemetry`, elevatorReading({ floor: 11 }));
      expect((await batch).communityId).toBe(communityId);
      await plain;
      expect(single).toEqual([]);
    } finally {
      batched.disconnect();
    }
  });
});
