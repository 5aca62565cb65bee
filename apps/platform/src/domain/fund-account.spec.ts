import { allocateByWeight, shareCostByArea } from './cost-sharing';
import {
  allocateInterest,
  allocateTransfer,
  depositEntry,
  fundAccounts,
  type FundJournalLine,
  type FundMovement,
  type FundMovementKind,
  interestEntry,
  openingEntry,
  shareEntry,
  statementAddsUp,
  sumStatements,
  transferEntry,
  unitStatements,
  yuanToFen,
} from './fund-account';
import { parseOpeningFile, validateOpeningRows } from './fund-opening-import';
import { accounts, trialBalance, UnbalancedEntryError } from './ledger';
import { unitKey } from './unit-import';

const C = 'c1';

/** mulberry32: a small seeded PRNG, so a failing year can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('maintenance-fund accounts (专项维修资金分户账)', () => {
  describe('postings are balanced journal entries', () => {
    it('a deposit: Dr the fund bank account / Cr the unit account', () => {
      expect(depositEntry(C, 'u1', 12_345n).map((l) => [l.account.key, l.debitFen, l.creditFen])).toEqual([
        ['c1:fund_bank', 12_345n, 0n],
        ['c1:fund_unit:u1', 0n, 12_345n],
      ]);
    });

    it("a case's shares: Dr each unit by its share / Cr the bank by the cost; a unit sharing 0 fen has no line", () => {
      const lines = shareEntry(C, [
        { unitId: 'u1', fen: 600n },
        { unitId: 'u2', fen: 0n },
        { unitId: 'u3', fen: 400n },
      ]);
      expect(lines.map((l) => [l.account.key, l.debitFen, l.creditFen])).toEqual([
        ['c1:fund_unit:u1', 600n, 0n],
        ['c1:fund_unit:u3', 400n, 0n],
        ['c1:fund_bank', 0n, 1_000n],
      ]);
    });

    it('a transfer of common income (004 三(四)3(1): 业主共有部分经营收益应当主要用于补充维修资金) debits the common_income liability of the parking ledger', () => {
      const lines = transferEntry(C, allocateTransfer(1_000n, [{ unitId: 'u1', floorArea: '60' }, { unitId: 'u2', floorArea: '40' }]));
      expect(lines[0]).toMatchObject({ account: accounts.commonIncome(C), debitFen: 1_000n });
      expect(lines.slice(1).map((l) => [l.account.key, l.creditFen])).toEqual([
        ['c1:fund_unit:u1', 600n],
        ['c1:fund_unit:u2', 400n],
      ]);
    });

    it('refuses negative amounts and a posting with nothing in it', () => {
      expect(() => depositEntry(C, 'u1', -1n)).toThrow(RangeError);
      expect(() => depositEntry(C, 'u1', 0n)).toThrow(UnbalancedEntryError);
    });
  });

  describe('amounts in yuan', () => {
    it('reads yuan with up to 2 decimals exactly, not through floats', () => {
      expect(yuanToFen('1234.5')).toBe(123_450n);
      expect(yuanToFen('0.07')).toBe(7n);
      expect(yuanToFen('90071992547409.93')).toBe(9_007_199_254_740_993n);
      for (const bad of ['-1', '1.234', '1,000', '']) expect(() => yuanToFen(bad)).toThrow(RangeError);
    });
  });

  describe('allocation and rounding', () => {
    it('interest: total = balance × rate rounded half up to the fen, split by balance, the odd fen to the largest remainder', () => {
      // 3 × 333.33 yuan at 0.35 %: 3.499965 → 3.50 yuan; each exact share 1.1666… → 116 fen, 2 fen left
      // to the (equal) remainders, ties to the smaller id.
      const { totalFen, amounts } = allocateInterest('0.0035', [
        { unitId: 'b', fen: 33_333n },
        { unitId: 'a', fen: 33_333n },
        { unitId: 'c', fen: 33_333n },
      ]);
      expect(totalFen).toBe(350n);
      expect(amounts).toEqual([
        { unitId: 'b', fen: 117n },
        { unitId: 'a', fen: 117n },
        { unitId: 'c', fen: 116n },
      ]);
    });

    it('interest: an account in deficit earns nothing and pays nothing', () => {
      const { totalFen, amounts } = allocateInterest('0.01', [
        { unitId: 'a', fen: 10_000n },
        { unitId: 'b', fen: -5_000n },
      ]);
      expect(totalFen).toBe(100n);
      expect(amounts).toEqual([
        { unitId: 'a', fen: 100n },
        { unitId: 'b', fen: 0n },
      ]);
    });

    it('does not depend on the order of the units', () => {
      const weights = [
        { unitId: 'x', weight: 7n },
        { unitId: 'y', weight: 7n },
        { unitId: 'z', weight: 3n },
      ];
      const forward = allocateByWeight(100n, weights);
      const backward = allocateByWeight(100n, [...weights].reverse());
      const byId = (a: Array<{ unitId: string; fen: bigint }>) => Object.fromEntries(a.map((p) => [p.unitId, p.fen]));
      expect(byId(forward)).toEqual(byId(backward));
      expect(forward.reduce((s, p) => s + p.fen, 0n)).toBe(100n);
    });

    it('a transfer is split by floor area exactly as a case cost is (民法典 Art. 283, domain/cost-sharing.ts)', () => {
      const units = [
        { unitId: 'u1', floorArea: '89.50' },
        { unitId: 'u2', floorArea: '120.00' },
        { unitId: 'u3', floorArea: '65.25' },
      ];
      expect(allocateTransfer(987_654n, units)).toEqual(shareCostByArea(987_654n, units).map((s) => ({ unitId: s.unitId, fen: s.shareFen })));
    });
  });

  describe('yearly statements', () => {
    it('puts movements before the year into the opening balance and the rest by kind', () => {
      const m = (kind: FundMovementKind, bookedOn: string, fen: bigint): FundMovement => ({ unitId: 'u1', kind, bookedOn, fen });
      const s = unitStatements([m('fund_opening', '2025-06-30', 10_000n), m('fund_deposit', '2026-01-01', 500n), m('fund_share', '2026-03-01', -300n), m('fund_interest', '2026-12-31', 7n), m('fund_transfer', '2026-05-01', 20n), m('fund_deposit', '2027-01-01', 999n)], 2026).get('u1')!;
      expect(s).toEqual({ openingFen: 10_000n, importedFen: 0n, depositsFen: 500n, sharesTakenFen: 300n, interestFen: 7n, transfersInFen: 20n, closingFen: 10_227n });
      expect(statementAddsUp(s)).toBe(true);
    });

    it.each([1, 2, 3, 42, 2026])(
      'a year of random activity (seed %i): Σ unit statements = community statement = ledger balances, to the fen',
      (seed) => {
        const rand = prng(seed);
        const int = (n: number) => Math.floor(rand() * n);
        const units = Array.from({ length: 5 + int(40) }, (_, i) => ({ unitId: `u${String(i).padStart(3, '0')}`, floorArea: `${30 + int(150)}.${String(int(100)).padStart(2, '0')}` }));
        const day = (year: number) => `${year}-${String(1 + int(12)).padStart(2, '0')}-${String(1 + int(28)).padStart(2, '0')}`;
        const entries: Array<{ kind: FundMovementKind; bookedOn: string; lines: FundJournalLine[] }> = [];
        const balances = new Map(units.map((u) => [u.unitId, 0n]));
        const post = (kind: FundMovementKind, bookedOn: string, lines: FundJournalLine[]) => {
          entries.push({ kind, bookedOn, lines });
          for (const l of lines) if (l.account.unitId) balances.set(l.account.unitId, balances.get(l.account.unitId)! + l.creditFen - l.debitFen);
        };
        // Parking common income accrued before (Cr common_income), so transfers have something to move.
        const commonIncome = [{ account: accounts.commonIncome(C), debitFen: 0n, creditFen: 50_000_000n }, { account: accounts.cash(C, 'cash'), debitFen: 50_000_000n, creditFen: 0n }];
        for (const u of units) if (rand() < 0.8) post('fund_opening', day(2025), openingEntry(C, u.unitId, BigInt(1 + int(5_000_000))));
        // The year in date order, so interest sees the balances of its day.
        const days = Array.from({ length: 120 }, () => day(2026)).sort();
        for (const d of days) {
          const r = rand();
          if (r < 0.5) post('fund_deposit', d, depositEntry(C, units[int(units.length)].unitId, BigInt(1 + int(300_000))));
          else if (r < 0.7) {
            const scope = units.filter(() => rand() < 0.4);
            if (scope.length) post('fund_share', d, shareEntry(C, shareCostByArea(BigInt(int(2_000_000)), scope).map((s) => ({ unitId: s.unitId, fen: s.shareFen }))));
          } else if (r < 0.85) {
            const { amounts } = allocateInterest(`0.00${1 + int(9)}${int(10)}`, [...balances].map(([unitId, fen]) => ({ unitId, fen })));
            if (amounts.some((a) => a.fen > 0n)) post('fund_interest', d, interestEntry(C, amounts));
          } else post('fund_transfer', d, transferEntry(C, allocateTransfer(BigInt(1 + int(200_000)), units)));
        }
        // Next year's activity must not leak into this year's statement.
        post('fund_deposit', '2027-01-01', depositEntry(C, units[0].unitId, 12_345n));

        const movements: FundMovement[] = entries.flatMap((e) => e.lines.filter((l) => l.account.unitId).map((l) => ({ unitId: l.account.unitId!, kind: e.kind, bookedOn: e.bookedOn, fen: l.creditFen - l.debitFen })));
        const perUnit = unitStatements(movements, 2026, units.map((u) => u.unitId));
        const community = sumStatements(perUnit.values());
        for (const s of perUnit.values()) expect(statementAddsUp(s)).toBe(true);
        expect(statementAddsUp(community)).toBe(true);

        // The ledger: every entry balances, and the unit accounts' credit balances at year end are the closings.
        const yearLines = [...commonIncome, ...entries.filter((e) => e.bookedOn <= '2026-12-31').flatMap((e) => e.lines)];
        const ledger = trialBalance(yearLines);
        expect([...ledger.values()].reduce((s, v) => s + v, 0n)).toBe(0n);
        for (const u of units) expect(-(ledger.get(fundAccounts.unit(C, u.unitId).key) ?? 0n)).toBe(perUnit.get(u.unitId)!.closingFen);
        const unitTotal = [...ledger].filter(([key]) => key.includes(':fund_unit:')).reduce((s, [, v]) => s - v, 0n);
        expect(community.closingFen).toBe(unitTotal);
        // Unit accounts = bank + common income moved in: Σ units = bank − Δ common income.
        const bank = ledger.get(fundAccounts.bank(C).key) ?? 0n;
        const moved = 50_000_000n + (ledger.get(accounts.commonIncome(C).key) ?? 0n);
        expect(unitTotal).toBe(bank + moved);
        expect(community.transfersInFen).toBe(moved);
      },
    );
  });
});

describe('opening-balance import (rows of readImportCsv, as the unit import)', () => {
  const units = new Map([
    [unitKey('A栋', '101'), 'u1'],
    [unitKey('A栋', '102'), 'u2'],
    [unitKey('B栋', '101'), 'u3'],
  ]);

  it('books each known unit once and reports every other row with its number and reason', async () => {
    const rows = await parseOpeningFile({ content: Buffer.from('\ufeffbuilding,number,balance\nA栋,101,1234.56\nA栋,999,10\nA栋,101,5\nA栋,102,-3\nB栋,101,7.1\nA栋,102\n') });
    const { valid, rejected } = validateOpeningRows(rows, units, new Set(['u3']));
    expect(valid).toEqual([{ row: 1, unitId: 'u1', fen: 123_456n }]);
    expect(rejected.map((r) => r.row)).toEqual([2, 3, 4, 5, 6]);
    expect(rejected[0].reason).toMatch(/unknown unit/);
    expect(rejected[1].reason).toMatch(/already on row 1/);
    expect(rejected[2].reason).toMatch(/balance/);
    expect(rejected[3].reason).toMatch(/already has an opening balance/);
    expect(rejected[4].reason).toMatch(/cells/);
  });

  it('refuses a file without the balance column', async () => {
    await expect(parseOpeningFile({ content: Buffer.from('building,number\nA栋,101\n') })).rejects.toThrow(/missing column/);
  });
});
