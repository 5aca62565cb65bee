/**
 * Revenue split and double-entry journal entries for parking bills, pure. Amounts are BigInt fen.
 *
 * Accounts of a community (the key is unique platform-wide):
 *  - receivable                 asset: billed, not yet collected
 *  - cash:<provider>            asset: collected through a payment provider (cash, a gateway…)
 *  - owner_payable:<ownerId>    liability: a slot owner's share of a private slot's revenue
 *  - property_commission        liability: the property company's commission
 *  - platform_fee               revenue: the platform's fee
 *  - common_income              liability: owners' common income from common-area slots
 *                               (Civil Code art. 282), advertising and other uses of the common
 *                               parts (004 三(四)4(2)), moved into the maintenance fund
 *  - common_income_bank         asset: the common income's own account (004 三(四)4(2) 单独建账 /
 *                               公共收益账户), where advertising and other such income is received
 */

export type AccountKind = 'asset' | 'liability' | 'revenue';

export interface AccountRef {
  key: string;
  kind: AccountKind;
  name: string;
  ownerId?: string | null;
}

export interface JournalLine {
  account: AccountRef;
  debitFen: bigint;
  creditFen: bigint;
}

export interface SplitRates {
  commissionBp: number;
  platformFeeBp: number;
}

export interface RevenueSplit {
  ownerFen: bigint;
  commissionFen: bigint;
  platformFeeFen: bigint;
  commonIncomeFen: bigint;
}

/**
 * Splits a bill. A private slot: commission and platform fee are rounded down to the fen and the
 * owner gets the exact rest. A common-area slot (or no slot): all of it is the owners' common income.
 * The parts always sum to the amount.
 */
export function splitRevenue(amountFen: bigint, slotOwnerId: string | null, rates: SplitRates): RevenueSplit {
  if (amountFen < 0n) throw new RangeError('negative amount');
  if (!slotOwnerId) return { ownerFen: 0n, commissionFen: 0n, platformFeeFen: 0n, commonIncomeFen: amountFen };
  const commissionFen = (amountFen * BigInt(rates.commissionBp)) / 10_000n;
  const platformFeeFen = (amountFen * BigInt(rates.platformFeeBp)) / 10_000n;
  return { ownerFen: amountFen - commissionFen - platformFeeFen, commissionFen, platformFeeFen, commonIncomeFen: 0n };
}

export const accounts = {
  receivable: (c: string): AccountRef => ({ key: `${c}:receivable`, kind: 'asset', name: 'Parking receivable' }),
  cash: (c: string, provider: string): AccountRef => ({ key: `${c}:cash:${provider}`, kind: 'asset', name: `Collected (${provider})` }),
  ownerPayable: (c: string, ownerId: string): AccountRef => ({ key: `${c}:owner_payable:${ownerId}`, kind: 'liability', name: 'Slot owner earnings payable', ownerId }),
  commission: (c: string): AccountRef => ({ key: `${c}:property_commission`, kind: 'liability', name: 'Property company commission' }),
  platformFee: (c: string): AccountRef => ({ key: `${c}:platform_fee`, kind: 'revenue', name: 'Platform fee' }),
  commonIncome: (c: string): AccountRef => ({ key: `${c}:common_income`, kind: 'liability', name: "Owners' common income (maintenance fund)" }),
  commonIncomeBank: (c: string): AccountRef => ({ key: `${c}:common_income_bank`, kind: 'asset', name: 'Common income account (公共收益账户)' }),
};

const dr = (account: AccountRef, fen: bigint): JournalLine => ({ account, debitFen: fen, creditFen: 0n });
const cr = (account: AccountRef, fen: bigint): JournalLine => ({ account, debitFen: 0n, creditFen: fen });

function splitLines(communityId: string, split: RevenueSplit, ownerId: string | null, side: 'credit' | 'debit'): JournalLine[] {
  const f = side === 'credit' ? cr : dr;
  const lines: JournalLine[] = [];
  if (split.ownerFen > 0n) lines.push(f(accounts.ownerPayable(communityId, ownerId!), split.ownerFen));
  if (split.commissionFen > 0n) lines.push(f(accounts.commission(communityId), split.commissionFen));
  if (split.platformFeeFen > 0n) lines.push(f(accounts.platformFee(communityId), split.platformFeeFen));
  if (split.commonIncomeFen > 0n) lines.push(f(accounts.commonIncome(communityId), split.commonIncomeFen));
  return lines;
}

/** Billing accrues: Dr receivable / Cr the split. Nothing for a zero bill. */
export function billEntry(communityId: string, amountFen: bigint, ownerId: string | null, split: RevenueSplit): JournalLine[] {
  if (amountFen === 0n) return [];
  return assertBalanced([dr(accounts.receivable(communityId), amountFen), ...splitLines(communityId, split, ownerId, 'credit')]);
}

/** A payment collects: Dr cash:<provider> / Cr receivable. */
export function paymentEntry(communityId: string, provider: string, amountFen: bigint): JournalLine[] {
  return assertBalanced([dr(accounts.cash(communityId, provider), amountFen), cr(accounts.receivable(communityId), amountFen)]);
}

/** A refund reverses the revenue in the bill's proportions: Dr the split of the refund / Cr cash:<provider>. */
export function refundEntry(communityId: string, provider: string, refundFen: bigint, ownerId: string | null, rates: SplitRates): JournalLine[] {
  const split = splitRevenue(refundFen, ownerId, rates);
  return assertBalanced([...splitLines(communityId, split, ownerId, 'debit'), cr(accounts.cash(communityId, provider), refundFen)]);
}

/**
 * Advertising (or other common-area) income received: Dr common_income_bank / Cr common_income.
 * Seed 004 三(四)4(2): income from 投放广告以及其他经营活动 on the owners' common parts 属于业主共有,
 * 单独建账; 三(四)3(1): it 主要用于补充维修资金, so it joins parking's common income, which the
 * transfers into the fund (domain/fund-account.ts transferEntry) draw on.
 */
export function commonIncomeEntry(communityId: string, amountFen: bigint): JournalLine[] {
  if (amountFen <= 0n) throw new RangeError('common income must be positive');
  return assertBalanced([dr(accounts.commonIncomeBank(communityId), amountFen), cr(accounts.commonIncome(communityId), amountFen)]);
}

export class UnbalancedEntryError extends Error {}

/** Throws unless every line is one-sided and positive and debits equal credits. */
export function assertBalanced(lines: JournalLine[]): JournalLine[] {
  let debits = 0n;
  let credits = 0n;
  for (const l of lines) {
    if (l.debitFen < 0n || l.creditFen < 0n || (l.debitFen > 0n) === (l.creditFen > 0n)) throw new UnbalancedEntryError(`line on ${l.account.key} must be one positive debit or credit`);
    debits += l.debitFen;
    credits += l.creditFen;
  }
  if (lines.length < 2 || debits !== credits) throw new UnbalancedEntryError(`entry does not balance: debits ${debits} ≠ credits ${credits}`);
  return lines;
}

/** Balances per account key (debit − credit) of a set of lines; a balanced book sums to zero. */
export function trialBalance(lines: JournalLine[]): Map<string, bigint> {
  const balances = new Map<string, bigint>();
  for (const l of lines) balances.set(l.account.key, (balances.get(l.account.key) ?? 0n) + l.debitFen - l.creditFen);
  return balances;
}
