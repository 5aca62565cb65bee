/**
 * Maintenance-fund accounts live (issue 13 §4 "an owner sees their own balance and movements
 * live") and advertising income into common income (§4 "transfers of common income (parking,
 * advertising) into the fund"), end to end on embedded PGlite and on PostgreSQL with real socket.io clients:
 * a deposit, a disclosed case's shares, interest and a transfer of common income each reach the
 * unit's verified owners (with the new balance, already committed: REST reads the same) and the
 * community's staff; another unit's owner, and another community's staff and owner, hear nothing
 * of it. Staff record advertising income (seed 004 三(四)4(2) 投放广告 … 收入属于业主共有，单独建账)
 * and move it into the fund by floor area (004 三(四)3(1) 主要用于补充维修资金); it shows on the
 * public board beside parking. On PGlite, the board page shows it, and on the phone page (375 px) an
 * owner's balance changes without a reload.
 */
import type { Socket } from 'socket.io-client';
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { browserPages, expectFitsPhone, waitForText } from '../support/browser';
import { freshPostgresDatabase, type FreshPostgres } from '../support/databases';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

const sh = (local: string) => Date.parse(`${local}+08:00`);

interface Movement {
  communityId: string;
  unitId: string;
  entryId: string;
  kind: string;
  amountFen: number;
  balanceFen: number;
  ownerIds: string[];
}

describe.each(['pglite', 'postgres'] as const)('maintenance-fund accounts live, and advertising income (e2e, %s)', (engine) => {
  const browser = browserPages();
  let tp: TestPlatform;
  let pg: FreshPostgres | undefined;
  let now = sh('2026-03-02T10:00:00');
  let communityId: string;
  let otherId: string;
  const tokens: Record<string, string> = {};
  const userIds: Record<string, string> = {};
  const unitIds: Record<string, string> = {};
  const seen: Record<string, Movement[]> = {};
  const sockets: Record<string, Socket> = {};

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
      ['authority', 'district_authority', { level: 'district', district: '鼓楼区' }],
      ['o1', 'owner', { level: 'community', communityIds: [communityId] }],
      ['o2', 'owner', { level: 'community', communityIds: [communityId] }],
      ['outsider', 'owner', { level: 'community', communityIds: [otherId] }],
    ];
    for (const [name, role, scope] of users) {
      const res = await tp.api('POST', 'users', { username: `fl-${name}`, password: 'user-pass-123', role, scope });
      expect(res.status).toBe(201);
      userIds[name] = res.body.id;
      tokens[name] = await tp.login(`fl-${name}`, 'user-pass-123');
    }
    const importUnits = async (community: string, body: string, token: string) => {
      const res = await fetch(`${tp.httpUrl}/api/v1/communities/${community}/units/import`, { method: 'POST', headers: { 'Content-Type': 'text/csv', Authorization: `Bearer ${token}` }, body });
      expect(res.status).toBe(200);
    };
    await importUnits(communityId, 'building,number,floorArea,owner\n1栋,101,90.00,fl-o1\n1栋,102,90.00,fl-o2\n2栋,101,120.00,\n', tokens.staff);
    await importUnits(otherId, 'building,number,floorArea,owner\n3栋,101,100.00,fl-outsider\n', tokens.otherstaff);
    for (const [community, token] of [[communityId, tokens.staff], [otherId, tokens.otherstaff]]) {
      for (const a of (await tp.api('GET', `fund-accounts?communityId=${community}`, undefined, token)).body) unitIds[`${a.building}-${a.number}`] = a.unitId;
    }
    expect(Object.keys(unitIds)).toHaveLength(4);
    for (const who of ['o1', 'o2', 'staff', 'otherstaff', 'outsider']) {
      seen[who] = [];
      sockets[who] = await tp.socket(tokens[who]);
      sockets[who].on('fund.account.movement', (e: Movement) => seen[who].push(e));
    }
  }, 120_000);

  afterAll(async () => {
    await tp?.close();
    await pg?.drop();
  });

  const saw = (who: string, entryId: string, unitId: string) =>
    waitFor(() => seen[who].find((e) => e.entryId === entryId && e.unitId === unitId), { timeoutMs: 15_000, message: `${who} sees ${entryId} on ${unitId}` });
  const restBalance = async (unitId: string, token: string) => (await tp.api('GET', `fund-accounts/units/${unitId}`, undefined, token)).body.balanceFen as number;
  const deposit = async (unit: string, amountFen: number, reference: string) => {
    const res = await tp.api('POST', `fund-accounts/units/${unitIds[unit]}/deposits`, { amountFen, reference, depositedOn: '2026-03-01' }, tokens.authority);
    expect(res.status).toBe(201);
    return res.body.entryId as string;
  };

  it('pushes each posting to the unit’s verified owners and the community’s staff, after it committed, and to nobody else', async () => {
    const a101 = unitIds['1栋-101'];
    const a102 = unitIds['1栋-102'];
    const b101 = unitIds['3栋-101'];

    // ---- a deposit to 1栋 101: its owner and the staff see the movement and the new balance
    const d1 = await deposit('1栋-101', 20_000, 'SLIP-1');
    const o1Saw = await saw('o1', d1, a101);
    expect(o1Saw).toMatchObject({ communityId, kind: 'fund_deposit', amountFen: 20_000, balanceFen: 20_000, ownerIds: [userIds.o1] });
    expect(await restBalance(a101, tokens.o1)).toBe(o1Saw.balanceFen); // committed when pushed
    expect(await saw('staff', d1, a101)).toMatchObject({ balanceFen: 20_000 });

    // ---- 1栋 102 and the other community's unit: each to its own owner and staff
    const d2 = await deposit('1栋-102', 5_000, 'SLIP-2');
    expect(await saw('o2', d2, a102)).toMatchObject({ amountFen: 5_000, balanceFen: 5_000 });
    const d3 = await deposit('3栋-101', 7_000, 'SLIP-3');
    expect(await saw('outsider', d3, b101)).toMatchObject({ communityId: otherId, balanceFen: 7_000 });
    expect(await saw('otherstaff', d3, b101)).toMatchObject({ balanceFen: 7_000 });
    await saw('staff', d2, a102);

    // ---- a deposit refused as booked already pushes nothing
    expect((await tp.api('POST', `fund-accounts/units/${a101}/deposits`, { amountFen: 20_000, reference: 'SLIP-1', depositedOn: '2026-03-01' }, tokens.authority)).status).toBe(409);

    // ---- interest on community A: every account there, each owner only their own
    const interest = await tp.api('POST', `fund-accounts/communities/${communityId}/interest`, { rate: '0.01', postedOn: '2026-03-02' }, tokens.authority);
    expect(interest.status).toBe(201);
    expect(await saw('o1', interest.body.entryId, a101)).toMatchObject({ kind: 'fund_interest', amountFen: 200, balanceFen: 20_200 });
    expect(await saw('o2', interest.body.entryId, a102)).toMatchObject({ amountFen: 50, balanceFen: 5_050 });
    await saw('staff', interest.body.entryId, a102);

    // ---- a green-channel case charged to 1栋, disclosed: its shares are taken and pushed
    const opened = await tp.api('POST', 'fund/cases', { communityId, category: 'elevator', title: '1栋电梯制动器故障' }, tokens.staff);
    expect(opened.status).toBe(201);
    const act = async (who: string, body: Record<string, unknown>) => {
      const res = await tp.api('POST', `fund/cases/${opened.body.id}/transitions`, body, tokens[who]);
      expect([res.status, res.body.message]).toEqual([200, undefined]);
    };
    const building1 = (await tp.api('GET', `communities/${communityId}`, undefined, tokens.staff)).body.buildings.find((b: { name: string }) => b.name === '1栋').id;
    await act('staff', { action: 'propose', repairPlan: '更换制动器', contractor: '福州电梯维修有限公司', budgetFen: 4_000, chargeScope: { level: 'building', buildingIds: [building1] } });
    await act('staff', { action: 'publish_notice' });
    now = sh('2026-03-09T10:00:00');
    await act('street', { action: 'confirm' });
    await act('authority', { action: 'approve' });
    await act('authority', { action: 'pay' });
    await act('staff', { action: 'accept', actualCostFen: 3_000 });
    await act('authority', { action: 'pay' });
    await act('staff', { action: 'disclose' });
    const share = await waitFor(() => seen.o1.find((e) => e.kind === 'fund_share'), { timeoutMs: 15_000, message: 'o1 sees the case share' });
    expect(share).toMatchObject({ unitId: a101, amountFen: -1_500, balanceFen: 18_700 });
    expect(await saw('o2', share.entryId, a102)).toMatchObject({ amountFen: -1_500, balanceFen: 3_550 });
    expect(await restBalance(a102, tokens.o2)).toBe(3_550);

    // ---- the last event each socket should hear arrived; nothing of anyone else's came before it
    await saw('staff', share.entryId, a101);
    expect(seen.o1.every((e) => e.unitId === a101)).toBe(true);
    expect(seen.o2.every((e) => e.unitId === a102)).toBe(true);
    expect(seen.outsider.map((e) => e.entryId)).toEqual([d3]);
    expect(seen.otherstaff.map((e) => e.entryId)).toEqual([d3]);
    expect(seen.staff.every((e) => e.communityId === communityId)).toBe(true);
    expect(seen.o1.map((e) => e.kind)).toEqual(['fund_deposit', 'fund_interest', 'fund_share']);
  });

  it('records advertising income into common income, moves it into the fund by floor area, and shows it on the board', async () => {
    const path = `fund-accounts/communities/${communityId}/common-income`;
    const ad = { category: 'advertising', amountFen: 30_000, payer: '福州分众传媒有限公司', contractRef: 'AD-2026-01', periodFrom: '2026-01-01', periodTo: '2026-03-31', receivedOn: '2026-03-05' };
    // permission, scope, validation
    expect((await tp.api('POST', path, ad, tokens.o1)).status).toBe(403);
    expect((await tp.api('POST', path, ad, tokens.otherstaff)).status).toBe(404);
    expect((await tp.api('POST', path, { ...ad, periodTo: '2025-12-31' }, tokens.staff)).status).toBe(400);
    expect((await tp.api('POST', path, { ...ad, amountFen: 0 }, tokens.staff)).status).toBe(400);
    expect((await tp.api('POST', path, { ...ad, category: 'lottery' }, tokens.staff)).status).toBe(400);
    expect((await tp.api('POST', path, { ...ad, receivedOn: '2026-03-10' }, tokens.staff)).status).toBe(400); // in the future
    const recorded = await tp.api('POST', path, ad, tokens.staff);
    expect(recorded.status).toBe(201);
    expect(recorded.body).toMatchObject({ ...ad, communityId, memo: null, commonIncomeFen: 30_000 });
    expect((await tp.api('POST', path, ad, tokens.staff)).status).toBe(409); // the contract's period booked once
    const venue = await tp.api('POST', path, { category: 'venue', amountFen: 6_000, payer: '张三', contractRef: 'ROOM-7', periodFrom: '2026-03-01', periodTo: '2026-03-01', receivedOn: '2026-03-06' }, tokens.staff);
    expect(venue.body.commonIncomeFen).toBe(36_000);

    // the transfer into the fund draws on it, never beyond it, split by floor area (90 : 90 : 120)
    const transfers = `fund-accounts/communities/${communityId}/transfers`;
    expect((await tp.api('POST', transfers, { amountFen: 36_001, reference: 'T-1', postedOn: '2026-03-09' }, tokens.staff)).status).toBe(409);
    const moved = await tp.api('POST', transfers, { amountFen: 36_000, reference: 'T-1', postedOn: '2026-03-09' }, tokens.staff);
    expect(moved.status).toBe(201);
    const byUnit = Object.fromEntries(moved.body.allocations.map((a: { unitId: string; amountFen: number }) => [a.unitId, a.amountFen]));
    expect(byUnit).toEqual({ [unitIds['1栋-101']]: 10_800, [unitIds['1栋-102']]: 10_800, [unitIds['2栋-101']]: 14_400 });
    expect(await saw('o1', moved.body.entryId, unitIds['1栋-101'])).toMatchObject({ kind: 'fund_transfer', amountFen: 10_800, balanceFen: 18_700 + 10_800 });
    expect((await tp.api('POST', transfers, { amountFen: 1, reference: 'T-2', postedOn: '2026-03-09' }, tokens.staff)).status).toBe(409); // spent

    // the public board shows the month's advertising and other income beside parking; not another community's
    const board = (await tp.api('GET', `public/communities/${communityId}/board`, undefined, null)).body;
    expect(board.commonIncome).toMatchObject({ month: '2026-03', otherIncomeFen: 36_000 });
    expect(board.commonIncome.otherIncome).toEqual([
      { entryId: recorded.body.entryId, category: 'advertising', amountFen: 30_000, payer: '福州分众传媒有限公司', contractRef: 'AD-2026-01', periodFrom: '2026-01-01', periodTo: '2026-03-31', receivedOn: '2026-03-05' },
      expect.objectContaining({ category: 'venue', amountFen: 6_000, receivedOn: '2026-03-06' }),
    ]);
    expect((await tp.api('GET', `public/communities/${otherId}/board`, undefined, null)).body.commonIncome).toMatchObject({ otherIncomeFen: 0, otherIncome: [] });

    if (engine === 'pglite') {
      const page = await browser.open();
      await page.goto(`${tp.httpUrl}/board/?community=${communityId}`);
      await waitForText(page, 'body', '福州分众传媒有限公司');
      await waitForText(page, 'body', 'AD-2026-01');
    }
  });

  if (engine === 'pglite') {
    it('updates the owner’s phone page live when a posting reaches their account', async () => {
      const page = await browser.open();
      await page.goto(`${tp.httpUrl}/fund-account/`);
      await page.fill('#login-username', 'fl-o1');
      await page.fill('#login-password', 'user-pass-123');
      await page.click('#login-submit');
      await waitForText(page, '#accounts', '295.00'); // 18 700 + 10 800 fen
      await page.waitForSelector('#accounts[data-live="on"]'); // its socket is connected
      await deposit('1栋-101', 1_000, 'SLIP-LIVE');
      await waitForText(page, '#notice', '新入账：缴存 +10.00 元');
      await waitForText(page, '#accounts', '305.00');
      await expectFitsPhone(page);
      await page.click('#app-view .lang__btn[data-lang="en"]');
      await waitForText(page, '#accounts', 'Deposit');
    });
  }
});
