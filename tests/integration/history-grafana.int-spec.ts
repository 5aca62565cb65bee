/**
 * The Grafana dashboards in deploy/grafana/dashboards parse, and every InfluxQL query in them
 * (template variables and panel targets, on both rollup resolutions) runs without error against
 * the InfluxDB the platform prepared (raw + rollup_1m + rollup_1h, contract §3) and finds data.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const DIR = join(__dirname, '..', '..', 'deploy', 'grafana', 'dashboards');
const MIN = 60_000;
const HOUR = 60 * MIN;

interface Dashboard {
  uid: string;
  title: string;
  templating: { list: Array<{ name: string; type: string; query: string }> };
  panels: Array<{ title: string; datasource: { uid: string }; targets: Array<{ refId: string; query: string; rawQuery: boolean }> }>;
}

const dashboards = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Dashboard }));

describe('Grafana dashboards (deploy/grafana)', () => {
  let tp: TestPlatform;
  let community = '';

  /** Grafana's substitutions: time filter, interval, the variables (All = .*), the resolution. */
  const substitute = (q: string, rp: string) =>
    q
      .replaceAll('$timeFilter', 'time > now() - 2d')
      .replaceAll('$__interval', '10m')
      .replaceAll('/^$community_id$/', `/^(${community})$/`)
      .replaceAll('/^$device_id$/', '/^(.*)$/')
      .replaceAll('$rp', rp);

  async function write(rp: string, lines: string[]): Promise<void> {
    const url = new URL(tp.influx.url);
    const res = await fetch(`${url.protocol}//${url.host}/write?db=${tp.influx.name}&rp=${rp}&precision=ms`, { method: 'POST', body: lines.join('\n') });
    if (res.status !== 204) throw new Error(`write ${rp}: ${res.status} ${await res.text()}`);
  }

  beforeAll(async () => {
    tp = await startTestPlatform();
    community = (await tp.createCommunity()).id;
    const c = `community_id=${community}`;
    const now = Date.now();
    const raw: string[] = [];
    for (let i = 0; i < 10; i++) {
      const ts = now - (10 - i) * MIN;
      raw.push(`elevator,${c},device_id=lift-1 mode="normal",direction="up",floor=${i}i,atLevel=true,door="closed",speed=1.5,occupied=true,power="mains",safetyCircuit="closed" ${ts}`);
      raw.push(`fire,${c},device_id=hyd-1,subtype=hydrant_pressure value=${400 + i},fault=false ${ts}`);
      raw.push(`fire,${c},device_id=tank-1,subtype=tank_level value=${8 - i * 0.1} ${ts}`);
      raw.push(`gate,${c},device_id=gate-1,lane=in barrier="${i === 5 ? 'fault' : 'closed'}" ${ts}`);
    }
    raw.push(`elevator,${c},device_id=lift-1 event="emergency_call",active=true ${now - 2 * MIN}`);
    raw.push(`fire,${c},device_id=hyd-1,subtype=hydrant_pressure event="fault",active=true ${now - 2 * MIN}`);
    await write('raw', raw);
    for (const [rp, step, n] of [['rollup_1m', MIN, 600], ['rollup_1h', HOUR, 30]] as const) {
      const lines: string[] = [];
      for (let i = 1; i <= n; i++) {
        const ts = Math.floor(now / step) * step - i * step;
        lines.push(`elevator,${c},device_id=lift-1 speed=1.2,speed_max=2,floor=${i % 10}i,readings=60i ${ts}`);
        lines.push(`fire,${c},device_id=hyd-1,subtype=hydrant_pressure value=420,value_min=380,value_max=460,readings=60i ${ts}`);
        lines.push(`fire,${c},device_id=tank-1,subtype=tank_level value=7.5,value_min=7.2,value_max=7.8,readings=60i ${ts}`);
        lines.push(`gate,${c},device_id=gate-1,lane=in readings=10i,vehicles=3i ${ts}`);
      }
      await write(rp, lines);
    }
  }, 60_000);

  afterAll(async () => {
    await tp?.close();
  });

  it('has the three dashboards, with the community/device/resolution variables', () => {
    expect(dashboards.map((d) => d.file)).toEqual(['elevators.json', 'fire.json', 'gates.json']);
    for (const { dashboard } of dashboards) {
      expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'community_id', 'device_id', 'rp']);
      for (const p of dashboard.panels) expect(p.datasource.uid).toBe('${datasource}');
    }
  });

  it.each(dashboards)('$file: every query runs against the platform InfluxDB and finds data', async ({ dashboard }) => {
    const ran: string[] = [];
    for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) {
      const rows = await tp.influxRows(substitute(v.query, 'rollup_1m'));
      expect({ variable: v.name, values: rows.length > 0 }).toEqual({ variable: v.name, values: true });
      ran.push(v.name);
    }
    for (const p of dashboard.panels) {
      for (const t of p.targets) {
        expect(t.rawQuery).toBe(true);
        for (const rp of t.query.includes('$rp') ? ['rollup_1m', 'rollup_1h'] : ['-']) {
          const rows = await tp.influxRows(substitute(t.query, rp));
          expect({ panel: p.title, target: t.refId, rp, found: rows.length > 0 }).toEqual({ panel: p.title, target: t.refId, rp, found: true });
          ran.push(`${p.title}/${t.refId}/${rp}`);
        }
      }
    }
    expect(ran.length).toBeGreaterThanOrEqual(5);
  });
});
