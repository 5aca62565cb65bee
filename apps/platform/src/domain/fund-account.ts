/**
 * Maintenance-fund accounts per unit (专项维修资金分户账, issue 13 §4), pure. Amounts are BigInt fen.
 *
 * Each unit's account is a liability of the fund to the unit's owners (004 三(四)3(1): the fund
 * "属于业主所有"); the money itself sits in the fund's bank account (专户), an asset. Every movement
 * is one balanced journal entry in the community's ledger (domain/ledger.ts):
 *  - opening balance, deposit (缴存): Dr fund_bank / Cr fund_unit
 *  - a disclosed green-channel case's shares: Dr fund_unit (each share) / Cr fund_bank (the cost)
 *  - interest: Dr fund_bank / Cr fund_unit (split by balance)
 *  - a transfer of common income (004 三(四)3(1) "业主共有部分经营收益应当主要用于补充维修资金";
 *    三(四)4(2) kept in its own account): Dr common_income / Cr fund_unit (split by floor area).
 */
import { allocateByWeight, shareCostByArea, type AreaShareInput } from './cost-sharing';
import { accounts, assertBalanced, type AccountRef, type JournalLine } from './ledger';

export const fundMovementKinds = ['fund_opening', 'fund_deposit', 'fund_share', 'fund_interest', 'fund_transfer'] as const;
export type FundMovementKind = (typeof fundMovementKinds)[number];

export interface FundAccountRef extends AccountRef {
  unitId?: string;
}

export interface FundJournalLine extends JournalLine {
  account: FundAccountRef;
}

export const fundAccounts = {
  unit: (c: string, unitId: string): FundAccountRef => ({ key: `${c}:fund_unit:${unitId}`, kind: 'liability', name: 'Maintenance fund unit account (分户账)', unitId }),
  bank: (c: string): FundAccountRef => ({ key: `${c}:fund_bank`, kind: 'asset', name: 'Maintenance fund bank account (专户)' }),
};

/** What one unit gets or gives in a posting. */
export interface UnitAmount {
  unitId: string;
  fen: bigint;
}

const dr = (account: FundAccountRef, fen: bigint): FundJournalLine => ({ account, debitFen: fen, creditFen: 0n });
const cr = (account: FundAccountRef, fen: bigint): FundJournalLine => ({ account, debitFen: 0n, creditFen: fen });
const total = (amounts: readonly UnitAmount[]) => amounts.reduce((s, a) => s + a.fen, 0n);

/** Money into unit accounts from `from` (the bank for opening, deposit and interest; common income for a transfer). Units getting 0 have no line. */
function creditUnits(communityId: string, from: FundAccountRef, amounts: readonly UnitAmount[]): FundJournalLine[] {
  const paid = amounts.filter((a) => a.fen > 0n);
  if (amounts.some((a) => a.fen < 0n)) throw new RangeError('negative amount');
  return assertBalanced([dr(from, total(paid)), ...paid.map((a) => cr(fundAccounts.unit(communityId, a.unitId), a.fen))]) as FundJournalLine[];
}

export const openingEntry = (c: string, unitId: string, fen: bigint) => creditUnits(c, fundAccounts.bank(c), [{ unitId, fen }]);
export const depositEntry = (c: string, unitId: string, fen: bigint) => creditUnits(c, fundAccounts.bank(c), [{ unitId, fen }]);
export const interestEntry = (c: string, amounts: readonly UnitAmount[]) => creditUnits(c, fundAccounts.bank(c), amounts);
export const transferEntry = (c: string, amounts: readonly UnitAmount[]) => creditUnits(c, accounts.commonIncome(c), amounts);

/** A disclosed case's cost taken from the units of its charge scope, each by its share (domain/cost-sharing.ts). */
export function shareEntry(c: string, shares: readonly UnitAmount[]): FundJournalLine[] {
  const taken = shares.filter((s) => s.fen > 0n);
  if (shares.some((s) => s.fen < 0n)) throw new RangeError('negative share');
  return assertBalanced([...taken.map((s) => dr(fundAccounts.unit(c, s.unitId), s.fen)), cr(fundAccounts.bank(c), total(taken))]) as FundJournalLine[];
}

/** "1234.5" yuan → 123450n fen. Rejects negatives and more than 2 decimals. */
export function yuanToFen(yuan: string): bigint {
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(yuan.trim());
  if (!m) throw new RangeError(`not an amount in yuan: "${yuan}"`);
  return BigInt(m[1]) * 100n + BigInt((m[2] ?? '').padEnd(2, '0'));
}

/** A rate as a decimal string ("0.0035" = 0.35 %) → an exact fraction. */
export function parseRate(rate: string): { numerator: bigint; denominator: bigint } {
  const m = /^(\d+)(?:\.(\d{1,8}))?$/.exec(rate.trim());
  if (!m) throw new RangeError(`not a rate: "${rate}"`);
  const decimals = m[2] ?? '';
  return { numerator: BigInt(m[1] + decimals), denominator: 10n ** BigInt(decimals.length) };
}


/**
 * Interest of a posting: the total is the community's balance × rate rounded half up to the fen,
 * split over the units by balance (largest remainder), so the parts reconcile with the total.
 * An account in deficit (shares taken beyond its balance) earns nothing and is charged nothing.
 */
export function allocateInterest(rate: string, balances: readonly UnitAmount[]): { totalFen: bigint; amounts: UnitAmount[] } {
  const { numerator, denominator } = parseRate(rate);
  const weights = balances.map((b) => ({ unitId: b.unitId, weight: b.fen > 0n ? b.fen : 0n }));
  const base = weights.reduce((s, w) => s + w.weight, 0n);
  const totalFen = (2n * base * numerator + denominator) / (2n * denominator);
  return { totalFen, amounts: totalFen === 0n ? [] : allocateByWeight(totalFen, weights) };
}

/** A transfer of common income into the fund, split by floor area like a case's cost (民法典 Art. 283). */
export function allocateTransfer(amountFen: bigint, units: readonly AreaShareInput[]): UnitAmount[] {
  return shareCostByArea(amountFen, units).map((s) => ({ unitId: s.unitId, fen: s.shareFen }));
}

// ---------------------------------------------------------------- statements

/** One line on a unit's account: + into it, − out of it (credit − debit). */
export interface FundMovement {
  unitId: string;
  kind: FundMovementKind;
  /** Local day YYYY-MM-DD. */
  bookedOn: string;
  fen: bigint;
}

/** A year of an account (or of a community's accounts), every figure in fen; shares taken is positive. */
export interface FundStatement {
  openingFen: bigint;
  /** Opening balances imported during the year (accounts brought onto the platform). */
  importedFen: bigint;
  depositsFen: bigint;
  sharesTakenFen: bigint;
  interestFen: bigint;
  transfersInFen: bigint;
  closingFen: bigint;
}

export const emptyStatement = (): FundStatement => ({ openingFen: 0n, importedFen: 0n, depositsFen: 0n, sharesTakenFen: 0n, interestFen: 0n, transfersInFen: 0n, closingFen: 0n });

const field: Record<FundMovementKind, Exclude<keyof FundStatement, 'openingFen' | 'closingFen'>> = {
  fund_opening: 'importedFen',
  fund_deposit: 'depositsFen',
  fund_share: 'sharesTakenFen',
  fund_interest: 'interestFen',
  fund_transfer: 'transfersInFen',
};

/** Each unit's statement of a year from its movements (any order); units named in `unitIds` but without movements get an empty one. */
export function unitStatements(movements: readonly FundMovement[], year: number, unitIds: readonly string[] = []): Map<string, FundStatement> {
  const from = `${year}-01-01`;
  const to = `${year}-12-31`;
  const result = new Map<string, FundStatement>(unitIds.map((id) => [id, emptyStatement()]));
  for (const m of movements) {
    if (m.bookedOn > to) continue;
    const s = result.get(m.unitId) ?? emptyStatement();
    result.set(m.unitId, s);
    if (m.bookedOn < from) s.openingFen += m.fen;
    else s[field[m.kind]] += m.kind === 'fund_share' ? -m.fen : m.fen;
    s.closingFen += m.fen;
  }
  return result;
}

/** The sum of statements (a community's from its units'). */
export function sumStatements(statements: Iterable<FundStatement>): FundStatement {
  const sum = emptyStatement();
  for (const s of statements) for (const k of Object.keys(sum) as Array<keyof FundStatement>) sum[k] += s[k];
  return sum;
}

/** Whether a statement adds up: closing = opening + imported + deposits − shares + interest + transfers. */
export function statementAddsUp(s: FundStatement): boolean {
  return s.openingFen + s.importedFen + s.depositsFen - s.sharesTakenFen + s.interestFen + s.transfersInFen === s.closingFen;
}
