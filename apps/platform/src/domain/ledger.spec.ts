import fc from 'fast-check';
import { tariffRulesSchema } from '@app/contracts';
import { allocateTransfer, transferEntry } from './fund-account';
import { accounts, assertBalanced, billEntry, commonIncomeEntry, paymentEntry, refundEntry, splitRevenue, trialBalance, UnbalancedEntryError, type JournalLine } from './ledger';
import { priceStay } from './parking-tariff';

const C = '00000000-0000-4000-8000-000000000001';
const OWNER = '00000000-0000-4000-8000-0000000000aa';

describe('revenue split', () => {
  it('private slot, 5 % commission and 5 % platform fee on 1999 fen: 99 + 99, owner 1801', () => {
    expect(splitRevenue(1999n, OWNER, { commissionBp: 500, platformFeeBp: 500 })).toEqual({ ownerFen: 1801n, commissionFen: 99n, platformFeeFen: 99n, commonIncomeFen: 0n });
  });

  it('common-area slot: everything is the owners’ common income (art. 282)', () => {
    expect(splitRevenue(1999n, null, { commissionBp: 500, platformFeeBp: 500 })).toEqual({ ownerFen: 0n, commissionFen: 0n, platformFeeFen: 0n, commonIncomeFen: 1999n });
  });

  it('refuses a negative amount', () => {
    expect(() => splitRevenue(-1n, OWNER, { commissionBp: 0, platformFeeBp: 0 })).toThrow(RangeError);
  });

  it('property: the parts always sum exactly to the bill and none is negative', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.boolean(), fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 5000 }), (amount, privateSlot, c, p) => {
        const s = splitRevenue(amount, privateSlot ? OWNER : null, { commissionBp: c, platformFeeBp: p });
        expect(s.ownerFen + s.commissionFen + s.platformFeeFen + s.commonIncomeFen).toBe(amount);
        for (const v of Object.values(s)) expect(v >= 0n).toBe(true);
      }),
    );
  });
});

describe('journal entries', () => {
  const rates = { commissionBp: 1000, platformFeeBp: 500 };

  it('a bill, its payment and a partial refund', () => {
    const split = splitRevenue(1000n, OWNER, rates);
    const lines = [...billEntry(C, 1000n, OWNER, split), ...paymentEntry(C, 'cash', 1000n), ...refundEntry(C, 'cash', 200n, OWNER, rates)];
    const tb = trialBalance(lines);
    expect(tb.get(accounts.receivable(C).key)).toBe(0n);
    expect(tb.get(accounts.cash(C, 'cash').key)).toBe(800n);
    expect(tb.get(accounts.ownerPayable(C, OWNER).key)).toBe(-(850n - 170n));
    expect(tb.get(accounts.commission(C).key)).toBe(-(100n - 20n));
    expect(tb.get(accounts.platformFee(C).key)).toBe(-(50n - 10n));
  });

  it('a zero bill makes no entry', () => {
    expect(billEntry(C, 0n, null, splitRevenue(0n, null, rates))).toEqual([]);
  });

  it('refuses unbalanced, one-line, two-sided and negative entries', () => {
    const a = accounts.receivable(C);
    const b = accounts.commonIncome(C);
    expect(() => assertBalanced([{ account: a, debitFen: 10n, creditFen: 0n }, { account: b, debitFen: 0n, creditFen: 9n }])).toThrow(UnbalancedEntryError);
    expect(() => assertBalanced([{ account: a, debitFen: 10n, creditFen: 10n }])).toThrow(UnbalancedEntryError);
    expect(() => assertBalanced([{ account: a, debitFen: 0n, creditFen: 0n }, { account: b, debitFen: 0n, creditFen: 0n }])).toThrow(UnbalancedEntryError);
    expect(() => assertBalanced([{ account: a, debitFen: -5n, creditFen: 0n }, { account: b, debitFen: 0n, creditFen: -5n }])).toThrow(UnbalancedEntryError);
  });

  it('property: the ledger balances for any sequence of bills, payments and refunds', () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('bill' as const), amount: fc.bigInt({ min: 0n, max: 10n ** 9n }), private: fc.boolean() }),
      fc.record({ t: fc.constant('pay' as const), share: fc.integer({ min: 1, max: 100 }) }),
      fc.record({ t: fc.constant('refund' as const), share: fc.integer({ min: 1, max: 100 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 5000 }), (ops, c, p) => {
        const r = { commissionBp: c, platformFeeBp: p };
        const book: JournalLine[] = [];
        const bills: Array<{ amount: bigint; owner: string | null; paid: bigint; refunded: bigint }> = [];
        for (const o of ops) {
          if (o.t === 'bill') {
            const owner = o.private ? OWNER : null;
            book.push(...billEntry(C, o.amount, owner, splitRevenue(o.amount, owner, r)));
            bills.push({ amount: o.amount, owner, paid: 0n, refunded: 0n });
          } else if (bills.length > 0) {
            const b = bills[bills.length - 1];
            if (o.t === 'pay') {
              const due = b.amount - b.paid;
              const x = (due * BigInt(o.share)) / 100n;
              if (x > 0n) {
                book.push(...paymentEntry(C, 'cash', x));
                b.paid += x;
              }
            } else {
              const x = ((b.paid - b.refunded) * BigInt(o.share)) / 100n;
              if (x > 0n) {
                book.push(...refundEntry(C, 'cash', x, b.owner, r));
                b.refunded += x;
              }
            }
          }
        }
        let total = 0n;
        for (const v of trialBalance(book).values()) total += v;
        expect(total).toBe(0n);
        const tb = trialBalance(book);
        const billed = bills.reduce((s, b) => s + b.amount, 0n);
        const paid = bills.reduce((s, b) => s + b.paid, 0n);
        const refunded = bills.reduce((s, b) => s + b.refunded, 0n);
        expect(tb.get(accounts.receivable(C).key) ?? 0n).toBe(billed - paid);
        expect(tb.get(accounts.cash(C, 'cash').key) ?? 0n).toBe(paid - refunded);
      }),
    );
  });
});

describe('advertising and other common-area income (seed ../shared/seeds/004_592cdd860f3d4a71.txt)', () => {
  it('004 三(四)4(2) 投放广告…收入属于业主共有，单独建账: kept in the common income account of its own, beside parking', () => {
    const lines = commonIncomeEntry(C, 1_200_00n);
    expect(lines).toEqual([
      { account: accounts.commonIncomeBank(C), debitFen: 1_200_00n, creditFen: 0n },
      { account: accounts.commonIncome(C), debitFen: 0n, creditFen: 1_200_00n },
    ]);
    expect(() => commonIncomeEntry(C, 0n)).toThrow(RangeError);
    expect(() => commonIncomeEntry(C, -5n)).toThrow(RangeError);
  });

  it('004 三(四)3(1) 主要用于补充维修资金: a transfer into the fund draws on parking and advertising income alike, split by floor area', () => {
    const parking = billEntry(C, 300_00n, null, splitRevenue(300_00n, null, { commissionBp: 1000, platformFeeBp: 200 }));
    const advertising = commonIncomeEntry(C, 700_00n);
    const held = (book: JournalLine[]) => -(trialBalance(book).get(accounts.commonIncome(C).key) ?? 0n);
    expect(held([...parking, ...advertising])).toBe(1_000_00n);
    const units = [
      { unitId: 'u1', floorArea: '90.00' },
      { unitId: 'u2', floorArea: '110.00' },
    ];
    const transfer = transferEntry(C, allocateTransfer(1_000_00n, units));
    const book = [...parking, ...advertising, ...transfer];
    expect(held(book)).toBe(0n);
    const tb = trialBalance(book);
    expect(tb.get(`${C}:fund_unit:u1`)).toBe(-450_00n);
    expect(tb.get(`${C}:fund_unit:u2`)).toBe(-550_00n);
    expect([...tb.values()].reduce((a, b) => a + b, 0n)).toBe(0n);
  });
});

describe('pricing properties', () => {
  const TZ = 'Asia/Shanghai';
  const band = (name: string, start: string, end: string) =>
    fc.record({ name: fc.constant(name), start: fc.constant(start), end: fc.constant(end), unitMinutes: fc.integer({ min: 1, max: 120 }), unitPriceFen: fc.integer({ min: 0, max: 1000 }) });
  const pricing = fc.oneof(
    fc.tuple(band('all', '00:00', '00:00')).map((bands) => ({ mode: 'unit' as const, bands })),
    fc.tuple(band('day', '07:00', '19:00'), band('night', '19:00', '07:00')).map((bands) => ({ mode: 'unit' as const, bands })),
    fc.uniqueArray(fc.integer({ min: 1, max: 1440 }), { minLength: 1, maxLength: 5 }).chain((ups) =>
      fc.array(fc.integer({ min: 0, max: 500 }), { minLength: ups.length, maxLength: ups.length }).map((steps) => {
        const sorted = [...ups].sort((a, b) => a - b);
        let acc = 0;
        return { mode: 'tiered' as const, tiers: sorted.map((u, i) => ({ upToMinutes: u, amountFen: (acc += steps[i]) })) };
      }),
    ),
  );
  const rulesArb = fc
    .record({
      freeMinutes: fc.integer({ min: 0, max: 120 }),
      freeMode: fc.constantFrom('waiveIfUnder' as const, 'deduct' as const),
      pricing,
      cap: fc.option(fc.record({ amountFen: fc.integer({ min: 0, max: 5000 }), window: fc.constantFrom('calendarDay' as const, 'rolling24h' as const) }), { nil: undefined }),
      vehicleClassMultipliers: fc.constant({ large: '2' }),
      newEnergy: fc.option(fc.record({ multiplier: fc.constantFrom('0.5', '0.85', '1'), extraFreeMinutes: fc.integer({ min: 0, max: 60 }) }), { nil: undefined }),
      rounding: fc.record({ toFen: fc.constantFrom(1 as const, 10 as const, 100 as const), mode: fc.constantFrom('halfUp' as const, 'up' as const, 'down' as const) }),
    })
    .map((r) => tariffRulesSchema.parse(r));

  it('property: the price never decreases as the stay gets longer (tariffs without per-entry caps)', () => {
    fc.assert(
      fc.property(
        rulesArb,
        fc.integer({ min: Date.parse('2025-01-01T00:00:00Z'), max: Date.parse('2026-01-01T00:00:00Z') }),
        fc.integer({ min: 0, max: 4 * 1440 * 60_000 }),
        fc.integer({ min: 0, max: 1440 * 60_000 }),
        fc.constantFrom('small', 'large'),
        fc.constantFrom('沪A12345', '沪AD12345'),
        (rules, entryAt, d1, extra, vehicleClass, plate) => {
          const base = { entryAt, plate, vehicleClass, kind: 'visitor' as const };
          const a = priceStay(rules, { ...base, exitAt: entryAt + d1 }, { timeZone: TZ }).amountFen;
          const b = priceStay(rules, { ...base, exitAt: entryAt + d1 + extra }, { timeZone: TZ }).amountFen;
          expect(b >= a).toBe(true);
          expect(a >= 0n).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: with a calendar-day cap, no stay costs more than the cap × the days it touches (× multipliers)', () => {
    fc.assert(
      fc.property(rulesArb, fc.integer({ min: Date.parse('2025-01-01T00:00:00Z'), max: Date.parse('2026-01-01T00:00:00Z') }), fc.integer({ min: 0, max: 3 * 1440 * 60_000 }), (rules, entryAt, d) => {
        fc.pre(rules.cap?.window === 'calendarDay' && rules.rounding.toFen === 1 && rules.rounding.mode !== 'up');
        const r = priceStay(rules, { entryAt, exitAt: entryAt + d, plate: '沪A12345', vehicleClass: 'small', kind: 'visitor' }, { timeZone: TZ });
        const days = BigInt(Math.ceil((d + 2 * 86_400_000) / 86_400_000));
        expect(r.amountFen <= BigInt(rules.cap!.amountFen) * days).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
