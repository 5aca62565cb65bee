import { Injectable } from '@nestjs/common';
import { sql, type Transaction } from 'kysely';
import type { CommonIncomeReceipt } from '@app/contracts';
import type { FundJournalLine, FundMovementKind } from '../domain/fund-account';
import type { JournalLine } from '../domain/ledger';
import { toFen } from './billing.schema';
import { DatabaseRepository } from './database.repository';
import type { Database } from './database.schema';

type Db = Transaction<Database> | DatabaseRepository['db'];

export interface FundUnitRow {
  unitId: string;
  communityId: string;
  building: string;
  number: string;
  floorArea: string;
}

export interface FundPosting {
  communityId: string;
  /** A fund movement, or common income received (migrations/0024). */
  kind: FundMovementKind | 'common_income';
  /** What the posting is of; a second posting of the same source is not made. */
  source: string;
  bookedOn: string;
  memo: string;
}

const bookedOn = sql<string>`to_char(e.booked_on, 'YYYY-MM-DD')`;
const signed = sql<string>`l.credit_fen - l.debit_fen`;

/**
 * Maintenance-fund accounts in the community ledger of migrations/0005 (accounts, entries,
 * lines) with the unit and source columns of 0018. Reads inside a posting take its transaction
 * (embedded PGlite has one connection).
 */
@Injectable()
export class FundAccountRepository {
  constructor(private readonly database: DatabaseRepository) {}

  private get db() {
    return this.database.db;
  }

  transaction<T>(fn: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /**
   * Writes one journal entry unless its source was posted before (then null); the deferred
   * trigger of 0005 checks debits = credits at commit.
   */
  async post(tx: Transaction<Database>, posting: FundPosting, lines: Array<FundJournalLine | JournalLine>): Promise<string | null> {
    const entry = await tx
      .insertInto('journal_entries')
      .values({ community_id: posting.communityId, kind: posting.kind, bill_id: null, payment_id: null, memo: posting.memo, source: posting.source, booked_on: posting.bookedOn })
      .onConflict((oc) => oc.column('source').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!entry) return null;
    const byKey = new Map(lines.map((l) => [l.account.key, l.account]));
    await tx
      .insertInto('ledger_accounts')
      .values([...byKey.values()].map((a) => ({ key: a.key, community_id: posting.communityId, kind: a.kind, name: a.name, owner_id: null, unit_id: ('unitId' in a ? a.unitId : null) ?? null })))
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const ids = new Map((await tx.selectFrom('ledger_accounts').select(['id', 'key']).where('key', 'in', [...byKey.keys()]).execute()).map((r) => [r.key, r.id]));
    await tx
      .insertInto('journal_lines')
      .values(lines.map((l) => ({ entry_id: entry.id, account_id: ids.get(l.account.key)!, debit_fen: String(l.debitFen), credit_fen: String(l.creditFen) })))
      .execute();
    return entry.id;
  }

  async posted(source: string, db: Db = this.db): Promise<boolean> {
    return (await db.selectFrom('journal_entries').select('id').where('source', '=', source).executeTakeFirst()) !== undefined;
  }

  /** Sources of this community starting with `prefix` (e.g. the units with an opening balance). */
  async sourcesLike(communityId: string, prefix: string): Promise<string[]> {
    const rows = await this.db.selectFrom('journal_entries').select('source').where('community_id', '=', communityId).where('source', 'like', `${prefix}%`).execute();
    return rows.map((r) => r.source!);
  }

  private units(db: Db) {
    return db
      .selectFrom('units as u')
      .innerJoin('buildings as b', 'b.id', 'u.building_id')
      .select(['u.id as unitId', 'u.community_id as communityId', 'b.name as building', 'u.number', 'u.floor_area as floorArea']);
  }

  async unit(unitId: string): Promise<FundUnitRow | undefined> {
    return this.units(this.db).where('u.id', '=', unitId).executeTakeFirst();
  }

  async unitsOf(communityId: string, db: Db = this.db): Promise<FundUnitRow[]> {
    return this.units(db).where('u.community_id', '=', communityId).orderBy('b.name').orderBy('u.number').execute();
  }

  async unitsByIds(unitIds: string[]): Promise<FundUnitRow[]> {
    if (unitIds.length === 0) return [];
    return this.units(this.db).where('u.id', 'in', unitIds).orderBy('b.name').orderBy('u.number').execute();
  }

  /** Balance of each unit account of a community (credit − debit) of entries booked on or before `through`, or all. Units without an account are absent. */
  async balances(communityId: string, through?: string, db: Db = this.db): Promise<Map<string, bigint>> {
    let q = db
      .selectFrom('ledger_accounts as a')
      .innerJoin('journal_lines as l', 'l.account_id', 'a.id')
      .innerJoin('journal_entries as e', 'e.id', 'l.entry_id')
      .select(['a.unit_id'])
      .select(sql<string>`sum(l.credit_fen - l.debit_fen)`.as('balance'))
      .where('a.community_id', '=', communityId)
      .where('a.unit_id', 'is not', null)
      .groupBy('a.unit_id');
    if (through) q = q.where('e.booked_on', '<=', sql<string>`${through}::date`);
    return new Map((await q.execute()).map((r) => [r.unit_id!, toFen(r.balance)]));
  }

  /** Every line on the unit accounts of a community booked on or before `through`, for statements. */
  async movements(communityId: string, through: string) {
    const rows = await this.lines(this.db)
      .where('a.community_id', '=', communityId)
      .where('e.booked_on', '<=', sql<string>`${through}::date`)
      .execute();
    return rows.map((r) => ({ ...r, fen: toFen(r.fen) }));
  }

  /** The lines of one unit's account, oldest first. */
  async unitMovements(unitId: string) {
    const rows = await this.lines(this.db).where('a.unit_id', '=', unitId).orderBy('e.booked_on').orderBy('l.id').execute();
    return rows.map((r) => ({ ...r, fen: toFen(r.fen) }));
  }

  /** The unit-account lines of one entry, with the entry's community (none when it moved no unit account). */
  async entryMovements(entryId: string) {
    const rows = await this.lines(this.db).select('e.community_id as communityId').where('e.id', '=', entryId).orderBy('l.id').execute();
    return rows.map((r) => ({ ...r, fen: toFen(r.fen) }));
  }

  private lines(db: Db) {
    return db
      .selectFrom('journal_lines as l')
      .innerJoin('ledger_accounts as a', 'a.id', 'l.account_id')
      .innerJoin('journal_entries as e', 'e.id', 'l.entry_id')
      .select(['e.id as entryId', 'e.kind', 'e.memo', 'a.unit_id as unitId'])
      .select([bookedOn.as('bookedOn'), signed.as('fen')])
      .where('a.unit_id', 'is not', null)
      .$narrowType<{ unitId: string; kind: FundMovementKind }>();
  }

  /**
   * The credit balance of the community's common_income account, with its row locked so two
   * transfers cannot both spend it (0 and no lock when parking never credited it).
   */
  async lockCommonIncome(tx: Transaction<Database>, key: string): Promise<bigint> {
    const account = await tx.selectFrom('ledger_accounts').select('id').where('key', '=', key).forUpdate().executeTakeFirst();
    if (!account) return 0n;
    const row = await tx
      .selectFrom('journal_lines')
      .select(sql<string>`coalesce(sum(credit_fen - debit_fen), 0)`.as('balance'))
      .where('account_id', '=', account.id)
      .executeTakeFirstOrThrow();
    return toFen(row.balance);
  }

  /** The particulars of a common_income entry, in the posting's transaction. */
  async recordCommonIncome(tx: Transaction<Database>, entryId: string, r: Omit<CommonIncomeReceipt, 'entryId'>, recordedBy: string): Promise<void> {
    await tx
      .insertInto('common_income_receipts')
      .values({
        entry_id: entryId,
        community_id: r.communityId,
        category: r.category,
        amount_fen: String(r.amountFen),
        payer: r.payer,
        contract_ref: r.contractRef,
        period_from: r.periodFrom,
        period_to: r.periodTo,
        received_on: r.receivedOn,
        memo: r.memo,
        recorded_by: recordedBy,
      })
      .execute();
  }

  /** Common income receipts of a community received between two local days (inclusive), oldest first. */
  async commonIncomeReceipts(communityId: string, from: string, to: string): Promise<CommonIncomeReceipt[]> {
    const day = (column: string) => sql<string>`to_char(${sql.ref(column)}, 'YYYY-MM-DD')`;
    const rows = await this.db
      .selectFrom('common_income_receipts')
      .select(['entry_id', 'community_id', 'category', 'amount_fen', 'payer', 'contract_ref', 'memo'])
      .select([day('period_from').as('period_from'), day('period_to').as('period_to'), day('received_on').as('received_on')])
      .where('community_id', '=', communityId)
      .where('received_on', '>=', sql<string>`${from}::date`)
      .where('received_on', '<=', sql<string>`${to}::date`)
      .orderBy('received_on')
      .orderBy('recorded_at')
      .execute();
    return rows.map((r) => ({
      entryId: r.entry_id,
      communityId: r.community_id,
      category: r.category,
      amountFen: Number(toFen(r.amount_fen)),
      payer: r.payer,
      contractRef: r.contract_ref,
      periodFrom: r.period_from,
      periodTo: r.period_to,
      receivedOn: r.received_on,
      memo: r.memo,
    }));
  }

  /** What the community's common_income account holds (credit − debit), without locking it. */
  async commonIncomeBalance(key: string): Promise<bigint> {
    const row = await this.db
      .selectFrom('journal_lines as l')
      .innerJoin('ledger_accounts as a', 'a.id', 'l.account_id')
      .select(sql<string>`coalesce(sum(l.credit_fen - l.debit_fen), 0)`.as('balance'))
      .where('a.key', '=', key)
      .executeTakeFirstOrThrow();
    return toFen(row.balance);
  }

  /** A case's community and stored shares (migrations/0003 fund_shares), as written when it was disclosed. */
  async caseShares(caseId: string): Promise<{ communityId: string; state: string; title: string; disclosedOn: Date | null; shares: Array<{ unitId: string; fen: bigint }> } | undefined> {
    const row = await this.db.selectFrom('fund_cases').select(['community_id', 'state', 'title', 'disclosed_at']).where('id', '=', caseId).executeTakeFirst();
    if (!row) return undefined;
    const shares = await this.db.selectFrom('fund_shares').select(['unit_id', 'share_fen']).where('case_id', '=', caseId).orderBy('unit_id').execute();
    return { communityId: row.community_id, state: row.state, title: row.title, disclosedOn: row.disclosed_at, shares: shares.map((s) => ({ unitId: s.unit_id, fen: toFen(s.share_fen) })) };
  }
}
