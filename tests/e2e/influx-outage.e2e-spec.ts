/**
 * Telemetry is not lost while InfluxDB is unreachable: this file runs an InfluxDB of its own
 * (tests/support/own-influx.ts), stops it while a device publishes, checks the points wait in the
 * ingestion write-ahead log (spp_influx_points_pending: its backlog) and /health reports InfluxDB,
 * then starts it again and waits until every point is stored. The long version under load:
 * tests/faults/ingest-durability.e2e-spec.ts.
 */
import type { MqttClient } from 'mqtt';
import { OwnInflux } from '../support/own-influx';
import { freePort } from '../support/processes';
import { publishJson, startTestPlatform, waitForInfluxRows, type ProvisionedDevice, type TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

describe('InfluxDB outage', () => {
  const N = 25;
  let influx: OwnInflux;
  let tp: TestPlatform;
  let device: ProvisionedDevice;
  let client: MqttClient;

  beforeAll(async () => {
    const [port, rpc] = [await freePort(), await freePort()];
    influx = new OwnInflux(port, rpc);
    await influx.start();
    const dbName = `outage_${Date.now().toString(36)}`;
    tp = await startTestPlatform({
      influx: { url: `${influx.url}/${dbName}`, name: dbName, drop: async () => undefined },
    });
    const community = await tp.createCommunity();
    device = await tp.provisionDevice(community.id, 'fire', { subtype: 'sprinkler_pressure', id: `outage-${Date.now().toString(36)}` });
    client = await tp.connectDevice(device);
  });

  afterAll(async () => {
    await tp?.close();
    await influx?.remove();
  });

  it('stores readings while InfluxDB is up (baseline)', async () => {
    // The platform prepares the database in the background: wait for the retention policy it makes.
    await waitFor(async () => (await tp.influxRows('SHOW RETENTION POLICIES')).some((r) => r.name === 'raw' && r.default), {
      timeoutMs: 10_000,
      message: 'platform prepared its InfluxDB database',
    });
    await publishJson(client, `v1/devices/${device.id}/telemetry`, { value: -1 });
    await waitForInfluxRows(tp, `SELECT "value" FROM "fire" WHERE "device_id" = '${device.id}'`, 1);
    await waitFor(async () => (await tp.metric('spp_influx_points_pending')) === 0, { timeoutMs: 30_000, message: 'nothing pending' });
    expect(await tp.metric('spp_influx_write_failures_total')).toBe(0);
  });

  it('keeps every point while InfluxDB is down, reports it in /health, and writes them all once it is back', async () => {
    await influx.stop();
    expect(await influx.ping()).toBe(false);

    const base = Date.now();
    for (let i = 0; i < N; i++) {
      await publishJson(client, `v1/devices/${device.id}/telemetry`, { ts: base + i * 10, value: i });
    }
    // A write was tried and failed, and all N points are still held.
    await waitFor(async () => (await tp.metric('spp_influx_write_failures_total')) >= 1, { timeoutMs: 10_000, message: 'a failed write' });
    await waitFor(async () => (await tp.metric('spp_influx_points_pending')) === N, {
      timeoutMs: 10_000,
      message: `spp_influx_points_pending = ${N}`,
    });
    expect(await tp.metric('spp_influx_points_dropped_total')).toBe(0);

    const health = await tp.api('GET', '/health', undefined, null);
    expect(health.status).toBe(503);
    expect(health.body.status).toBe('error');
    expect(health.body.checks.influx.status).toBe('error');
    expect(health.body.checks).toMatchObject({ database: { status: 'ok' }, redis: { status: 'ok' }, mqtt: { status: 'ok' } });
    // Live state does not depend on InfluxDB (it is merged in Redis as messages arrive: wait for the last one).
    await waitFor(async () => (await tp.api('GET', `/api/v1/devices/${device.id}/live`)).body?.state?.value === N - 1, {
      timeoutMs: 30_000,
      message: `live state shows the last reading (${N - 1})`,
    });

    await influx.start();
    const rows = await waitForInfluxRows(tp, `SELECT "value" FROM "fire" WHERE "device_id" = '${device.id}' AND time >= ${base}ms ORDER BY time`, N, 45_000);
    expect(rows.map((r) => r.value)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(rows.map((r) => r.time)).toEqual(Array.from({ length: N }, (_, i) => base + i * 10));
    await waitFor(async () => (await tp.metric('spp_influx_points_pending')) === 0, { timeoutMs: 30_000 });
    await waitFor(async () => (await tp.api('GET', '/health', undefined, null)).status === 200, { timeoutMs: 30_000, message: 'health ok again' });
    // Exactly once: the baseline point plus N, no duplicates from the retries.
    const count = await tp.influxRows(`SELECT count("value") FROM "fire" WHERE "device_id" = '${device.id}'`);
    expect(count[0].count).toBe(N + 1);
  });
});
