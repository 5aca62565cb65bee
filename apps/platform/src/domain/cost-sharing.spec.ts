import fc from 'fast-check';
import { areaToCenti, fenToYuan, shareCostByArea } from './cost-sharing';

const areaArb = fc
  .tuple(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 99 }))
  .filter(([whole, cents]) => whole > 0 || cents > 0)
  .map(([whole, cents]) => `${whole}.${String(cents).padStart(2, '0')}`);
const unitsArb = fc.uniqueArray(fc.record({ unitId: fc.uuid(), floorArea: areaArb }), { minLength: 1, maxLength: 60, selector: (u) => u.unitId });
const costArb = fc.bigInt({ min: 0n, max: 10_000_000_000n });

describe('cost sharing by floor area', () => {
  it('splits 100.00 yuan over 3 equal flats as 33.34 + 33.33 + 33.33, the odd fen to the smallest id', () => {
    const shares = shareCostByArea(10_000n, [
      { unitId: 'b', floorArea: '80' },
      { unitId: 'a', floorArea: '80.00' },
      { unitId: 'c', floorArea: '80.0' },
    ]);
    expect(shares.map((s) => [s.unitId, s.shareFen])).toEqual([
      ['b', 3333n],
      ['a', 3334n],
      ['c', 3333n],
    ]);
  });

  it('shares in proportion to area: 120 m² pays twice what 60 m² pays', () => {
    const shares = shareCostByArea(90_000n, [
      { unitId: 'u1', floorArea: '120.00' },
      { unitId: 'u2', floorArea: '60.00' },
      { unitId: 'u3', floorArea: '90.00' },
    ]);
    expect(shares.map((s) => s.shareFen)).toEqual([40_000n, 20_000n, 30_000n]);
  });

  it('gives leftover fen to the largest remainders, ties to the larger area', () => {
    // 1 fen over 2 units with areas 2 and 1: exact shares 0.667 and 0.333 → 1 and 0.
    expect(shareCostByArea(1n, [{ unitId: 'small', floorArea: '1' }, { unitId: 'big', floorArea: '2' }]).map((s) => s.shareFen)).toEqual([0n, 1n]);
  });

  it('refuses an empty scope, duplicate units, zero total area and bad area strings', () => {
    expect(() => shareCostByArea(100n, [])).toThrow('no units');
    expect(() => shareCostByArea(100n, [{ unitId: 'a', floorArea: '1' }, { unitId: 'a', floorArea: '2' }])).toThrow('twice');
    expect(() => shareCostByArea(100n, [{ unitId: 'a', floorArea: '0.00' }])).toThrow('no floor area');
    expect(() => areaToCenti('1.234')).toThrow('not a floor area');
    expect(() => areaToCenti('-1')).toThrow('not a floor area');
    expect(() => shareCostByArea(-1n, [{ unitId: 'a', floorArea: '1' }])).toThrow('negative');
  });

  it('formats fen as yuan', () => {
    expect(fenToYuan(123_456n)).toBe('1234.56');
    expect(fenToYuan(5n)).toBe('0.05');
    expect(fenToYuan(-5n)).toBe('-0.05');
  });

  it('property: shares always add up exactly to the cost', () => {
    fc.assert(
      fc.property(costArb, unitsArb, (cost, units) => {
        const shares = shareCostByArea(cost, units);
        expect(shares.reduce((s, x) => s + x.shareFen, 0n)).toBe(cost);
        expect(shares.every((s) => s.shareFen >= 0n)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('property: each share is within 1 fen of cost × area ÷ total (exact rational comparison)', () => {
    fc.assert(
      fc.property(costArb, unitsArb, (cost, units) => {
        const shares = shareCostByArea(cost, units);
        const total = shares.reduce((s, x) => s + x.areaCenti, 0n);
        for (const s of shares) {
          // |share − cost·area/total| < 1  ⇔  |share·total − cost·area| < total
          const diff = s.shareFen * total - cost * s.areaCenti;
          expect(diff < 0n ? -diff : diff).toBeLessThan(total);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('property: the result does not depend on the order of the units', () => {
    fc.assert(
      fc.property(costArb, unitsArb, fc.integer(), (cost, units, seed) => {
        const shuffled = [...units].sort((a, b) => ((a.unitId.charCodeAt(seed & 7) ?? 0) - (b.unitId.charCodeAt(seed & 7) ?? 0)) || (a.unitId < b.unitId ? 1 : -1));
        const byId = (xs: ReturnType<typeof shareCostByArea>) => Object.fromEntries(xs.map((x) => [x.unitId, x.shareFen]));
        expect(byId(shareCostByArea(cost, shuffled))).toEqual(byId(shareCostByArea(cost, units)));
      }),
      { numRuns: 200 },
    );
  });

  it('property: a larger area never pays less than a smaller one', () => {
    fc.assert(
      fc.property(costArb, unitsArb, (cost, units) => {
        const shares = shareCostByArea(cost, units);
        for (const a of shares) for (const b of shares) if (a.areaCenti > b.areaCenti) expect(a.shareFen >= b.shareFen).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
