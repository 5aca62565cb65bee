/**
 * Billing exactly once, on PGlite and on a PostgreSQL server: the close event emitted twice at
 * once (plus direct concurrent calls) makes one bill and one journal entry; a session closed
 * while nothing billed it (a crash between close and bill) is billed by the start-up sweep after
 * a restart; the database refuses a journal entry whose debits and credits differ.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { DatabaseRepository } from '../../apps/platform/src/repositories/database.repository';
import { EventBusRepository } from '../../apps/platform/src/repositories/event-bus.repository';
import { JobRepository } from '../../apps/platform/src/repositories/job.repository';
import { BillingService } from '../../apps/platform/src/services/billing.service';
import { freshPostgresDatabase, type FreshPostgres } from '../support/databases';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

const at = (local: string) => new Date(`${local.replace(' ', 'T')}:00+08:00`);
const NOW = at('2025-03-10 09:00');

describe.each(['pglite', 'postgres'] as const)('billing exactly once (%s)', (engine) => {
  let tp: TestPlatform;
  let pg: FreshPostgres | undefined;
  let communityId: string;
  let tariffVersion: number;

  const dataDir = mkdtempSync(join(tmpdir(), 'spp-billing-'));
  const start = async () => {
    const platform = await startTestPlatform({ dataDir, env: pg ? { DATABASE_URL: pg.url } : {} });
    const clock = platform.platform.app.get(ClockRepository);
    clock.now = () => NOW.getTime();
    return platform;
  };
  const db = () => tp.platform.app.get(DatabaseRepository).db;

  const insertClosedSession = async (plate: string, entry: string, exit: string) => {
    const row = await db()
      .insertInto('parking_sessions')
      .values({ community_id: communityId, plate, plate_kind: 'regular', kind: 'visitor', status: 'closed', entry_at: at(entry), exit_at: at(exit), entry_reason: 'test' })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  };
  const billsOf = (sessionId: string) => db().selectFrom('parking_bills').selectAll().where('session_id', '=', sessionId).execute();
  const billEntriesOf = (billId: string) => db().selectFrom('journal_entries').selectAll().where('bill_id', '=', billId).where('kind', '=', 'bill').execute();

  beforeAll(async () => {
    if (engine === 'postgres') pg = await freshPostgresDatabase();
    tp = await start();
    communityId = (await tp.createCommunity()).id;
    const res = await tp.api('POST', `billing/communities/${communityId}/tariffs`, {
      setBy: 'owners_assembly',
      filingNumber: '沪价备〔2025〕001',
      effectiveFrom: NOW.toISOString(),
      rules: { pricing: { mode: 'unit', bands: [{ name: 'all', start: '00:00', end: '00:00', unitMinutes: 30, unitPriceFen: 100 }] } },
    });
    expect(res.status).toBe(201);
    tariffVersion = res.body.version;
  });

  afterAll(async () => {
    await tp?.close();
    await pg?.drop();
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 3 });
  });

  it('bills once when the closed event arrives twice at the same time, and on concurrent direct calls', async () => {
    const sessionId = await insertClosedSession('沪A10001', '2025-03-10 10:00', '2025-03-10 11:35');
    const bus = tp.platform.app.get(EventBusRepository);
    bus.emit('parking.session.closed', { sessionId, communityId });
    bus.emit('parking.session.closed', { sessionId, communityId });
    const service = tp.platform.app.get(BillingService);
    const results = await Promise.all([service.billSession(sessionId), service.billSession(sessionId), service.billSession(sessionId)]);
    await waitFor(async () => (await billsOf(sessionId)).length === 1, { message: 'bill' });
    const bills = await billsOf(sessionId);
    expect(bills).toHaveLength(1);
    expect(Number(bills[0].amount_fen)).toBe(400);
    expect(bills[0].tariff_version).toBe(tariffVersion);
    expect(results.every((r) => r?.bill.id === bills[0].id)).toBe(true);
    // Let the queued jobs run too, then check again: still one bill, one journal entry.
    await waitFor(async () => {
      const counts = await tp.platform.app.get(JobRepository).counts();
      return counts.parking.waiting + counts.parking.active + counts.parking.delayed === 0;
    });
    expect(await billsOf(sessionId)).toHaveLength(1);
    expect(await billEntriesOf(bills[0].id)).toHaveLength(1);
  });

  it('a unique constraint backs it: a second bill row for the session is refused', async () => {
    const sessionId = await insertClosedSession('沪A10002', '2025-03-10 10:00', '2025-03-10 10:10');
    await tp.platform.app.get(BillingService).billSession(sessionId);
    const [bill] = await billsOf(sessionId);
    const { id: _id, created_at: _c, ...copy } = bill;
    await expect(db().insertInto('parking_bills').values({ ...copy, breakdown: JSON.stringify(copy.breakdown), amount_fen: String(copy.amount_fen), overstay_fen: '0', owner_fen: String(copy.owner_fen), commission_fen: String(copy.commission_fen), platform_fee_fen: String(copy.platform_fee_fen), common_income_fen: String(copy.common_income_fen), paid_fen: '0', refunded_fen: '0' }).execute()).rejects.toMatchObject({ code: '23505' });
  });

  it('after a crash between close and bill, the start-up sweep bills the session', async () => {
    const sessionId = await insertClosedSession('沪A10003', '2025-03-10 10:00', '2025-03-10 10:45'); // closed, no event: the process "crashed"
    expect(await billsOf(sessionId)).toHaveLength(0);
    // Restart on the same database (the data directory is ours, so close() keeps it).
    await tp.close();
    tp = await start();
    await waitFor(async () => (await billsOf(sessionId)).length === 1, { message: 'bill from the start-up sweep' });
    const [bill] = await billsOf(sessionId);
    expect(Number(bill.amount_fen)).toBe(200);
    expect(await billEntriesOf(bill.id)).toHaveLength(1);
    expect(await tp.platform.app.get(BillingService).sweepUnbilled()).toBe(0);
  });

  it('the database refuses an unbalanced journal entry (deferred constraint trigger)', async () => {
    const account = await db().insertInto('ledger_accounts').values({ key: `${communityId}:test`, community_id: communityId, kind: 'asset', name: 'test' }).returning('id').executeTakeFirstOrThrow();
    const attempt = db()
      .transaction()
      .execute(async (trx) => {
        const entry = await trx.insertInto('journal_entries').values({ community_id: communityId, kind: 'payment', bill_id: null, payment_id: null, memo: 'bad' }).returning('id').executeTakeFirstOrThrow();
        await trx.insertInto('journal_lines').values([
          { entry_id: entry.id, account_id: account.id, debit_fen: '100', credit_fen: '0' },
          { entry_id: entry.id, account_id: account.id, debit_fen: '0', credit_fen: '99' },
        ]).execute();
      });
    await expect(attempt).rejects.toThrow(/does not balance/);
    const { rows } = await sql<{ n: string }>`select count(*) as n from journal_entries where memo = 'bad'`.execute(db());
    expect(Number(rows[0].n)).toBe(0);
  });
});
