/**
 * The committees publish on the disclosure board (issue 13 §6, seed 003 (二)1 and (二)3): the
 * owners' committee its funds and decisions, the residents' committee the monthly joint-meeting
 * minutes, each only its own sections and only in its own community; the property company is
 * refused in both the committee route and its own. On a fake clock a section not updated within
 * its period turns stale on the public board (also on a 375 px phone) and in the street officer's
 * overview and supervision page. Both committees publish from the phone page (board/committee.html, 375 px).
 * SPP_E2E_SCREENSHOTS=/some/dir keeps screenshots.
 */
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { browserPages, expectFitsPhone, screenshots, waitForText } from '../support/browser';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const income = { period: '2026年第二季度', periodFrom: '2026-04-01', periodTo: '2026-06-30', income: [{ source: '业主大会拨付工作经费', amountFen: 300000 }], expenses: [{ purpose: '办公用品', amountFen: 12050 }] };
const decisions = { items: [{ title: '启动续聘物业服务企业表决', decidedOn: '2026-06-10', body: '业委会第 12 次会议议定：7 月组织业主共同决定。' }] };
const minutes = { meetingDate: '2026-06-12', attendees: ['社区居委会', '业主委员会', '物业服务企业'], topics: [{ topic: '物业服务费收缴', outcome: '物业公司 6 月底前公示收缴情况。' }] };

describe("committees' sections of the board", () => {
  let tp: TestPlatform;
  let now = Date.parse('2026-06-15T02:00:00Z');
  let communityId: string;
  let otherId: string;
  const tokens: Record<string, string> = {};
  const browser = browserPages();
  const snapshot = screenshots('committee-board');

  beforeAll(async () => {
    tp = await startTestPlatform();
    jest.spyOn(tp.platform.app.get(ClockRepository), 'now').mockImplementation(() => now);
    communityId = (await tp.createCommunity({ name: '翠湖小区', district: '昭阳区', street: '凤凰街道' })).id;
    otherId = (await tp.createCommunity({ name: '邻里小区', district: '昭阳区', street: '龙泉街道' })).id;
    const users: Array<[string, string, Record<string, unknown>]> = [
      ['owners', 'owners_committee', { level: 'community', communityIds: [communityId] }],
      ['residents', 'residents_committee', { level: 'community', communityIds: [communityId] }],
      ['other-owners', 'owners_committee', { level: 'community', communityIds: [otherId] }],
      ['staff', 'property_staff', { level: 'community', communityIds: [communityId] }],
      ['street', 'street_officer', { level: 'street', district: '昭阳区', street: '凤凰街道' }],
      ['owner', 'owner', { level: 'community', communityIds: [communityId] }],
    ];
    for (const [name, role, scope] of users) {
      expect((await tp.api('POST', 'users', { username: `cb-${name}`, password: 'user-pass-123', role, scope })).status).toBe(201);
      tokens[name] = await tp.login(`cb-${name}`, 'user-pass-123');
    }
  }, 120_000);

  afterAll(async () => {
    await tp?.close();
  });

  const publish = (who: string, section: string, content: unknown, community = communityId) => tp.api('POST', `board/communities/${community}/committee-items`, { section, content }, tokens[who]);
  const board = async () => (await tp.api('GET', `public/communities/${communityId}/board`, undefined, null)).body;
  const status = (b: { committee: Array<{ section: string }> }, section: string) => b.committee.find((s) => s.section === section) as Record<string, unknown>;

  it('lets each committee publish its own sections of its own community, and nobody else', async () => {
    const published = await publish('owners', 'committee_income_expenses', income);
    expect(published.status).toBe(201);
    expect(published.body).toMatchObject({ section: 'committee_income_expenses', version: 1, communityId });
    expect((await publish('owners', 'committee_decisions', decisions)).status).toBe(201);
    expect((await publish('residents', 'joint_meeting_minutes', minutes)).status).toBe(201);

    // Each committee only its sections (seed 003 (二)1: minutes by the residents' committee).
    expect((await publish('owners', 'joint_meeting_minutes', minutes)).status).toBe(403);
    expect((await publish('residents', 'committee_decisions', decisions)).status).toBe(403);
    // Another community's committee: not found; the property company: neither route.
    expect((await publish('other-owners', 'committee_decisions', decisions)).status).toBe(404);
    expect((await publish('owners', 'committee_decisions', decisions, otherId)).status).toBe(404);
    expect((await publish('staff', 'committee_decisions', decisions)).status).toBe(403);
    expect((await tp.api('POST', `board/communities/${communityId}/items`, { section: 'committee_decisions', content: decisions }, tokens.staff)).status).toBe(400);
    expect((await publish('owner', 'committee_decisions', decisions)).status).toBe(403);
    // Committees do not publish the property company's sections.
    expect((await tp.api('POST', `board/communities/${communityId}/items`, { section: 'notices', content: { items: [{ title: 't', body: 'b' }] } }, tokens.owners)).status).toBe(403);
    // Content must match the section.
    expect((await publish('owners', 'committee_income_expenses', decisions)).status).toBe(400);
    expect((await tp.api('POST', `board/communities/${communityId}/committee-items`, { section: 'committee_decisions', content: decisions }, null)).status).toBe(401);
  });

  it('shows the sections on the public board, fresh, apart from the property company sections', async () => {
    const b = await board();
    expect(Object.keys(b.sections)).not.toContain('committee_decisions');
    expect(status(b, 'joint_meeting_minutes')).toMatchObject({ publisherRole: 'residents_committee', period: 'month', version: 1, stale: false, content: minutes, dueBy: '2026-07-31T16:00:00.000Z' });
    expect(status(b, 'committee_income_expenses')).toMatchObject({ publisherRole: 'owners_committee', period: 'quarter', stale: false, dueBy: '2026-09-30T16:00:00.000Z' });
    expect(status(b, 'joint_meeting_minutes').source).toContain('seed 003 (二)1');
  });

  it('flags the minutes stale once a whole month passes without an update, on the board and for the street', async () => {
    now = Date.parse('2026-08-01T00:00:00+08:00');
    const b = await board();
    expect(status(b, 'joint_meeting_minutes').stale).toBe(true);
    expect(status(b, 'committee_decisions').stale).toBe(false);

    const overview = await tp.api('GET', 'board/committee-staleness', undefined, tokens.street);
    expect(overview.status).toBe(200);
    expect(overview.body.map((c: { communityId: string }) => c.communityId)).toEqual([communityId]); // only the street's communities
    expect(overview.body[0]).toMatchObject({ communityName: '翠湖小区', stale: ['joint_meeting_minutes'] });
    expect((await tp.api('GET', 'board/committee-staleness', undefined, tokens.owner)).status).toBe(403);

    // The public board on a phone: the flag on the minutes, the committee named, nothing scrolls sideways.
    const page = await browser.open();
    await page.goto(`${tp.httpUrl}/board/?community=${communityId}`);
    await waitForText(page, '[data-section="joint_meeting_minutes"] .bd-stale', '逾期未更新');
    await waitForText(page, '[data-section="joint_meeting_minutes"]', '社区居民委员会');
    await waitForText(page, '[data-section="committee_decisions"]', '启动续聘物业服务企业表决');
    expect(await page.isVisible('[data-section="committee_decisions"] .bd-stale')).toBe(false);
    await expectFitsPhone(page);
    await snapshot(page, 'board-stale-phone');

    // The street officer's supervision page counts the overdue sections per community.
    const officer = await browser.open({ viewport: { width: 1280, height: 800 } });
    await officer.goto(`${tp.httpUrl}/supervision/`);
    await officer.fill('#login-username', 'cb-street');
    await officer.fill('#login-password', 'user-pass-123');
    await officer.click('#login-submit');
    await waitForText(officer, `tr[data-community-id="${communityId}"] [data-field="committee"]`, '1');
    expect(await officer.getAttribute(`tr[data-community-id="${communityId}"] [data-field="committee"]`, 'title')).toBe('联席会议纪要');

    // A new month's minutes clear the flag.
    expect((await publish('residents', 'joint_meeting_minutes', { ...minutes, meetingDate: '2026-07-30' })).body.version).toBe(2);
    expect(status(await board(), 'joint_meeting_minutes')).toMatchObject({ stale: false, version: 2 });
    expect((await tp.api('GET', 'board/committee-staleness', undefined, tokens.street)).body[0].stale).toEqual([]);
  });

  it('the committees publish from a phone with plain fields, each seeing only its own sections', async () => {
    const signIn = async (username: string) => {
      const page = await browser.open();
      await page.goto(`${tp.httpUrl}/board/committee.html`);
      await page.fill('#login-username', username);
      await page.fill('#login-password', 'user-pass-123');
      await page.click('#login-submit');
      return page;
    };
    const residents = await signIn('cb-residents');
    await waitForText(residents, '#sections-status li[data-section="joint_meeting_minutes"]', '按期更新');
    expect(await residents.$$eval('#section option', (options) => options.map((o) => (o as unknown as { value: string }).value))).toEqual(['joint_meeting_minutes']);
    await residents.fill('#f-meetingDate', '2026-08-05');
    await residents.fill('#f-attendees', '社区居委会\n业主委员会\n物业服务企业');
    await residents.fill('#f-topics', '电梯维修：物业公司下周完成\n垃圾分类：业委会组织宣传');
    await residents.click('#publish');
    await waitForText(residents, '#result', '第 3 版');
    await expectFitsPhone(residents);
    await snapshot(residents, 'residents-phone');

    const owners = await signIn('cb-owners');
    await waitForText(owners, '#sections-status', '业委会收支');
    expect(await owners.$$eval('#section option', (options) => options.map((o) => (o as unknown as { value: string }).value))).toEqual(['committee_income_expenses', 'committee_decisions']);
    await owners.fill('#f-period', '2026年第三季度');
    await owners.fill('#f-periodFrom', '2026-07-01');
    await owners.fill('#f-periodTo', '2026-07-31');
    await owners.fill('#f-income', '业主大会拨付工作经费 3000');
    await owners.fill('#f-expenses', '办公用品 120.50');
    await owners.click('#publish');
    await waitForText(owners, '#result', '第 2 版');
    await expectFitsPhone(owners);

    const b = await board();
    expect(status(b, 'joint_meeting_minutes').content).toEqual({ meetingDate: '2026-08-05', attendees: ['社区居委会', '业主委员会', '物业服务企业'], topics: [{ topic: '电梯维修', outcome: '物业公司下周完成' }, { topic: '垃圾分类', outcome: '业委会组织宣传' }] });
    expect(status(b, 'committee_income_expenses').content).toMatchObject({ income: [{ source: '业主大会拨付工作经费', amountFen: 300000 }], expenses: [{ purpose: '办公用品', amountFen: 12050 }] });
  });
});
