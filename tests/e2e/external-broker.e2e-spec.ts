/**
 * Two platform processes (ROLES=ingest,api) against an external broker (the run's Mosquitto)
 * share the device traffic through a shared subscription; with one PostgreSQL, one Redis prefix
 * and one InfluxDB database between them, every reading a device publishes is stored exactly
 * once, and both processes take part.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { freshInfluxDatabase, freshPostgresDatabase, freshRedisPrefix, type FreshInflux, type FreshPostgres } from '../support/databases';
import { startTestPlatform, waitForInfluxRows, type ProvisionedDevice, type TestPlatform } from '../support/platform';
import { testServices } from '../support/test-services';
import { waitFor } from '../support/wait';

describe('two ingest processes on an external broker', () => {
  // Below the test Mosquitto's default per-client queue (max_queued_messages 1000), see deploy/mosquitto.
  const M = 300;
  let postgres: FreshPostgres;
  let influx: FreshInflux;
  const dataDirs: string[] = [];
  const platforms: TestPlatform[] = [];
  const devices: MqttClient[] = [];
  let device: ProvisionedDevice;
  let second: ProvisionedDevice;

  beforeAll(async () => {
    postgres = await freshPostgresDatabase();
    influx = freshInfluxDatabase();
    const redisPrefix = freshRedisPrefix();
    const env = {
      ROLES: 'ingest,api',
      MQTT_URL: testServices().mqttExternalUrl,
      MQTT_SHARE_GROUP: `ext_${redisPrefix}`,
      DATABASE_URL: postgres.url,
    };
    // One after the other: the first start migrates and creates the administrator. A DATA_DIR each:
    // every process keeps its own ingestion write-ahead log.
    for (let i = 0; i < 2; i++) {
      dataDirs.push(mkdtempSync(join(tmpdir(), 'spp-ext-')));
      platforms.push(await startTestPlatform({ env, influx, redisPrefix, dataDir: dataDirs[i] }));
    }
    const community = await platforms[0].createCommunity();
    device = await platforms[0].provisionDevice(community.id, 'fire', { subtype: 'tank_level', id: `ext-${redisPrefix}`.slice(0, 64) });
    second = await platforms[1].provisionDevice(community.id, 'elevator', { id: `ext2-${redisPrefix}`.slice(0, 64) });
  });

  afterAll(async () => {
    await Promise.all(devices.map((c) => c.endAsync(true).catch(() => undefined)));
    for (const p of platforms) await p.close();
    await influx?.drop().catch(() => undefined);
    await postgres?.drop();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  const connect = async (id: string) => {
    const client = await connectAsync(testServices().mqttExternalUrl, { clientId: id, reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4 });
    devices.push(client);
    return client;
  };

  it('both processes are up, healthy and connected to the broker, without an embedded broker', async () => {
    for (const p of platforms) {
      expect(p.mqttUrl).toBe(testServices().mqttExternalUrl);
      const health = await p.api('GET', '/health', undefined, null);
      expect(health.body).toMatchObject({
        status: 'ok',
        // MQTT_BROKER_AUTH=manual: device credentials at this broker are not the platform's to keep.
        checks: { mqtt: { status: 'ok' }, database: { status: 'ok' }, brokerRegistry: { status: 'not_used', mode: 'manual' } },
      });
    }
    // Both see the device the other provisioned: one database.
    expect((await platforms[1].api('GET', `/api/v1/devices/${device.id}`)).status).toBe(200);
  });

  it('stores a burst of M readings (receive-time timestamps) exactly once, shared by both processes', async () => {
    const client = await connect(device.id);
    await Promise.all(
      Array.from({ length: M }, (_, i) => client.publishAsync(`v1/devices/${device.id}/telemetry`, JSON.stringify({ value: i }), { qos: 1 })),
    );
    const query = `SELECT "value" FROM "fire" WHERE "device_id" = '${device.id}'`;
    const rows = await waitForInfluxRows(platforms[0], query, M, 20_000).catch(async (error: Error) => {
      const got = await platforms[0].influxRows(query);
      const accepted = await Promise.all(platforms.map((p) => p.metric('spp_ingest_messages_total', { kind: 'fire', channel: 'telemetry' })));
      throw new Error(`${error.message}; InfluxDB holds ${got.length} of ${M} points while the processes accepted ${accepted.join(' + ')} messages`);
    });
    const values = rows.map((r) => r.value).sort((a, b) => a - b);
    expect(values).toEqual(Array.from({ length: M }, (_, i) => i));

    const perProcess = await Promise.all(platforms.map((p) => p.metric('spp_ingest_messages_total', { kind: 'fire', channel: 'telemetry' })));
    expect(perProcess[0]).toBeGreaterThan(0);
    expect(perProcess[1]).toBeGreaterThan(0);
    expect(perProcess[0] + perProcess[1]).toBe(M);
  });

  it('stores M readings with explicit distinct timestamps exactly once', async () => {
    const client = await connect(second.id);
    const base = Date.now() - 10 * 60_000;
    await Promise.all(
      Array.from({ length: M }, (_, i) =>
        client.publishAsync(
          `v1/devices/${second.id}/telemetry`,
          JSON.stringify({ ts: base + i, mode: 'normal', direction: 'up', floor: i, atLevel: true, door: 'closed', speed: 1, occupied: false, power: 'mains', safetyCircuit: 'closed' }),
          { qos: 1 },
        ),
      ),
    );
    const rows = await waitForInfluxRows(platforms[1], `SELECT "floor" FROM "elevator" WHERE "device_id" = '${second.id}'`, M, 20_000);
    expect(rows.map((r) => r.floor).sort((a, b) => a - b)).toEqual(Array.from({ length: M }, (_, i) => i));
    expect(new Set(rows.map((r) => r.time)).size).toBe(M);
    const perProcess = await Promise.all(platforms.map((p) => p.metric('spp_ingest_messages_total', { kind: 'elevator', channel: 'telemetry' })));
    expect(perProcess.every((n) => n > 0)).toBe(true);
  });

  it('shares live state between the processes through Redis', async () => {
    await waitFor(
      async () => {
        const [a, b] = await Promise.all(platforms.map((p) => p.api('GET', `/api/v1/devices/${second.id}/live`)));
        return a.body.state?.floor === M - 1 && b.body.state?.floor === M - 1;
      },
      { timeoutMs: 5000, message: 'both processes serve the newest state' },
    );
  });
});
