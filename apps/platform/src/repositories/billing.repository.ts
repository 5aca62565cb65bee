import { Injectable } from '@nestjs/common';
import { type Kysely, type Selectable, type Transaction, sql } from 'kysely';
import type { JournalLine } from '../domain/ledger';
import type { ParkingBillTable, ParkingPaymentTable, ParkingTariffTable } from './billing.schema';
import { DatabaseRepository } from './database.repository';
import type { Database } from './database.schema';

export type TariffRow = Selectable<ParkingTariffTable>;
export type BillRow = Selectable<ParkingBillTable>;
export type PaymentRow = Selectable<ParkingPaymentTable>;
type Db = Kysely<Database> | Transaction<Database>;

/** A closed (or open) parking session with what billing needs from its slot and booking. */
export interface SessionForBilling {
  id: string;
  communityId: string;
  slotId: string | null;
  slotOwnerId: string | null;
  bookingId: string | null;
  /** Who booked the stay (a guest's own bill). */
  guestId: string | null;
  bookingEndAt: Date | null;
  bookingGraceMinutes: number | null;
  plate: string;
  vehicleClass: string;
  energy: string | null;
  kind: 'booking' | 'resident' | 'visitor' | 'emergency';
  status: string;
  entryAt: Date;
  exitAt: Date | null;
}

export type NewBill = Omit<BillRow, 'id' | 'created_at' | 'paid_fen' | 'refunded_fen' | 'breakdown'> & { breakdown: unknown };

export interface MonthTotals {
  bills: number;
  amount_fen: string | number | bigint | null;
  overstay_fen: string | number | bigint | null;
  owner_fen: string | number | bigint | null;
  commission_fen: string | number | bigint | null;
  platform_fee_fen: string | number | bigint | null;
  common_income_fen: string | number | bigint | null;
  paid_fen: string | number | bigint | null;
  refunded_fen: string | number | bigint | null;
}

/** Tariffs, bills, payments and the journal in the database. */
@Injectable()
export class BillingRepository {
  constructor(private readonly database: DatabaseRepository) {}

  private get db(): Kysely<Database> {
    return this.database.db;
  }

  // ---- tariffs ----

  async insertTariff(values: Omit<TariffRow, 'id' | 'version' | 'created_at' | 'rules'> & { rules: unknown }): Promise<TariffRow> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.db.transaction().execute(async (tx) => {
          const last = await tx.selectFrom('parking_tariffs').select((eb) => eb.fn.max('version').as('v')).where('community_id', '=', values.community_id).executeTakeFirst();
          return tx
            .insertInto('parking_tariffs')
            .values({ ...values, rules: JSON.stringify(values.rules), version: Number(last?.v ?? 0) + 1 })
            .returningAll()
            .executeTakeFirstOrThrow();
        });
      } catch (error) {
        // Two versions created at once: the loser takes the next number.
        if ((error as { code?: string }).code !== '23505' || attempt >= 3) throw error;
      }
    }
  }

  listTariffs(communityId: string): Promise<TariffRow[]> {
    return this.db.selectFrom('parking_tariffs').selectAll().where('community_id', '=', communityId).orderBy('version', 'desc').execute();
  }

  /** The version in effect at an instant: the latest effective_from at or before it (ties: the higher version). */
  tariffAt(communityId: string, at: Date): Promise<TariffRow | undefined> {
    return this.db
      .selectFrom('parking_tariffs')
      .selectAll()
      .where('community_id', '=', communityId)
      .where('effective_from', '<=', at)
      .orderBy('effective_from', 'desc')
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  latestEffectiveFrom(communityId: string): Promise<{ effective_from: Date } | undefined> {
    return this.db.selectFrom('parking_tariffs').select('effective_from').where('community_id', '=', communityId).orderBy('effective_from', 'desc').limit(1).executeTakeFirst();
  }

  // ---- settings ----

  settings(communityId: string) {
    return this.db.selectFrom('billing_settings').selectAll().where('community_id', '=', communityId).executeTakeFirst();
  }

  async upsertSettings(communityId: string, commissionBp: number, platformFeeBp: number): Promise<void> {
    await this.db
      .insertInto('billing_settings')
      .values({ community_id: communityId, commission_bp: commissionBp, platform_fee_bp: platformFeeBp })
      .onConflict((oc) => oc.column('community_id').doUpdateSet({ commission_bp: commissionBp, platform_fee_bp: platformFeeBp, updated_at: sql`now()` }))
      .execute();
  }

  // ---- sessions (tables of 0004-parking, read only) ----

  async loadSession(sessionId: string): Promise<SessionForBilling | undefined> {
    const row = await this.db
      .selectFrom('parking_sessions as s')
      .leftJoin('parking_slots as sl', 'sl.id', 's.slot_id')
      .leftJoin('parking_bookings as b', 'b.id', 's.booking_id')
      .select([
        's.id',
        's.community_id',
        's.slot_id',
        'sl.ownership',
        'sl.owner_id',
        's.booking_id',
        'b.user_id as guest_id',
        'b.ends_at',
        'b.departure_grace_min',
        's.plate',
        's.vehicle_class',
        's.energy',
        's.kind',
        's.status',
        's.entry_at',
        's.exit_at',
      ])
      .where('s.id', '=', sessionId)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      id: row.id,
      communityId: row.community_id,
      slotId: row.slot_id,
      slotOwnerId: row.ownership === 'private' ? (row.owner_id ?? null) : null,
      bookingId: row.booking_id,
      guestId: row.guest_id ?? null,
      bookingEndAt: row.ends_at ? new Date(row.ends_at) : null,
      bookingGraceMinutes: row.departure_grace_min ?? null,
      plate: row.plate,
      vehicleClass: row.vehicle_class,
      energy: row.energy,
      kind: row.kind,
      status: row.status,
      entryAt: new Date(row.entry_at),
      exitAt: row.exit_at ? new Date(row.exit_at) : null,
    };
  }

  /** Closed sessions without a bill (a crash between close and bill), oldest first. */
  async closedUnbilledSessionIds(limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('parking_sessions as s')
      .leftJoin('parking_bills as b', 'b.session_id', 's.id')
      .select('s.id')
      .where('s.status', '=', 'closed')
      .where('b.id', 'is', null)
      .orderBy('s.exit_at')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  // ---- bills ----

  billBySession(sessionId: string): Promise<BillRow | undefined> {
    return this.db.selectFrom('parking_bills').selectAll().where('session_id', '=', sessionId).executeTakeFirst();
  }

  /** The guest who booked the session's stay (null for residents, visitors, emergencies). */
  async guestOfSession(sessionId: string): Promise<string | null> {
    const row = await this.db
      .selectFrom('parking_sessions as s')
      .innerJoin('parking_bookings as b', 'b.id', 's.booking_id')
      .select('b.user_id')
      .where('s.id', '=', sessionId)
      .executeTakeFirst();
    return row?.user_id ?? null;
  }

  bill(id: string): Promise<BillRow | undefined> {
    return this.db.selectFrom('parking_bills').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listBills(communityId: string, from: Date, to: Date): Promise<BillRow[]> {
    return this.db.selectFrom('parking_bills').selectAll().where('community_id', '=', communityId).where('exit_at', '>=', from).where('exit_at', '<', to).orderBy('exit_at').execute();
  }

  ownerBills(ownerId: string, from: Date, to: Date): Promise<BillRow[]> {
    return this.db.selectFrom('parking_bills').selectAll().where('slot_owner_id', '=', ownerId).where('exit_at', '>=', from).where('exit_at', '<', to).orderBy('exit_at').execute();
  }

  /**
   * Breakdowns of earlier non-exempt bills of a plate in a community that may share a cap window
   * with a stay from `entryAt` (they left at most 48 h before it and entered before it left).
   */
  async capWindowsOfPlate(communityId: string, plate: string, exceptSessionId: string, entryAt: Date, exitAt: Date): Promise<unknown[]> {
    const rows = await this.db
      .selectFrom('parking_bills')
      .select('breakdown')
      .where('community_id', '=', communityId)
      .where('plate', '=', plate)
      .where('session_id', '<>', exceptSessionId)
      .where('exempt', 'is', null)
      .where('exit_at', '>', new Date(entryAt.getTime() - 48 * 3600_000))
      .where('entry_at', '<', exitAt)
      .execute();
    return rows.map((r) => (r.breakdown as { capWindows?: unknown } | null)?.capWindows ?? []);
  }

  payments(billId: string): Promise<PaymentRow[]> {
    return this.db.selectFrom('parking_payments').selectAll().where('bill_id', '=', billId).orderBy('created_at').execute();
  }

  /** The payments and refunds of bills as receipts: with the online provider's transaction id where an order was paid. */
  receipts(billIds: string[]): Promise<Array<PaymentRow & { transaction_id: string | null }>> {
    if (billIds.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('parking_payments as p')
      .leftJoin('online_payment_orders as o', (join) => join.onRef('o.out_trade_no', '=', 'p.provider_ref').onRef('o.provider', '=', 'p.provider').on('p.kind', '=', 'payment'))
      .selectAll('p')
      .select('o.transaction_id')
      .where('p.bill_id', 'in', billIds)
      .orderBy('p.created_at')
      .execute();
  }

  /** The bills of the stays a user booked, newest first, with the booking. */
  billsOfGuest(userId: string): Promise<Array<BillRow & { booking_id: string }>> {
    return this.db
      .selectFrom('parking_bills as bill')
      .innerJoin('parking_sessions as s', 's.id', 'bill.session_id')
      .innerJoin('parking_bookings as b', 'b.id', 's.booking_id')
      .selectAll('bill')
      .select('b.id as booking_id')
      .where('b.user_id', '=', userId)
      .orderBy('bill.created_at', 'desc')
      .execute();
  }

  /**
   * Inserts the bill of a session and its journal entry in one transaction, once: a second call
   * for the same session (a duplicate event, a retry, the sweep) finds the unique session_id
   * taken and returns the existing bill with created = false.
   */
  async createBill(bill: NewBill, lines: JournalLine[], memo: string): Promise<{ bill: BillRow; created: boolean }> {
    const inserted = await this.db.transaction().execute(async (tx) => {
      const row = await tx
        .insertInto('parking_bills')
        .values({ ...bill, breakdown: JSON.stringify(bill.breakdown), amount_fen: String(bill.amount_fen), overstay_fen: String(bill.overstay_fen), owner_fen: String(bill.owner_fen), commission_fen: String(bill.commission_fen), platform_fee_fen: String(bill.platform_fee_fen), common_income_fen: String(bill.common_income_fen), paid_fen: '0', refunded_fen: '0' })
        .onConflict((oc) => oc.column('session_id').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (row && lines.length > 0) await this.postJournal(tx, { communityId: bill.community_id, kind: 'bill', billId: row.id, paymentId: null, memo }, lines);
      return row;
    });
    if (inserted) return { bill: inserted, created: true };
    return { bill: (await this.billBySession(bill.session_id))!, created: false };
  }

  /**
   * Runs `fn` with the bill locked (SELECT … FOR UPDATE) inside a transaction: payments and
   * refunds of one bill are serialised, so the paid and refunded totals can never exceed the bill.
   */
  withLockedBill<T>(billId: string, fn: (tx: Transaction<Database>, bill: BillRow) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (tx) => {
      const bill = await tx.selectFrom('parking_bills').selectAll().where('id', '=', billId).forUpdate().executeTakeFirst();
      if (!bill) throw new BillNotFoundError(billId);
      return fn(tx, bill);
    });
  }

  async insertPayment(tx: Transaction<Database>, values: Omit<PaymentRow, 'id' | 'created_at' | 'amount_fen'> & { amount_fen: bigint }): Promise<PaymentRow> {
    return tx.insertInto('parking_payments').values({ ...values, amount_fen: String(values.amount_fen) }).returningAll().executeTakeFirstOrThrow();
  }

  async updateBillTotals(tx: Transaction<Database>, billId: string, paidFen: bigint, refundedFen: bigint): Promise<BillRow> {
    return tx.updateTable('parking_bills').set({ paid_fen: String(paidFen), refunded_fen: String(refundedFen) }).where('id', '=', billId).returningAll().executeTakeFirstOrThrow();
  }

  /** Writes one journal entry; the deferred trigger checks debits = credits at commit. */
  async postJournal(db: Db, entry: { communityId: string; kind: 'bill' | 'payment' | 'refund'; billId: string | null; paymentId: string | null; memo: string }, lines: JournalLine[]): Promise<string> {
    const byKey = new Map(lines.map((l) => [l.account.key, l.account]));
    await db
      .insertInto('ledger_accounts')
      .values([...byKey.values()].map((a) => ({ key: a.key, community_id: entry.communityId, kind: a.kind, name: a.name, owner_id: a.ownerId ?? null })))
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const ids = new Map((await db.selectFrom('ledger_accounts').select(['id', 'key']).where('key', 'in', [...byKey.keys()]).execute()).map((r) => [r.key, r.id]));
    const { id } = await db
      .insertInto('journal_entries')
      .values({ community_id: entry.communityId, kind: entry.kind, bill_id: entry.billId, payment_id: entry.paymentId, memo: entry.memo })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('journal_lines')
      .values(lines.map((l) => ({ entry_id: id, account_id: ids.get(l.account.key)!, debit_fen: String(l.debitFen), credit_fen: String(l.creditFen) })))
      .execute();
    return id;
  }

  // ---- reports ----

  /** Per-account debit and credit totals of a community. */
  accountBalances(communityId: string) {
    return this.db
      .selectFrom('ledger_accounts as a')
      .leftJoin('journal_lines as l', 'l.account_id', 'a.id')
      .select(['a.key', 'a.kind', 'a.name', 'a.owner_id'])
      .select((eb) => [eb.fn.coalesce(eb.fn.sum<string>('l.debit_fen'), sql<string>`0`).as('debit_fen'), eb.fn.coalesce(eb.fn.sum<string>('l.credit_fen'), sql<string>`0`).as('credit_fen')])
      .where('a.community_id', '=', communityId)
      .groupBy(['a.id', 'a.key', 'a.kind', 'a.name', 'a.owner_id'])
      .orderBy('a.key')
      .execute();
  }

  /** Journal entries whose lines do not balance (should always be empty). */
  async unbalancedEntries(communityId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('journal_entries as e')
      .innerJoin('journal_lines as l', 'l.entry_id', 'e.id')
      .select('e.id')
      .where('e.community_id', '=', communityId)
      .groupBy('e.id')
      .having((eb) => eb(eb.fn.sum('l.debit_fen'), '<>', eb.fn.sum('l.credit_fen')))
      .execute();
    return rows.map((r) => r.id);
  }

  async monthTotals(filter: { communityId?: string; ownerId?: string }, from: Date, to: Date): Promise<MonthTotals> {
    let q = this.db
      .selectFrom('parking_bills')
      .select((eb) => [
        eb.fn.countAll<number>().as('bills'),
        eb.fn.sum<string>('amount_fen').as('amount_fen'),
        eb.fn.sum<string>('overstay_fen').as('overstay_fen'),
        eb.fn.sum<string>('owner_fen').as('owner_fen'),
        eb.fn.sum<string>('commission_fen').as('commission_fen'),
        eb.fn.sum<string>('platform_fee_fen').as('platform_fee_fen'),
        eb.fn.sum<string>('common_income_fen').as('common_income_fen'),
        eb.fn.sum<string>('paid_fen').as('paid_fen'),
        eb.fn.sum<string>('refunded_fen').as('refunded_fen'),
      ])
      .where('exit_at', '>=', from)
      .where('exit_at', '<', to);
    if (filter.communityId) q = q.where('community_id', '=', filter.communityId);
    if (filter.ownerId) q = q.where('slot_owner_id', '=', filter.ownerId);
    return (await q.executeTakeFirst()) as MonthTotals;
  }
}

export class BillNotFoundError extends Error {
  constructor(readonly billId: string) {
    super(`bill ${billId} not found`);
  }
}
