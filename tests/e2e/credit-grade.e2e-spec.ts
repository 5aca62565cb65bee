/**
 * Credit grade and red/black list (信用评价, 红黑榜; issue 13 §5) end to end on the in-process platform
 * (PGlite and PostgreSQL): the street and the district record 双随机 spot checks and street opinions,
 * the district grades 2025 and 2026; the company below 90 both years gets an interview (约谈) and a
 * risk notice each year and lands on the black list in 2026 (seed 004_592cdd860f3d4a71.txt 五(三)),
 * the best goes on the red list; the public lists show how each score was made. Re-running a year
 * changes nothing; a new weight set version is recorded on the grades it makes. Scope: another
 * street's officer gets 404 for a community and a company outside it, a property company sees only
 * its own grade. The pages: the published lists on a phone (375 px) and the officers' desk.
 */
import type { Browser } from 'playwright-core';
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { DatabaseRepository } from '../../apps/platform/src/repositories/database.repository';
import { collectCspViolations, launchChromium, waitForText } from '../support/browser';
import { freshPostgresDatabase, type FreshPostgres } from '../support/databases';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const PHONE = { width: 375, height: 812 };
const CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** A valid 统一社会信用代码 (GB 32100-2015) from 17 characters: the check character appended. */
function creditCode(body17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += CHARS.indexOf(body17[i]) * WEIGHTS[i];
  return body17 + CHARS[(31 - (sum % 31)) % 31];
}

interface BrowserGlobals {
  document: { documentElement: { scrollWidth: number } };
}

describe.each(['PGlite', 'PostgreSQL'] as const)('credit grade and red/black list (e2e, %s)', (database) => {
  let tp: TestPlatform;
  let postgres: FreshPostgres | undefined;
  const now = Date.parse('2026-11-20T10:00:00+08:00');
  const communities: Record<string, string> = {};
  const companies: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  let browser: Browser | undefined;

  beforeAll(async () => {
    postgres = database === 'PostgreSQL' ? await freshPostgresDatabase() : undefined;
    tp = await startTestPlatform(postgres ? { env: { DATABASE_URL: postgres.url } } : {});
    jest.spyOn(tp.platform.app.get(ClockRepository), 'now').mockImplementation(() => now);
    for (const [key, name, street] of [
      ['good', '阳光花园', '东街街道'],
      ['bad', '破旧小区', '东街街道'],
      ['far', '西街小区', '西街街道'],
    ] as const) {
      const res = await tp.api('POST', '/api/v1/communities', { name, district: '鼓楼区', street });
      expect(res.status).toBe(201);
      communities[key] = res.body.id;
    }
    for (const [key, name, code] of [
      ['good', '优质物业有限公司', '91350102MA2XY0001'],
      ['bad', '欠佳物业有限公司', '91350102MA2XY0002'],
      ['far', '西街物业有限公司', '91350102MA2XY0003'],
    ] as const) {
      const res = await tp.api('POST', '/api/v1/property-companies', { name, creditCode: creditCode(code) });
      expect(res.status).toBe(201);
      companies[key] = res.body.id;
      expect((await tp.api('POST', `/api/v1/property-companies/${res.body.id}/communities`, { communityIds: [communities[key]] })).status).toBe(201);
    }
    const users: Array<[string, string, Record<string, unknown>]> = [
      ['street', 'street_officer', { level: 'street', district: '鼓楼区', street: '东街街道' }],
      ['otherstreet', 'street_officer', { level: 'street', district: '鼓楼区', street: '西街街道' }],
      ['district', 'district_authority', { level: 'district', district: '鼓楼区' }],
      ['goodstaff', 'property_staff', { level: 'community', communityIds: [communities.good] }],
    ];
    for (const [name, role, scope] of users) {
      expect((await tp.api('POST', '/api/v1/users', { username: `credit-${name}`, password: 'user-pass-123', role, scope })).status).toBe(201);
      tokens[name] = await tp.login(`credit-${name}`, 'user-pass-123');
    }
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await tp?.close();
    await postgres?.drop();
  }, 60_000);

  const assess = (who: string, community: string, kind: string, assessedOn: string, score: number, note?: string) =>
    tp.api('POST', '/api/v1/credit/assessments', { communityId: communities[community], kind, assessedOn, score, note }, tokens[who]);

  it('grades two years: below 90 twice → interviews, risk notices and the black list (004 五(三)); the best on the red list', async () => {
    // Spot checks (双随机) by the street and the district, street opinions by the street, both years.
    for (const year of [2025, 2026]) {
      expect((await assess('street', 'good', 'spot_check', `${year}-04-10`, 98, '消防通道畅通')).status).toBe(201);
      expect((await assess('district', 'good', 'spot_check', `${year}-09-10`, 98)).status).toBe(201);
      expect((await assess('street', 'good', 'street_opinion', `${year}-10-01`, 96)).status).toBe(201);
      expect((await assess('street', 'bad', 'spot_check', `${year}-04-11`, 70, '电梯维保记录缺失')).status).toBe(201);
      expect((await assess('street', 'bad', 'street_opinion', `${year}-10-02`, 80)).status).toBe(201);
      expect((await assess('otherstreet', 'far', 'spot_check', `${year}-05-01`, 92)).status).toBe(201);
    }
    // A check in the future, a score above 100: refused.
    expect((await assess('street', 'good', 'spot_check', '2026-12-31', 90)).status).toBe(400);
    expect((await assess('street', 'good', 'spot_check', '2026-01-01', 101)).status).toBe(400);
    // The street may record but not grade: the district grades (004 五(三)).
    expect((await tp.api('POST', '/api/v1/credit/grades/2025/run', {}, tokens.street)).status).toBe(403);

    const first = await tp.api('POST', '/api/v1/credit/grades/2025/run', {}, tokens.district);
    expect(first.status).toBe(201);
    expect(first.body.weightVersion).toBe(1);
    const byCompany = (grades: Array<{ company: { id: string } }>, key: string) => grades.find((g) => g.company.id === companies[key]) as any;
    // No devices, alarms, complaints or surveys: those parts are left out and the weights of the
    // others scaled up: (0.25·98 + 0.15·96) / 0.4 = 97.25; (0.25·70 + 0.15·80) / 0.4 = 73.75.
    expect(byCompany(first.body.grades, 'good')).toMatchObject({ score: 97.25, belowThreshold: false, blackListed: false, actions: [] });
    const bad2025 = byCompany(first.body.grades, 'bad');
    expect(bad2025).toMatchObject({ score: 73.75, belowThreshold: true, blackListed: false });
    expect(bad2025.actions.map((a: { kind: string }) => a.kind).sort()).toEqual(['interview', 'risk_notice']);
    expect(bad2025.breakdown.find((l: { component: string }) => l.component === 'spotChecks')).toMatchObject({ score: 70, basis: 1, weight: 0.25, effectiveWeight: 0.625, points: 43.75 });
    expect(bad2025.breakdown.find((l: { component: string }) => l.component === 'service')).toMatchObject({ score: null, effectiveWeight: 0 });
    expect(byCompany(first.body.grades, 'far').score).toBe(92);

    // Re-running the year is idempotent: same grades, one interview and one risk notice, not two.
    const again = await tp.api('POST', '/api/v1/credit/grades/2025/run', {}, tokens.district);
    expect(again.status).toBe(201);
    expect(again.body.grades.map((g: { score: number }) => g.score)).toEqual(first.body.grades.map((g: { score: number }) => g.score));
    const db = tp.platform.app.get(DatabaseRepository).db;
    const recorded = await db.selectFrom('audit_log').select(['action', 'subject_id']).where('action', 'in', ['credit.interview.recorded', 'credit.risk_notice.recorded']).execute();
    expect(recorded.filter((r) => r.subject_id === companies.bad)).toHaveLength(2);
    expect(recorded.filter((r) => r.subject_id !== companies.bad)).toHaveLength(0);

    // 2025 alone: nobody is black-listed yet (one year below 90).
    const lists2025 = await tp.api('GET', '/api/v1/public/credit/lists/2025', undefined, null);
    expect(lists2025.status).toBe(200);
    expect(lists2025.body.black).toEqual([]);
    expect(lists2025.body.red.map((e: { company: { id: string } }) => e.company.id)).toEqual([companies.good]);

    const second = await tp.api('POST', '/api/v1/credit/grades/2026/run', {}, tokens.district);
    expect(second.status).toBe(201);
    const bad2026 = byCompany(second.body.grades, 'bad');
    expect(bad2026).toMatchObject({ score: 73.75, belowThreshold: true, blackListed: true });
    expect(bad2026.actions.map((a: { kind: string }) => a.kind).sort()).toEqual(['interview', 'risk_notice']);

    // The published lists (no login): black with both years' scores and the breakdown, red with the best.
    const lists = await tp.api('GET', '/api/v1/public/credit/lists/2026', undefined, null);
    expect(lists.status).toBe(200);
    expect(lists.body).toMatchObject({ year: 2026, threshold: 90, redListRule: { minScore: 95, topN: 10 } });
    expect(lists.body.black).toHaveLength(1);
    expect(lists.body.black[0]).toMatchObject({ rank: 1, company: { id: companies.bad, name: '欠佳物业有限公司' }, score: 73.75, previousScore: 73.75, weightVersion: 1 });
    expect(lists.body.black[0].breakdown.map((l: { component: string; points: number }) => [l.component, l.points])).toEqual([
      ['service', 0],
      ['complaints', 0],
      ['spotChecks', 43.75],
      ['streetOpinions', 30],
      ['survey', 0],
    ]);
    expect(lists.body.red).toHaveLength(1);
    expect(lists.body.red[0]).toMatchObject({ rank: 1, company: { id: companies.good }, score: 97.25 });
    expect(lists.body.red[0].breakdown.find((l: { component: string }) => l.component === 'spotChecks')).toMatchObject({ score: 98, basis: 2 });
  });

  it('records which weight set version a grade used; a new version applies to the next run', async () => {
    expect((await tp.api('POST', '/api/v1/credit/weight-sets', { weights: { service: 0.3, complaints: 0.2, spotChecks: 0.4, streetOpinions: 0.1, survey: 0.1 }, redList: { minScore: 95, topN: 10 } }, tokens.street)).status).toBe(403);
    const published = await tp.api('POST', '/api/v1/credit/weight-sets', { weights: { service: 0.3, complaints: 0.2, spotChecks: 0.4, streetOpinions: 0.1, survey: 0.1 }, redList: { minScore: 98, topN: 5 }, note: '加大双随机检查权重' }, tokens.district);
    expect(published.status).toBe(201);
    expect(published.body).toMatchObject({ version: 2, redList: { minScore: 98, topN: 5 } });
    expect((await tp.api('GET', '/api/v1/credit/weight-sets', undefined, tokens.street)).body.map((s: { version: number }) => s.version)).toEqual([2, 1]);

    const before = await tp.api('GET', `/api/v1/credit/grades/2025/companies/${companies.good}`, undefined, tokens.district);
    expect(before.body.weightVersion).toBe(1);
    const rerun = await tp.api('POST', '/api/v1/credit/grades/2026/run', {}, tokens.district);
    expect(rerun.body.weightVersion).toBe(2);
    // (0.4·98 + 0.1·96) / 0.5 = 97.6: below the new set's red-list minimum of 98.
    expect(rerun.body.grades.find((g: { company: { id: string } }) => g.company.id === companies.good)).toMatchObject({ score: 97.6, weightVersion: 2 });
    const lists = await tp.api('GET', '/api/v1/public/credit/lists/2026', undefined, null);
    expect(lists.body.redListRule).toEqual({ minScore: 98, topN: 5 });
    expect(lists.body.red).toEqual([]);
    expect(lists.body.black.map((e: { company: { id: string } }) => e.company.id)).toEqual([companies.bad]);
    // 2025 keeps the version it was graded with.
    expect((await tp.api('GET', `/api/v1/credit/grades/2025/companies/${companies.good}`, undefined, tokens.district)).body.weightVersion).toBe(1);
  });

  it('keeps to scope: another street’s officer gets 404, a property company sees only its own grade', async () => {
    // The 西街 officer: not the 东街 communities, not the companies serving only them.
    expect((await assess('otherstreet', 'good', 'spot_check', '2026-05-01', 50)).status).toBe(404);
    expect((await tp.api('GET', `/api/v1/credit/assessments?year=2026&communityId=${communities.good}`, undefined, tokens.otherstreet)).status).toBe(404);
    expect((await tp.api('GET', `/api/v1/credit/grades/2026/companies/${companies.bad}`, undefined, tokens.otherstreet)).status).toBe(404);
    const theirs = await tp.api('GET', '/api/v1/credit/grades/2026', undefined, tokens.otherstreet);
    expect(theirs.body.map((g: { company: { id: string } }) => g.company.id)).toEqual([companies.far]);
    const theirChecks = await tp.api('GET', '/api/v1/credit/assessments?year=2026', undefined, tokens.otherstreet);
    expect(theirChecks.body.length).toBeGreaterThan(0);
    expect(theirChecks.body.every((a: { communityId: string }) => a.communityId === communities.far)).toBe(true);

    // The 东街 officer sees both companies of the street with their breakdowns.
    const street = await tp.api('GET', '/api/v1/credit/grades/2026', undefined, tokens.street);
    expect(street.body.map((g: { company: { id: string } }) => g.company.id).sort()).toEqual([companies.good, companies.bad].sort());

    // The property company: its own grade, not its competitor's.
    const own = await tp.api('GET', '/api/v1/credit/grades/2026', undefined, tokens.goodstaff);
    expect(own.body.map((g: { company: { id: string } }) => g.company.id)).toEqual([companies.good]);
    expect((await tp.api('GET', `/api/v1/credit/grades/2026/companies/${companies.good}`, undefined, tokens.goodstaff)).status).toBe(200);
    expect((await tp.api('GET', `/api/v1/credit/grades/2026/companies/${companies.bad}`, undefined, tokens.goodstaff)).status).toBe(404);
    expect((await assess('goodstaff', 'good', 'spot_check', '2026-05-01', 100)).status).toBe(403);

    // A company serving both streets: each officer sees its grade, naming only their own communities.
    const both = await tp.api('POST', '/api/v1/communities', { name: '西街二期', district: '鼓楼区', street: '西街街道' });
    expect((await tp.api('POST', `/api/v1/property-companies/${companies.good}/communities`, { communityIds: [both.body.id] })).status).toBe(201);
    expect((await tp.api('POST', '/api/v1/credit/grades/2026/run', {}, tokens.district)).status).toBe(201);
    const west = await tp.api('GET', `/api/v1/credit/grades/2026/companies/${companies.good}`, undefined, tokens.otherstreet);
    expect(west.status).toBe(200);
    expect(west.body.communityIds).toEqual([both.body.id]);
    const east = await tp.api('GET', `/api/v1/credit/grades/2026/companies/${companies.good}`, undefined, tokens.street);
    expect(east.body.communityIds).toEqual([communities.good]);
    expect((await tp.api('GET', `/api/v1/credit/grades/2026/companies/${companies.good}`, undefined, tokens.district)).body.communityIds.sort()).toEqual([communities.good, both.body.id].sort());
  });

  it('shows the published lists on a phone (375 px) with each score’s breakdown, in Chinese and English', async () => {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: PHONE });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    collectCspViolations(page, problems);
    await page.goto(`${tp.httpUrl}/credit/?year=2026`);
    await waitForText(page, '#black', '欠佳物业有限公司');
    await waitForText(page, '#black', '73.75');
    await waitForText(page, '#black', '双随机');
    await waitForText(page, '#red', '暂无');
    expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobals).document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await page.click('[data-lang="en"]');
    await waitForText(page, '#black', 'Black list');
    await waitForText(page, '#black', 'spot checks');
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('lets a street officer record a spot check and the district run the grading on the desk page', async () => {
    browser ??= await launchChromium();
    const problems: string[] = [];
    const login = async (username: string) => {
      const context = await browser!.newContext({ viewport: PHONE });
      const page = await context.newPage();
      page.on('pageerror', (e) => problems.push(String(e)));
      collectCspViolations(page, problems);
      await page.goto(`${tp.httpUrl}/credit/desk.html`);
      await page.fill('#login-username', username);
      await page.fill('#login-password', 'user-pass-123');
      await page.click('#login-submit');
      await page.waitForSelector('#app-view:not([hidden])');
      await page.selectOption('#year', '2026');
      return page;
    };
    const street = await login('credit-street');
    await waitForText(street, '#grades', '优质物业有限公司');
    expect(await street.isHidden('#run')).toBe(true);
    await street.selectOption('#f-community', communities.good);
    await street.selectOption('#f-kind', 'spot_check');
    await street.fill('#f-date', '2026-06-01');
    await street.fill('#f-score', '99.5');
    await street.fill('#f-note', '绿化养护到位');
    await street.click('#assess-form button[type="submit"]');
    await waitForText(street, '#notice', '已保存');
    await waitForText(street, '#assessments', '绿化养护到位');
    expect(await street.evaluate(() => (globalThis as unknown as BrowserGlobals).document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);

    const district = await login('credit-district');
    await waitForText(district, '#grades', '欠佳物业有限公司');
    await district.click('#run');
    await waitForText(district, '#notice', '已完成 2026 年度评价');
    await waitForText(district, '#grades', '黑名单');
    await waitForText(district, '#grades', '约谈');
    expect(problems).toEqual([]);
    await street.context().close();
    await district.context().close();
  }, 90_000);
});
