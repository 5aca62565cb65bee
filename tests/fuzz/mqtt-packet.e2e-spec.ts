/**
 * MQTT packet fuzzing on raw TCP sockets against the embedded broker (issue 8, "Fuzzing, kept in
 * the suite"): packets generated valid by mqtt-packet, then mutated (bytes flipped, truncated,
 * wrong protocol levels and names, bad UTF-8 in topics, declared lengths far beyond what follows),
 * before and after a genuine CONNECT; clients that never finish their CONNECT; headers declaring
 * hundreds of MiB. The process survives, a well-behaved device stays connected and stored, and
 * the resident memory of the process (the platform runs in it) returns near its baseline.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import fc from 'fast-check';
import { generate, type Packet } from 'mqtt-packet';
import type { MqttClient } from 'mqtt';
import { elevatorReading, publishJson, startTestPlatform, waitForInfluxRows, type ProvisionedDevice, type TestPlatform } from '../support/platform';
import { fuzzRuns, fuzzSeed, isLongFuzz, recordFuzz, residentBytes } from '../support/fuzz';
import { waitFor } from '../support/wait';

const RUNS = fuzzRuns(300, 100_000);
const PARALLEL = 20;
const MiB = 1024 * 1024;

type Outcome = 'closed_by_server' | 'still_open';

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), to: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('level' as const), level: fc.integer({ min: 0, max: 255 }), name: fc.constantFrom('MQTT', 'MQIsdp', 'MQTX', '', 'MQTTMQTT') }),
  fc.record({ kind: fc.constant('utf8' as const), bad: fc.constantFrom([0xc3, 0x28], [0xff, 0xfe], [0xed, 0xa0, 0x80], [0x00], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x2b, 0x23]) }),
  fc.record({ kind: fc.constant('length' as const), declared: fc.integer({ min: 0, max: 268_435_455 }) }),
  fc.record({ kind: fc.constant('garbage' as const), data: fc.uint8Array({ minLength: 1, maxLength: 300 }) }),
  fc.record({ kind: fc.constant('valid' as const) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

/**
 * Opens a raw socket to the broker, writes `chunks`, half-closes unless `hold`, and reports
 * whether the server closed it within `ms`.
 */
function rawExchange(port: number, chunks: Buffer[], ms = 30_000, hold = false): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket: Socket = tcpConnect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('still_open');
    }, ms);
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve('closed_by_server');
    });
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c);
      if (!hold) socket.end();
    });
  });
}

/** The packets a device sends, generated valid. `device` gives the CONNECT real credentials. */
function validPackets(device: { id: string; secret: string }, topic: string): Record<string, Packet> {
  return {
    connect: { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: device.id, keepalive: 30, username: device.id, password: Buffer.from(device.secret) },
    connect5: { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, clientId: device.id, keepalive: 30, username: device.id, password: Buffer.from(device.secret), properties: { maximumPacketSize: 1024, userProperties: { a: 'b' } } },
    connect3: { cmd: 'connect', protocolId: 'MQIsdp', protocolVersion: 3, clean: true, clientId: device.id, keepalive: 30, username: device.id, password: Buffer.from(device.secret) },
    publish: { cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(elevatorReading())), qos: 1, messageId: 7, retain: false, dup: false },
    publish0: { cmd: 'publish', topic, payload: Buffer.from('{"floor":'), qos: 0, retain: false, dup: false },
    subscribe: { cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: `v1/devices/${device.id}/commands`, qos: 1 }] },
    unsubscribe: { cmd: 'unsubscribe', messageId: 4, unsubscriptions: [`v1/devices/${device.id}/commands`] },
    pingreq: { cmd: 'pingreq' },
    puback: { cmd: 'puback', messageId: 9 },
    pubrel: { cmd: 'pubrel', messageId: 9 },
    disconnect: { cmd: 'disconnect' },
  } as Record<string, Packet>;
}

/** A packet with bytes of its topic replaced by invalid UTF-8 (same length, so the frame stays well formed). */
function badUtf8Topic(bytes: Buffer, topic: string, bad: readonly number[]): Buffer {
  const at = bytes.indexOf(Buffer.from(topic));
  const out = Buffer.from(bytes);
  bad.forEach((b, i) => {
    if (at >= 0 && at + i < at + topic.length) out[at + i] = b;
  });
  return out;
}

describe('MQTT packet fuzzing', () => {
  let tp: TestPlatform;
  let port: number;
  let steady: ProvisionedDevice;
  let steadyClient: MqttClient;
  let fuzzer: ProvisionedDevice;
  const seed = fuzzSeed();

  beforeAll(async () => {
    tp = await startTestPlatform({ env: { MQTT_DEVICE_RATE_LIMIT: '1000000', MQTT_CONNECT_TIMEOUT_S: '3', MQTT_MAX_PACKET_BYTES: String(128 * 1024) } });
    port = Number(new URL(tp.mqttUrl!).port);
    const community = await tp.createCommunity();
    steady = await tp.provisionDevice(community.id, 'elevator');
    fuzzer = await tp.provisionDevice(community.id, 'elevator');
    steadyClient = await tp.connectDevice(steady);
  }, 600_000);
  afterAll(async () => {
    await tp?.close();
  });

  it('survives mutated, truncated and malformed packets, keeps serving the good device, and returns to its memory baseline', async () => {
    const topic = `v1/devices/${fuzzer.id}/telemetry`;
    const packets = validPackets(fuzzer, topic);
    const bytes = Object.fromEntries(Object.entries(packets).map(([name, p]) => [name, generate(p)]));
    const names = Object.keys(bytes);
    const connectNames = names.filter((n) => n.startsWith('connect'));

    const scenario = fc.record({
      authenticated: fc.boolean(),
      packets: fc.array(fc.tuple(fc.constantFrom(...names), mutation), { minLength: 1, maxLength: 4 }),
    });

    const mutate = (name: string, m: Mutation): Buffer => {
      const original = bytes[name];
      switch (m.kind) {
        case 'flip': {
          const out = Buffer.from(original);
          m.at.forEach((at, i) => (out[at % out.length] = m.to[i]));
          return out;
        }
        case 'truncate':
          return original.subarray(0, m.at % original.length);
        case 'level': {
          if (!name.startsWith('connect')) return original;
          const p = { ...(packets[name] as object), protocolId: 'MQTT' } as Packet;
          const out = Buffer.from(generate(p));
          // Fixed header, protocol name length and "MQTT", then the level byte.
          const at = out.indexOf('MQTT');
          out[at + 4] = m.level;
          return m.name === 'MQTT' ? out : Buffer.concat([out.subarray(0, at - 2), Buffer.from([0, m.name.length]), Buffer.from(m.name), out.subarray(at + 4)]);
        }
        case 'utf8':
          return name.startsWith('publish') ? badUtf8Topic(original, topic, m.bad) : name === 'subscribe' || name === 'unsubscribe' ? badUtf8Topic(original, `v1/devices/${fuzzer.id}/commands`, m.bad) : original;
        case 'length': {
          // The first byte, then a remaining length that says anything, then what there is.
          const declared: number[] = [];
          let n = m.declared;
          do {
            let digit = n % 128;
            n = Math.floor(n / 128);
            if (n > 0) digit |= 0x80;
            declared.push(digit);
          } while (n > 0 && declared.length < 4);
          return Buffer.concat([original.subarray(0, 1), Buffer.from(declared), original.subarray(2)]);
        }
        case 'garbage':
          return Buffer.from(m.data);
        default:
          return original;
      }
    };

    const baseline = residentBytes();
    const outcomes: Record<Outcome, number> = { closed_by_server: 0, still_open: 0 };
    let sent = 0;

    // A client that never finishes its CONNECT, and three that declare 256 MiB packets and stream
    // 4 MiB of them without credentials, none closing their side: all run alongside the fuzzing,
    // and the broker must close them (CONNECT deadline, MQTT_MAX_PACKET_BYTES).
    const refused0 = await tp.metric('spp_mqtt_connections_refused_total');
    const slowConnect = rawExchange(port, [bytes.connect.subarray(0, 5)], 60_000, true);
    const hugeDeclared = [1, 2, 3].map(() => {
      const header = Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]);
      return rawExchange(port, [header, ...Array.from({ length: 64 }, () => Buffer.alloc(64 * 1024))], 60_000, true);
    });

    const cases = fc.sample(scenario, { numRuns: RUNS, seed });
    for (let i = 0; i < cases.length; i += PARALLEL) {
      const results = await Promise.all(
        cases.slice(i, i + PARALLEL).map((c) => {
          const chunks = [...(c.authenticated ? [bytes[connectNames[0]]] : []), ...c.packets.map(([name, m]) => mutate(name, m))];
          sent += chunks.length;
          return rawExchange(port, chunks);
        }),
      );
      for (const r of results) outcomes[r]++;
    }
    const slow = await slowConnect;
    const huge = await Promise.all(hugeDeclared);
    sent += 4;
    expect(slow).toBe('closed_by_server');
    expect(huge).toEqual(['closed_by_server', 'closed_by_server', 'closed_by_server']);
    expect(await tp.metric('spp_mqtt_connections_refused_total', { reason: 'connect_timeout' })).toBeGreaterThanOrEqual(1);
    const refused = (await tp.metric('spp_mqtt_connections_refused_total')) - refused0;
    expect(refused).toBeGreaterThanOrEqual(4);

    // Still serving: health, the good device connected and stored, the fuzzed device can connect.
    expect((await tp.api('GET', '/health', undefined, null)).status).toBe(200);
    expect(steadyClient.connected).toBe(true);
    await publishJson(steadyClient, `v1/devices/${steady.id}/telemetry`, elevatorReading({ floor: 42 }));
    await waitForInfluxRows(tp, `SELECT "floor" FROM "elevator" WHERE "device_id" = '${steady.id}' AND "floor" = 42`, 1, 30_000);
    const again = await tp.connectDevice(fuzzer);
    expect(again.connected).toBe(true);
    await again.endAsync();

    // Memory back near the baseline once the hostile connections are gone.
    let rss = residentBytes();
    await waitFor(
      () => {
        rss = residentBytes();
        return rss < baseline + 128 * MiB;
      },
      { timeoutMs: 60_000, intervalMs: 500, message: `VmRSS back near baseline (baseline ${(baseline / MiB).toFixed(0)} MiB)` },
    );

    recordFuzz({
      suite: 'MQTT packets',
      sent,
      counts: {
        connections: cases.length + 4,
        closedByServer: outcomes.closed_by_server + [slow, ...huge].filter((o) => o === 'closed_by_server').length,
        stillOpenAfter30s: outcomes.still_open,
        refusedByLimits: refused,
        crashes: 0,
        baselineRssMiB: Math.round(baseline / MiB),
        endRssMiB: Math.round(rss / MiB),
      },
      seed,
      failures: [],
      notes: `never-finished CONNECT: ${slow}; 256 MiB declared, 4 MiB streamed ×3: ${huge.join(', ')}`,
    });
  }, isLongFuzz() ? 6 * 3600_000 : 300_000);
});
