import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { drawSlotLottery } from './slot-lottery';

// Seed 004 三(四)2(2): added slots are let to owners first, possibly by lottery (摇号).
describe('the lottery for added parking slots (seed 004 三(四)2(2))', () => {
  const entrants = ['1栋101', '1栋102', '2栋201', '2栋202', '3栋301'];
  const slots = ['N-03', 'N-01', 'N-02'];

  it('gives the same result when re-run with the published seed, whatever the order of the lists', () => {
    const first = drawSlotLottery('2026-06-30 上证收盘 3021.45', entrants, slots);
    expect(drawSlotLottery('2026-06-30 上证收盘 3021.45', [...entrants].reverse(), [...slots].reverse())).toEqual(first);
    expect(first.assignments.map((a) => a.slot)).toEqual(['N-01', 'N-02', 'N-03']);
    expect(first.waiting).toHaveLength(2);
    expect(new Set([...first.assignments.map((a) => a.entrant), ...first.waiting])).toEqual(new Set(entrants));
  });

  it('ranks by SHA-256 of seed and entrant, which anyone can recompute', () => {
    const { ranking } = drawSlotLottery('s', ['a', 'b'], ['P1']);
    const digest = (e: string) => createHash('sha256').update(`s\n${e}`).digest('hex');
    expect(ranking.map((r) => r.digest)).toEqual([digest('a'), digest('b')].sort());
  });

  it('another seed draws another order', () => {
    const order = (seed: string) => drawSlotLottery(seed, entrants, slots).ranking.map((r) => r.entrant).join();
    expect(new Set(['a', 'b', 'c', 'd'].map(order)).size).toBeGreaterThan(1);
  });

  it('fewer entrants than slots: every entrant placed, slots in order, nobody waits; duplicates count once', () => {
    const result = drawSlotLottery('x', ['1栋101', '1栋101'], slots);
    expect(result.assignments).toEqual([{ slot: 'N-01', entrant: '1栋101' }]);
    expect(result.waiting).toEqual([]);
  });

  it('is a deterministic function of the seed and the sets (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.uniqueArray(fc.string({ minLength: 1 }), { maxLength: 20 }), fc.uniqueArray(fc.string({ minLength: 1 }), { maxLength: 10 }), (seed, es, ss) => {
        const a = drawSlotLottery(seed, es, ss);
        const b = drawSlotLottery(seed, [...es].reverse(), [...ss].reverse());
        expect(b).toEqual(a);
        expect(a.assignments.length + a.waiting.length).toBe(es.length);
        expect(a.assignments.length).toBe(Math.min(es.length, ss.length));
      }),
    );
  });
});
