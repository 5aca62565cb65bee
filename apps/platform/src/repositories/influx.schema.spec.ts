import { InfluxDB, type IPoint } from 'influx';
import { influxSchemas, lineProtocol } from './influx.schema';

/** What the `influx` client itself would send for `points` (its HTTP pool replaced by a recorder). */
async function clientLines(points: IPoint[]): Promise<string> {
  const client = new InfluxDB({ database: 'db', schema: influxSchemas.map((s) => ({ ...s, database: 'db' })) });
  let body = '';
  (client as unknown as { _pool: { discard(o: { body: string }): Promise<void> } })._pool = {
    discard: (o) => {
      body = o.body;
      return Promise.resolve();
    },
  };
  await client.writePoints(points, { precision: 'n', database: 'db' });
  return body;
}

describe('lineProtocol (contract §3 layout, written without the client)', () => {
  const tags = { community_id: 'c 1', device_id: 'dev,1=x' };
  const points: IPoint[] = [
    {
      measurement: 'elevator',
      tags,
      fields: { mode: 'normal', direction: 'stop', floor: 3, atLevel: true, door: 'closed', speed: 0.25, occupied: false, power: 'mains', safetyCircuit: 'closed' },
      timestamp: '1796072694871000123',
    },
    { measurement: 'fire', tags: { ...tags, subtype: 'hydrant_pressure' }, fields: { value: 351.5, fire: false, fault: true }, timestamp: '1796072694871000124' },
    { measurement: 'gate', tags: { ...tags, lane: 'in 1' }, fields: { event: 'vehicle', plate: '京A "12\\345', direction: 'in', confidence: 0.9 }, timestamp: '1796072694871000125' },
    { measurement: 'elevator', tags, fields: { event: 'overspeed', active: true }, timestamp: '1796072694871000126' },
  ];

  it('writes exactly what the influx client writes with the same schemas', async () => {
    expect(lineProtocol(points)).toBe(await clientLines(points));
  });

  it('writes integers with i, booleans T/F and escapes tags and strings', () => {
    expect(lineProtocol([points[0]])).toBe(
      'elevator,community_id=c\\ 1,device_id=dev\\,1\\=x atLevel=T,direction="stop",door="closed",floor=3i,mode="normal",occupied=F,power="mains",safetyCircuit="closed",speed=0.25 1796072694871000123',
    );
    expect(lineProtocol([points[2]])).toContain('plate="京A \\"12\\\\345"');
  });

  it('refuses a field outside the schema or of the wrong type, as the client does', () => {
    expect(() => lineProtocol([{ measurement: 'fire', tags, fields: { pressure: 1 } }])).toThrow(/outside/);
    expect(() => lineProtocol([{ measurement: 'elevator', tags, fields: { floor: 'three' } }])).toThrow(/number/);
  });
});
