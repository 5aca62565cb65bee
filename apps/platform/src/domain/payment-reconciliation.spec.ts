import { fenToYuan, reconcile, yuanToFen, type Movement } from './payment-reconciliation';

// Seeds are silent on online payment; the rule is ordinary daily reconciliation (对账): each of the
// provider's trades and each of the platform's booked payments must meet its twin with the same amount.
const pay = (ref: string, fen: number): Movement => ({ kind: 'payment', ref, amountFen: BigInt(fen) });
const refund = (ref: string, fen: number): Movement => ({ kind: 'refund', ref, amountFen: BigInt(fen) });

describe('daily payment reconciliation', () => {
  it('a day where both sides agree has no mismatch', () => {
    expect(reconcile([pay('P1', 1500), refund('R1', 500)], [refund('R1', 500), pay('P1', 1500)])).toEqual({ matched: 2, mismatches: [] });
  });

  it('reports a trade the provider has and the platform never booked (a lost notification)', () => {
    expect(reconcile([], [pay('P9', 800)]).mismatches).toEqual([{ problem: 'missing_on_platform', kind: 'payment', ref: 'P9', providerFen: 800n }]);
  });

  it('reports a payment the platform booked that the provider does not know', () => {
    expect(reconcile([pay('P2', 300)], []).mismatches).toEqual([{ problem: 'missing_at_provider', kind: 'payment', ref: 'P2', platformFen: 300n }]);
  });

  it('reports an amount that differs, with both amounts', () => {
    expect(reconcile([pay('P3', 1000)], [pay('P3', 999)])).toEqual({ matched: 0, mismatches: [{ problem: 'amount_differs', kind: 'payment', ref: 'P3', platformFen: 1000n, providerFen: 999n }] });
  });

  it('a payment and a refund with the same reference are different movements', () => {
    expect(reconcile([pay('X', 100)], [refund('X', 100)]).mismatches.map((m) => `${m.problem}:${m.kind}`)).toEqual(['missing_at_provider:payment', 'missing_on_platform:refund']);
  });

  it('sums split lines of one reference before comparing, and lists mismatches in reference order', () => {
    const result = reconcile([refund('R5', 500), pay('B', 1), pay('A', 1)], [refund('R5', 200), refund('R5', 300)]);
    expect(result.matched).toBe(1);
    expect(result.mismatches.map((m) => m.ref)).toEqual(['A', 'B']);
  });
});

describe('yuan and fen on statements', () => {
  it('converts both ways without floating point, refunds shown negative', () => {
    expect(yuanToFen('12.5')).toBe(1250n);
    expect(yuanToFen('-0.01')).toBe(-1n);
    expect(fenToYuan(1250n)).toBe('12.50');
    expect(fenToYuan(-5n)).toBe('-0.05');
    expect(fenToYuan(-1250n)).toBe('-12.50');
    expect(() => yuanToFen('1.234')).toThrow(/not an amount/);
  });
});
