/**
 * Readings and events that pass the contract's schemas but make awkward InfluxDB points: a fire
 * reading with neither value nor flags (a detector's bare heartbeat), a lane name InfluxDB's line
 * protocol cannot carry as a tag (trailing backslash). Such input must not be lost silently, must
 * not cost other points of the same batch, and the write metrics must tell the truth.
 */
import { IngestShipperService } from '../../apps/platform/src/services/ingest-shipper.service';
import { publishJson, startTestPlatform, waitForInfluxRows, type TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

describe('points InfluxDB finds awkward', () => {
  let tp: TestPlatform;
  let communityId: string;

  beforeAll(async () => {
    tp = await startTestPlatform();
    communityId = (await tp.createCommunity()).id;
  });
  afterAll(async () => {
    await tp?.close();
  });

  const storedRows = async () =>
    (await tp.influxRows('SELECT count("barrier") AS b, count("plate") AS p FROM "gate"')).reduce((n, r) => n + r.b + r.p, 0) +
    (await tp.influxRows('SELECT * FROM "fire"')).length;

  it('a fire reading with neither value nor flags is accepted without costing the batch or falsifying the metrics', async () => {
    const smoke = await tp.provisionDevice(communityId, 'fire', { subtype: 'smoke_detector', id: 'edge-smoke' });
    const gate = await tp.provisionDevice(communityId, 'gate', { id: 'edge-gate' });
    const smokeClient = await tp.connectDevice(smoke);
    const gateClient = await tp.connectDevice(gate);

    await publishJson(gateClient, 'v1/devices/edge-gate/telemetry', { barrier: 'closed' });
    // Valid per contract §2: value and every flag are optional.
    await publishJson(smokeClient, 'v1/devices/edge-smoke/telemetry', [{ flags: { fire: false } }, {}, { flags: {} }, { flags: { fault: true } }]);
    await tp.platform.app.get(IngestShipperService).drain(5000);

    expect(await tp.metric('spp_ingest_rejected_total')).toBe(0);
    const fire = await waitForInfluxRows(tp, `SELECT * FROM "fire" WHERE "device_id" = 'edge-smoke'`, 2);
    expect(fire.filter((r) => r.fire === false || r.fault === true)).toHaveLength(2);
    await waitForInfluxRows(tp, `SELECT * FROM "gate" WHERE "device_id" = 'edge-gate'`, 1);

    // The metrics match what InfluxDB holds: points it stored are not reported as dropped.
    const written = await tp.metric('spp_influx_points_written_total');
    const dropped = await tp.metric('spp_influx_points_dropped_total');
    expect({ written, dropped }).toEqual({ written: await storedRows(), dropped: expect.any(Number) });
    expect(dropped).toBeLessThanOrEqual(2); // at most the two readings that carry no field at all
    expect((await tp.api('GET', '/api/v1/devices/edge-smoke/live')).body.state).toMatchObject({ flags: { fire: false, fault: true } });
  });

  it('a vehicle event whose lane InfluxDB cannot tag is stored or dead-lettered, never silently lost', async () => {
    const gate = await tp.provisionDevice(communityId, 'gate', { id: 'edge-gate-lane' });
    const client = await tp.connectDevice(gate);
    const writtenBefore = await tp.metric('spp_influx_points_written_total');
    await publishJson(client, 'v1/devices/edge-gate-lane/events', { type: 'vehicle', lane: 'west\\', direction: 'in', plate: '沪B12345' });
    await publishJson(client, 'v1/devices/edge-gate-lane/events', { type: 'vehicle', lane: 'Gate 2, lane=in', direction: 'out', plate: '沪C54321' });
    await tp.platform.app.get(IngestShipperService).drain(5000);

    const rows = await waitForInfluxRows(tp, `SELECT * FROM "gate" WHERE "device_id" = 'edge-gate-lane'`, 1);
    expect(rows.find((r) => r.plate === '沪C54321')?.lane).toBe('Gate 2, lane=in');
    const stored = rows.some((r) => r.plate === '沪B12345');
    const deadLettered = await waitFor(
      async () => {
        if (stored) return true;
        const letters = (await tp.api('GET', '/api/v1/dead-letters')).body as Array<{ deviceId: string; payloadPrefix: string }>;
        return letters.some((l) => l.deviceId === 'edge-gate-lane' && l.payloadPrefix.includes('沪B12345'));
      },
      { timeoutMs: 2000, message: 'the vehicle with lane "west\\\\" is neither in InfluxDB nor in the dead letters' },
    ).catch((e: Error) => e);
    expect(deadLettered).toBe(true);
    expect((await tp.metric('spp_influx_points_written_total')) - writtenBefore).toBe(rows.length);
  });
});
