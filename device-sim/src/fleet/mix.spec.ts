import { readingSchemas } from '@app/contracts';
import { FLEET_MIX, fleetDeviceType, FleetReadings } from './mix';

describe('fleet device mix', () => {
  it('has every slice of 100 devices in the stated proportions', () => {
    expect(FLEET_MIX.reduce((s, e) => s + e.per100, 0)).toBe(100);
    for (const start of [0, 100, 4200]) {
      const counts = new Map<string, number>();
      for (let i = start; i < start + 100; i++) {
        const t = fleetDeviceType(i);
        const key = `${t.kind}/${t.subtype}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      for (const e of FLEET_MIX) expect(counts.get(`${e.kind}/${e.subtype}`)).toBe(e.per100);
    }
  });

  it('interleaves kinds: the first ten devices are not all elevators', () => {
    const kinds = new Set(Array.from({ length: 10 }, (_, i) => fleetDeviceType(i).kind));
    expect(kinds.size).toBe(3);
  });

  it.each(FLEET_MIX.map((e) => [e.kind, e.subtype] as const))('%s/%s readings are valid contract payloads with the given ts, over time', (kind, subtype) => {
    const readings = new FleetReadings(kind, subtype, 11);
    let ts = 1_700_000_000_000;
    for (let i = 0; i < 40; i++) {
      ts += 30_000;
      const parsed = JSON.parse(readings.next(ts));
      expect(readingSchemas[kind].safeParse(parsed).success).toBe(true);
      expect(parsed.ts).toBe(ts);
    }
  });
});
