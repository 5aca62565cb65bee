/**
 * MQTT payload fuzzing through the embedded broker (issue 8, "Fuzzing, kept in the suite"):
 * random JSON, valid readings with a field of the wrong type, deep nesting, huge numbers, unicode,
 * backfill arrays, oversize payloads and raw bytes, on every upstream channel of three device
 * kinds. Every message is accounted for: the accepted and dead-lettered counters of /metrics grow
 * by exactly what the contract's parser says of each message, and each message yields at least
 * one of the two; the process stays healthy, and a well-behaved device publishing alongside gets
 * every reading stored. A message whose PUBLISH packet is over MQTT_MAX_PACKET_BYTES (deep nesting
 * can make one) never reaches ingestion: the broker closes the connection, counts it as
 * `packet_too_large`, and the device connects again. The rate limit is raised here (parsing is
 * what is fuzzed); a second case fuzzes a device over a low one. Short in `npm test`, 1,000,000
 * messages in `npm run fuzz`.
 */
import fc from 'fast-check';
import { generate } from 'mqtt-packet';
import type { MqttClient } from 'mqtt';
import { MAX_PAYLOAD_BYTES, type DeviceKind, type TopicChannel } from '@app/contracts';
import { parseDeviceMessage } from '../../apps/platform/src/domain/device-message';
import { IngestShipperService } from '../../apps/platform/src/services/ingest-shipper.service';
import { elevatorReading, metricValue, startTestPlatform, waitForInfluxRows, type ProvisionedDevice, type TestPlatform } from '../support/platform';
import { fuzzRuns, fuzzSeed, isLongFuzz, recordFuzz } from '../support/fuzz';
import { waitFor } from '../support/wait';

const RUNS = fuzzRuns(1000, 1_000_000);
const BATCH = 500;
const IN_FLIGHT = 100;
/** INFLUX_RAW_RETENTION of the test platform (the default, 30d). */
const RAW_RETENTION_MS = 30 * 86_400_000;
const channels: TopicChannel[] = ['telemetry', 'events', 'status', 'commands/ack'];
/** MQTT_MAX_PACKET_BYTES of the test platform (the default). */
const MAX_PACKET_BYTES = 128 * 1024;

/** Whether the broker refuses this message's PUBLISH packet (and closes the connection) for its size. */
function overPacketLimit(topic: string, payload: Buffer): boolean {
  return generate({ cmd: 'publish', topic, payload, qos: 1, messageId: 1, retain: false, dup: false }).length > MAX_PACKET_BYTES;
}

/** Publishes a message the broker will refuse for its size, and resolves once the connection is closed. */
async function publishRefused(client: MqttClient, topic: string, payload: Buffer): Promise<void> {
  client.on('error', () => undefined); // the write may fail once the broker has closed the socket
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  client.publish(topic, payload, { qos: 0 }, () => undefined);
  await closed;
}

const validReading: Record<DeviceKind, () => Record<string, unknown>> = {
  elevator: () => elevatorReading(),
  fire: () => ({ value: 101.5, flags: { fault: false } }),
  gate: () => ({ barrier: 'closed' }),
};
const validEvent: Record<DeviceKind, () => Record<string, unknown>> = {
  elevator: () => ({ type: 'door_close_fault', active: false }),
  fire: () => ({ type: 'fault', active: false, zone: 'B1' }),
  gate: () => ({ type: 'vehicle', lane: 'fuzz-lane', direction: 'out', plate: '沪A12345' }),
};

const hugeNumber = fc.oneof(
  fc.constantFrom('1e999', '-1e999', '1e308', '-0', '9007199254740993', '123456789012345678901234567890', '0.0000000000000000000001', '1E+400'),
  fc.double().map(String),
  fc.bigInt().map(String),
);
const unicodeText = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.constantFrom('\u0000', '\ud800', '\\', '\n', '"', '\u202e'));

/** One payload (as bytes) for a device of `kind` on `channel`. */
function payloadArbitrary(kind: DeviceKind): fc.Arbitrary<Buffer> {
  const valid = fc.constantFrom(validReading[kind], validEvent[kind]).map((make) => make());
  const text = (s: fc.Arbitrary<string>) => s.map((t) => Buffer.from(t, 'utf8'));
  const wrongType = fc
    .tuple(valid, fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }))
    .map(([base, key, value]) => {
      const keys = Object.keys(base);
      return JSON.stringify({ ...base, [keys.length && key.length % 3 !== 0 ? keys[key.length % keys.length] : key]: value });
    });
  const deep = fc.tuple(fc.integer({ min: 1, max: 30_000 }), fc.constantFrom('[]', '{}', 'a')).map(([depth, kindOf]) =>
    kindOf === '[]' ? '['.repeat(depth) + ']'.repeat(depth) : kindOf === '{}' ? '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) : '['.repeat(depth),
  );
  const huge = fc.tuple(valid, fc.constantFrom('floor', 'speed', 'value', 'ts', 'confidence'), hugeNumber).map(([base, key, n]) => {
    const json = JSON.stringify({ ...base, [key]: 0 });
    return json.replace(`"${key}":0`, `"${key}":${n}`);
  });
  const unicode = fc.tuple(valid, unicodeText, unicodeText).map(([base, key, value]) => JSON.stringify({ ...base, [key]: value, door: value, plate: value, lane: value }));
  const array = fc
    .array(fc.oneof(valid, fc.jsonValue({ maxDepth: 2 }), valid.map((v) => ({ ...v, ts: Date.now() - 60_000 }))), { maxLength: 30 })
    .map((items) => JSON.stringify(items));
  const oversize = fc.integer({ min: MAX_PAYLOAD_BYTES + 1, max: MAX_PAYLOAD_BYTES + 36 * 1024 }).map((n) => Buffer.alloc(n, '['));
  const bytes = fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a));
  return fc.oneof(
    { arbitrary: text(fc.json({ maxDepth: 4 })), weight: 80 },
    { arbitrary: valid.map((v) => Buffer.from(JSON.stringify(v))), weight: 40 },
    { arbitrary: text(wrongType), weight: 80 },
    { arbitrary: text(deep), weight: 20 },
    { arbitrary: text(huge), weight: 60 },
    { arbitrary: text(unicode), weight: 60 },
    { arbitrary: text(array), weight: 60 },
    { arbitrary: text(fc.constantFrom('', 'null', 'online', 'offline', '"online"', '[]', '{}', 'true', '0')), weight: 40 },
    { arbitrary: bytes, weight: 40 },
    // Rare: the long run sends a million messages, and each of these is up to 100 KiB.
    { arbitrary: oversize, weight: isLongFuzz() ? 1 : 10 },
  );
}

/** How many counter increments (accepted or dead-lettered) the platform owes for one message. */
function outcomes(kind: DeviceKind, channel: TopicChannel, payload: Buffer, now: number): number {
  const m = parseDeviceMessage(kind, channel, payload, now, { maxAgeMs: RAW_RETENTION_MS });
  const accepted =
    m.channel === 'telemetry' ? m.readings.length > 0 : m.channel === 'events' ? !!m.event : m.channel === 'status' ? m.online !== undefined : !!m.ack;
  return (accepted ? 1 : 0) + m.rejections.length;
}

describe('MQTT payload fuzzing', () => {
  let tp: TestPlatform;
  const targets: Array<{ device: ProvisionedDevice; client: MqttClient }> = [];
  let steady: ProvisionedDevice;
  let steadyClient: MqttClient;
  const seed = fuzzSeed();

  beforeAll(async () => {
    // The rate limit is not what is fuzzed here: a million messages would trip it.
    tp = await startTestPlatform({ env: { MQTT_DEVICE_RATE_LIMIT: '1000000', MQTT_MAX_PACKET_BYTES: String(MAX_PACKET_BYTES) } });
    const community = await tp.createCommunity();
    for (const kind of ['elevator', 'fire', 'gate'] as const) {
      const device = await tp.provisionDevice(community.id, kind);
      targets.push({ device, client: await tp.connectDevice(device) });
    }
    steady = await tp.provisionDevice(community.id, 'elevator');
    steadyClient = await tp.connectDevice(steady);
  }, 600_000);
  afterAll(async () => {
    await tp?.close();
  });

  it('stores or dead-letters every message, stays up, and never blocks a well-behaved device', async () => {
    const before = await tp.metrics();
    const accepted0 = metricValue(before, 'spp_ingest_messages_total');
    const rejected0 = metricValue(before, 'spp_ingest_rejected_total');
    const tooLarge0 = await tp.metric('spp_mqtt_connections_refused_total', { reason: 'packet_too_large' });
    let tooLarge = 0;

    // The well-behaved elevator publishes one reading every 50 ms throughout, QoS 1.
    let steadySent = 0;
    let fuzzing = true;
    const steadyStart = Date.now() - 30 * 60_000;
    const steadyLoop = (async () => {
      while (fuzzing) {
        await steadyClient.publishAsync(`v1/devices/${steady.id}/telemetry`, JSON.stringify(elevatorReading({ floor: steadySent, ts: steadyStart + steadySent })), { qos: 1 });
        steadySent++;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();

    const arbitraries = targets.map((t) => fc.tuple(fc.constantFrom(...channels), payloadArbitrary(t.device.kind)));
    let expected = 0;
    const silent: string[] = [];
    let sent = 0;
    try {
      for (let batch = 0; sent < RUNS; batch++) {
        const size = Math.min(BATCH, RUNS - sent);
        const target = targets[batch % targets.length];
        const sample = fc.sample(arbitraries[batch % targets.length], { numRuns: size, seed: seed + batch });
        const topicOf = (channel: TopicChannel) => `v1/devices/${target.device.id}/${channel}`;
        const cases = sample.filter(([channel, payload]) => !overPacketLimit(topicOf(channel), payload));
        const now = Date.now();
        // A dropped connection would leave its PUBACKs pending for ever: fail with the batch instead.
        let onClose: () => void = () => undefined;
        const dropped = new Promise<never>((_, reject) => {
          onClose = () => reject(new Error(`broker closed the ${target.device.kind} connection during seed ${seed + batch} (FUZZ_SEED=${seed})`));
          target.client.once('close', onClose);
        });
        dropped.catch(() => undefined);
        for (let i = 0; i < cases.length; i += IN_FLIGHT) {
          await Promise.all(
            cases.slice(i, i + IN_FLIGHT).map(async ([channel, payload], j) => {
              const owed = outcomes(target.device.kind, channel, payload, now);
              expected += owed;
              if (owed === 0 && silent.length < 20) silent.push(`seed ${seed + batch} case ${i + j}: ${channel} ${JSON.stringify(payload.subarray(0, 200).toString('utf8'))}`);
              await Promise.race([target.client.publishAsync(topicOf(channel), payload, { qos: 1 }), dropped]);
            }),
          );
        }
        target.client.removeListener('close', onClose);
        // The packets over the limit, once nothing else is in flight: each closes the connection.
        for (const [channel, payload] of sample.filter(([c, p]) => overPacketLimit(topicOf(c), p))) {
          await publishRefused(target.client, topicOf(channel), payload);
          tooLarge++;
          // The broker publishes the dropped client's will (status "offline"): one accepted message.
          expected++;
          target.client = await tp.connectDevice(target.device);
        }
        sent += size;
      }
    } finally {
      fuzzing = false;
      await steadyLoop;
    }

    // Every message owed at least one outcome; the counters show exactly the owed ones.
    expect(silent).toEqual([]);
    let accepted = 0;
    let rejected = 0;
    await waitFor(
      async () => {
        const text = await tp.metrics();
        accepted = metricValue(text, 'spp_ingest_messages_total') - accepted0 - steadySent;
        rejected = metricValue(text, 'spp_ingest_rejected_total') - rejected0;
        return accepted + rejected === expected;
      },
      { timeoutMs: 60_000, message: `counters: accepted + dead-lettered = owed outcomes (seed ${seed})` },
    ).catch((error) => {
      const counts = { accepted, deadLettered: rejected, owed: expected, packetTooLarge: tooLarge, crashes: 0 };
      recordFuzz({ suite: 'MQTT payloads', sent, counts, seed, failures: [String(error)] });
      throw new Error(`${String(error)}: ${JSON.stringify(counts)}`);
    });
    expect(await tp.metric('spp_ingest_rejected_total', { reason: 'rate_limited' })).toBe(0);
    expect(await tp.metric('spp_ingest_rejected_total', { reason: 'acl_denied' })).toBe(0);
    expect((await tp.metric('spp_mqtt_connections_refused_total', { reason: 'packet_too_large' })) - tooLarge0).toBe(tooLarge);

    // Dead letters carry a reason; the process is healthy; the fuzzing clients were never dropped.
    // (Retried: on a loaded machine one request may outlast the helper's 10 s time-out.)
    const letters = await waitFor(async () => (await tp.api<Array<{ reason: string }>>('GET', '/api/v1/dead-letters?limit=100')).body, { timeoutMs: 60_000 });
    expect(letters.length).toBeGreaterThan(0);
    for (const l of letters) expect(['oversize', 'invalid_json', 'schema', 'future_timestamp', 'expired_timestamp', 'not_accepted']).toContain(l.reason);
    await waitFor(async () => (await tp.api('GET', '/health', undefined, null)).status === 200, { timeoutMs: 60_000, message: 'healthy after the fuzzing' });
    for (const t of targets) expect(t.client.connected).toBe(true);

    // Every reading of the well-behaved device is stored.
    await tp.platform.app.get(IngestShipperService).drain(30_000);
    await waitForInfluxRows(tp, `SELECT "floor" FROM "elevator" WHERE "device_id" = '${steady.id}'`, steadySent, 30_000);
    expect(steadySent).toBeGreaterThan(0);

    recordFuzz({
      suite: 'MQTT payloads',
      sent,
      counts: { stored: accepted, deadLettered: rejected, owed: expected, packetTooLarge: tooLarge, crashes: 0, wellBehavedSent: steadySent, wellBehavedStored: steadySent },
      seed,
      failures: [],
      notes: 'accepted + dead-lettered counted by /metrics; a backfill array owes one "accepted" plus one dead letter per bad element; packetTooLarge: PUBLISH packets over MQTT_MAX_PACKET_BYTES, each closing the connection (counted as packet_too_large) before the device reconnected',
    });
  }, isLongFuzz() ? 6 * 3600_000 : 300_000);

  it('refuses a device over a low rate limit with a counted reason, and serves it again once it reconnects', async () => {
    // Its own platform: 20 readings/s, a burst of 40; each reading of a backfill array is charged.
    const limited = await startTestPlatform({ env: { MQTT_DEVICE_RATE_LIMIT: '20' } });
    try {
      const community = await limited.createCommunity();
      const device = await limited.provisionDevice(community.id, 'elevator');
      const topic = `v1/devices/${device.id}/telemetry`;
      const refused0 = await limited.metric('spp_ingest_rejected_total', { reason: 'rate_limited' });
      const denied0 = await limited.metric('spp_mqtt_acl_denied_total', { action: 'rate_limit' });

      const client = await limited.connectDevice(device);
      client.on('error', () => undefined);
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      const payloads = fc.sample(payloadArbitrary('elevator'), { numRuns: 200, seed }).filter((p) => !overPacketLimit(topic, p));
      // At once, QoS 0: far more than 40 readings before the bucket refills.
      for (const payload of payloads) client.publish(topic, payload, { qos: 0 }, () => undefined);
      await closed;
      await waitFor(async () => (await limited.metric('spp_ingest_rejected_total', { reason: 'rate_limited' })) > refused0, {
        timeoutMs: 60_000,
        message: `the refusal counted as rate_limited (seed ${seed})`,
      });
      expect(await limited.metric('spp_mqtt_acl_denied_total', { action: 'rate_limit' })).toBeGreaterThan(denied0);

      // Reconnected, the device is served again: its reading is stored.
      const again = await limited.connectDevice(device);
      const ts = Date.now() - 5_000;
      await again.publishAsync(topic, JSON.stringify(elevatorReading({ floor: 7, ts })), { qos: 1 });
      await limited.platform.app.get(IngestShipperService).drain(30_000);
      await waitForInfluxRows(limited, `SELECT "floor" FROM "elevator" WHERE "device_id" = '${device.id}' AND time >= ${ts}ms AND time < ${ts + 1}ms`, 1, 30_000);
      await again.endAsync();
      expect((await limited.api('GET', '/health', undefined, null)).status).toBe(200);
    } finally {
      await limited.close();
    }
  }, 300_000);
});
