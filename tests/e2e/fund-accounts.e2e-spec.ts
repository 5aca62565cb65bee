/**
 * Maintenance-fund accounts per unit (专项维修资金分户账, issue 13 §4) end to end, on embedded PGlite
 * and on PostgreSQL: a community's opening balances imported from CSV (bad rows reported), a
 * deposit (缴存, its slip booked once), a green-channel case walked to disclosure whose shares are
 * taken from the accounts exactly once (a second relay and a replayed outbox row change nothing),
 * interest split by balance, common income moved into the fund (seed 004 三(四)3(1)) and split by
 * floor area, never more than common income holds; the year's statement reconciles with the
 * ledger to the fen. Scope: an owner sees only their own unit, another community's staff and
 * another street's officer get 404, an owner may not read the community or post. On PGlite an
 * owner reads their account on the phone page (375 px, Chinese, then English).
 */
import { accounts } from '../../apps/platform/src/domain/ledger';
import { BillingRepository } from '../../apps/platform/src/repositories/billing.repository';
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { DatabaseRepository } from '../../apps/platform/src/repositories/database.repository';
import { OutboxRepository } from '../../apps/platform/src/repositories/outbox.repository';
import { FundAccountService } from '../../apps/platform/src/services/fund-account.service';
import { browserPages, expectFitsPhone, waitForText } from '../support/browser';
import { freshPostgresDatabase, type FreshPostgres } from '../support/databases';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

const sh = (local: string) => Date.parse(`${local}+08:00`);

describe.each(['pglite', 'postgres'] as const)('maintenance-fund accounts (e2e, %s)', (engine) => {
  const browser = browserPages();
  let tp: TestPlatform;
  let pg: FreshPostgres | undefined;
  let now = sh('2026-03-02T10:00:00'); // a Monday
  let communityId: string;
  let otherId: string;
  const tokens: Record<string, string> = {};
  const unitIds: Record<string, string> = {};

  beforeAll(async () => {
    pg = engine === 'postgres' ? await freshPostgresDatabase() : undefined;
    tp = await startTestPlatform(pg ? { env: { DATABASE_URL: pg.url } } : {});
    jest.spyOn(tp.platform.app.get(ClockRepository), 'now').mockImplementation(() => now);
    communityId = (await tp.createCommunity({ name: '维修资金花园', district: '鼓楼区', street: '东街街道' })).id;
    otherId = (await tp.createCommunity({ name: '西街小区', district: '鼓楼区', street: '西街街道' })).id;
    const users: Array<[string, string, Record<string, unknown>]> = [
      ['staff', 'property_staff', { level: 'community', communityIds: [communityId] }],
      ['otherstaff', 'property_staff', { level: 'community', communityIds: [otherId] }],
      ['street', 'street_officer', { level: 'street', district: '鼓楼区', street: '东街街道' }],
      ['otherstreet', 'street_officer', { level: 'street', district: '鼓楼区', street: '西街街道' }],
      ['authority', 'district_authority', { level: 'district', district: '鼓楼区' }],
      ['o1', 'owner', { level: 'community', communityIds: [communityId] }],
      ['o2', 'owner', { level: 'community', communityIds: [communityId] }],
      ['outsider', 'owner', { level: 'community', communityIds: [otherId] }],
    ];
    for (const [name, role, scope] of users) {
      expect((await tp.api('POST', 'users', { username: `fa-${name}`, password: 'user-pass-123', role, scope })).status).toBe(201);
      tokens[name] = await tp.login(`fa-${name}`, 'user-pass-123');
    }
    const units = await csv(`communities/${communityId}/units/import`, 'building,number,floorArea,owner\n1栋,101,90.00,fa-o1\n1栋,102,90.00,fa-o2\n1栋,201,120.00,\n2栋,101,100.00,\n', tokens.staff);
    expect(units.body).toMatchObject({ created: 4, linked: 2, rejected: [] });
    for (const a of (await tp.api('GET', `fund-accounts?communityId=${communityId}`, undefined, tokens.staff)).body) unitIds[`${a.building}-${a.number}`] = a.unitId;
    expect(Object.keys(unitIds)).toHaveLength(4);
  }, 120_000);

  afterAll(async () => {
    await tp?.close();
    await pg?.drop();
  });

  async function csv(path: string, body: string, token: string) {
    const res = await fetch(`${tp.httpUrl}/api/v1/${path}`, { method: 'POST', headers: { 'Content-Type': 'text/csv', Authorization: `Bearer ${token}` }, body });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }
  const balances = async () =>
    Object.fromEntries(((await tp.api('GET', `fund-accounts?communityId=${communityId}`, undefined, tokens.staff)).body as Array<{ building: string; number: string; balanceFen: number }>).map((a) => [`${a.building}-${a.number}`, a.balanceFen]));

  it('imports opening balances, books a deposit, takes a disclosed case’s shares once, posts interest and a common-income transfer; the statement reconciles with the ledger', async () => {
    // ---- opening balances for the whole community, as of the end of 2025; bad rows reported
    const opening = 'building,number,balance\n1栋,101,1000.00\n1栋,102,1000\n1栋,201,2000.50\n2栋,101,500\n9栋,101,10\n1栋,101,5\n2栋,101,abc\n';
    const path = `fund-accounts/communities/${communityId}/opening-balances/import?asOf=2025-12-31`;
    expect((await csv(path, opening, tokens.staff)).status).toBe(403); // the fund's keeper posts, not the property company
    expect((await csv(path, opening, tokens.otherstaff)).status).toBe(403);
    const imported = await csv(path, opening, tokens.authority);
    expect(imported.status).toBe(200);
    expect(imported.body).toMatchObject({ rows: 7, posted: 4, totalFen: 450_050 });
    expect(imported.body.rejected.map((r: { row: number }) => r.row)).toEqual([5, 6, 7]);
    expect(imported.body.rejected[0].reason).toContain('unknown unit');
    expect(imported.body.rejected[1].reason).toContain('already on row 1');
    expect(imported.body.rejected[2].reason).toContain('balance');
    // Importing again opens nothing twice.
    const again = await csv(path, 'building,number,balance\n1栋,101,1\n', tokens.authority);
    expect(again.body).toMatchObject({ posted: 0, totalFen: 0 });
    expect(again.body.rejected[0].reason).toContain('already has an opening balance');
    expect((await csv(`fund-accounts/communities/${communityId}/opening-balances/import?asOf=2025-12-31`, 'building,number\n1栋,101\n', tokens.authority)).status).toBe(400);

    // ---- a deposit (缴存): booked once per slip, never in the future
    const deposit = { amountFen: 20_000, reference: 'SLIP-0001', depositedOn: '2026-01-15' };
    expect((await tp.api('POST', `fund-accounts/units/${unitIds['1栋-101']}/deposits`, deposit, tokens.o1)).status).toBe(403);
    expect((await tp.api('POST', `fund-accounts/units/${unitIds['1栋-101']}/deposits`, { ...deposit, depositedOn: '2026-03-03' }, tokens.authority)).status).toBe(400);
    expect((await tp.api('POST', `fund-accounts/units/${unitIds['1栋-101']}/deposits`, deposit, tokens.authority)).status).toBe(201);
    expect((await tp.api('POST', `fund-accounts/units/${unitIds['1栋-101']}/deposits`, deposit, tokens.authority)).status).toBe(409);

    // ---- a green-channel case charged to 1栋 (90 + 90 + 120 m²), walked to disclosure
    const opened = await tp.api('POST', 'fund/cases', { communityId, category: 'elevator', title: '1栋电梯制动器故障' }, tokens.staff);
    expect(opened.status).toBe(201);
    const caseId = opened.body.id;
    const act = async (who: string, body: Record<string, unknown>) => {
      const res = await tp.api('POST', `fund/cases/${caseId}/transitions`, body, tokens[who]);
      expect([res.status, res.body.message]).toEqual([200, undefined]);
      return res.body;
    };
    const building1 = (await tp.api('GET', `communities/${communityId}`, undefined, tokens.staff)).body.buildings.find((b: { name: string }) => b.name === '1栋').id;
    await act('staff', { action: 'propose', repairPlan: '更换制动器', contractor: '福州电梯维修有限公司', budgetFen: 40_000, chargeScope: { level: 'building', buildingIds: [building1] } });
    await act('staff', { action: 'publish_notice' });
    now = sh('2026-03-09T10:00:00');
    await act('street', { action: 'confirm' });
    await act('authority', { action: 'approve' });
    await act('authority', { action: 'pay' });
    await act('staff', { action: 'accept', actualCostFen: 30_001 });
    await act('authority', { action: 'pay' });
    const disclosed = await act('staff', { action: 'disclose' });
    // 30001 × 90/300 = 9000.3, ×120/300 = 12000.4: the odd fen to the largest remainder (domain/cost-sharing.ts).
    expect(Object.fromEntries(disclosed.shares.map((s: { unit: string; shareFen: number }) => [s.unit, s.shareFen]))).toEqual({ '101': 9_000, '102': 9_000, '201': 12_001 });
    await waitFor(async () => (await balances())['1栋-201'] === 200_050 - 12_001, { message: 'case shares taken from the accounts' });
    expect(await balances()).toEqual({ '1栋-101': 111_000, '1栋-102': 91_000, '1栋-201': 188_049, '2栋-101': 50_000 });

    // Exactly once: the handler run again, and the outbox row replayed (a crash after posting, before its delete), change nothing.
    expect(await tp.platform.app.get(FundAccountService).takeCaseShares(caseId)).toBe(false);
    const db = tp.platform.app.get(DatabaseRepository).db;
    await db.transaction().execute((tx) => tp.platform.app.get(OutboxRepository).add(tx, 'fund-account.case-shares', caseId, { caseId }));
    await tp.platform.app.get(OutboxRepository).relay(0);
    expect(await tp.platform.app.get(OutboxRepository).pendingCount()).toBe(0);
    expect(await balances()).toEqual({ '1栋-101': 111_000, '1栋-102': 91_000, '1栋-201': 188_049, '2栋-101': 50_000 });

    // ---- interest at 0.35 % on 9 March: 440049 × 0.0035 = 1540.17 → 1540 fen, split by balance:
    // 388.457, 318.465, 658.097, 175.009 → 1539 rounded down, the odd fen to the largest remainder (1栋 102).
    const interest = await tp.api('POST', `fund-accounts/communities/${communityId}/interest`, { rate: '0.0035', postedOn: '2026-03-09' }, tokens.authority);
    expect(interest.status).toBe(201);
    expect(interest.body.totalFen).toBe(1_540);
    expect((await tp.api('POST', `fund-accounts/communities/${communityId}/interest`, { rate: '0.0035', postedOn: '2026-03-09' }, tokens.authority)).status).toBe(409);
    expect(await balances()).toEqual({ '1栋-101': 111_388, '1栋-102': 91_319, '1栋-201': 188_707, '2栋-101': 50_175 });

    // ---- common income (parking, advertising) into the fund (004 三(四)3(1)); 1000 yuan collected by parking
    await db.transaction().execute((tx) =>
      tp.platform.app.get(BillingRepository).postJournal(tx, { communityId, kind: 'payment', billId: null, paymentId: null, memo: 'common-area parking income (test)' }, [
        { account: accounts.cash(communityId, 'cash'), debitFen: 100_000n, creditFen: 0n },
        { account: accounts.commonIncome(communityId), debitFen: 0n, creditFen: 100_000n },
      ]),
    );
    const transfer = { amountFen: 40_001, reference: 'CI-2026-01', postedOn: '2026-03-09', memo: '停车、广告收益补充维修资金' };
    expect((await tp.api('POST', `fund-accounts/communities/${communityId}/transfers`, transfer, tokens.o1)).status).toBe(403);
    expect((await tp.api('POST', `fund-accounts/communities/${otherId}/transfers`, transfer, tokens.staff)).status).toBe(404);
    const moved = await tp.api('POST', `fund-accounts/communities/${communityId}/transfers`, transfer, tokens.staff);
    expect(moved.status).toBe(201);
    expect((await tp.api('POST', `fund-accounts/communities/${communityId}/transfers`, transfer, tokens.staff)).status).toBe(409);
    expect((await tp.api('POST', `fund-accounts/communities/${communityId}/transfers`, { ...transfer, reference: 'CI-2026-02', amountFen: 60_000 }, tokens.staff)).status).toBe(409); // 59999 left
    // By floor area over 400 m²: 9000.225, 9000.225, 12000.3, 10000.25 → the odd fen to 1栋 201.
    expect(await balances()).toEqual({ '1栋-101': 120_388, '1栋-102': 100_319, '1栋-201': 200_708, '2栋-101': 60_175 });
    const ledger = await tp.platform.app.get(BillingRepository).accountBalances(communityId);
    const commonIncome = ledger.find((a) => a.key === accounts.commonIncome(communityId).key)!;
    expect(BigInt(commonIncome.credit_fen) - BigInt(commonIncome.debit_fen)).toBe(59_999n);

    // ---- the 2026 statement: Σ units = community = the ledger, to the fen
    const statement = await tp.api('GET', `fund-accounts/communities/${communityId}/statement?year=2026`, undefined, tokens.street);
    expect(statement.status).toBe(200);
    expect(statement.body.total).toEqual({ openingFen: 450_050, importedFen: 0, depositsFen: 20_000, sharesTakenFen: 30_001, interestFen: 1_540, transfersInFen: 40_001, closingFen: 481_590 });
    expect(statement.body).toMatchObject({ ledgerClosingFen: 481_590, reconciled: true });
    const units = statement.body.units as Array<{ unitId: string; statement: Record<string, number> }>;
    for (const key of Object.keys(statement.body.total)) expect(units.reduce((s, u) => s + u.statement[key], 0)).toBe(statement.body.total[key]);
    const unitLedger = ledger.filter((a) => a.key.includes(':fund_unit:')).reduce((s, a) => s + BigInt(a.credit_fen) - BigInt(a.debit_fen), 0n);
    expect(unitLedger).toBe(481_590n);
    expect((await tp.api('GET', `fund-accounts/communities/${communityId}/statement?year=2025`, undefined, tokens.street)).body.total).toMatchObject({ openingFen: 0, importedFen: 450_050, closingFen: 450_050 });

    // ---- the owner's own account and statement
    const mine = await tp.api('GET', 'fund-accounts/mine', undefined, tokens.o1);
    expect(mine.body).toEqual([expect.objectContaining({ unitId: unitIds['1栋-101'], balanceFen: 120_388 })]);
    const own = await tp.api('GET', `fund-accounts/units/${unitIds['1栋-101']}`, undefined, tokens.o1);
    expect(own.body.movements.map((m: { kind: string; amountFen: number }) => [m.kind, m.amountFen])).toEqual([
      ['fund_opening', 100_000],
      ['fund_deposit', 20_000],
      ['fund_share', -9_000],
      ['fund_interest', 388],
      ['fund_transfer', 9_000],
    ]);
    const ownStatement = await tp.api('GET', `fund-accounts/units/${unitIds['1栋-101']}/statement?year=2026`, undefined, tokens.o1);
    expect(ownStatement.body.statement).toEqual(units.find((u) => u.unitId === unitIds['1栋-101'])!.statement);
  });

  it('shows owners their own units only and keeps every community’s accounts to its own staff and officers', async () => {
    const unit = unitIds['1栋-101'];
    const reads = [`fund-accounts/units/${unit}`, `fund-accounts/units/${unit}/statement?year=2026`];
    for (const path of reads) {
      expect((await tp.api('GET', path, undefined, tokens.o1)).status).toBe(200);
      expect((await tp.api('GET', path, undefined, tokens.staff)).status).toBe(200);
      expect((await tp.api('GET', path, undefined, tokens.o2)).status).toBe(404); // a neighbour
      expect((await tp.api('GET', path, undefined, tokens.outsider)).status).toBe(404);
      expect((await tp.api('GET', path, undefined, tokens.otherstaff)).status).toBe(404);
      expect((await tp.api('GET', path, undefined, tokens.otherstreet)).status).toBe(404);
      expect((await tp.api('GET', path)).status).toBe(200); // the administrator
    }
    for (const path of [`fund-accounts?communityId=${communityId}`, `fund-accounts/communities/${communityId}/statement?year=2026`]) {
      expect((await tp.api('GET', path, undefined, tokens.street)).status).toBe(200);
      expect((await tp.api('GET', path, undefined, tokens.o1)).status).toBe(403);
      expect((await tp.api('GET', path, undefined, tokens.otherstaff)).status).toBe(404);
      expect((await tp.api('GET', path, undefined, tokens.otherstreet)).status).toBe(404);
    }
    expect((await tp.api('POST', `fund-accounts/communities/${communityId}/interest`, { rate: '0.001', postedOn: '2026-03-08' }, tokens.otherstaff)).status).toBe(403);
    expect((await tp.api('POST', `fund-accounts/units/${unit}/deposits`, { amountFen: 1, reference: 'X', depositedOn: '2026-03-01' }, tokens.staff)).status).toBe(403);
    expect((await tp.api('GET', 'fund-accounts/mine', undefined, tokens.outsider)).body).toEqual([]);
    expect((await tp.api('GET', `fund-accounts/units/not-a-uuid`, undefined, tokens.o1)).status).toBe(400);
    expect((await tp.api('GET', `fund-accounts/units/${unit}`, undefined, null)).status).toBe(401);
  });

  if (engine === 'pglite') {
    it('shows an owner their balance, statement and movements on the phone page (375 px, Chinese, then English)', async () => {
      const page = await browser.open();
      await page.goto(`${tp.httpUrl}/fund-account/`);
      await page.fill('#login-username', 'fa-o1');
      await page.fill('#login-password', 'user-pass-123');
      await page.click('#login-submit');
      await waitForText(page, '#accounts', '1203.88');
      await waitForText(page, '#accounts', '应急维修分摊');
      await waitForText(page, '#accounts', '-90.00');
      await waitForText(page, '#accounts', '1栋 101');
      expect(await page.textContent('#accounts')).not.toContain('1栋 102');
      await expectFitsPhone(page);
      await page.click('#app-view .lang__btn[data-lang="en"]');
      await waitForText(page, '#accounts', 'Emergency repair share');
      await expectFitsPhone(page);
    });
  }
});
