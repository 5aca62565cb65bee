/**
 * Issue 9, fault table: PostgreSQL (server mode, DATABASE_URL) stopped for 30 s. REST answers
 * 503 with the reason, ingestion keeps storing telemetry in InfluxDB, nothing crashes, and the
 * platform serves normally again once PostgreSQL is back, without a restart. The server is the
 * test's own (stopping the run's shared one would disturb other tests).
 */
import { byScale, recordFault } from '../support/fault-report';
import { publishJson, startTestPlatform, waitForInfluxRows, type TestPlatform } from '../support/platform';
import { PrivatePostgres } from '../support/private-services';
import { waitFor } from '../support/wait';

const outageMs = byScale(30_000, 30_000);

describe('fault: PostgreSQL stopped (issue 9)', () => {
  let pg: PrivatePostgres;
  let tp: TestPlatform | undefined;

  beforeAll(async () => {
    pg = await PrivatePostgres.start();
  }, 120_000);
  afterAll(async () => {
    await tp?.close();
    await pg?.remove();
  });

  it('REST 503 with a reason, telemetry still stored, recovery without restart', async () => {
    tp = await startTestPlatform({ env: { DATABASE_URL: pg.url } });
    const community = await tp.createCommunity();
    const device = await tp.provisionDevice(community.id, 'fire', { subtype: 'sprinkler_pressure' });
    const client = await tp.connectDevice(device);
    await publishJson(client, `v1/devices/${device.id}/telemetry`, { value: -1 });
    await waitForInfluxRows(tp, `SELECT "value" FROM "fire" WHERE "device_id" = '${device.id}'`, 1, 60_000);

    await pg.stop();
    const stoppedAt = Date.now();
    const refused = await waitFor(
      async () => {
        const res = await tp!.api('GET', `communities/${community.id}`);
        return res.status === 503 ? res : null;
      },
      { timeoutMs: 60_000, intervalMs: 500, message: 'REST answers 503 while PostgreSQL is down' },
    );
    expect(refused.body).toMatchObject({ statusCode: 503, reason: 'database_unavailable' });
    expect(refused.body.message).toMatch(/database/);

    // Readings during the whole outage, one a second.
    let sent = 0;
    const base = Date.now();
    while (Date.now() - stoppedAt < outageMs) {
      await publishJson(client, `v1/devices/${device.id}/telemetry`, { ts: base + sent, value: sent });
      sent++;
      await waitFor(async () => Date.now() - base >= sent * 1000, { timeoutMs: 5000, intervalMs: 100 });
    }
    const duringOutage = await waitForInfluxRows(tp, `SELECT "value" FROM "fire" WHERE "device_id" = '${device.id}' AND time >= ${base}ms`, sent, 60_000);
    expect((await tp.api('GET', `communities/${community.id}`)).status).toBe(503);

    await pg.start();
    const restartedAt = Date.now();
    await waitFor(async () => (await tp!.api('GET', `communities/${community.id}`)).status === 200, { timeoutMs: 120_000, intervalMs: 500, message: 'REST serves again' });
    const recoverySeconds = (Date.now() - restartedAt) / 1000;
    await waitFor(async () => (await tp!.api('GET', '/health', undefined, null)).status === 200, { timeoutMs: 120_000, intervalMs: 500, message: 'health ok again' });
    // Writes work again too.
    expect((await tp.api('POST', 'communities', { name: 'after the outage', district: '鼓楼区', street: '东街' })).status).toBe(201);

    recordFault({
      fault: `PostgreSQL stopped ${Math.round(outageMs / 1000)} s (server mode)`,
      load: '1 device, 1 reading/s QoS 1; REST reads',
      acknowledged: sent,
      stored: duringOutage.length,
      lost: sent - duringOutage.length,
      duplicated: Math.max(0, duringOutage.length - sent),
      recoverySeconds,
      notes: 'REST 503 "database_unavailable" during the outage; no restart',
    });
  }, 600_000);
});
