/**
 * Owners' joint decisions end to end (issue 13 §1–2), on embedded PGlite and on PostgreSQL: an
 * estate's units imported from CSV (bad rows reported), a claim with a document verified by the
 * owners' committee, a vote opened by the committee; owners vote over REST (one ballot per unit,
 * a second ballot refused, a co-owner who is not the representative refused, an owner of another
 * community refused, a ballot after the period refused); the period ends on a fake clock, the
 * durable close job tallies, and the public board (公示栏) shows the result by area and headcount.
 * On PGlite one owner votes on the phone page (375 px, Chinese, then the English switch).
 */
import { Queue } from 'bullmq';
import type { Browser, Page } from 'playwright-core';
import { collectCspViolations, launchChromium } from '../support/browser';
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { freshPostgresDatabase, type FreshPostgres } from '../support/databases';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { testServices } from '../support/test-services';
import { waitFor } from '../support/wait';

const DAY = 86_400_000;
const PDF = Buffer.from('%PDF-1.4\n% 房屋所有权证 (test)\n');

describe.each(['pglite', 'postgres'] as const)("owners' vote (%s)", (engine) => {
  let tp: TestPlatform;
  let pg: FreshPostgres | undefined;
  let now = Date.parse('2026-06-01T02:00:00Z');
  let communityId: string;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    pg = engine === 'postgres' ? await freshPostgresDatabase() : undefined;
    tp = await startTestPlatform(pg ? { env: { DATABASE_URL: pg.url } } : {});
    jest.spyOn(tp.platform.app.get(ClockRepository), 'now').mockImplementation(() => now);
    communityId = (await tp.createCommunity({ name: '和谐家园', district: '昭阳区', street: '凤凰街道' })).id;
    const otherId = (await tp.createCommunity({ name: '邻里小区', district: '昭阳区', street: '龙泉街道' })).id;

    const users: Array<[string, string, string]> = [
      ['staff', 'property_staff', communityId],
      ['committee', 'owners_committee', communityId],
      ['o1', 'owner', communityId],
      ['o2', 'owner', communityId],
      ['o3', 'owner', communityId],
      ['o4', 'owner', communityId],
      ['o5', 'owner', communityId],
      ['o6', 'owner', communityId],
      ['outsider', 'owner', otherId],
    ];
    for (const [name, role, community] of users) {
      const res = await tp.api('POST', 'users', { username: `vote-${name}`, password: 'user-pass-123', role, scope: { level: 'community', communityIds: [community] } });
      expect(res.status).toBe(201);
      ids[name] = res.body.id;
      tokens[name] = await tp.login(`vote-${name}`, 'user-pass-123');
    }
  }, 120_000);

  afterAll(async () => {
    await tp?.close();
    await pg?.drop();
  });

  const importCsv = (csv: string, token: string) =>
    fetch(`${tp.httpUrl}/api/v1/communities/${communityId}/units/import`, { method: 'POST', headers: { 'Content-Type': 'text/csv', Authorization: `Bearer ${token}` }, body: csv });

  const claim = async (unitId: string, token: string, content = PDF, type = 'application/pdf') => {
    const form = new FormData();
    form.append('file', new Blob([content], { type }), 'deed.pdf');
    form.append('relation', 'owner');
    const res = await fetch(`${tp.httpUrl}/api/v1/units/${unitId}/claims`, { method: 'POST', body: form, headers: { Authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  const errors: string[] = [];
  let browser: Browser | undefined;
  /** A 375 px phone page in Chinese; page errors and CSP violations go to `errors`. */
  async function phonePage(): Promise<Page> {
    if (!browser) {
      const launched = await launchChromium();
      tp.defer(() => launched.close());
      browser = launched;
    }
    const context = await browser.newContext({ viewport: { width: 375, height: 812 }, locale: 'zh-CN', isMobile: true, hasTouch: true });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (err) => errors.push(err.message));
    collectCspViolations(page, errors);
    return page;
  }
  type Doc = { document: { body: { textContent: string }; documentElement: { scrollWidth: number } } };
  const bodyHas = (page: Page, text: string) => page.waitForFunction((want) => ((globalThis as unknown as Doc).document.body.textContent ?? '').includes(want), text);
  const width = (page: Page) => page.evaluate(() => (globalThis as unknown as Doc).document.documentElement.scrollWidth);

  /** An owner votes on the phone page: signs in, picks the option, sees the vote taken; the page fits 375 px and switches to English. */
  async function voteOnPhone(username: string, option: string): Promise<void> {
    const page = await phonePage();
    await page.goto(`${tp.httpUrl}/vote/`);
    await page.fill('#login-username', username);
    await page.fill('#login-password', 'user-pass-123');
    await page.click('#login-submit');
    await page.waitForSelector('#open-votes form');
    expect(await page.textContent('#units')).toContain('已核验');
    await page.click(`#open-votes label.vt-option:has-text("${option}")`);
    await page.click('#open-votes button[type="submit"]');
    await page.waitForSelector('#notice:not([hidden])');
    expect(await page.textContent('#notice')).toContain('投票成功');
    await bodyHas(page, '您已投票');
    expect(await width(page)).toBeLessThanOrEqual(375);
    await page.click('#app-view .lang__btn[data-lang="en"]');
    await bodyHas(page, 'You have voted');
  }

  it('imports an estate, verifies owners, runs a vote and publishes the result with tallies on the board', async () => {
    // ---- §1: the estate, its owners and their verification
    const csv = [
      'building,number,floorArea,owner',
      '1栋,101,90.00,vote-o1',
      '1栋,102,90.00,vote-o2',
      '1栋,201,120.50,',
      '2栋,101,80.00,vote-o5',
      '2栋,102,80.00,vote-o5', // one holder of two units: one head (司法解释 art. 9)
      '2栋,201,60.00,', // no verified owner: a head of its own
      '2栋,202,70.00,vote-o6',
      '2栋,101,80.00,', // repeated in the file
      '3栋,101,-5,', // not a floor area
      '3栋,102,70.00,vote-outsider', // an owner of another community
    ].join('\n');
    expect((await importCsv(csv, tokens.committee)).status).toBe(403);
    const imported = await importCsv(csv, tokens.staff);
    expect(imported.status).toBe(200);
    const report = (await imported.json()) as Record<string, any>;
    expect(report).toMatchObject({ rows: 10, created: 7, buildingsCreated: 2, linked: 5 });
    expect(report.rejected.map((r: { row: number }) => r.row)).toEqual([8, 9, 10]);
    expect(report.rejected[0].reason).toContain('already on row 4');
    expect(report.rejected[2].reason).toContain('not a user of this community');
    // Importing again: every unit exists already.
    expect(((await (await importCsv('building,number,floorArea\n1栋,101,90.00\n', tokens.staff)).json()) as Record<string, any>).rejected[0].reason).toContain('exists');

    const detail = (await tp.api('GET', `communities/${communityId}`)).body;
    const unit = (building: string, number: string) => detail.buildings.find((b: { name: string }) => b.name === building).units.find((u: { number: string }) => u.number === number).id as string;

    // o3 claims 1栋 201 with the deed; the owners' committee verifies. o4 claims 1栋 101 too
    // (co-owner of o1's unit): verified, but o1 stays the unit's representative.
    expect((await claim(unit('1栋', '201'), tokens.o3, Buffer.from('MZ not a pdf'))).status).toBe(415);
    const pending = await claim(unit('1栋', '201'), tokens.o3);
    expect(pending.status).toBe(201);
    expect(pending.body).toMatchObject({ status: 'pending', representative: false, documentName: 'deed.pdf' });
    expect((await claim(unit('1栋', '201'), tokens.outsider)).status).toBe(404);
    expect((await tp.api('GET', `communities/${communityId}/unit-claims?status=pending`, undefined, tokens.committee)).body).toHaveLength(1);
    const doc = await fetch(`${tp.httpUrl}/api/v1/units/${unit('1栋', '201')}/occupants/${ids.o3}/document`, { headers: { Authorization: `Bearer ${tokens.committee}` } });
    expect(Buffer.from(await doc.arrayBuffer()).equals(PDF)).toBe(true);
    expect((await tp.api('POST', `units/${unit('1栋', '201')}/occupants/${ids.o3}/decision`, { decision: 'verify' }, tokens.o1)).status).toBe(403);
    const verified = await tp.api('POST', `units/${unit('1栋', '201')}/occupants/${ids.o3}/decision`, { decision: 'verify', note: '产权证核对无误' }, tokens.committee);
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ status: 'verified', representative: true });
    expect((await claim(unit('1栋', '101'), tokens.o4)).status).toBe(201);
    expect((await tp.api('POST', `units/${unit('1栋', '101')}/occupants/${ids.o4}/decision`, { decision: 'verify' }, tokens.staff)).body).toMatchObject({ status: 'verified', representative: false });
    expect((await tp.api('GET', 'units/mine', undefined, tokens.o5)).body.map((u: { representative: boolean }) => u.representative)).toEqual([true, true]);

    // ---- §2: the vote
    const closesAt = new Date(now + 7 * DAY).toISOString();
    const question = { communityId, question: '是否续聘现物业服务企业?', options: ['同意', '反对', '弃权'], rule: 'civil_code_278_majority', closesAt };
    expect((await tp.api('POST', 'votes', question, tokens.o1)).status).toBe(403);
    expect((await tp.api('POST', 'votes', question, tokens.staff)).status).toBe(400); // without the committee's consent
    const opened = await tp.api('POST', 'votes', question, tokens.committee);
    expect(opened.status).toBe(201);
    const voteId = opened.body.id as string;

    const cast = (who: string, option: number) => tp.api('POST', `votes/${voteId}/ballots`, { option }, tokens[who]);
    now += DAY;
    expect((await cast('o1', 0)).status).toBe(201);
    expect((await cast('o1', 1)).status).toBe(409); // the unit has voted
    expect((await cast('o4', 1)).status).toBe(403); // co-owner, not the representative
    expect((await cast('outsider', 1)).status).toBe(404); // another community's owner
    if (engine === 'pglite') await voteOnPhone('vote-o2', '同意');
    else expect((await cast('o2', 0)).status).toBe(201);
    expect((await cast('o3', 1)).status).toBe(201);
    const both = await cast('o5', 0);
    expect(both.status).toBe(201);
    expect(both.body.unitIds).toHaveLength(2);
    const during = (await tp.api('GET', `votes/${voteId}`, undefined, tokens.o5)).body;
    expect(during).toMatchObject({ status: 'open', ballots: 5, result: null });
    expect(during.myUnits.every((u: { voted: boolean }) => u.voted)).toBe(true);

    // ---- the period ends: o6 is too late; the close job tallies; the board shows it
    now = Date.parse(closesAt) + 1000;
    expect((await cast('o6', 0)).status).toBe(409);
    const queue = new Queue('owners', { connection: { url: testServices().redisUrl }, prefix: `${tp.redisPrefix}:bull` });
    tp.defer(() => queue.close());
    const board = async () => (await tp.api('GET', `public/communities/${communityId}/board`, undefined, null)).body;
    const published = await waitFor(
      async () => {
        for (const job of await queue.getDelayed()) await job.promote().catch(() => undefined);
        return (await board()).ownerDecisions.votes.find((v: { id: string }) => v.id === voteId);
      },
      { timeoutMs: 30_000, message: 'the result on the board' },
    );
    // 590.50 m² and 6 heads in all (o5's two units one head, 2栋 201 without an owner one head);
    // 460.50 m² and 4 heads (exactly 2/3) took part; 同意 340.00 m² and 3 heads: more than half of both.
    expect(published.result).toEqual({
      rule: 'civil_code_278_majority',
      ruleSource: '民法典 第二百七十八条 (一)–(四)、(九)',
      total: { area: '590.50', headcount: 6 },
      participating: { area: '460.50', headcount: 4 },
      perOption: [
        { option: '同意', area: '340.00', headcount: 3 },
        { option: '反对', area: '120.50', headcount: 1 },
        { option: '弃权', area: '0.00', headcount: 0 },
      ],
      participationMet: true,
      adopted: 0,
      adoptedOption: '同意',
    });
    expect((await board()).ownerDecisions.lastUpdated).toBe(published.closedAt);
    expect((await tp.api('GET', `votes/${voteId}`, undefined, tokens.o1)).body.status).toBe('closed');

    if (engine === 'pglite') {
      // The printed 公示栏 page shows it too.
      const page = await phonePage();
      await page.goto(`${tp.httpUrl}/board/?community=${communityId}`);
      await page.waitForSelector(`[data-section="owner_decisions"] [data-vote="${voteId}"]`);
      const text = await page.textContent('[data-section="owner_decisions"]');
      for (const want of ['业主共同决定事项', '通过：同意', '590.50', '460.50', '340.00', '民法典 第二百七十八条']) expect(text).toContain(want);
      expect(errors).toEqual([]);
    }
  });
});
