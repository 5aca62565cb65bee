/**
 * Device presence: online on connect and on the status topic, offline through the last will when
 * the connection dies, offline through the heartbeat time-out when a device goes silent, and no
 * flapping when a device reconnects at once (the platform settles presence for 1 s): the device
 * ends online and socket.io clients never see a spurious offline → online.
 */
import { connect as tcpConnect } from 'node:net';
import type { MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import type { Socket } from 'socket.io-client';
import { EmbeddedBrokerRepository } from '../../apps/platform/src/repositories/embedded-broker.repository';
import { PRESENCE_SETTLE_MS } from '../../apps/platform/src/services/presence.service';
import { publishJson, startTestPlatform, type ProvisionedDevice, type TestPlatform } from '../support/platform';
import { testServices } from '../support/test-services';
import { nextEvent, waitFor } from '../support/wait';

interface StatusEvent {
  deviceId: string;
  communityId: string;
  online: boolean;
  ts: number;
}

const statusTopic = (id: string) => `v1/devices/${id}/status`;

/** Records every device.status a socket receives. */
function recordStatuses(socket: Socket): StatusEvent[] {
  const seen: StatusEvent[] = [];
  socket.on('device.status', (e: StatusEvent) => seen.push(e));
  return seen;
}

const nextStatus = (socket: Socket, deviceId: string, online: boolean, timeoutMs = 5000) =>
  nextEvent<StatusEvent>(socket, 'device.status', {
    filter: (e) => e.deviceId === deviceId && e.online === online,
    timeoutMs,
    message: `device.status ${online ? 'online' : 'offline'} for ${deviceId} within ${timeoutMs} ms`,
  });

describe('presence on the embedded broker', () => {
  let tp: TestPlatform;
  let communityId: string;
  let socket: Socket;
  let statuses: StatusEvent[];
  const suffix = Date.now().toString(36);

  const liveOnline = async (id: string) => (await tp.api('GET', `/api/v1/devices/${id}/live`)).body.online as boolean;

  /**
   * A barrier instead of a sleep: connecting another device yields its own device.status one
   * settle window after its report, so every presence report made before it has settled too.
   */
  const settleBarrier = async () => {
    const sentinel = await tp.provisionDevice(communityId, 'gate', { id: `pres-sentinel-${Math.random().toString(36).slice(2, 8)}` });
    const online = nextStatus(socket, sentinel.id, true);
    await tp.connectDevice(sentinel);
    await online;
  };

  beforeAll(async () => {
    tp = await startTestPlatform();
    communityId = (await tp.createCommunity()).id;
    socket = await tp.socket();
    statuses = recordStatuses(socket);
  });

  afterAll(async () => {
    await tp?.close();
  });

  it('keeps no retained copy of what devices publish (nobody may subscribe to it), so SUBSCRIBE does not scan them', async () => {
    const device = await tp.provisionDevice(communityId, 'gate', { id: `pres-retain-${suffix}` });
    const client = await tp.connectDevice(device);
    const dropped = await tp.metric('spp_mqtt_retain_dropped_total');
    const online = nextStatus(socket, device.id, true);
    await publishJson(client, statusTopic(device.id), 'online', 1, true);
    await online;
    expect(await tp.metric('spp_mqtt_retain_dropped_total')).toBe(dropped + 1);
    // aedes' own store of retained messages: empty for every topic.
    const aedes = (tp.platform.app.get(EmbeddedBrokerRepository) as unknown as { aedes: { persistence: { createRetainedStream(pattern: string): AsyncIterable<unknown> } } }).aedes;
    const retained: unknown[] = [];
    for await (const packet of aedes.persistence.createRetainedStream('#')) retained.push(packet);
    expect(retained).toEqual([]);
    client.end(true);
    await settleBarrier();
  });

  it('a device is online after connecting and announcing itself on its status topic', async () => {
    const device = await tp.provisionDevice(communityId, 'elevator', { id: `pres-on-${suffix}` });
    expect(await liveOnline(device.id)).toBe(false);
    const online = nextStatus(socket, device.id, true);
    const client = await tp.connectDevice(device);
    await publishJson(client, statusTopic(device.id), 'online', 1, true);
    const event = await online;
    expect(event).toEqual({ deviceId: device.id, communityId, online: true, ts: expect.any(Number) });
    await waitFor(() => liveOnline(device.id), { timeoutMs: 3000, message: 'live state online' });
    // Connect and status within one settle window give one event, not two.
    await settleBarrier();
    expect(statuses.filter((s) => s.deviceId === device.id)).toHaveLength(1);
  });

  it('a device whose connection dies is taken offline through its last will', async () => {
    const device = await tp.provisionDevice(communityId, 'fire', { subtype: 'smoke_detector', id: `pres-will-${suffix}` });
    const online = nextStatus(socket, device.id, true);
    const client = await tp.connectDevice(device);
    await publishJson(client, statusTopic(device.id), 'online', 1, true);
    await online;

    const offline = nextStatus(socket, device.id, false);
    const destroyedAt = Date.now();
    client.stream.destroy();
    const event = await offline;
    expect(event.communityId).toBe(communityId);
    // Presence is settled, not instant: at least the settle window after the connection died.
    expect(Date.now() - destroyedAt).toBeGreaterThanOrEqual(PRESENCE_SETTLE_MS - 50);
    expect(await liveOnline(device.id)).toBe(false);
  });

  it('a device that reconnects at once (takeover with the same clientId) stays online, without flapping', async () => {
    const device = await tp.provisionDevice(communityId, 'gate', { id: `pres-takeover-${suffix}` });
    const online = nextStatus(socket, device.id, true);
    const first = await tp.connectDevice(device);
    await publishJson(first, statusTopic(device.id), 'online', 1, true);
    await online;
    const before = statuses.filter((s) => s.deviceId === device.id).length;

    const firstClosed = nextEvent(first, 'close', 5000);
    const second = await tp.connectDevice(device);
    await firstClosed;
    await publishJson(second, statusTopic(device.id), 'online', 1, true);
    await settleBarrier();

    expect(second.connected).toBe(true);
    expect(await liveOnline(device.id)).toBe(true);
    const after = statuses.filter((s) => s.deviceId === device.id).slice(before);
    expect(after.filter((s) => !s.online)).toEqual([]);
  });

  it('a device whose socket dies and that reconnects at once stays online, without flapping', async () => {
    const device = await tp.provisionDevice(communityId, 'elevator', { id: `pres-reconnect-${suffix}` });
    const online = nextStatus(socket, device.id, true);
    const first = await tp.connectDevice(device);
    await publishJson(first, statusTopic(device.id), 'online', 1, true);
    await online;
    const before = statuses.filter((s) => s.deviceId === device.id).length;

    first.stream.destroy();
    const second = await tp.connectDevice(device);
    await publishJson(second, statusTopic(device.id), 'online', 1, true);
    await settleBarrier();

    expect(await liveOnline(device.id)).toBe(true);
    const after = statuses.filter((s) => s.deviceId === device.id).slice(before);
    expect(after.map((s) => s.online)).not.toContain(false);
  });

  it('a device that goes silent without closing its connection (half-open) is taken offline by the keep-alive', async () => {
    const device = await tp.provisionDevice(communityId, 'elevator', { id: `pres-silent-${suffix}` });
    const online = nextStatus(socket, device.id, true);
    // A raw MQTT connection with a 1 s keep-alive that, after CONNACK, never sends another byte.
    const url = new URL(tp.mqttUrl!);
    const raw = tcpConnect(Number(url.port), url.hostname);
    tp.defer(() => raw.destroy());
    await nextEvent(raw, 'connect', 5000);
    raw.write(
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        clientId: device.id,
        username: device.id,
        password: Buffer.from(device.secret),
        keepalive: 1,
        will: { topic: statusTopic(device.id), payload: Buffer.from('offline'), qos: 1, retain: true },
      } as mqttPacket.IConnectPacket),
    );
    const connack = await nextEvent<Buffer>(raw, 'data', 5000);
    expect(connack[0]).toBe(0x20); // CONNACK
    expect(connack[3]).toBe(0); // accepted
    await online;

    const offline = await nextStatus(socket, device.id, false, 10_000);
    expect(offline.communityId).toBe(communityId);
    expect(await liveOnline(device.id)).toBe(false);
  });

  it('the status topic alone drives presence: "offline" from a device that then disconnects cleanly', async () => {
    const device = await tp.provisionDevice(communityId, 'gate', { id: `pres-clean-${suffix}` });
    const online = nextStatus(socket, device.id, true);
    const client = await tp.connectDevice(device);
    await online;
    const offline = nextStatus(socket, device.id, false);
    await publishJson(client, statusTopic(device.id), 'offline', 1, true);
    await client.endAsync();
    await offline;
    expect(await liveOnline(device.id)).toBe(false);
  });
});

describe('presence by heartbeat time-out (external broker, no connection events)', () => {
  let tp: TestPlatform;
  let communityId: string;
  let socket: Socket;
  let device: ProvisionedDevice;
  let client: MqttClient;

  beforeAll(async () => {
    tp = await startTestPlatform({ env: { MQTT_URL: testServices().mqttExternalUrl, HEARTBEAT_TIMEOUT_S: '2' } });
    communityId = (await tp.createCommunity()).id;
    socket = await tp.socket();
    device = await tp.provisionDevice(communityId, 'fire', { subtype: 'tank_level', id: `pres-hb-${Date.now().toString(36)}` });
  });

  afterAll(async () => {
    // Clear the retained status on the shared Mosquitto.
    if (client?.connected) await client.publishAsync(statusTopic(device.id), '', { qos: 1, retain: true }).catch(() => undefined);
    await tp?.close();
  });

  it('marks a device offline once it has been silent for HEARTBEAT_TIMEOUT_S, and online again when it speaks', async () => {
    const online = nextStatus(socket, device.id, true);
    client = await tp.connectDevice(device, { will: undefined });
    await publishJson(client, statusTopic(device.id), 'online', 1, true);
    await publishJson(client, `v1/devices/${device.id}/telemetry`, { value: 3.2 });
    const lastMessageAt = Date.now();
    await online;

    // The device stays connected to the broker but says nothing: only the heartbeat can tell.
    const offline = await nextStatus(socket, device.id, false, 15_000);
    expect(offline.communityId).toBe(communityId);
    expect(Date.now() - lastMessageAt).toBeGreaterThanOrEqual(2000);
    expect(client.connected).toBe(true);
    expect((await tp.api('GET', `/api/v1/devices/${device.id}/live`)).body).toMatchObject({ online: false, state: { value: 3.2 } });

    const back = nextStatus(socket, device.id, true);
    await publishJson(client, `v1/devices/${device.id}/telemetry`, { value: 3.1 });
    await back;
    expect((await tp.api('GET', `/api/v1/devices/${device.id}/live`)).body.online).toBe(true);
  });
});
