/**
 * Owners' satisfaction surveys end to end (issue 13 §3; seed 001_187fc5f9dc35b825.txt 四(三) "每半年 …
 * 征询1次业主对物业服务的满意度"), on embedded PGlite and on PostgreSQL: the owners' committee opens
 * the community's 2026H2 survey (a second one of the half-year refused); verified owners answer,
 * one answer per unit (an owner of two units answers for both, a second answer refused, not
 * doubled); the property company closes it and the results per service area, response rate and
 * 满意率 appear per community and per company, the comments without their authors; the year's credit grade takes the survey's score
 * instead of the one the district typed in. Scope: another community's owner, and an owner with
 * no verified unit, can neither see nor answer; a company cannot see another company's results.
 * On PGlite one owner answers on the phone page (375 × 812, Chinese, then the English switch).
 */
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { browserPages, expectFitsPhone, waitForText } from '../support/browser';
import { freshPostgresDatabase, type FreshPostgres } from '../support/databases';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** A valid 统一社会信用代码 (GB 32100-2015) from 17 characters: the check character appended. */
function creditCode(body17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += CHARS.indexOf(body17[i]) * WEIGHTS[i];
  return body17 + CHARS[(31 - (sum % 31)) % 31];
}

describe.each(['pglite', 'postgres'] as const)('satisfaction surveys (%s)', (engine) => {
  let tp: TestPlatform;
  let pg: FreshPostgres | undefined;
  const now = Date.parse('2026-11-20T10:00:00+08:00');
  const communities: Record<string, string> = {};
  const companies: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  const pages = browserPages();

  beforeAll(async () => {
    pg = engine === 'postgres' ? await freshPostgresDatabase() : undefined;
    tp = await startTestPlatform(pg ? { env: { DATABASE_URL: pg.url } } : {});
    jest.spyOn(tp.platform.app.get(ClockRepository), 'now').mockImplementation(() => now);
    for (const [key, name, street, code] of [
      ['a', '和谐家园', '凤凰街道', '91530602MA6K00001'],
      ['b', '邻里小区', '龙泉街道', '91530602MA6K00002'],
    ] as const) {
      communities[key] = (await tp.createCommunity({ name, district: '昭阳区', street })).id;
      const company = await tp.api('POST', '/api/v1/property-companies', { name: `${name}物业有限公司`, creditCode: creditCode(code) });
      expect(company.status).toBe(201);
      companies[key] = company.body.id;
      expect((await tp.api('POST', `/api/v1/property-companies/${company.body.id}/communities`, { communityIds: [communities[key]] })).status).toBe(201);
    }
    const users: Array<[string, string, Record<string, unknown>]> = [
      ['staffA', 'property_staff', { level: 'community', communityIds: [communities.a] }],
      ['committeeA', 'owners_committee', { level: 'community', communityIds: [communities.a] }],
      ['o1', 'owner', { level: 'community', communityIds: [communities.a] }],
      ['o2', 'owner', { level: 'community', communityIds: [communities.a] }],
      ['unverified', 'owner', { level: 'community', communityIds: [communities.a] }],
      ['staffB', 'property_staff', { level: 'community', communityIds: [communities.b] }],
      ['outsider', 'owner', { level: 'community', communityIds: [communities.b] }],
      ['street', 'street_officer', { level: 'street', district: '昭阳区', street: '凤凰街道' }],
      ['district', 'district_authority', { level: 'district', district: '昭阳区' }],
    ];
    for (const [name, role, scope] of users) {
      expect((await tp.api('POST', '/api/v1/users', { username: `sv-${name}`, password: 'user-pass-123', role, scope })).status).toBe(201);
      tokens[name] = await tp.login(`sv-${name}`, 'user-pass-123');
    }
    const importCsv = (community: string, csv: string, token: string) =>
      fetch(`${tp.httpUrl}/api/v1/communities/${community}/units/import`, { method: 'POST', headers: { 'Content-Type': 'text/csv', Authorization: `Bearer ${token}` }, body: csv });
    // Community A: five units, o1 holds two, o2 one, two without a verified owner.
    expect((await importCsv(communities.a, 'building,number,floorArea,owner\n1栋,101,90.00,sv-o1\n1栋,102,90.00,sv-o1\n1栋,201,80.00,sv-o2\n1栋,202,80.00,\n2栋,101,70.00,\n', tokens.staffA)).status).toBe(200);
    expect((await importCsv(communities.b, 'building,number,floorArea,owner\n3栋,101,90.00,sv-outsider\n', tokens.staffB)).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await tp?.close();
    await pg?.drop();
  });

  const surveyLine = (grade: { breakdown: Array<{ component: string }> }) => grade.breakdown.find((l) => l.component === 'survey');
  const gradeOfA = async () => {
    expect((await tp.api('POST', '/api/v1/credit/grades/2026/run', {}, tokens.district)).status).toBe(201);
    const res = await tp.api('GET', `/api/v1/credit/grades/2026/companies/${companies.a}`, undefined, tokens.district);
    expect(res.status).toBe(200);
    return res.body;
  };

  /** o2 answers on the phone: customer service 4, cleaning 5 with a comment, the rest left out. */
  async function answerOnPhone(): Promise<void> {
    const page = await pages.open();
    await page.goto(`${tp.httpUrl}/survey/`);
    await page.fill('#login-username', 'sv-o2');
    await page.fill('#login-password', 'user-pass-123');
    await page.click('#login-submit');
    await page.waitForSelector('#open-surveys form');
    expect(await page.isVisible('#open-form')).toBe(false); // owners do not open surveys
    expect(await page.textContent('#open-surveys')).toContain('和谐家园 · 2026 年下半年');
    expect(await page.textContent('#open-surveys')).toContain('秩序维护/安保');
    await page.click('#open-surveys fieldset[data-area="customer_service"] label:has-text("4")');
    await page.click('#open-surveys fieldset[data-area="cleaning"] label:has-text("5")');
    await page.fill('#open-surveys textarea[name="comment-cleaning"]', '楼道很干净');
    await expectFitsPhone(page);
    await page.click('#open-surveys button[type="submit"]');
    await waitForText(page, '#notice', '提交成功：1 户');
    await waitForText(page, '#open-surveys', '您已提交本期问卷');
    await expectFitsPhone(page);
    await page.click('#app-view .lang__btn[data-lang="en"]');
    await waitForText(page, '#open-surveys', 'You have answered this survey');
  }

  it('opens, takes one answer per unit, closes, reports per community and company, and feeds the credit grade', async () => {
    // Before any survey: the score the district typed in is the grade's survey part.
    expect((await tp.api('POST', '/api/v1/credit/assessments', { kind: 'survey', communityId: communities.a, assessedOn: '2026-11-01', score: 95 }, tokens.district)).status).toBe(201);
    expect(surveyLine(await gradeOfA())).toMatchObject({ score: 95, basis: 1 });

    // ---- open: the owners' committee; not an owner; not for a half-year not begun; once per half-year
    const open = { communityId: communities.a, period: '2026H2' };
    expect((await tp.api('POST', '/api/v1/surveys', open, tokens.o1)).status).toBe(403);
    expect((await tp.api('POST', '/api/v1/surveys', open, tokens.staffB)).status).toBe(404);
    expect((await tp.api('POST', '/api/v1/surveys', { ...open, period: '2027H1' }, tokens.committeeA)).status).toBe(400);
    expect((await tp.api('POST', '/api/v1/surveys', { ...open, period: '2026-H2' }, tokens.committeeA)).status).toBe(400);
    const opened = await tp.api('POST', '/api/v1/surveys', open, tokens.committeeA);
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({ period: '2026H2', status: 'open', companyId: companies.a, openerRole: 'owners_committee', answers: 0, result: null });
    expect(opened.body.questions.map((q: { area: string }) => q.area)).toEqual(['customer_service', 'cleaning', 'greening', 'security', 'equipment', 'parking']);
    expect((await tp.api('POST', '/api/v1/surveys', open, tokens.staffA)).status).toBe(409);
    const id = opened.body.id as string;

    // ---- who sees it
    expect((await tp.api('GET', `/api/v1/surveys?communityId=${communities.a}`, undefined, tokens.o1)).body.map((s: { id: string }) => s.id)).toEqual([id]);
    expect((await tp.api('GET', `/api/v1/surveys/${id}`, undefined, tokens.outsider)).status).toBe(404);
    expect((await tp.api('GET', `/api/v1/surveys?communityId=${communities.a}`, undefined, tokens.outsider)).status).toBe(404);
    expect((await tp.api('GET', `/api/v1/surveys/${id}`, undefined, tokens.unverified)).status).toBe(404); // in scope, but no verified unit
    expect((await tp.api('GET', `/api/v1/surveys/${id}`, undefined, tokens.staffB)).status).toBe(404);
    expect((await tp.api('GET', `/api/v1/surveys/${id}`, undefined, tokens.street)).status).toBe(200);

    // ---- answers: one per unit
    const answer = (who: string, body: unknown) => tp.api('POST', `/api/v1/surveys/${id}/answers`, body, tokens[who]);
    const o1Scores = { customer_service: 5, cleaning: 4, greening: 4, security: 3, equipment: 5, parking: 2 };
    expect((await answer('o1', { scores: { ...o1Scores, cleaning: 6 } })).status).toBe(400);
    expect((await answer('o1', { scores: {} })).status).toBe(400);
    const both = await answer('o1', { scores: o1Scores, comments: { parking: '车位太少' } });
    expect(both.status).toBe(201);
    expect(both.body.unitIds).toHaveLength(2); // o1 answers for each of the two units they hold
    const again = await answer('o1', { scores: { cleaning: 1 } });
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('one answer per unit');
    expect((await answer('outsider', { scores: { cleaning: 1 } })).status).toBe(404);
    expect((await answer('unverified', { scores: { cleaning: 1 } })).status).toBe(404);
    expect((await answer('staffA', { scores: { cleaning: 5 } })).status).toBe(403); // staff hold no unit
    if (engine === 'pglite') await answerOnPhone();
    else expect((await answer('o2', { scores: { customer_service: 4, cleaning: 5 }, comments: { cleaning: '楼道很干净' } })).status).toBe(201);
    expect((await answer('o2', { scores: { cleaning: 5 } })).status).toBe(409);
    expect((await tp.api('GET', `/api/v1/surveys/${id}`, undefined, tokens.o2)).body).toMatchObject({ answers: 3, myUnits: [{ answered: true }] });

    // ---- close: the property company; results stored once
    expect((await tp.api('POST', `/api/v1/surveys/${id}/close`, undefined, tokens.o1)).status).toBe(403);
    const closed = await tp.api('POST', `/api/v1/surveys/${id}/close`, undefined, tokens.staffA);
    expect(closed.status).toBe(200);
    // 14 scores: o1's six twice (23 each) and o2's two (9): 55 / 14 = 3.93; (55 − 14) × 25 / 14 = 73.21;
    // 10 of 14 are 4 or 5 → 71.4 %; 3 of 5 units answered → 60 %.
    expect(closed.body.result).toMatchObject({ units: 5, answeredUnits: 3, responseRate: 60, mean: 3.93, score: 73.21, satisfiedRate: 71.4 });
    const area = (name: string) => closed.body.result.areas.find((a: { area: string }) => a.area === name);
    expect(area('customer_service')).toMatchObject({ answers: 3, mean: 4.67, satisfiedRate: 100 });
    expect(area('parking')).toMatchObject({ answers: 2, mean: 2, satisfiedRate: 0 });
    expect((await tp.api('POST', `/api/v1/surveys/${id}/close`, undefined, tokens.committeeA)).status).toBe(409);
    expect((await answer('o1', { scores: { cleaning: 5 } })).status).toBe(409);

    // ---- the comments, without who wrote them (o1's one comment for two units shown once)
    const comments = await tp.api('GET', `/api/v1/surveys/${id}/comments`, undefined, tokens.committeeA);
    expect(comments.body.map((c: { area: string; text: string }) => [c.area, c.text])).toEqual([
      ['cleaning', '楼道很干净'],
      ['parking', '车位太少'],
    ]);
    expect((await tp.api('GET', `/api/v1/surveys/${id}/comments`, undefined, tokens.staffB)).status).toBe(404);
    expect((await tp.api('GET', `/api/v1/surveys/${id}/comments`, undefined, tokens.o1)).status).toBe(403);

    // ---- results per community and per company, in scope
    const results = (query: string, who: string) => tp.api('GET', `/api/v1/surveys/results?${query}`, undefined, tokens[who]);
    const ofCompany = await results(`companyId=${companies.a}`, 'staffA');
    expect(ofCompany.status).toBe(200);
    expect(ofCompany.body.periods).toEqual([expect.objectContaining({ period: '2026H2', surveys: 1, units: 5, answeredUnits: 3, score: 73.21 })]);
    expect((await results(`communityId=${communities.a}`, 'street')).body.periods[0]).toMatchObject({ period: '2026H2', responseRate: 60 });
    expect((await results(`companyId=${companies.a}`, 'district')).body.periods[0].score).toBe(73.21);
    expect((await results(`companyId=${companies.a}`, 'staffB')).status).toBe(404); // another company's results
    expect((await results(`communityId=${communities.a}`, 'staffB')).status).toBe(404);
    expect((await results(`companyId=${companies.b}`, 'staffB')).body.periods).toEqual([]);
    expect((await results(`companyId=${companies.a}`, 'o1')).status).toBe(403);
    expect((await results(`communityId=${communities.a}&companyId=${companies.a}`, 'staffA')).status).toBe(400);

    // ---- the credit grade: the owners' survey wins over the typed-in 95
    expect(surveyLine(await gradeOfA())).toMatchObject({ score: 73.21, basis: 3 });

    if (engine === 'pglite') {
      // Staff see the result on the page.
      const page = await pages.open();
      await page.goto(`${tp.httpUrl}/survey/`);
      await page.fill('#login-username', 'sv-staffA');
      await page.fill('#login-password', 'user-pass-123');
      await page.click('#login-submit');
      await waitForText(page, `#closed-surveys [data-result="${id}"]`, '参与 3/5 户（60%），折合 73.21 分');
      expect(await page.textContent('#closed-surveys')).toContain('秩序维护/安保');
      await page.fill('#f-period', '2026H1');
      await page.click('#open-form button[type="submit"]');
      await waitForText(page, '#notice', '已发起 2026H1 测评');
      await waitForText(page, '#open-surveys', '和谐家园 · 2026 年上半年');
      await expectFitsPhone(page);
    }
  });
});
