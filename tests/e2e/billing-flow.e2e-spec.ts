/**
 * Parking billing end to end: a tariff version (audited, scope-checked), sessions closed on a
 * private slot, on common ground and by an ambulance, bills priced with the version in effect at
 * entry and announced on socket.io, a cash payment and a refund, a ledger that balances, the
 * monthly statements (JSON and CSV), the owner's earnings and the public disclosure.
 */
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { DatabaseRepository } from '../../apps/platform/src/repositories/database.repository';
import { EventBusRepository } from '../../apps/platform/src/repositories/event-bus.repository';
import { JobRepository } from '../../apps/platform/src/repositories/job.repository';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { nextEvent, waitFor } from '../support/wait';

const at = (local: string) => new Date(`${local.replace(' ', 'T')}:00+08:00`);
const NOW = at('2025-03-10 09:00');

const tariff = (overrides: Record<string, unknown> = {}) => ({
  setBy: 'owners_assembly',
  filingNumber: '沪价备〔2025〕018号',
  decisionRef: '业主大会决议 2025-02',
  effectiveFrom: NOW.toISOString(),
  rules: {
    freeMinutes: 15,
    pricing: { mode: 'unit', bands: [{ name: 'all', start: '00:00', end: '00:00', unitMinutes: 30, unitPriceFen: 100 }] },
    cap: { amountFen: 2000, window: 'calendarDay' },
  },
  ...overrides,
});

const expectError = (res: { status: number; body: any }, status: number) => {
  expect(res.status).toBe(status);
  expect(res.body).toEqual(expect.objectContaining({ statusCode: status, error: expect.any(String), message: expect.any(String) }));
};

describe('parking billing flow', () => {
  let tp: TestPlatform;
  let communityId: string;
  let otherCommunityId: string;
  let ownerId: string;
  let ownerToken: string;
  let staffToken: string;
  let otherStaffToken: string;
  let slotId: string;
  const sessions: Record<string, string> = {};

  const db = () => tp.platform.app.get(DatabaseRepository).db;
  const createUser = async (username: string, role: string, communityIds: string[]) => {
    const res = await tp.api('POST', 'users', { username, password: 'user-pass-123', role, scope: { level: 'community', communityIds } });
    expect(res.status).toBe(201);
    return { id: res.body.id as string, token: await tp.login(username, 'user-pass-123') };
  };
  const closeSession = async (values: { plate: string; kind: 'visitor' | 'emergency' | 'resident'; entry: string; exit: string; slotId?: string | null }) => {
    const row = await db()
      .insertInto('parking_sessions')
      .values({ community_id: communityId, slot_id: values.slotId ?? null, plate: values.plate, plate_kind: values.kind === 'emergency' ? 'emergency' : 'regular', kind: values.kind, status: 'closed', entry_at: at(values.entry), exit_at: at(values.exit), entry_reason: 'test' })
      .returning('id')
      .executeTakeFirstOrThrow();
    tp.platform.app.get(EventBusRepository).emit('parking.session.closed', { sessionId: row.id, communityId });
    return row.id;
  };
  const billOf = (sessionId: string) =>
    waitFor(async () => {
      const res = await tp.api('GET', `billing/sessions/${sessionId}/bill`);
      return res.status === 200 ? res.body : undefined;
    }, { message: `bill of session ${sessionId}` });

  beforeAll(async () => {
    tp = await startTestPlatform();
    tp.platform.app.get(ClockRepository).now = () => NOW.getTime();
    communityId = (await tp.createCommunity()).id;
    otherCommunityId = (await tp.createCommunity()).id;
    const owner = await createUser('slot-owner', 'owner', [communityId]);
    ownerId = owner.id;
    ownerToken = owner.token;
    staffToken = (await createUser('staff-a', 'property_staff', [communityId])).token;
    otherStaffToken = (await createUser('staff-b', 'property_staff', [otherCommunityId])).token;
    slotId = (
      await db().insertInto('parking_slots').values({ community_id: communityId, code: 'B1-001', location: 'B1', ownership: 'private', owner_id: ownerId }).returning('id').executeTakeFirstOrThrow()
    ).id;
  });
  afterAll(async () => {
    await tp?.close();
  });

  it('creates tariff versions (audited) and refuses bad or unauthorised ones', async () => {
    const created = await tp.api('POST', `billing/communities/${communityId}/tariffs`, tariff(), staffToken);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ version: 1, setBy: 'owners_assembly', filingNumber: '沪价备〔2025〕018号', effectiveFrom: NOW.toISOString() });
    const audit = await db().selectFrom('audit_log').selectAll().where('action', '=', 'billing.tariff.created').where('subject_id', '=', communityId).execute();
    expect(audit).toHaveLength(1);

    expectError(await tp.api('POST', `billing/communities/${communityId}/tariffs`, tariff(), ownerToken), 403);
    expectError(await tp.api('POST', `billing/communities/${communityId}/tariffs`, tariff(), otherStaffToken), 404);
    const bad = await tp.api('POST', `billing/communities/${communityId}/tariffs`, tariff({ filingNumber: '', rules: { pricing: { mode: 'unit', bands: [] } } }), staffToken);
    expectError(bad, 400);
    expect(bad.body.fields.map((f: { path: string }) => f.path)).toEqual(expect.arrayContaining(['filingNumber']));
    expectError(await tp.api('POST', `billing/communities/${communityId}/tariffs`, tariff({ effectiveFrom: at('2025-03-01 00:00').toISOString() }), staffToken), 400);
    expectError(await tp.api('POST', `billing/communities/${communityId}/tariffs`, { ...tariff(), rules: { ...tariff().rules, cap: { amountFen: 1.5, window: 'calendarDay' } } }, staffToken), 400);

    // Version 2 takes effect tomorrow: today's sessions still use version 1.
    const v2 = await tp.api('POST', `billing/communities/${communityId}/tariffs`, tariff({ effectiveFrom: at('2025-03-11 00:00').toISOString(), rules: { pricing: { mode: 'unit', bands: [{ name: 'all', start: '00:00', end: '00:00', unitMinutes: 30, unitPriceFen: 500 }] } } }), staffToken);
    expect(v2.body.version).toBe(2);
    const list = await tp.api('GET', `billing/communities/${communityId}/tariffs`, undefined, ownerToken);
    expect(list.body.map((t: { version: number }) => t.version)).toEqual([2, 1]);
    expect((await tp.api('GET', `billing/communities/${communityId}/tariffs/current`, undefined, ownerToken)).body.version).toBe(1);
    expectError(await tp.api('GET', `billing/communities/${communityId}/tariffs/current`, undefined, otherStaffToken), 404);
    expectError(await tp.api('GET', `billing/communities/${otherCommunityId}/tariffs/current`), 404);
  });

  it('sets the revenue split (platform or owners’ committee only)', async () => {
    expectError(await tp.api('PUT', `billing/communities/${communityId}/settings`, { commissionBp: 1000, platformFeeBp: 500 }, staffToken), 403);
    expectError(await tp.api('PUT', `billing/communities/${communityId}/settings`, { commissionBp: 9000, platformFeeBp: 2000 }), 400);
    const res = await tp.api('PUT', `billing/communities/${communityId}/settings`, { commissionBp: 1000, platformFeeBp: 500 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ commissionBp: 1000, platformFeeBp: 500, isDefault: false });
  });

  it('bills closed sessions once, with the version in effect at entry, and announces them', async () => {
    const socket = await tp.socket(staffToken);
    const announced = nextEvent<{ billId: string; communityId: string; amountFen: number }>(socket, 'billing.bill.created');
    // Private slot, 95 min: 4 units × 100 = 400 → commission 10 % 40, platform 5 % 20, owner 340.
    sessions.private = await closeSession({ plate: '沪A20001', kind: 'visitor', entry: '2025-03-10 12:00', exit: '2025-03-10 13:35', slotId });
    const event = await announced;
    expect(event).toMatchObject({ communityId, amountFen: 400 });
    const bill = await billOf(sessions.private);
    expect(bill).toMatchObject({ id: event.billId, amountFen: 400, tariffVersion: 1, slotOwnerId: ownerId, status: 'unpaid', split: { ownerFen: 340, commissionFen: 40, platformFeeFen: 20, commonIncomeFen: 0 } });
    expect(bill.breakdown.filingNumber).toBe('沪价备〔2025〕018号');
    expect(bill.breakdown.lines[0]).toMatchObject({ kind: 'free' });

    // Common ground, 20 min (> 15 free, billed from arrival): 1 unit = 100, all common income.
    sessions.common = await closeSession({ plate: '沪A20002', kind: 'visitor', entry: '2025-03-10 12:00', exit: '2025-03-10 12:20' });
    expect(await billOf(sessions.common)).toMatchObject({ amountFen: 100, slotOwnerId: null, split: { commonIncomeFen: 100, ownerFen: 0 } });

    // An ambulance: free whatever the tariff.
    sessions.emergency = await closeSession({ plate: '沪A1234警', kind: 'emergency', entry: '2025-03-10 08:00', exit: '2025-03-10 20:00' });
    expect(await billOf(sessions.emergency)).toMatchObject({ amountFen: 0, status: 'free', exempt: 'emergency vehicle' });

    // The close event again: nothing new.
    tp.platform.app.get(EventBusRepository).emit('parking.session.closed', { sessionId: sessions.private, communityId });
    await waitFor(async () => {
      const c = (await tp.platform.app.get(JobRepository).counts()).parking;
      return c.waiting + c.active + c.delayed === 0;
    });
    const bills = await tp.api('GET', `billing/communities/${communityId}/bills?month=2025-03`, undefined, staffToken);
    expect(bills.body).toHaveLength(3);
    expectError(await tp.api('GET', `billing/sessions/${sessions.private}/bill`, undefined, otherStaffToken), 404);
    expectError(await tp.api('GET', `billing/communities/${communityId}/bills`, undefined, ownerToken), 403);
  });

  it('records a cash payment and a refund, refusing overpayment and a reused receipt', async () => {
    const bill = await billOf(sessions.private);
    expectError(await tp.api('POST', `billing/bills/${bill.id}/payments`, { provider: 'cash', amountFen: 401 }, staffToken), 409);
    expectError(await tp.api('POST', `billing/bills/${bill.id}/payments`, { provider: 'wechat', amountFen: 100 }, staffToken), 400);
    expectError(await tp.api('POST', `billing/bills/${bill.id}/payments`, { provider: 'cash', amountFen: 100 }, ownerToken), 403);
    expectError(await tp.api('POST', `billing/bills/${bill.id}/payments`, { provider: 'cash', amountFen: -5 }, staffToken), 400);
    const paid = await tp.api('POST', `billing/bills/${bill.id}/payments`, { provider: 'cash', amountFen: 400, reference: 'R-0001' }, staffToken);
    expect(paid.status).toBe(201);
    expect(paid.body).toMatchObject({ status: 'paid', paidFen: 400, payments: [expect.objectContaining({ kind: 'payment', provider: 'cash', reference: 'R-0001', amountFen: 400 })] });
    expectError(await tp.api('POST', `billing/bills/${bill.id}/payments`, { provider: 'cash', amountFen: 1 }, staffToken), 409);

    const common = await billOf(sessions.common);
    expectError(await tp.api('POST', `billing/bills/${common.id}/payments`, { provider: 'cash', amountFen: 100, reference: 'R-0001' }, staffToken), 409);
    expectError(await tp.api('POST', `billing/bills/${common.id}/refunds`, { amountFen: 10, reason: 'nothing paid' }, staffToken), 409);

    const refunded = await tp.api('POST', `billing/bills/${bill.id}/refunds`, { amountFen: 100, reason: 'barrier fault' }, staffToken);
    expect(refunded.status).toBe(201);
    expect(refunded.body).toMatchObject({ refundedFen: 100, status: 'paid' });
    expectError(await tp.api('POST', `billing/bills/${bill.id}/refunds`, { amountFen: 301, reason: 'too much' }, staffToken), 409);
  });

  it('keeps a balanced ledger with the owner’s, property’s, platform’s and common accounts', async () => {
    const ledger = await tp.api('GET', `billing/communities/${communityId}/ledger`, undefined, staffToken);
    expect(ledger.status).toBe(200);
    expect(ledger.body.balanced).toBe(true);
    expect(ledger.body.totalDebitFen).toBe(ledger.body.totalCreditFen);
    const balance = (suffix: string) => ledger.body.accounts.find((a: { key: string }) => a.key === `${communityId}:${suffix}`)?.balanceFen;
    // Refund of 100 on the private bill reverses 10 commission, 5 platform fee, 85 owner.
    expect(balance('receivable')).toBe(100); // common bill unpaid
    expect(balance('cash:cash')).toBe(300);
    expect(balance(`owner_payable:${ownerId}`)).toBe(340 - 85);
    expect(balance('property_commission')).toBe(40 - 10);
    expect(balance('platform_fee')).toBe(20 - 5);
    expect(balance('common_income')).toBe(100);
    expectError(await tp.api('GET', `billing/communities/${communityId}/ledger`, undefined, ownerToken), 403);
  });

  it('reports monthly statements per community (JSON and CSV) and per owner', async () => {
    const st = await tp.api('GET', `billing/communities/${communityId}/statements?month=2025-03`, undefined, staffToken);
    expect(st.body).toMatchObject({ month: '2025-03', bills: 3, revenueFen: 500, commissionFen: 40, platformFeeFen: 20, ownerEarningsFen: 340, commonIncomeFen: 100, collectedFen: 400, refundedFen: 100, outstandingFen: 100 });
    expect((await tp.api('GET', `billing/communities/${communityId}/statements?month=2025-04`, undefined, staffToken)).body).toMatchObject({ bills: 0, revenueFen: 0 });
    expectError(await tp.api('GET', `billing/communities/${communityId}/statements?month=2025-13`, undefined, staffToken), 400);
    expectError(await tp.api('GET', `billing/communities/${communityId}/statements`, undefined, staffToken), 400);

    const res = await fetch(`${tp.httpUrl}/api/v1/billing/communities/${communityId}/statements/csv?month=2025-03`, { headers: { Authorization: `Bearer ${staffToken}` } });
    expect(res.headers.get('content-type')).toMatch(/text\/csv/);
    const csv = (await res.text()).trim().split('\r\n');
    expect(csv[0]).toMatch(/^bill_id,exit_at,plate/);
    expect(csv).toHaveLength(4);

    const earnings = await tp.api('GET', 'billing/owners/me/earnings?month=2025-03', undefined, ownerToken);
    expect(earnings.body).toMatchObject({ ownerId, bills: 1, revenueFen: 400, ownerEarningsFen: 340, commissionFen: 40, platformFeeFen: 20 });
    expect(earnings.body.items).toEqual([expect.objectContaining({ slotId, ownerFen: 340 })]);
    const ecsv = await fetch(`${tp.httpUrl}/api/v1/billing/owners/me/earnings/csv?month=2025-03`, { headers: { Authorization: `Bearer ${ownerToken}` } });
    expect((await ecsv.text()).trim().split('\r\n')).toHaveLength(2);
    expect((await tp.api('GET', 'billing/owners/me/earnings?month=2025-03', undefined, staffToken)).body.bills).toBe(0);
  });

  it('discloses revenue, common income and the current tariff with its filing number to anyone', async () => {
    const res = await tp.api('GET', `/api/v1/public/communities/${communityId}/parking-disclosure?month=2025-03`, undefined, null);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      month: '2025-03',
      revenueFen: 500,
      commonIncomeFen: 100,
      currentTariff: { version: 1, setBy: 'owners_assembly', filingNumber: '沪价备〔2025〕018号' },
      tariffHistory: [expect.objectContaining({ version: 2 }), expect.objectContaining({ version: 1 })],
    });
    expect(JSON.stringify(res.body)).not.toContain('沪A20001');
    expectError(await tp.api('GET', `/api/v1/public/communities/00000000-0000-4000-8000-000000000000/parking-disclosure`, undefined, null), 404);
    expectError(await tp.api('GET', `/api/v1/public/communities/nope/parking-disclosure`, undefined, null), 400);
    const page = await fetch(`${tp.httpUrl}/parking-disclosure/?community=${communityId}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('parking-disclosure');
  });
});
