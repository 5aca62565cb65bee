/**
 * The complaint desk (接诉即办, issue 12 §3) end to end on the in-process platform: the
 * complaint.changed socket event reaches the officers of the item's community (property company,
 * residents' committee, the street covering it) and its filer, never another community's; an item
 * is turned into an emergency repair (a green-channel fund case whose evidence is the item and its
 * photo, linked both ways, audited) or linked to an alarm of its own community (another
 * community's alarm: 404); the complaint figures per community and per property company, and
 * their place on the scorecard; and the property company's desk page on a phone (headless
 * Chromium, 375×812) answering and resolving an item that arrives live, an overdue one flagged.
 */
import type { Browser } from 'playwright-core';
import type { Socket } from 'socket.io-client';
import { AlarmRepository } from '../../apps/platform/src/repositories/alarm.repository';
import { AuditRepository } from '../../apps/platform/src/repositories/audit.repository';
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { collectCspViolations, launchChromium, waitForText } from '../support/browser';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { nextEvent, waitFor } from '../support/wait';

const MIN = 60_000;
const H = 60 * MIN;
const DAY = 24 * H;
const PHONE = { width: 375, height: 812 };
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('damp ceiling')]);

interface ChangedEvent {
  complaintId: string;
  communityId: string;
  filedBy: string;
  action: string;
  state: string;
  level: string;
  overdue: boolean;
  fundCaseId: string | null;
  alarmId: string | null;
}

interface BrowserGlobals {
  document: { documentElement: { scrollWidth: number } };
}

describe('complaint desk (e2e)', () => {
  let tp: TestPlatform;
  let now = Date.now();
  const community = {} as Record<'a' | 'b' | 'c', string>;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  let browser: Browser | undefined;

  const file = async (who: string, communityId: string, over: Record<string, unknown> = {}) => {
    const res = await tp.api('POST', '/api/v1/complaints', { communityId, kind: 'repair', category: 'repair', text: '天花板渗水', location: '1栋 301 卫生间', ...over }, tokens[who]);
    expect(res.status).toBe(201);
    return res.body as { id: string; deadline: string };
  };
  const act = (who: string, id: string, body: Record<string, unknown>) => tp.api('POST', `/api/v1/complaints/${id}/actions`, body, tokens[who]);

  beforeAll(async () => {
    tp = await startTestPlatform();
    jest.spyOn(tp.platform.app.get(ClockRepository), 'now').mockImplementation(() => now);
    community.a = (await tp.createCommunity({ name: '接诉甲苑', district: '鼓楼区', street: '东街街道', buildings: [{ name: '1栋', units: [{ number: '301', floorArea: '88.00' }] }] })).id;
    community.b = (await tp.createCommunity({ name: '接诉乙苑', district: '鼓楼区', street: '西街街道' })).id;
    community.c = (await tp.createCommunity({ name: '统计丙苑', district: '鼓楼区', street: '南街街道' })).id;
    const users: Array<[string, string, Record<string, unknown>]> = [
      ['owner', 'owner', { level: 'community', communityIds: [community.a] }],
      ['property', 'property_staff', { level: 'community', communityIds: [community.a] }],
      ['rc', 'residents_committee', { level: 'community', communityIds: [community.a] }],
      ['street', 'street_officer', { level: 'street', district: '鼓楼区', street: '东街街道' }],
      ['authority', 'district_authority', { level: 'district', district: '鼓楼区' }],
      ['ownerB', 'owner', { level: 'community', communityIds: [community.b] }],
      ['propertyB', 'property_staff', { level: 'community', communityIds: [community.b] }],
      ['streetB', 'street_officer', { level: 'street', district: '鼓楼区', street: '西街街道' }],
      ['ownerC', 'owner', { level: 'community', communityIds: [community.c] }],
      ['ownerC2', 'owner', { level: 'community', communityIds: [community.c] }],
      ['propertyC', 'property_staff', { level: 'community', communityIds: [community.c] }],
    ];
    for (const [name, role, scope] of users) {
      const res = await tp.api('POST', '/api/v1/users', { username: `desk-${name}`, displayName: name, password: 'user-pass-123', role, scope });
      expect(res.status).toBe(201);
      ids[name] = res.body.id;
      tokens[name] = await tp.login(`desk-${name}`, 'user-pass-123');
    }
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await tp?.close();
  }, 60_000);

  it('complaint.changed reaches the officers of the item’s community and its filer, never another community’s', async () => {
    const sockets: Record<string, Socket> = {};
    const seen: Record<string, ChangedEvent[]> = {};
    for (const who of ['owner', 'property', 'rc', 'street', 'authority', 'ownerB', 'propertyB', 'streetB']) {
      sockets[who] = await tp.socket(tokens[who]);
      seen[who] = [];
      sockets[who].on('complaint.changed', (e: ChangedEvent) => seen[who].push(e));
    }
    const forA = (who: string) => nextEvent<ChangedEvent>(sockets[who], 'complaint.changed', { timeoutMs: 15_000, filter: (e) => e.communityId === community.a, message: `${who} hears community A` });
    const heard = Promise.all(['owner', 'property', 'rc', 'street', 'authority'].map(forA));
    const item = await file('owner', community.a);
    const events = await heard;
    for (const e of events) expect(e).toMatchObject({ complaintId: item.id, communityId: community.a, filedBy: ids.owner, action: 'filed', state: 'open', level: 'property', overdue: false });

    // An answer goes out too.
    const answered = nextEvent<ChangedEvent>(sockets.rc, 'complaint.changed', { timeoutMs: 15_000, filter: (e) => e.action === 'respond' });
    expect((await act('property', item.id, { action: 'respond', note: '已派维修工' })).status).toBe(200);
    expect(await answered).toMatchObject({ complaintId: item.id, action: 'respond' });

    // Community B's own item reaches B's officers (their sockets listen), and only theirs.
    const heardB = Promise.all(['propertyB', 'streetB'].map((who) => nextEvent<ChangedEvent>(sockets[who], 'complaint.changed', { timeoutMs: 15_000, filter: (e) => e.communityId === community.b })));
    const itemB = await file('ownerB', community.b);
    await heardB;
    await waitFor(() => seen.authority.some((e) => e.complaintId === itemB.id), { message: 'the district covering both hears B' });
    for (const who of ['propertyB', 'streetB', 'ownerB']) expect(seen[who].filter((e) => e.communityId === community.a)).toEqual([]);
    for (const who of ['owner', 'property', 'rc', 'street']) expect(seen[who].filter((e) => e.communityId === community.b)).toEqual([]);
    // ownerB filed B's item: told about it as its filer; the owner of A is told only of their own.
    expect(seen.ownerB.map((e) => e.complaintId)).toEqual([itemB.id]);
    expect(new Set(seen.owner.map((e) => e.complaintId))).toEqual(new Set([item.id]));
    for (const s of Object.values(sockets)) s.disconnect();
  }, 60_000);

  it('turns an item into an emergency repair: a green-channel fund case with the item and its photo as evidence, linked both ways and audited', async () => {
    const item = await file('owner', community.a, { text: '顶层屋面漏水，雨天整面墙渗水', location: '1栋 顶层' });
    const form = new FormData();
    form.append('file', new Blob([PNG], { type: 'image/png' }), 'leak.png');
    expect((await fetch(`${tp.httpUrl}/api/v1/complaints/${item.id}/photos`, { method: 'POST', body: form, headers: { Authorization: `Bearer ${tokens.owner}` } })).status).toBe(201);

    const detail = await tp.api('GET', `/api/v1/complaints/${item.id}`, undefined, tokens.property);
    expect(detail.body.availableActions).toEqual(['respond', 'resolve', 'link_alarm', 'fund_case']);
    expect((await tp.api('GET', `/api/v1/complaints/${item.id}`, undefined, tokens.authority)).body.availableActions).not.toContain('fund_case');

    // Not the district (it approves cases), not the owner, not another community's company.
    expect((await tp.api('POST', `/api/v1/complaints/${item.id}/fund-case`, { category: 'roof_wall_leak' }, tokens.authority)).status).toBe(403);
    expect((await tp.api('POST', `/api/v1/complaints/${item.id}/fund-case`, { category: 'roof_wall_leak' }, tokens.owner)).status).toBe(403);
    expect((await tp.api('POST', `/api/v1/complaints/${item.id}/fund-case`, { category: 'roof_wall_leak' }, tokens.propertyB)).status).toBe(404);
    expect((await tp.api('POST', `/api/v1/complaints/${item.id}/fund-case`, { category: 'roof_wall_leak', buildingId: '00000000-0000-4000-8000-000000000000' }, tokens.property)).status).toBe(400);

    const socket = await tp.socket(tokens.property);
    const fundEvent = nextEvent<{ caseId: string; action: string }>(socket, 'fund.case.updated', { timeoutMs: 15_000 });
    const converted = await tp.api('POST', `/api/v1/complaints/${item.id}/fund-case`, { category: 'roof_wall_leak' }, tokens.property);
    expect(converted.status).toBe(201);
    const caseId = converted.body.fundCaseId as string;
    expect(converted.body.complaint).toMatchObject({ id: item.id, fundCaseId: caseId, state: 'open' });
    expect(converted.body.complaint.timeline.map((e: { action: string }) => e.action)).toContain('fund_case_opened');
    expect(await fundEvent).toMatchObject({ caseId, action: 'opened' });

    const fundCase = await tp.api('GET', `/api/v1/fund/cases/${caseId}`, undefined, tokens.property);
    expect(fundCase.status).toBe(200);
    expect(fundCase.body).toMatchObject({ communityId: community.a, source: 'complaint', complaintId: item.id, category: 'roof_wall_leak', state: 'draft', description: '顶层屋面漏水，雨天整面墙渗水' });
    expect(fundCase.body.title).toContain('1栋 顶层');
    const evidence = fundCase.body.evidence as Array<{ kind: string; detail: Record<string, unknown>; contentType: string | null; id: string }>;
    expect(evidence.map((e) => e.kind).sort()).toEqual(['complaint', 'upload']);
    expect(evidence.find((e) => e.kind === 'complaint')!.detail).toMatchObject({ complaintId: item.id, location: '1栋 顶层' });
    // The photo is readable from the case: the same stored file.
    const upload = evidence.find((e) => e.kind === 'upload')!;
    const file_ = await fetch(`${tp.httpUrl}/api/v1/fund/cases/${caseId}/evidence/${upload.id}/file`, { headers: { Authorization: `Bearer ${tokens.property}` } });
    expect(file_.status).toBe(200);
    expect(Buffer.from(await file_.arrayBuffer()).equals(PNG)).toBe(true);
    // The case is in the organiser's queue like any other; B's company does not see it.
    expect((await tp.api('GET', '/api/v1/fund/cases', undefined, tokens.property)).body.map((c: { id: string }) => c.id)).toContain(caseId);
    expect((await tp.api('GET', `/api/v1/fund/cases/${caseId}`, undefined, tokens.propertyB)).status).toBe(404);

    // Once only.
    expect((await tp.api('POST', `/api/v1/complaints/${item.id}/fund-case`, { category: 'roof_wall_leak' }, tokens.property)).status).toBe(409);
    const audit = tp.platform.app.get(AuditRepository);
    expect((await audit.forSubject('complaint', item.id)).map((a) => a.action)).toContain('complaint.fund_case_opened');
    expect((await audit.forSubject('fund_case', caseId)).map((a) => [a.action, a.detail])).toEqual([['fund.case.opened', { complaintId: item.id, category: 'roof_wall_leak' }]]);
    socket.disconnect();
  }, 60_000);

  it('links an item to an alarm of its own community; another community’s alarm is not found', async () => {
    const raise = async (communityId: string) => {
      const device = await tp.provisionDevice(communityId, 'elevator');
      const { alarm } = await tp.platform.app.get(AlarmRepository).raise({ communityId, deviceId: device.id, type: 'trapped_passenger', severity: 1, source: 'device', at: new Date(now), detail: {} });
      return alarm.id;
    };
    const own = await raise(community.a);
    const other = await raise(community.b);
    const item = await file('owner', community.a, { kind: 'complaint', category: 'service', text: '电梯困人半小时无人到场', location: '1栋 电梯' });

    const refused = await tp.api('POST', `/api/v1/complaints/${item.id}/alarm`, { alarmId: other }, tokens.property);
    expect(refused.status).toBe(404);
    expect(refused.body.message).toBe(`alarm ${other} not found`);
    expect((await tp.api('POST', `/api/v1/complaints/${item.id}/alarm`, { alarmId: '00000000-0000-4000-8000-000000000000' }, tokens.property)).status).toBe(404);
    // Another community's officers cannot reach the item at all; an owner cannot link.
    expect((await tp.api('POST', `/api/v1/complaints/${item.id}/alarm`, { alarmId: other }, tokens.propertyB)).status).toBe(404);
    expect((await tp.api('POST', `/api/v1/complaints/${item.id}/alarm`, { alarmId: own }, tokens.owner)).status).toBe(403);

    const linked = await tp.api('POST', `/api/v1/complaints/${item.id}/alarm`, { alarmId: own }, tokens.street);
    expect(linked.status).toBe(200);
    expect(linked.body).toMatchObject({ alarmId: own });
    expect(linked.body.timeline.map((e: { action: string }) => e.action)).toEqual(['filed', 'alarm_linked']);
    const history = (await tp.api('GET', `/api/v1/alarms/${own}`, undefined, tokens.property)).body.history as Array<{ action: string; detail: Record<string, unknown> }>;
    expect(history.find((h) => h.action === 'complaint_linked')?.detail).toEqual({ complaintId: item.id });
    expect((await tp.platform.app.get(AuditRepository).forSubject('complaint', item.id)).map((a) => a.action)).toEqual(['complaint.filed', 'complaint.alarm_linked']);
  }, 60_000);

  it('counts complaints, response and resolution times, satisfaction and repeats per community and per company, and the scorecard weighs them', async () => {
    const company = await tp.api('POST', '/api/v1/property-companies', { name: '丙物业', creditCode: '91420700MA49000011' });
    expect(company.status).toBe(201);
    expect((await tp.api('POST', `/api/v1/property-companies/${company.body.id}/communities`, { communityIds: [community.c] })).status).toBe(201);
    const t0 = now;
    // 1: answered in 30 min, resolved in 2 h, rated 5 (settled by the company within its 72 h)
    now = t0;
    const first = await file('ownerC', community.c);
    now = t0 + 30 * MIN;
    await act('propertyC', first.id, { action: 'respond', note: '已受理' });
    now = t0 + 2 * H;
    await act('propertyC', first.id, { action: 'resolve', note: '已修复' });
    await act('ownerC', first.id, { action: 'rate', satisfaction: 5 });
    // 2: the same owner, the same category, a day later: a repeat; answered in 90 min, resolved in 4 h, rated 2
    now = t0 + DAY;
    const second = await file('ownerC', community.c);
    now = t0 + DAY + 90 * MIN;
    await act('propertyC', second.id, { action: 'respond', note: '再次上门' });
    now = t0 + DAY + 4 * H;
    await act('propertyC', second.id, { action: 'resolve', note: '更换管件' });
    await act('ownerC', second.id, { action: 'rate', satisfaction: 2 });
    // 3: another owner, urgent (4 h), never answered: overdue once the clock passes it
    now = t0 + 2 * DAY;
    await file('ownerC2', community.c, { category: 'repair_urgent', text: '停电', location: '2栋' });
    now = t0 + 2 * DAY + 5 * H;

    const period = `from=${new Date(t0 - DAY).toISOString()}&to=${new Date(t0 + 3 * DAY).toISOString()}`;
    const res = await tp.api('GET', `/api/v1/statistics/communities/${community.c}?${period}`, undefined, tokens.authority);
    expect(res.status).toBe(200);
    expect(res.body.figures.complaints).toEqual({
      count: 3,
      open: 1,
      overdue: 1,
      response: { done: 2, meanMinutes: 60, medianMinutes: 60, p90Minutes: 90 },
      resolution: { done: 2, meanMinutes: 180, medianMinutes: 180, p90Minutes: 240 },
      settledByCompany: { due: 3, met: 2, share: 0.6667 },
      satisfaction: { rated: 2, average: 3.5 },
      repeat: { count: 1, share: 0.3333 },
      reopened: 0,
    });
    // Another street's officer: not found, like every other community-scoped read.
    expect((await tp.api('GET', `/api/v1/statistics/communities/${community.c}?${period}`, undefined, tokens.streetB)).status).toBe(404);

    const cards = await tp.api('GET', `/api/v1/statistics/companies?${period}`, undefined, tokens.authority);
    const card = (cards.body.scorecards as Array<{ company: { id: string }; scores: Record<string, number | null>; figures: { complaints: { count: number } }; score: number | null }>).find((c) => c.company.id === company.body.id)!;
    expect(card.figures.complaints.count).toBe(3);
    expect(card.scores).toMatchObject({ complaintsSettled: 66.67, complaintSatisfaction: 62.5 });
    expect(card.score).not.toBeNull();
    const csv = await fetch(`${tp.httpUrl}/api/v1/statistics/companies?${period}&format=csv`, { headers: { Authorization: `Bearer ${tokens.authority}` } });
    expect(await csv.text()).toContain('complaintSatisfaction');
    now = Date.now();
  }, 60_000);

  it('the property company answers and resolves an item from the desk on a phone; it arrives live, an overdue one is flagged; the page fits 375 px and switches to English', async () => {
    // An urgent repair filed five days ago (4 h to resolve): overdue now.
    now = Date.now() - 5 * DAY;
    const late = await file('owner', community.a, { category: 'repair_urgent', text: '地下室积水', location: '地下车库' });
    now = Date.now();

    browser = await launchChromium();
    const context = await browser.newContext({ viewport: PHONE, locale: 'zh-CN', isMobile: true, hasTouch: true });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    collectCspViolations(page, errors);
    const fits = async () => expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobals).document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);

    await page.goto(`${tp.httpUrl}/complaint-desk/`);
    await page.fill('#login-username', 'desk-property');
    await page.fill('#login-password', 'user-pass-123');
    await page.click('#login-submit');
    await page.waitForSelector('#conn[data-state="live"]');
    await waitForText(page, `#queue [data-id="${late.id}"] [data-field="overdue"]`, '已超期');
    await waitForText(page, `#queue [data-id="${late.id}"] [data-field="countdown"]`, '已超期');
    await fits();

    // A new item arrives live, with its countdown.
    const item = await file('owner', community.a, { text: '楼道灯不亮', location: '1栋 3层', category: 'repair' });
    await page.waitForSelector(`#queue [data-id="${item.id}"]`);
    await waitForText(page, `#queue [data-id="${item.id}"] [data-field="countdown"]`, '剩余');

    // The overdue filter shows the late one only.
    await page.click('[data-filter="overdue"]');
    await page.waitForSelector(`#queue [data-id="${item.id}"]`, { state: 'detached' });
    await page.waitForSelector(`#queue [data-id="${late.id}"]`);
    await page.click('[data-filter="open"]');

    await page.click(`#queue [data-id="${item.id}"]`);
    await page.waitForSelector('#detail article[data-state="open"]');
    await page.fill('#note', '已安排电工今天下午更换');
    await page.click('#detail [data-do="respond"]');
    await waitForText(page, '#history', '物业已回复');
    await page.fill('#note', '已更换灯具');
    await page.click('#detail [data-do="resolve"]');
    await page.waitForSelector('#detail article[data-state="resolved"]');
    await waitForText(page, '#detail [data-field="state"]', '已办结，待评价');
    await fits();
    const done = (await tp.api('GET', `/api/v1/complaints/${item.id}`, undefined, tokens.owner)).body;
    expect(done).toMatchObject({ state: 'resolved' });
    expect(done.timeline.map((e: { action: string; note: string | null }) => [e.action, e.note])).toEqual([
      ['filed', null],
      ['respond', '已安排电工今天下午更换'],
      ['resolve', '已更换灯具'],
    ]);

    // The late one becomes an emergency repair from the page.
    await page.click('#detail [data-do="back"]');
    await page.click(`#queue [data-id="${late.id}"]`);
    await page.waitForSelector('#detail article[data-state="open"]');
    await page.selectOption('#fund-category', 'drainage');
    await page.click('#detail [data-do="fund"]');
    await page.waitForSelector('#detail [data-field="fund"]');
    expect((await tp.api('GET', `/api/v1/complaints/${late.id}`, undefined, tokens.property)).body.fundCaseId).toEqual(expect.any(String));

    await page.click('.topbar .lang__btn[data-lang="en"]');
    await waitForText(page, '#detail [data-field="countdown"]', 'Overdue by');
    await fits();
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});
