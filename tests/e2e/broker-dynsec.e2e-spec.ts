/**
 * MQTT_BROKER_AUTH=mosquitto-dynsec against a real Mosquitto 2 with its dynamic-security plugin
 * (an instance of this file's own, configured as deploy/ does): the platform creates, re-keys,
 * disables and enables the devices' broker clients as the registry changes, and reconciles the
 * broker after it was changed behind the platform's back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { freshInfluxDatabase, freshRedisPrefix, type FreshInflux } from '../support/databases';
import { DynsecMosquitto, type DynsecAdmin } from '../support/dynsec-mosquitto';
import { startTestPlatform, waitForInfluxRows, type TestPlatform } from '../support/platform';
import { nextEvent, waitFor } from '../support/wait';

describe('Mosquitto dynamic security keeps the devices of the registry', () => {
  let broker: DynsecMosquitto;
  let admin: DynsecAdmin;
  let platform: TestPlatform;
  let influx: FreshInflux;
  let dataDir: string;
  let redisPrefix: string;
  let communityId: string;
  const clients: MqttClient[] = [];

  const start = () => startTestPlatform({ env: broker.platformEnv(), dataDir, influx, redisPrefix });

  beforeAll(async () => {
    broker = await DynsecMosquitto.create();
    admin = await broker.admin();
    influx = freshInfluxDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'spp-dynsec-platform-'));
    redisPrefix = freshRedisPrefix();
    platform = await start();
    communityId = (await platform.createCommunity()).id;
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await platform?.close();
    await admin?.close();
    await influx?.drop().catch(() => undefined);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    await broker?.destroy();
  });

  /** Connects as a device (MQTT 5, so refusals come with reason codes); rejects when refused. */
  const connect = async (device: { id: string; secret: string }, options: IClientOptions = {}) => {
    const client = await connectAsync(broker.url, {
      clientId: device.id,
      username: device.id,
      password: device.secret,
      protocolVersion: 5,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...options,
    });
    clients.push(client);
    return client;
  };
  const refusal = (device: { id: string; secret: string }, options: IClientOptions = {}) =>
    connect(device, options).then(
      () => 'connected',
      (error: Error & { code?: number }) => error.code,
    );
  const provision = (extra: Record<string, unknown> = {}) => platform.provisionDevice(communityId, 'elevator', extra);
  const reading = (floor: number) => JSON.stringify({ mode: 'normal', direction: 'up', floor, atLevel: true, door: 'closed', speed: 1, occupied: false, power: 'mains', safetyCircuit: 'closed' });
  const brokerClient = async (id: string) => (await admin.run([{ command: 'getClient', username: id }]))[0];
  const health = async () => (await platform.api('GET', '/health', undefined, null)).body;

  it('reconciles on start and reports that the broker agrees with the registry', async () => {
    await waitFor(async () => (await health()).checks?.brokerRegistry?.lastReconciliation, { message: 'a first reconciliation' });
    const body = await health();
    expect(body.status).toBe('ok');
    expect(body.checks.brokerRegistry).toMatchObject({ status: 'ok', mode: 'mosquitto-dynsec', agrees: true });
    expect(body.checks.mqtt).toEqual({ status: 'ok' });
  });

  it('provision: the device connects at once and its readings are stored', async () => {
    const device = await provision();
    const client = await connect(device);
    await client.publishAsync(`v1/devices/${device.id}/telemetry`, reading(3), { qos: 1 });
    const rows = await waitForInfluxRows(platform, `SELECT "floor" FROM "elevator" WHERE "device_id" = '${device.id}'`, 1);
    expect(rows[0].floor).toBe(3);
    const listed = await brokerClient(device.id);
    expect(listed.data.client).toMatchObject({ username: device.id, clientid: device.id, groups: [{ groupname: 'spp-devices' }], roles: [{ rolename: `spp-device-${device.id}` }] });
  });

  it('refuses a wrong secret, a client id other than the device id, and an unknown device', async () => {
    const device = await provision();
    expect(await refusal({ id: device.id, secret: `${device.secret}x` })).toBe(135);
    expect(await refusal(device, { clientId: `${device.id}-other` })).toBe(135);
    expect(await refusal({ id: 'no-such-device', secret: device.secret })).toBe(135);
    // MQTT 3.1.1 clients get return code 5, "not authorized".
    expect(await refusal({ id: device.id, secret: 'wrong' }, { protocolVersion: 4 })).toBe(5);
  });

  it("refuses publishing into another device's topics and subscribing to its commands", async () => {
    const [a, b] = [await provision(), await provision()];
    const client = await connect(a);
    const foreign = await client.publishAsync(`v1/devices/${b.id}/telemetry`, reading(7), { qos: 1 }).then(
      () => 'accepted',
      (error: Error) => error.message,
    );
    expect(foreign).toMatch(/not authorized/i);
    await expect(client.subscribeAsync(`v1/devices/${b.id}/commands`, { qos: 1 })).rejects.toThrow(/not authorized/i);
    await expect(client.subscribeAsync('v1/devices/+/telemetry', { qos: 1 })).rejects.toThrow(/not authorized/i);
    await expect(client.subscribeAsync('#', { qos: 1 })).rejects.toThrow(/not authorized/i);
    // Nor may it send itself commands.
    await expect(client.publishAsync(`v1/devices/${a.id}/commands`, '{"id":"x","cmd":"open"}', { qos: 1 })).rejects.toThrow(/not authorized/i);
    // Its own topics still work on the same connection.
    await client.publishAsync(`v1/devices/${a.id}/telemetry`, reading(1), { qos: 1 });
    await expect(client.subscribeAsync(`v1/devices/${a.id}/commands`, { qos: 1 })).resolves.toBeDefined();
    expect(await platform.influxRows(`SELECT "floor" FROM "elevator" WHERE "device_id" = '${b.id}'`)).toEqual([]);
  });

  it('delivers platform commands to the device (the platform user may publish to commands)', async () => {
    const device = await platform.provisionDevice(communityId, 'gate');
    const client = await connect(device);
    await client.subscribeAsync(`v1/devices/${device.id}/commands`, { qos: 1 });
    const received = nextEvent<string>(client, 'message', 10_000);
    const { BrokerService } = await import('../../apps/platform/src/services/broker.service');
    await platform.platform.app.get(BrokerService).sendCommand(device.id, { id: 'c1', cmd: 'open', lane: 'in' });
    expect(await received).toBe(`v1/devices/${device.id}/commands`);
  });

  it('rotate: the connected device is dropped, the old secret is refused and the new one works', async () => {
    const device = await provision();
    const client = await connect(device);
    const dropped = nextEvent(client, 'close', 10_000);
    const rotated = await platform.api('POST', `/api/v1/devices/${device.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    await dropped;
    expect(await refusal(device)).toBe(135);
    const again = await connect({ id: device.id, secret: rotated.body.secret });
    await again.publishAsync(`v1/devices/${device.id}/telemetry`, reading(9), { qos: 1 });
  });

  it('disable: the device is disconnected by the broker and cannot reconnect; enable lets it back', async () => {
    const device = await provision();
    const client = await connect(device);
    const disconnected = nextEvent<{ reasonCode?: number }>(client, 'disconnect', 10_000);
    expect((await platform.api('POST', `/api/v1/devices/${device.id}/disable`)).status).toBe(200);
    expect((await disconnected).reasonCode).toBe(152); // "administrative action"
    expect(await refusal(device)).toBe(135);
    expect((await brokerClient(device.id)).data.client.disabled).toBe(true);

    expect((await platform.api('POST', `/api/v1/devices/${device.id}/enable`)).status).toBe(200);
    await connect(device);
  });

  it('a restarted platform reconciles a broker changed behind its back and reports the differences', async () => {
    const lost = await provision(); // deleted at the broker: its secret is gone with it
    const reEnabled = await provision(); // disabled here, enabled at the broker behind our back
    const reDisabled = await provision(); // enabled here, disabled at the broker behind our back
    const stripped = await provision(); // its topic permissions removed at the broker
    expect((await platform.api('POST', `/api/v1/devices/${reEnabled.id}/disable`)).status).toBe(200);
    await platform.close();

    const ghost = `ghost-${redisPrefix}`.slice(0, 64);
    const changes = await admin.run([
      { command: 'deleteClient', username: lost.id },
      { command: 'enableClient', username: reEnabled.id },
      { command: 'disableClient', username: reDisabled.id },
      { command: 'removeClientRole', username: stripped.id, rolename: `spp-device-${stripped.id}` },
      { command: 'createClient', username: ghost, password: 'ghost-secret', groups: [{ groupname: 'spp-devices' }] },
    ]);
    expect(changes.filter((c) => c.error)).toEqual([]);
    expect(await refusal(reDisabled)).toBe(135);

    platform = await start();
    const report = (await waitFor(async () => (await health()).checks?.brokerRegistry?.lastReconciliation)) as Record<string, any>;
    expect(report.fixed).toEqual({ created: 1, adopted: 0, permissionsRestored: 1, disabled: 2, enabled: 1 });
    expect(report.needsSecretRotation).toEqual({ count: 1, ids: [lost.id] });
    expect(report.unknownToRegistry).toEqual({ count: 1, ids: [ghost] });
    expect(report.agrees).toBe(false);
    const body = await health();
    expect(body.status).toBe('ok'); // a device waiting for a rotation does not make the process unready
    expect(body.checks.brokerRegistry).toMatchObject({ status: 'ok', agrees: false });
    expect(await platform.metric('spp_broker_registry_differences', { kind: 'needs_secret_rotation' })).toBe(1);

    await connect(reDisabled);
    await (await connect(stripped)).publishAsync(`v1/devices/${stripped.id}/telemetry`, reading(2), { qos: 1 });
    expect(await refusal(reEnabled)).toBe(135);
    expect(await refusal({ id: ghost, secret: 'ghost-secret' })).toBe(135);
    expect(await refusal(lost)).toBe(135); // recreated without its secret, disabled
    expect((await brokerClient(lost.id)).data.client).toMatchObject({ disabled: true, groups: expect.arrayContaining([{ groupname: 'spp-devices-needing-secret' }]) });
    // Enabling it here cannot let it in: only a rotation gives the broker a secret.
    expect((await platform.api('POST', `/api/v1/devices/${lost.id}/enable`)).status).toBe(200);
    expect(await refusal(lost)).toBe(135);

    const rotated = await platform.api('POST', `/api/v1/devices/${lost.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    await connect({ id: lost.id, secret: rotated.body.secret });
    const again = await platform.platform.app.get((await import('../../apps/platform/src/services/broker-registry.service')).BrokerRegistryService).reconcile();
    expect(again).toMatchObject({ agrees: true, fixed: { created: 0, adopted: 0, permissionsRestored: 0, disabled: 0, enabled: 0 }, unknownToRegistry: { count: 1 } });
    expect((await health()).checks.brokerRegistry.agrees).toBe(true);
  });

  it('refuses to provision a device named like a broker user the platform does not manage', async () => {
    const taken = await platform.api('POST', '/api/v1/devices', { communityId, kind: 'elevator', name: 'clash', id: 'spp-platform' });
    expect(taken.status).toBe(503);
    expect(taken.body.message).toMatch(/does not manage/);
    expect((await platform.api('GET', '/api/v1/devices/spp-platform')).status).toBe(404);
    // The platform's own user is untouched.
    const own = await connectAsync(broker.url, { username: 'spp-platform', password: broker.password, protocolVersion: 5, reconnectPeriod: 0 });
    await own.endAsync();
  });

  it('counts what it told the broker (since the restart)', async () => {
    expect(await platform.metric('spp_broker_registry_changes_total', { operation: 'rotate', outcome: 'ok' })).toBe(1);
    expect(await platform.metric('spp_broker_registry_changes_total', { operation: 'enable', outcome: 'ok' })).toBe(1);
    expect(await platform.metric('spp_broker_registry_changes_total', { operation: 'provision', outcome: 'failed' })).toBe(1);
    expect(await platform.metric('spp_broker_registry_reconciliations_total')).toBeGreaterThanOrEqual(2);
  });
});
