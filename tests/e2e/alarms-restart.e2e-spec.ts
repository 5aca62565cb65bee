/**
 * Alarm rule state survives a platform restart (Redis), on real PostgreSQL: a trapped-passenger
 * condition begins, the platform stops before the hold has passed, and after the restart the
 * alarm is raised at the right time without any further reading; the open alarm is still one
 * row after another restart, and a fire event on a hydrant sensor goes through too.
 */
import Redis from 'ioredis';
import { freshInfluxDatabase, freshPostgresDatabase, type FreshPostgres } from '../support/databases';
import { elevatorReading, publishJson, startTestPlatform, type TestPlatform } from '../support/platform';
import { testServices } from '../support/test-services';
import { nextEvent, waitFor } from '../support/wait';

/** The trapped hold: long enough that a busy machine stops the platform before it passes. */
const HOLD_S = 10;

describe('alarms across a restart (PostgreSQL)', () => {
  let pg: FreshPostgres;
  let tp: TestPlatform | undefined;
  const influx = freshInfluxDatabase();
  const redisPrefix = `alarmrestart${Date.now()}`;
  const redis = new Redis(testServices().redisUrl);

  const start = () => startTestPlatform({ env: { DATABASE_URL: pg.url }, redisPrefix, influx });

  beforeAll(async () => {
    pg = await freshPostgresDatabase();
  });
  afterAll(async () => {
    await tp?.close();
    await influx.drop().catch(() => undefined);
    await pg?.drop();
    redis.disconnect();
  });

  it('raises after the restart from the stored rule state, and keeps one open alarm', async () => {
    tp = await start();
    const community = await tp.createCommunity();
    const lift = await tp.provisionDevice(community.id, 'elevator');
    expect((await tp.api('PUT', `/api/v1/alarm-settings/devices/${lift.id}`, { thresholds: { trappedHoldS: HOLD_S } })).status).toBe(200);
    const client = await tp.connectDevice(lift);
    const began = Date.now();
    await publishJson(client, `v1/devices/${lift.id}/telemetry`, elevatorReading({ occupied: true, atLevel: true, door: 'closed' }));
    // the rule state reaches Redis in the next batch
    const stored = await waitFor(() => redis.hget(`${redisPrefix}:alarm-rule-state`, lift.id), { message: 'rule state in Redis' });
    expect(JSON.parse(stored)).toHaveProperty(['infer.trapped_at_level']);
    await client.endAsync(true);
    await tp.close();
    expect(Date.now() - began).toBeLessThan(HOLD_S * 1000); // stopped before the hold passed

    tp = await start();
    // Read over REST, not as a socket event: on a busy machine the start-up itself can outlast the
    // hold, and the alarm is then raised before any socket could subscribe.
    const platform = tp;
    const raised = await waitFor(
      async () => (await platform.api('GET', `/api/v1/alarms?deviceId=${lift.id}&state=active`)).body[0] as { alarmId: string; type: string } | undefined,
      { timeoutMs: 30_000, message: 'alarm raised after the restart' },
    );
    expect(raised.type).toBe('trapped_at_level');
    expect(Date.now() - began).toBeGreaterThanOrEqual(HOLD_S * 1000);
    await tp.close();

    tp = await start();
    const list = await tp.api('GET', `/api/v1/alarms?deviceId=${lift.id}&state=active`);
    expect(list.body).toEqual([expect.objectContaining({ alarmId: raised.alarmId, type: 'trapped_at_level', count: 1 })]);
    // a fresh reading with the condition still holding does not duplicate the open alarm
    const again = await tp.connectDevice(lift);
    await publishJson(again, `v1/devices/${lift.id}/telemetry`, elevatorReading({ occupied: true }));
    const hydrant = await tp.provisionDevice(community.id, 'fire', { subtype: 'hydrant_pressure' });
    const socket2 = await tp.socket();
    const fire = nextEvent<{ type: string; severity: number }>(socket2, 'alarm.raised', { filter: (e) => e.type === 'fire' });
    const h = await tp.connectDevice(hydrant);
    await publishJson(h, `v1/devices/${hydrant.id}/events`, { type: 'fire', active: true, zone: 'B1' });
    expect((await fire).severity).toBe(1);
    const after = await tp.api('GET', `/api/v1/alarms?deviceId=${lift.id}`);
    expect(after.body).toHaveLength(1);
  });
});
