/**
 * Hostile and broken devices against the embedded broker: payloads that are not JSON, fail their
 * schema, are too big or come from the future are not stored but dead-lettered and counted by
 * reason; a backfill array loses only its bad element; the broker enforces the topic permissions
 * and the credentials (wrong secret, unknown device, username ≠ clientId, disabled device,
 * rotated secret). The platform stays healthy throughout.
 */
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { EventBusRepository } from '../../apps/platform/src/repositories/event-bus.repository';
import { RedisRepository } from '../../apps/platform/src/repositories/redis.repository';
import { IngestShipperService } from '../../apps/platform/src/services/ingest-shipper.service';
import { elevatorReading, metricValue, publishJson, startTestPlatform, waitForInfluxRows, type ProvisionedDevice, type TestPlatform } from '../support/platform';
import { nextEvent, waitFor } from '../support/wait';

interface DeadLetter {
  ts: number;
  deviceId: string | null;
  topic: string;
  reason: string;
  payloadPrefix: string;
}

/** Tries to connect and returns the CONNACK refusal code (throws if the connection was accepted). */
async function refusedCode(url: string, options: IClientOptions): Promise<number> {
  let client: MqttClient | undefined;
  try {
    client = await connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...options });
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  }
  await client.endAsync(true);
  throw new Error(`connection of ${options.clientId} was accepted`);
}

/** The QoS codes of the SUBACK (mqtt.js rejects a SUBACK holding 128 but keeps the packet). */
async function subackCodes(client: MqttClient, topic: string): Promise<number[]> {
  try {
    return (await client.subscribeAsync(topic, { qos: 1 })).map((g) => g.qos);
  } catch (error) {
    const granted = (error as { packet?: { granted?: Array<number | { qos: number }> } }).packet?.granted;
    if (!granted) throw error;
    return granted.map((g) => (typeof g === 'number' ? g : g.qos));
  }
}

describe('bad input and broker permissions', () => {
  let tp: TestPlatform;
  let communityId: string;
  let elevator: ProvisionedDevice;
  let hydrant: ProvisionedDevice;
  let elevatorClient: MqttClient;
  let hydrantClient: MqttClient;
  const suffix = Date.now().toString(36);

  const deadLetters = async () => (await tp.api<DeadLetter[]>('GET', '/api/v1/dead-letters?limit=1000')).body;
  const waitDeadLetter = (match: (l: DeadLetter) => boolean, message: string) =>
    waitFor(async () => (await deadLetters()).find(match), { timeoutMs: 5000, message });
  const healthOk = async () => {
    const health = await tp.api('GET', '/health', undefined, null);
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
  };

  beforeAll(async () => {
    tp = await startTestPlatform();
    communityId = (await tp.createCommunity()).id;
    elevator = await tp.provisionDevice(communityId, 'elevator', { id: `bad-elev-${suffix}` });
    hydrant = await tp.provisionDevice(communityId, 'fire', { subtype: 'hydrant_pressure', id: `bad-hyd-${suffix}` });
    elevatorClient = await tp.connectDevice(elevator);
    hydrantClient = await tp.connectDevice(hydrant);
  });

  afterAll(async () => {
    await tp?.close();
  });

  it('dead-letters malformed JSON, schema failures, oversize and future timestamps, storing none of them', async () => {
    const topic = `v1/devices/${elevator.id}/telemetry`;
    await publishJson(elevatorClient, topic, '{"mode": "normal", "floor": 3');
    await publishJson(elevatorClient, topic, elevatorReading({ floor: '3' }));
    const { door: _door, ...missingDoor } = elevatorReading({ floor: 4 });
    await publishJson(elevatorClient, topic, missingDoor);
    const big = JSON.stringify({ ...elevatorReading({ floor: 5 }), padding: 'x'.repeat(70 * 1024) });
    expect(Buffer.byteLength(big)).toBeGreaterThan(64 * 1024);
    await publishJson(elevatorClient, topic, big);
    await publishJson(elevatorClient, topic, elevatorReading({ floor: 6, ts: Date.now() + 10 * 60_000 }));

    const reasons = ['invalid_json', 'schema', 'oversize', 'future_timestamp'];
    const letters = await waitFor(
      async () => {
        const all = (await deadLetters()).filter((l) => l.deviceId === elevator.id);
        return all.length >= 5 ? all : undefined;
      },
      { timeoutMs: 5000, message: 'five dead letters for the elevator' },
    );
    expect(letters.map((l) => l.reason).sort()).toEqual(['future_timestamp', 'invalid_json', 'oversize', 'schema', 'schema']);
    for (const l of letters) {
      expect(l).toMatchObject({ deviceId: elevator.id, topic, ts: expect.any(Number) });
      expect(reasons).toContain(l.reason);
      expect(l.payloadPrefix.length).toBeGreaterThan(0);
      expect(l.payloadPrefix.length).toBeLessThanOrEqual(1024);
    }
    expect(letters.find((l) => l.reason === 'invalid_json')!.payloadPrefix).toBe('{"mode": "normal", "floor": 3');
    expect(letters.find((l) => l.reason === 'oversize')!.payloadPrefix.startsWith(big.slice(0, 20))).toBe(true);
    expect(letters.find((l) => l.reason === 'future_timestamp')!.payloadPrefix).toContain('"floor":6');

    const text = await tp.metrics();
    expect(metricValue(text, 'spp_ingest_rejected_total', { reason: 'invalid_json' })).toBe(1);
    expect(metricValue(text, 'spp_ingest_rejected_total', { reason: 'schema' })).toBe(2);
    expect(metricValue(text, 'spp_ingest_rejected_total', { reason: 'oversize' })).toBe(1);
    expect(metricValue(text, 'spp_ingest_rejected_total', { reason: 'future_timestamp' })).toBe(1);

    // A good reading afterwards is stored: the only elevator point in InfluxDB.
    await publishJson(elevatorClient, topic, elevatorReading({ floor: 9 }));
    const rows = await waitForInfluxRows(tp, `SELECT * FROM "elevator" WHERE "device_id" = '${elevator.id}'`, 1);
    expect(rows.map((r) => r.floor)).toEqual([9]);
    await healthOk();
  });

  it('stores the good elements of a backfill array and dead-letters only the bad one', async () => {
    const now = Date.now();
    const payload = [
      { ts: now - 3000, value: 101.5 },
      { ts: now - 2000, value: 'high' },
      { ts: now - 1000, value: 102.5, flags: { fault: true } },
    ];
    await publishJson(hydrantClient, `v1/devices/${hydrant.id}/telemetry`, payload);
    const rows = await waitForInfluxRows(tp, `SELECT * FROM "fire" WHERE "device_id" = '${hydrant.id}' ORDER BY time`, 2);
    const letter = await waitDeadLetter((l) => l.deviceId === hydrant.id, 'dead letter for the array');
    expect(letter).toMatchObject({ reason: 'schema', topic: `v1/devices/${hydrant.id}/telemetry` });
    expect(letter.payloadPrefix.startsWith(JSON.stringify(payload).slice(0, 40))).toBe(true);
    // Wait a flush more: still exactly the two good ones.
    await tp.platform.app.get(IngestShipperService).drain(5000);
    const again = await tp.influxRows(`SELECT * FROM "fire" WHERE "device_id" = '${hydrant.id}' ORDER BY time`);
    expect(again.map((r) => [r.time, r.value])).toEqual([
      [now - 3000, 101.5],
      [now - 1000, 102.5],
    ]);
    expect(rows).toHaveLength(2);
    expect(await tp.metric('spp_ingest_rejected_total', { reason: 'schema' })).toBe(3);
  });

  it('closes the connection of a device publishing to another device’s topic, and stores nothing', async () => {
    const intruder = await tp.provisionDevice(communityId, 'fire', { subtype: 'hydrant_pressure', id: `bad-intruder-${suffix}` });
    const client = await tp.connectDevice(intruder);
    const closed = nextEvent(client, 'close', 5000);
    client.publish(`v1/devices/${hydrant.id}/telemetry`, JSON.stringify({ value: 999 }), { qos: 1 });
    await closed;
    expect(client.connected).toBe(false);

    const letter = await waitDeadLetter((l) => l.deviceId === intruder.id && l.reason === 'acl_denied', 'acl_denied dead letter');
    expect(letter.topic).toBe(`v1/devices/${hydrant.id}/telemetry`);
    expect(await tp.metric('spp_mqtt_acl_denied_total', { action: 'publish' })).toBe(1);
    expect(await tp.metric('spp_ingest_rejected_total', { reason: 'acl_denied' })).toBe(1);
    await tp.platform.app.get(IngestShipperService).drain(5000);
    const values = (await tp.influxRows(`SELECT "value" FROM "fire" WHERE "device_id" = '${hydrant.id}'`)).map((r) => r.value);
    expect(values).not.toContain(999);
  });

  it('refuses a subscription to another device’s commands with SUBACK 128, keeps the own one', async () => {
    expect(await subackCodes(elevatorClient, `v1/devices/${hydrant.id}/commands`)).toEqual([128]);
    expect(await subackCodes(elevatorClient, 'v1/devices/+/commands')).toEqual([128]);
    expect(await subackCodes(elevatorClient, `v1/devices/${hydrant.id}/telemetry`)).toEqual([128]);
    expect(await subackCodes(elevatorClient, `v1/devices/${elevator.id}/commands`)).toEqual([1]);
    expect(elevatorClient.connected).toBe(true);
    expect(await tp.metric('spp_mqtt_acl_denied_total', { action: 'subscribe' })).toBe(3);
  });

  it('refuses wrong passwords, unknown devices and username ≠ clientId at CONNACK, counted by reason', async () => {
    const url = tp.mqttUrl!;
    expect(await refusedCode(url, { clientId: elevator.id, username: elevator.id, password: 'not-the-secret' })).toBe(4);
    expect(await refusedCode(url, { clientId: `nobody-${suffix}`, username: `nobody-${suffix}`, password: 'whatever' })).toBe(4);
    expect(await refusedCode(url, { clientId: elevator.id, username: hydrant.id, password: hydrant.secret })).toBe(4);
    expect(await refusedCode(url, { clientId: elevator.id, username: elevator.id })).toBe(4);

    expect(await tp.metric('spp_mqtt_auth_failures_total', { reason: 'bad_secret' })).toBe(1);
    expect(await tp.metric('spp_mqtt_auth_failures_total', { reason: 'unknown_device' })).toBe(1);
    expect(await tp.metric('spp_mqtt_auth_failures_total', { reason: 'username_must_equal_client_id' })).toBe(1);
    expect(await tp.metric('spp_mqtt_auth_failures_total')).toBe(4);
    // The refused attempts did not take over the genuine device's session.
    expect(elevatorClient.connected).toBe(true);
    await healthOk();
  });

  it('disconnects a disabled device and refuses its reconnection until enabled again', async () => {
    const device = await tp.provisionDevice(communityId, 'gate', { id: `bad-disabled-${suffix}` });
    const client = await tp.connectDevice(device);
    const closed = nextEvent(client, 'close', 5000);
    const res = await tp.api('POST', `/api/v1/devices/${device.id}/disable`);
    expect(res.status).toBe(200);
    expect(res.body.disabled).toBe(true);
    await closed;
    expect(await refusedCode(tp.mqttUrl!, { clientId: device.id, username: device.id, password: device.secret })).toBe(4);
    expect(await tp.metric('spp_mqtt_auth_failures_total', { reason: 'disabled' })).toBe(1);

    expect((await tp.api('POST', `/api/v1/devices/${device.id}/enable`)).status).toBe(200);
    const back = await tp.connectDevice(device);
    expect(back.connected).toBe(true);
  });

  it('rotating a secret disconnects the device; the old secret is refused, the new one works', async () => {
    const device = await tp.provisionDevice(communityId, 'gate', { id: `bad-rotate-${suffix}` });
    const client = await tp.connectDevice(device);
    const closed = nextEvent(client, 'close', 5000);
    const rotated = await tp.api('POST', `/api/v1/devices/${device.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toEqual(expect.any(String));
    expect(rotated.body.secret).not.toBe(device.secret);
    await closed;

    expect(await refusedCode(tp.mqttUrl!, { clientId: device.id, username: device.id, password: device.secret })).toBe(4);
    const fresh = await tp.connectDevice({ id: device.id, secret: rotated.body.secret });
    expect(fresh.connected).toBe(true);
    await publishJson(fresh, `v1/devices/${device.id}/telemetry`, { barrier: 'closed' });
    await waitForInfluxRows(tp, `SELECT * FROM "gate" WHERE "device_id" = '${device.id}'`, 1);
  });

  it('keeps a device connected right after it was provisioned or re-keyed when the notice of the change comes back late over Redis', async () => {
    const redis = tp.platform.app.get(RedisRepository);
    const channel = redis.keys.notice('device-changed');
    const listener = redis.duplicate();
    tp.defer(() => listener.quit());
    const notices: string[] = [];
    listener.on('message', (_channel: string, message: string) => notices.push(message));
    await listener.subscribe(channel);
    const changed: string[] = [];
    tp.platform.app.get(EventBusRepository).on('device.changed', ({ deviceId }) => changed.push(deviceId));
    // Redis hands one connection's notices over in order: once a marker sent after a notice is
    // back, that notice was applied (or skipped).
    const noticesBack = async () => {
      const marker = `notice-marker-${Math.random().toString(36).slice(2)}`;
      await redis.notify('device-changed', JSON.stringify({ deviceId: marker, change: 'created', by: 'another-process' }));
      await waitFor(() => changed.includes(marker), { message: 'the marker notice came back' });
    };
    // A round trip: a connection the broker closed fails it.
    const stillConnected = async (client: MqttClient, deviceId: string) => {
      await client.subscribeAsync(`v1/devices/${deviceId}/commands`, { qos: 1 });
      expect(client.connected).toBe(true);
    };
    // The platform's own notice of a change, as Redis would deliver it after the device reconnected.
    const ownNoticeLate = async (deviceId: string) => {
      const own = await waitFor(() => notices.find((n) => n.includes(`"deviceId":"${deviceId}"`)), { message: `the notice about ${deviceId}` });
      notices.length = 0;
      await redis.client.publish(channel, own);
      await noticesBack();
    };

    const created = await tp.provisionDevice(communityId, 'gate', { id: `bad-echo-new-${suffix}` });
    const fresh = await tp.connectDevice(created);
    await ownNoticeLate(created.id);
    await stillConnected(fresh, created.id);

    const rotated = await tp.api('POST', `/api/v1/devices/${created.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    await waitFor(() => !fresh.connected, { message: 'the re-keyed device is dropped' });
    const rekeyed = await tp.connectDevice({ id: created.id, secret: rotated.body.secret });
    await ownNoticeLate(created.id);
    await stillConnected(rekeyed, created.id);

    // Another process creating the device leaves its connection here; another process re-keying it drops it.
    await redis.notify('device-changed', JSON.stringify({ deviceId: created.id, change: 'created', by: 'another-process' }));
    await noticesBack();
    await stillConnected(rekeyed, created.id);
    const closed = nextEvent(rekeyed, 'close', 10_000);
    await redis.notify('device-changed', JSON.stringify({ deviceId: created.id, change: 'credentials', by: 'another-process' }));
    await closed;
  });

  it('is still healthy and serving after all of it', async () => {
    await healthOk();
    expect(hydrantClient.connected).toBe(true);
    await publishJson(hydrantClient, `v1/devices/${hydrant.id}/telemetry`, { value: 77 });
    await waitFor(async () => (await tp.influxRows(`SELECT "value" FROM "fire" WHERE "device_id" = '${hydrant.id}' AND "value" = 77`)).length === 1, {
      timeoutMs: 5000,
    });
  });
});
