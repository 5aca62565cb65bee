import { tariffRulesSchema } from '@app/contracts';
import { amountDue, decideExit, paysAtExit, releasesOnPayment, type ExitCheck } from './exit-payment';
import { priceStay } from './parking-tariff';

const now = Date.parse('2025-06-02T18:00:00+08:00');
const min = 60_000;
const unpaid = (amountFen: bigint) => ({ amountFen, paidFen: 0n, refundedFen: 0n });
const check = (over: Partial<ExitCheck> = {}): ExitCheck => ({ kind: 'visitor', bill: unpaid(400n), paidAt: null, releasedAt: null, now, graceMin: 15, ...over });

// ../shared/reference/domain-rules.md §4.2: a government-guided visitor tariff, "first hour free,
// then 2 yuan/h, max 10 yuan per 24 h".
const visitorTariff = tariffRulesSchema.parse({
  freeMinutes: 60,
  pricing: { mode: 'unit', bands: [{ name: 'all', start: '00:00', end: '00:00', unitMinutes: 60, unitPriceFen: 200 }] },
  cap: { amountFen: 1000, window: 'rolling24h' },
});
const priced = (minutes: number) => priceStay(visitorTariff, { entryAt: now - minutes * min, exitAt: now, plate: '粤B12345', vehicleClass: 'small', kind: 'visitor' }, { timeZone: 'Asia/Shanghai' }).amountFen;

describe('paying at the exit', () => {
  it('visitors and booked guests pay at the lane; residents and emergency vehicles do not wait for a price', () => {
    expect(paysAtExit('visitor')).toBe(true);
    expect(paysAtExit('booking')).toBe(true);
    expect(paysAtExit('resident')).toBe(false);
    expect(paysAtExit('emergency')).toBe(false);
    expect(paysAtExit(undefined)).toBe(false);
    expect(decideExit(check({ kind: 'resident' }))).toEqual({ cmd: 'open', reason: 'exit' });
    expect(decideExit(check({ kind: 'emergency' }))).toEqual({ cmd: 'open', reason: 'exit' });
  });

  it('a visitor within the free hour (§4.3 free grace period) opens at once; beyond it the lane holds for what is due', () => {
    expect(priced(59)).toBe(0n);
    expect(decideExit(check({ bill: unpaid(priced(59)) }))).toEqual({ cmd: 'open', reason: 'exit' });
    // 3 h: billed from arrival once the free hour is exceeded, 3 × 2 yuan.
    expect(priced(180)).toBe(600n);
    expect(decideExit(check({ bill: unpaid(priced(180)) }))).toEqual({ cmd: 'hold', reason: 'payment_due', dueFen: 600n });
    // 10 h: the 10-yuan cap.
    expect(decideExit(check({ bill: unpaid(priced(600)) }))).toEqual({ cmd: 'hold', reason: 'payment_due', dueFen: 1000n });
  });

  it('part-paid holds for the rest; a refund makes the refunded money due again', () => {
    expect(amountDue({ amountFen: 600n, paidFen: 200n, refundedFen: 0n })).toBe(400n);
    expect(decideExit(check({ bill: { amountFen: 600n, paidFen: 200n, refundedFen: 0n }, paidAt: now - min }))).toEqual({ cmd: 'hold', reason: 'payment_due', dueFen: 400n });
    expect(decideExit(check({ bill: { amountFen: 600n, paidFen: 600n, refundedFen: 600n }, paidAt: now - min }))).toEqual({ cmd: 'hold', reason: 'payment_due', dueFen: 600n });
    expect(amountDue({ amountFen: 600n, paidFen: 600n, refundedFen: 0n })).toBe(0n);
  });

  it('paid in advance opens within the grace after paying (15 min), to a person after it', () => {
    const paid = { amountFen: 600n, paidFen: 600n, refundedFen: 0n };
    expect(decideExit(check({ bill: paid, paidAt: now - 15 * min }))).toEqual({ cmd: 'open', reason: 'paid' });
    expect(decideExit(check({ bill: paid, paidAt: now - 15 * min - 1 }))).toEqual({ cmd: 'hold', reason: 'paid_grace_expired', toPerson: true });
    // The latest of payment and the lane's release counts (the car was let out by staff a minute ago).
    expect(decideExit(check({ bill: paid, paidAt: now - 60 * min, releasedAt: now - min }))).toEqual({ cmd: 'open', reason: 'paid' });
    // Grace 0: only a read at the very moment of payment.
    expect(decideExit(check({ bill: paid, paidAt: now - 1, graceMin: 0 }))).toMatchObject({ cmd: 'hold', reason: 'paid_grace_expired' });
  });

  it('a held lane opens on payment only when the bill is paid in full and not refunded', () => {
    expect(releasesOnPayment({ amountFen: 600n, paidFen: 600n, refundedFen: 0n })).toBe(true);
    expect(releasesOnPayment({ amountFen: 600n, paidFen: 300n, refundedFen: 0n })).toBe(false);
    expect(releasesOnPayment({ amountFen: 600n, paidFen: 600n, refundedFen: 100n })).toBe(false);
    expect(releasesOnPayment({ amountFen: 0n, paidFen: 0n, refundedFen: 0n })).toBe(false);
  });
});
