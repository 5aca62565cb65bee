/**
 * Issue 8 item 3, pre-authentication memory exhaustion, against the embedded broker: a packet
 * declaring more than MQTT_MAX_PACKET_BYTES is refused from its header (over TCP and WebSocket),
 * a connection that never completes CONNECT is closed at the deadline, and one address may not
 * hold more than MQTT_MAX_CONNECTIONS_PER_ADDRESS connections; each refusal is counted. A
 * legitimate device keeps working throughout.
 */
import { connect, type Socket } from 'node:net';
import { connectAsync, type MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { freePort } from '../support/processes';
import { startTestPlatform, type ProvisionedDevice, type TestPlatform } from '../support/platform';
import { nextEvent, nextEventArgs, waitFor } from '../support/wait';

/** The fixed header of a PUBLISH declaring `length` bytes of body (MQTT 3.1.1 §2.2.3). */
export function publishHeader(length: number): Buffer {
  const bytes = [0x30];
  do {
    let digit = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) digit |= 0x80;
    bytes.push(digit);
  } while (length > 0);
  return Buffer.from(bytes);
}

/** A raw TCP connection to the broker, resolved once connected. */
export function rawConnection(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => resolve(socket));
    socket.once('error', reject);
  });
}

export const MAX_REMAINING_LENGTH = 268_435_455;

const closed = (socket: Socket) => (socket.destroyed ? Promise.resolve() : nextEvent(socket, 'close', 30_000).then(() => undefined));

describe('MQTT pre-authentication limits', () => {
  let tp: TestPlatform;
  let port: number;
  let device: ProvisionedDevice;
  let communityId: string;
  const suffix = Date.now().toString(36);
  const CAP = 6;
  const RATE = 200;

  beforeAll(async () => {
    tp = await startTestPlatform({ env: { MQTT_DEVICE_RATE_LIMIT: String(RATE), MQTT_CONNECT_TIMEOUT_S: '2', MQTT_MAX_CONNECTIONS_PER_ADDRESS: String(CAP), MQTT_WS_PORT: String(await freePort()) } });
    port = Number(new URL(tp.mqttUrl!).port);
    communityId = (await tp.createCommunity()).id;
    device = await tp.provisionDevice(communityId, 'elevator', { id: `lim-elev-${suffix}` });
  }, 300_000);

  afterAll(async () => {
    await tp?.close();
  });

  it('closes a connection whose packet declares more than MQTT_MAX_PACKET_BYTES, before its body arrives', async () => {
    const socket = await rawConnection(port);
    tp.defer(() => socket.destroy());
    socket.on('error', () => undefined);
    socket.write(publishHeader(MAX_REMAINING_LENGTH)); // 256 MiB - 1, the most MQTT can declare
    await closed(socket);
    expect(await tp.metric('spp_mqtt_connections_refused_total', { reason: 'packet_too_large' })).toBeGreaterThanOrEqual(1);
    // A CONNECT of the limit's size is still parsed (and refused for its credentials, not its size).
    const client = await tp.connectDevice(device);
    await client.endAsync();
  });

  it('closes a WebSocket whose frame or packet is too large', async () => {
    const wsUrl = tp.platform.mqttWsUrl!;
    const ws = new WebSocket(wsUrl, 'mqtt');
    tp.defer(() => ws.terminate());
    await nextEvent(ws, 'open', 10_000);
    const before = await tp.metric('spp_mqtt_connections_refused_total', { reason: 'packet_too_large' });
    ws.on('error', () => undefined);
    ws.send(publishHeader(1024 * 1024));
    await nextEvent(ws, 'close', 30_000);
    expect(await tp.metric('spp_mqtt_connections_refused_total', { reason: 'packet_too_large' })).toBe(before + 1);

    const big = new WebSocket(wsUrl, 'mqtt');
    tp.defer(() => big.terminate());
    big.on('error', () => undefined);
    await nextEvent(big, 'open', 10_000);
    big.send(Buffer.alloc(256 * 1024));
    const [code] = await nextEventArgs<[number]>(big, 'close', 30_000);
    expect(code).toBe(1009); // "message too big", from ws' maxPayload
  });

  it('closes a connection that does not complete CONNECT before the deadline', async () => {
    const before = await tp.metric('spp_mqtt_connections_refused_total', { reason: 'connect_timeout' });
    const silent = await rawConnection(port);
    const partial = await rawConnection(port);
    tp.defer(() => silent.destroy());
    tp.defer(() => partial.destroy());
    partial.write(Buffer.from([0x10, 0x20, 0x00])); // the first bytes of a CONNECT, never the rest
    await Promise.all([closed(silent), closed(partial)]);
    await waitFor(async () => (await tp.metric('spp_mqtt_connections_refused_total', { reason: 'connect_timeout' })) >= before + 2, {
      timeoutMs: 10_000,
      message: 'connect_timeout counted twice',
    });
  });

  it('refuses the connection over the per-address cap, counts it, and admits again once one closes', async () => {
    const before = await tp.metric('spp_mqtt_connections_refused_total', { reason: 'per_address_cap' });
    // Devices that completed CONNECT hold their slots (raw sockets would be closed at the deadline).
    const held: MqttClient[] = [];
    for (let i = 0; i < CAP; i++) {
      const other = await tp.provisionDevice(communityId, 'elevator', { id: `lim-cap-${i}-${suffix}` });
      held.push(await tp.connectDevice(other));
    }
    const extra = await rawConnection(port);
    extra.on('error', () => undefined);
    await closed(extra);
    expect(await tp.metric('spp_mqtt_connections_refused_total', { reason: 'per_address_cap' })).toBe(before + 1);

    await held[0].endAsync();
    // The slot comes back once the broker has seen the connection close.
    const options = { clientId: device.id, username: device.id, password: device.secret, protocolVersion: 4 as const, reconnectPeriod: 0 };
    await waitFor(async () => {
      // allowRetries=false: a refused attempt rejects instead of waiting for a retry.
      const client = await connectAsync(tp.mqttUrl!, options, false);
      await client.endAsync();
      return true;
    }, { timeoutMs: 30_000, intervalMs: 200 });
  }, 180_000);

  it('dead-letters a backfill of more than 500 readings with the reason, and charges the rate limit per reading', async () => {
    const gate = await tp.provisionDevice(communityId, 'gate', { id: `lim-gate-${suffix}` });
    const client = await tp.connectDevice(gate);
    const topic = `v1/devices/${gate.id}/telemetry`;
    const now = Date.now();
    const batch = (n: number, from: number) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ barrier: 'closed', ts: from - i })));
    await client.publishAsync(topic, batch(501, now - 60_000), { qos: 1 });
    const letter = await waitFor(
      async () => (await tp.api<Array<{ deviceId: string; reason: string }>>('GET', '/api/v1/dead-letters?limit=1000')).body.find((l) => l.deviceId === gate.id && l.reason === 'too_many_readings'),
      { timeoutMs: 30_000, message: 'the 501-reading backfill dead-lettered' },
    );
    expect(letter.reason).toBe('too_many_readings');

    // The bucket holds 2 s worth (400 readings at 200/s): two backfills of 300 at once are 600
    // readings, so the bucket is in debt after the first and refuses what follows at once.
    const before = await tp.metric('spp_mqtt_acl_denied_total', { action: 'rate_limit' });
    await client.publishAsync(topic, batch(300, now - 30_000), { qos: 0 });
    await client.publishAsync(topic, batch(300, now - 20_000), { qos: 0 });
    await client.publishAsync(topic, batch(1, now - 10_000), { qos: 0 });
    await waitFor(async () => (await tp.metric('spp_mqtt_acl_denied_total', { action: 'rate_limit' })) > before, {
      timeoutMs: 30_000,
      message: 'a backfill refused by the per-reading rate limit',
    });
    await client.endAsync();
  }, 120_000);
});

describe('MQTT connection capacity (MQTT_MAX_CONNECTIONS)', () => {
  let tp: TestPlatform;
  const MAX = 4;
  const suffix = Date.now().toString(36);

  beforeAll(async () => {
    tp = await startTestPlatform({ env: { MQTT_MAX_CONNECTIONS: String(MAX), MQTT_MAX_CONNECTIONS_PER_ADDRESS: '100' } });
  }, 300_000);

  afterAll(async () => {
    await tp?.close();
  });

  it('refuses connections beyond the cap, counts them, keeps the API answering, and admits again once one closes', async () => {
    const communityId = (await tp.createCommunity()).id;
    const devices: ProvisionedDevice[] = [];
    for (let i = 0; i <= MAX; i++) devices.push(await tp.provisionDevice(communityId, 'elevator', { id: `cap-${i}-${suffix}` }));
    const held: MqttClient[] = [];
    for (const device of devices.slice(0, MAX)) held.push(await tp.connectDevice(device));

    const port = Number(new URL(tp.mqttUrl!).port);
    const extra = await rawConnection(port);
    extra.on('error', () => undefined);
    await closed(extra);
    expect(await tp.metric('spp_mqtt_connections_refused_total', { reason: 'capacity' })).toBe(1);
    const last = devices[MAX];
    const options = { clientId: last.id, username: last.id, password: last.secret, protocolVersion: 4 as const, reconnectPeriod: 0 };
    // allowRetries=false: a refused attempt rejects instead of waiting for a retry.
    await expect(connectAsync(tp.mqttUrl!, options, false)).rejects.toThrow();
    expect(await tp.metric('spp_mqtt_connections_refused_total', { reason: 'capacity' })).toBe(2);
    // The descriptors kept back serve the API meanwhile.
    expect((await fetch(`${tp.httpUrl}/health`)).status).toBe(200);
    expect((await tp.api('GET', '/api/v1/communities')).status).toBe(200);

    await held[0].endAsync();
    // The slot comes back once the broker has seen the connection close.
    const admitted = await waitFor(() => connectAsync(tp.mqttUrl!, options, false).catch(() => undefined), {
      timeoutMs: 30_000,
      intervalMs: 200,
      message: 'a connection admitted once one closed',
    });
    expect(admitted.connected).toBe(true);
    await admitted.endAsync();
  }, 180_000);
});
