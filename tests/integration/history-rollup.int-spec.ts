/**
 * History over long ranges comes from the rollups (README: InfluxDB retention and rollups). Raw data
 * is kept 30 days, so a year of an elevator, a hydrant and a gate is written straight into
 * rollup_1h (and one old day into rollup_1m) with old timestamps; GET /devices/:id/telemetry then
 * has to answer from those rollups, aggregated server-side, within the request and quickly.
 */
import { startTestPlatform, type ProvisionedDevice, type TestPlatform } from '../support/platform';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const DAYS = 365;
/** Generous for a shared 2-core machine; a year of hourly rollups grouped by day takes a few ms. */
const FAST_MS = 2_000;

interface HistoryBody {
  measurement: string;
  every: string | null;
  points: Array<Record<string, unknown> & { time: string }>;
}

describe('history: long ranges answered from the rollups', () => {
  let tp: TestPlatform;
  let elevator: ProvisionedDevice;
  let hydrant: ProvisionedDevice;
  let gate: ProvisionedDevice;
  /** Midnight UTC a year before today's midnight: every rollup point is older than raw retention. */
  let start: number;

  async function writeLines(rp: string, lines: string[]): Promise<void> {
    const url = new URL(tp.influx.url);
    for (let i = 0; i < lines.length; i += 5000) {
      const res = await fetch(`${url.protocol}//${url.host}/write?db=${tp.influx.name}&rp=${rp}&precision=ms`, {
        method: 'POST',
        body: lines.slice(i, i + 5000).join('\n'),
      });
      if (res.status !== 204) throw new Error(`write to ${rp}: ${res.status} ${await res.text()}`);
    }
  }

  async function history(deviceId: string, from: number, to: number, every: string) {
    const qs = new URLSearchParams({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), every });
    const started = performance.now();
    const res = await tp.api<HistoryBody>('GET', `devices/${deviceId}/telemetry?${qs.toString()}`);
    return { ...res, ms: performance.now() - started };
  }

  const speedOfDay = (day: number) => 1 + (day % 5) * 0.25;
  const floorOfDay = (day: number) => (day % 20) + 1;
  const pressureOfDay = (day: number) => 300 + (day % 7) * 10;

  beforeAll(async () => {
    tp = await startTestPlatform();
    const community = await tp.createCommunity();
    elevator = await tp.provisionDevice(community.id, 'elevator');
    hydrant = await tp.provisionDevice(community.id, 'fire', { subtype: 'hydrant_pressure' });
    gate = await tp.provisionDevice(community.id, 'gate');

    start = Math.floor(Date.now() / DAY) * DAY - DAYS * DAY;
    const hourly: string[] = [];
    for (let h = 0; h < DAYS * 24; h++) {
      const day = Math.floor(h / 24);
      const ts = start + h * HOUR;
      const tags = (id: string) => `community_id=${community.id},device_id=${id}`;
      hourly.push(`elevator,${tags(elevator.id)} speed=${speedOfDay(day)},speed_max=2.5,floor=${floorOfDay(day)}i,readings=3600i ${ts}`);
      const p = pressureOfDay(day);
      hourly.push(`fire,${tags(hydrant.id)},subtype=hydrant_pressure value=${p},value_min=${p - 50 - (h % 24)},value_max=${p + 50},readings=60i ${ts}`);
      hourly.push(`gate,${tags(gate.id)} readings=12i,vehicles=${h % 24 === 8 ? 40 : 2}i ${ts}`);
    }
    await writeLines('rollup_1h', hourly);

    // one old day at minute resolution, 60 days ago: fine windows over old ranges use rollup_1m
    const minuteDay = start + (DAYS - 60) * DAY;
    const minutes: string[] = [];
    for (let m = 0; m < 24 * 60; m++) {
      minutes.push(`elevator,community_id=${community.id},device_id=${elevator.id} speed=0.5,speed_max=1.0,floor=${(m % 30) + 1}i,readings=60i ${minuteDay + m * 60_000}`);
    }
    await writeLines('rollup_1m', minutes);
  }, 120_000);

  afterAll(async () => {
    await tp?.close();
  });

  it('prepares the rollup retention policies next to raw', async () => {
    const rows = await tp.influxRows(`SHOW RETENTION POLICIES ON "${tp.influx.name}"`);
    expect(rows.map((r) => r.name)).toEqual(expect.arrayContaining(['raw', 'rollup_1h', 'rollup_1m']));
    expect(rows.find((r) => r.name === 'raw')?.default).toBe(true);
    // nothing of these devices is in raw: whatever the endpoint returns came from a rollup
    expect(await tp.influxRows(`SELECT count("speed") FROM "raw"."elevator" WHERE "device_id" = '${elevator.id}'`)).toEqual([]);
  });

  it('answers a year of an elevator with every=1d from rollup_1h, one point a day, fast', async () => {
    const res = await history(elevator.id, start, start + DAYS * DAY - 1, '1d');
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(FAST_MS);
    expect(res.body.measurement).toBe('elevator');
    expect(res.body.every).toBe('1d');
    expect(res.body.points).toHaveLength(DAYS);
    expect(res.body.points[0].time).toBe(new Date(start).toISOString());
    for (const day of [0, 1, 2, 3, 4, 100, DAYS - 1]) {
      const p = res.body.points[day];
      expect(p.time).toBe(new Date(start + day * DAY).toISOString());
      expect(p.speed).toBeCloseTo(speedOfDay(day), 6);
      expect(p.speed_max).toBe(2.5);
      expect(p.floor).toBe(floorOfDay(day));
      expect(p.readings).toBe(24 * 3600);
    }
  });

  it('answers a year of a hydrant with the min/max band and a gate with vehicles per day', async () => {
    const fire = await history(hydrant.id, start, start + DAYS * DAY - 1, '1d');
    expect(fire.status).toBe(200);
    expect(fire.ms).toBeLessThan(FAST_MS);
    expect(fire.body.points).toHaveLength(DAYS);
    const f = fire.body.points[10];
    expect(f.value).toBeCloseTo(pressureOfDay(10), 6);
    expect(f.value_min).toBe(pressureOfDay(10) - 50 - 23);
    expect(f.value_max).toBe(pressureOfDay(10) + 50);

    const g = await history(gate.id, start, start + DAYS * DAY - 1, '1d');
    expect(g.status).toBe(200);
    expect(g.ms).toBeLessThan(FAST_MS);
    expect(g.body.points).toHaveLength(DAYS);
    expect(g.body.points[42].vehicles).toBe(40 + 23 * 2);
  });

  it('answers the page-sized windows over a year (≤ ~1,000 points) from the rollups too', async () => {
    const res = await history(elevator.id, start, start + DAYS * DAY - 1, '12h');
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(FAST_MS);
    expect(res.body.points).toHaveLength(DAYS * 2);
  });

  it('answers fine windows over an old range from rollup_1m', async () => {
    const day = start + (DAYS - 60) * DAY;
    const res = await history(elevator.id, day, day + DAY - 1, '10m');
    expect(res.status).toBe(200);
    expect(res.body.points).toHaveLength(144);
    expect(res.body.points[0].speed).toBeCloseTo(0.5, 6);
    expect(res.body.points[0].readings).toBe(600);
  });

  it('refuses a window that would give more than 10,000 points over a year', async () => {
    const res = await history(elevator.id, start, start + DAYS * DAY - 1, '30m');
    expect(res.status).toBe(400);
  });
});
