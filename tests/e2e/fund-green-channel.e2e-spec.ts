/**
 * The maintenance-fund green channel end to end, on a real PostgreSQL server, Redis and BullMQ:
 * an 'alarm.raised' bus event of a qualifying type opens a case (once), evidence is uploaded,
 * the case is walked through every state by users of the right roles (wrong roles get 403),
 * the Fujian review deadline passes on a fake clock and the 'fund' queue's timer deems it
 * approved, and the public disclosure page in headless Chromium shows shares summing to the total.
 */
import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import { chromium, type Browser } from 'playwright-core';
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { FundService } from '../../apps/platform/src/services/fund.service';
import { AuditRepository } from '../../apps/platform/src/repositories/audit.repository';
import { freshPostgresDatabase, type FreshPostgres } from '../support/databases';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { testServices } from '../support/test-services';
import { nextEvent, waitFor } from '../support/wait';

interface BrowserGlobals {
  document: { querySelectorAll(s: string): ArrayLike<{ getAttribute(n: string): string | null; textContent: string | null }>; querySelector(s: string): { textContent: string | null } | null };
}

const sh = (iso: string) => Date.parse(`${iso}+08:00`);

describe('fund green channel (e2e, PostgreSQL)', () => {
  let tp: TestPlatform;
  let postgres: FreshPostgres | undefined;
  let browser: Browser | undefined;
  let communityId: string;
  let buildingA: string;
  let elevatorId: string;
  let now = sh('2025-09-26T10:00:00'); // a Friday before National Day
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    postgres = await freshPostgresDatabase();
    tp = await startTestPlatform({ env: { DATABASE_URL: postgres.url } });
    jest.spyOn(tp.platform.app.get(ClockRepository), 'now').mockImplementation(() => now);

    const community = await tp.api('POST', 'communities', {
      name: '绿色通道花园',
      district: '鼓楼区',
      street: '东街街道',
      buildings: [
        { name: 'A栋', units: [{ number: '101', floorArea: '89.50' }, { number: '102', floorArea: '120.00' }, { number: '201', floorArea: '65.25' }] },
        { name: 'B栋', units: [{ number: '101', floorArea: '100.00' }] },
      ],
    });
    expect(community.status).toBe(201);
    communityId = community.body.id;
    buildingA = community.body.buildings.find((b: { name: string }) => b.name === 'A栋').id;

    const users: Array<[string, string, Record<string, unknown>]> = [
      ['property', 'property_staff', { level: 'community', communityIds: [communityId] }],
      ['rc', 'residents_committee', { level: 'community', communityIds: [communityId] }],
      ['street', 'street_officer', { level: 'street', district: '鼓楼区', street: '东街街道' }],
      ['authority', 'district_authority', { level: 'district', district: '鼓楼区' }],
      ['owner', 'owner', { level: 'community', communityIds: [communityId] }],
    ];
    for (const [name, role, scope] of users) {
      const res = await tp.api('POST', 'users', { username: `fund-${name}`, password: 'user-pass-123', role, scope });
      expect(res.status).toBe(201);
      tokens[name] = await tp.login(`fund-${name}`, 'user-pass-123');
    }
    elevatorId = (await tp.provisionDevice(communityId, 'elevator', { buildingId: buildingA, name: 'A栋 1号梯' })).id;
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await tp?.close();
    await postgres?.drop();
  });

  const act = (caseId: string, who: string, body: Record<string, unknown>) => tp.api('POST', `fund/cases/${caseId}/transitions`, body, tokens[who]);

  it('walks an alarm-opened case through every state, refusing wrong roles, with deemed approval on a fake clock', async () => {
    // Fujian profile: 5 working days review, deemed approval on timeout. Only the fund authority or an admin sets it.
    expect((await tp.api('PUT', `fund/communities/${communityId}/settings`, { profile: 'fujian' }, tokens.property)).status).toBe(403);
    expect((await tp.api('PUT', `fund/communities/${communityId}/settings`, { profile: 'nowhere' })).status).toBe(400);
    const settings = await tp.api('PUT', `fund/communities/${communityId}/settings`, { profile: 'fujian', hasPropertyCompany: true }, tokens.authority);
    expect(settings.status).toBe(200);
    expect(settings.body.profileDetail.deemedApprovalOnTimeout).toBe(true);

    // National Day 2025 calendar, loaded by the administrator only.
    const calendar = { holidays: ['2025-10-01', '2025-10-02', '2025-10-03', '2025-10-06', '2025-10-07', '2025-10-08'], workdays: ['2025-09-28', '2025-10-11'] };
    expect((await tp.api('PUT', 'fund/holidays/2025', calendar, tokens.authority)).status).toBe(403);
    expect((await tp.api('PUT', 'fund/holidays/2025', { holidays: ['2024-10-01'] })).status).toBe(400);
    expect((await tp.api('PUT', 'fund/holidays/2025', calendar)).status).toBe(200);
    expect((await tp.api('GET', 'fund/holidays/2025')).body).toEqual({ year: 2025, ...calendar });

    const socket = await tp.socket(tokens.property);
    const opened = nextEvent<{ caseId: string; communityId: string; action: string }>(socket, 'fund.case.updated', { filter: (e: { action: string }) => e.action === 'opened' });

    // The outbox relays this after the alarm's commit (alarm service); here the test calls it directly.
    const fund = tp.platform.app.get(FundService);
    const alarm = { alarmId: 'alarm-e2e-1', deviceId: elevatorId, communityId, type: 'safety_circuit_open', severity: 3, state: 'raised', ts: now };
    void fund.openFromAlarm(alarm);
    void fund.openFromAlarm({ ...alarm, alarmId: 'alarm-e2e-2', type: 'emergency_call' }); // not a qualifying type
    const event = await opened;
    expect(event.communityId).toBe(communityId);
    const caseId = event.caseId;

    // A repeat of the same alarm opens nothing new; a new alarm of the same device and type joins the open case.
    void fund.openFromAlarm(alarm);
    void fund.openFromAlarm({ ...alarm, alarmId: 'alarm-e2e-3' });
    await waitFor(async () => (await tp.api('GET', `fund/cases/${caseId}`)).body.timeline.some((e: { action: string }) => e.action === 'alarm_repeated'));
    const list = await tp.api('GET', `fund/cases?communityId=${communityId}`);
    expect(list.body).toHaveLength(1);
    let c = (await tp.api('GET', `fund/cases/${caseId}`)).body;
    expect(c).toMatchObject({ state: 'draft', source: 'alarm', alarmId: 'alarm-e2e-1', category: 'elevator', buildingId: buildingA, profile: 'fujian' });
    expect(c.evidence.map((e: { kind: string }) => e.kind).sort()).toEqual(['alarm', 'alarm', 'telemetry']);
    expect(c.evidence.find((e: { kind: string }) => e.kind === 'telemetry').detail).toMatchObject({ deviceId: elevatorId, kind: 'elevator' });

    // Evidence upload: multipart, sha256, allow-list checked against the content.
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('photo of the stuck car')]);
    const upload = async (content: Buffer, type: string, token: string | null = tokens.property) => {
      const form = new FormData();
      form.append('file', new Blob([content], { type }), 'evidence.bin');
      const res = await fetch(`${tp.httpUrl}/api/v1/fund/cases/${caseId}/evidence`, { method: 'POST', body: form, headers: token ? { Authorization: `Bearer ${token}` } : {} });
      return { status: res.status, body: (await res.json()) as { id: string; sha256: string } };
    };
    const up = await upload(png, 'image/png');
    expect(up.status).toBe(201);
    expect(up.body.sha256).toBe(createHash('sha256').update(png).digest('hex'));
    expect((await upload(Buffer.from('MZ\x90\x00'), 'application/x-msdownload')).status).toBe(415);
    expect((await upload(Buffer.from('not a png'), 'image/png')).status).toBe(415);
    expect((await upload(Buffer.alloc(11 * 1024 * 1024, 1), 'image/png')).status).toBe(413);
    expect((await upload(png, 'image/png', null)).status).toBe(401);
    const file = await fetch(`${tp.httpUrl}/api/v1/fund/cases/${caseId}/evidence/${up.body.id}/file`, { headers: { Authorization: `Bearer ${tokens.owner}` } });
    expect(Buffer.from(await file.arrayBuffer()).equals(png)).toBe(true);

    // draft → proposed
    const plan = { action: 'propose', repairPlan: '更换曳引机制动器', contractor: '福州电梯维修有限公司', budgetFen: 1_000_000, chargeScope: { level: 'building', buildingIds: [buildingA] } };
    expect((await act(caseId, 'owner', plan)).status).toBe(403);
    expect((await act(caseId, 'rc', plan)).status).toBe(403); // there is a property company
    expect((await act(caseId, 'property', { ...plan, budgetFen: -1 })).status).toBe(400);
    expect((await act(caseId, 'property', { action: 'confirm' })).status).toBe(403);
    expect((await act(caseId, 'street', { action: 'confirm' })).status).toBe(409);
    c = (await act(caseId, 'property', plan)).body;
    expect(c).toMatchObject({ state: 'proposed', budgetFen: 1_000_000 });

    // proposed → notice: 3 working days from Fri 26 Sep = Sun 28 (调休), Mon 29, Tue 30 → ends 1 Oct 00:00.
    expect((await act(caseId, 'property', { action: 'publish_notice', duringWorks: true })).status).toBe(400); // not in Fujian
    c = (await act(caseId, 'property', { action: 'publish_notice' })).body;
    expect(c.state).toBe('notice');
    expect(c.noticeEndsAt).toBe(new Date(sh('2025-10-01T00:00:00')).toISOString());

    // notice → confirmed, only once the notice period is over, only by the residents' committee or street office.
    expect((await act(caseId, 'street', { action: 'confirm' })).status).toBe(409);
    now = sh('2025-10-09T09:00:00');
    expect((await act(caseId, 'property', { action: 'confirm' })).status).toBe(403);
    expect((await act(caseId, 'authority', { action: 'confirm' })).status).toBe(403);
    c = (await act(caseId, 'street', { action: 'confirm' })).body;
    expect(c.state).toBe('confirmed');
    // 5 working days from Thu 9 Oct: Fri 10, Sat 11 (调休), Mon 13, Tue 14, Wed 15 → 16 Oct 00:00.
    expect(c.reviewDeadline).toBe(new Date(sh('2025-10-16T00:00:00')).toISOString());
    expect((await act(caseId, 'rc', { action: 'approve' })).status).toBe(403);
    expect((await act(caseId, 'street', { action: 'approve' })).status).toBe(403);

    // The review timers wait on the 'fund' queue. Fire them early: nothing happens (the clock decides).
    const queue = new Queue('fund', { connection: { url: testServices().redisUrl }, prefix: `${tp.redisPrefix}:bull` });
    tp.defer(() => queue.close());
    const promoteAll = async () => {
      for (const job of await queue.getDelayed()) await job.promote().catch(() => undefined);
    };
    const delayed = await queue.getDelayed();
    expect(delayed.map((j) => j.data.phase).sort()).toEqual(['due', 'remind']);
    await promoteAll();
    await waitFor(async () => (await queue.getDelayed()).length === 2, { message: 'early timers re-scheduled' });
    expect((await tp.api('GET', `fund/cases/${caseId}`)).body.state).toBe('confirmed');

    // The day before: the reminder.
    now = sh('2025-10-15T09:00:00');
    await promoteAll();
    await waitFor(async () => (await tp.api('GET', `fund/cases/${caseId}`)).body.timeline.some((e: { action: string }) => e.action === 'reminder'), { message: 'reminder' });
    expect((await tp.api('GET', `fund/cases/${caseId}`)).body.state).toBe('confirmed');

    // The deadline passes without a decision: Fujian deems it approved.
    now = sh('2025-10-16T00:00:01');
    const deemed = nextEvent<{ action: string; state: string }>(socket, 'fund.case.updated', { filter: (e: { action: string }) => e.action === 'deem_approve' });
    await promoteAll();
    expect((await deemed).state).toBe('approved');
    c = (await tp.api('GET', `fund/cases/${caseId}`)).body;
    expect(c.state).toBe('approved');
    expect(c.timeline.find((e: { action: string }) => e.action === 'deem_approve')).toMatchObject({ actorRole: 'system', fromState: 'confirmed', toState: 'approved' });
    expect((await act(caseId, 'authority', { action: 'approve' })).status).toBe(409);

    // approved → in_repair: the first payment is at most 50 % of the budget.
    now = sh('2025-10-17T10:00:00');
    expect((await act(caseId, 'property', { action: 'pay' })).status).toBe(403);
    expect((await act(caseId, 'authority', { action: 'pay', amountFen: 500_001 })).status).toBe(400);
    c = (await act(caseId, 'authority', { action: 'pay', reference: 'BANK-001' })).body;
    expect(c).toMatchObject({ state: 'in_repair', paidFen: 500_000 });

    // in_repair → accepted (actual cost), balance paid, → disclosed.
    now = sh('2025-10-24T15:00:00');
    expect((await act(caseId, 'authority', { action: 'accept', actualCostFen: 987_654 })).status).toBe(403);
    c = (await act(caseId, 'property', { action: 'accept', actualCostFen: 987_654 })).body;
    expect(c.state).toBe('accepted');
    expect((await act(caseId, 'property', { action: 'disclose' })).status).toBe(409); // not fully paid
    c = (await act(caseId, 'authority', { action: 'pay' })).body;
    expect(c.paidFen).toBe(987_654);
    expect(c.payments.map((p: { stage: string; amountFen: number }) => [p.stage, p.amountFen])).toEqual([
      ['first', 500_000],
      ['balance', 487_654],
    ]);
    expect((await act(caseId, 'owner', { action: 'disclose' })).status).toBe(403);
    c = (await act(caseId, 'property', { action: 'disclose' })).body;
    expect(c.state).toBe('disclosed');
    expect(c.shares).toHaveLength(3); // building A only
    expect(c.shares.reduce((s: number, x: { shareFen: number }) => s + x.shareFen, 0)).toBe(987_654);

    // Every transition is audited.
    const audit = await tp.platform.app.get(AuditRepository).forSubject('fund_case', caseId);
    const actions = audit.map((a) => a.action);
    for (const a of ['opened', 'propose', 'publish_notice', 'confirm', 'reminder', 'deem_approve', 'pay', 'accept', 'disclose']) expect(actions).toContain(`fund.case.${a}`);

    // Out of scope: another street's officer does not see the case.
    const other = await tp.api('POST', 'users', { username: 'fund-other-street', password: 'user-pass-123', role: 'street_officer', scope: { level: 'street', district: '鼓楼区', street: '别的街道' } });
    expect(other.status).toBe(201);
    expect((await tp.api('GET', `fund/cases/${caseId}`, undefined, await tp.login('fund-other-street', 'user-pass-123'))).status).toBe(404);

    // The public disclosure, without a token.
    const pub = await tp.api('GET', `/api/v1/public/communities/${communityId}/fund-cases`, undefined, null);
    expect(pub.status).toBe(200);
    expect(pub.body.cases).toHaveLength(1);
    const d = pub.body.cases[0];
    expect(d.totalFen).toBe(987_654);
    expect(d.shares.reduce((s: number, x: { shareFen: number }) => s + x.shareFen, 0)).toBe(987_654);
    // 89.50 : 120.00 : 65.25 of 274.75 m²
    expect(d.shares.map((s: { unit: string; shareFen: number }) => [s.unit, s.shareFen])).toEqual([
      ['101', 321_729],
      ['102', 431_368],
      ['201', 234_557],
    ]);
    expect(JSON.stringify(pub.body)).not.toContain('actorId');
  }, 120_000);

  it('lets an owner the case concerns propose the plan and put it on notice (001_187fc5f9dc35b825.txt 三(三)4(2) 相关业主); other owners may not', async () => {
    // Two owners, verified by the property company on their deeds: one in A栋 (the failed lift's building), one in B栋.
    const detail = (await tp.api('GET', `communities/${communityId}`)).body;
    const unitOf = (building: string, number: string) => detail.buildings.find((b: { name: string }) => b.name === building).units.find((u: { number: string }) => u.number === number).id as string;
    const owners: Record<'a' | 'b', { token: string; id: string }> = { a: { token: '', id: '' }, b: { token: '', id: '' } };
    for (const [key, building] of [['a', 'A栋'], ['b', 'B栋']] as const) {
      const user = await tp.api('POST', 'users', { username: `fund-owner-${key}`, password: 'user-pass-123', role: 'owner', scope: { level: 'community', communityIds: [communityId] } });
      expect(user.status).toBe(201);
      owners[key] = { id: user.body.id, token: await tp.login(`fund-owner-${key}`, 'user-pass-123') };
      const form = new FormData();
      form.append('file', new Blob([Buffer.from('%PDF-1.4\n% 房屋所有权证 (test)\n')], { type: 'application/pdf' }), 'deed.pdf');
      form.append('relation', 'owner');
      const unitId = unitOf(building, '101');
      expect((await fetch(`${tp.httpUrl}/api/v1/units/${unitId}/claims`, { method: 'POST', body: form, headers: { Authorization: `Bearer ${owners[key].token}` } })).status).toBe(201);
      expect((await tp.api('POST', `units/${unitId}/occupants/${owners[key].id}/decision`, { decision: 'verify' }, tokens.property)).status).toBe(200);
    }
    // A second lift of A栋 fails: a new draft case.
    const lift = await tp.provisionDevice(communityId, 'elevator', { buildingId: buildingA, name: 'A栋 2号梯' });
    const opened = await tp.platform.app.get(FundService).openFromAlarm({ alarmId: 'alarm-e2e-owner', deviceId: lift.id, communityId, type: 'safety_circuit_open', severity: 3, state: 'raised', ts: now });
    const caseId = await waitFor(async () => {
      const cases = (await tp.api('GET', `fund/cases?communityId=${communityId}&state=draft`)).body as Array<{ id: string; deviceId: string }>;
      return cases.find((c) => c.deviceId === lift.id)?.id;
    }, { message: `the draft case of ${lift.id} (${JSON.stringify(opened ?? null)})` });

    // Each owner sees the case; only the A栋 owner is offered (and allowed) to propose.
    expect((await tp.api('GET', `fund/cases/${caseId}`, undefined, owners.a.token)).body.availableActions).toEqual(['propose', 'withdraw']);
    expect((await tp.api('GET', `fund/cases/${caseId}`, undefined, owners.b.token)).body.availableActions).toEqual([]);
    const plan = { action: 'propose', repairPlan: '更换安全回路继电器', contractor: '福州电梯维修有限公司', budgetFen: 300_000, chargeScope: { level: 'building', buildingIds: [buildingA] } };
    expect((await act(caseId, 'owner', plan)).status).toBe(403); // holds no unit
    expect((await tp.api('POST', `fund/cases/${caseId}/transitions`, plan, owners.b.token)).status).toBe(403);
    const proposed = await tp.api('POST', `fund/cases/${caseId}/transitions`, plan, owners.a.token);
    expect(proposed.status).toBe(200);
    expect(proposed.body).toMatchObject({ state: 'proposed', budgetFen: 300_000 });
    const notice = await tp.api('POST', `fund/cases/${caseId}/transitions`, { action: 'publish_notice' }, owners.a.token);
    expect(notice.body.state).toBe('notice');
    expect(notice.body.timeline.at(-1)).toMatchObject({ action: 'publish_notice', actorRole: 'owner', actorId: owners.a.id });
    // On notice the owner may still withdraw the plan; confirming is the residents' committee's or the street's.
    expect(notice.body.availableActions).toEqual(['withdraw']);
    expect((await tp.api('POST', `fund/cases/${caseId}/transitions`, { action: 'confirm' }, owners.a.token)).status).toBe(403);
  }, 120_000);

  it('the disclosure page shows the shares summing to the total, in Chinese and English', async () => {
    const services = testServices();
    browser = await chromium.launch({ executablePath: services.chromiumPath || '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    const page = await (await browser.newContext({ locale: 'zh-CN' })).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${tp.httpUrl}/disclosure/index.html?community=${communityId}`);
    await page.waitForSelector('.disc-case .share-sum', { timeout: 15_000 });
    const read = () =>
      page.evaluate(() => {
        const doc = (globalThis as unknown as BrowserGlobals).document;
        const section = doc.querySelectorAll('.disc-case')[0];
        const sum = doc.querySelectorAll('.share-sum')[0];
        const shares = Array.from(doc.querySelectorAll('td.share')).map((td) => Math.round(Number((td.textContent ?? '').replace(/,/g, '')) * 100));
        return { total: section.getAttribute('data-total-fen'), sum: sum.getAttribute('data-sum-fen'), shares, title: doc.querySelector('#disc-title')?.textContent, sumText: sum.textContent };
      });
    const zh = await read();
    expect(zh.title).toBe('维修资金应急使用公示');
    expect(zh.total).toBe('987654');
    expect(zh.sum).toBe('987654');
    expect(zh.shares.reduce((s, x) => s + x, 0)).toBe(987_654);
    expect(zh.sumText).toBe('9,876.54');
    await page.click('.lang__btn[data-lang="en"]');
    await page.waitForFunction(() => (globalThis as unknown as BrowserGlobals).document.querySelector('#disc-title')?.textContent?.startsWith('Emergency use'));
    const timeline = await page.evaluate(() => (globalThis as unknown as BrowserGlobals).document.querySelector('.disc-timeline')?.textContent ?? '');
    expect(timeline).toContain('Deemed approved');
    await page.emulateMedia({ media: 'print' });
    const hidden = await page.evaluate(() => {
      const g = globalThis as unknown as { getComputedStyle(e: unknown): { display: string }; document: { querySelector(s: string): unknown } };
      return g.getComputedStyle(g.document.querySelector('.disc-tools')).display;
    });
    expect(hidden).toBe('none');
    expect(errors).toEqual([]);
  }, 60_000);
});
