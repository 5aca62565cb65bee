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

// The public board re-runs the draw in the browser with web/shared/slot-lottery.js (Web Crypto):
// it must give exactly what the server drew, on the board's published inputs.
describe('the browser re-run of the lottery (web/shared/slot-lottery.js)', () => {
  interface BrowserLottery {
    drawSlotLottery(seed: string, entrants: string[], slots: string[]): Promise<ReturnType<typeof drawSlotLottery>>;
    verifyLottery(lottery: { seed: string; entrants: string[]; slots: string[]; result: ReturnType<typeof drawSlotLottery> }): Promise<{ matches: boolean }>;
  }
  const modulePath: string = '../../web/shared/slot-lottery.js';
  const browser = () => import(modulePath) as Promise<BrowserLottery>;

  it('draws what the server draws, on the seed 004 example and on any inputs (property)', async () => {
    const web = await browser();
    const entrants = ['1栋101', '1栋102', '2栋201', '2栋202', '3栋301'];
    expect(await web.drawSlotLottery('2026-06-30 上证收盘 3021.45', entrants, ['N-03', 'N-01', 'N-02'])).toEqual(drawSlotLottery('2026-06-30 上证收盘 3021.45', entrants, ['N-03', 'N-01', 'N-02']));
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme' }), fc.array(fc.string({ minLength: 1, unit: 'grapheme' }), { maxLength: 15 }), fc.array(fc.string({ minLength: 1 }), { maxLength: 8 }), async (seed, es, ss) => {
        expect(await web.drawSlotLottery(seed, es, ss)).toEqual(drawSlotLottery(seed, es, ss));
      }),
      { numRuns: 200 },
    );
  });

  it('verifies a published result, whatever order its keys come back in, and catches a changed one', async () => {
    const web = await browser();
    const result = drawSlotLottery('seed', ['a', 'b', 'c'], ['P1', 'P2']);
    const fromJsonb = { ranking: result.ranking.map((r) => ({ digest: r.digest, entrant: r.entrant })), waiting: result.waiting, assignments: result.assignments.map((a) => ({ entrant: a.entrant, slot: a.slot })) };
    expect((await web.verifyLottery({ seed: 'seed', entrants: ['a', 'b', 'c'], slots: ['P1', 'P2'], result: fromJsonb })).matches).toBe(true);
    const swapped = { ...result, assignments: result.assignments.map((a, i, all) => ({ slot: a.slot, entrant: all[all.length - 1 - i].entrant })) };
    expect((await web.verifyLottery({ seed: 'seed', entrants: ['a', 'b', 'c'], slots: ['P1', 'P2'], result: swapped })).matches).toBe(false);
    expect((await web.verifyLottery({ seed: 'seed2', entrants: ['a', 'b', 'c'], slots: ['P1', 'P2'], result })).matches).toBe(false);
  });
});
