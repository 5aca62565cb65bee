/**
 * The pages of what follows an owners' decision (issue 13 §2), in Chromium with real data:
 * the owners' committee draws the lottery for added slots (seed 004 三(四)2(2)) on a phone and the
 * public board re-runs it in the browser to "matches"; staff file a parking tariff citing the vote
 * that set it and the tariff shows its vote; a street officer records a decision ordered corrected
 * (seed 002 五 职责分工) and the board shows it. Owner and board views at 375×812, officer and staff
 * at a desktop width. User text goes in with markup and must come out as text.
 */
import type { Page } from 'playwright-core';
import { drawSlotLottery } from '../../apps/platform/src/domain/slot-lottery';
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { VoteService } from '../../apps/platform/src/services/vote.service';
import { browserPages, expectFitsPhone, screenshots, waitForText } from '../support/browser';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const DAY = 86_400_000;
const DESKTOP = { width: 1280, height: 900 };
const PASSWORD = 'user-pass-123';
const QUESTION = '增建 2 个车位并调整停车收费标准';
const SEED = '2026 第 150 期福彩 3D 开奖号 385';
/** An entrant written with markup: the pages must show it as text. */
const MARKUP_ENTRANT = '<b id="injected">3栋301</b>';

describe('decision pages: slot lottery, tariff’s vote, street review', () => {
  let tp: TestPlatform;
  let now = Date.now();
  let communityId: string;
  let passed: string;
  let lotteryId: string;
  const browser = browserPages();
  const snapshot = screenshots('decision-pages');

  beforeAll(async () => {
    tp = await startTestPlatform();
    jest.spyOn(tp.platform.app.get(ClockRepository), 'now').mockImplementation(() => now);
    communityId = (await tp.createCommunity({ name: '和谐家园', district: '昭阳区', street: '凤凰街道' })).id;
    const here = { level: 'community', communityIds: [communityId] };
    const users: Array<[string, string, Record<string, unknown>]> = [
      ['staff', 'property_staff', here],
      ['committee', 'owners_committee', here],
      ['o1', 'owner', here],
      ['street', 'street_officer', { level: 'street', district: '昭阳区', street: '凤凰街道' }],
      ['district', 'district_authority', { level: 'district', district: '昭阳区' }],
    ];
    for (const [name, role, scope] of users) expect((await tp.api('POST', 'users', { username: `dp-${name}`, password: PASSWORD, role, scope })).status).toBe(201);
    const staff = await tp.login('dp-staff', PASSWORD);
    const committee = await tp.login('dp-committee', PASSWORD);
    const o1 = await tp.login('dp-o1', PASSWORD);
    const csv = 'building,number,floorArea,owner\n1栋,101,90.00,dp-o1\n';
    const imported = await fetch(`${tp.httpUrl}/api/v1/communities/${communityId}/units/import`, { method: 'POST', headers: { 'Content-Type': 'text/csv', Authorization: `Bearer ${staff}` }, body: csv });
    expect(imported.status).toBe(200);
    const opened = await tp.api('POST', 'votes', { communityId, question: QUESTION, options: ['同意', '反对'], rule: 'seed_004_added_slots', closesAt: new Date(now + DAY).toISOString() }, committee);
    expect(opened.status).toBe(201);
    passed = opened.body.id;
    expect((await tp.api('POST', `votes/${passed}/ballots`, { option: 0 }, o1)).status).toBe(201);
    now += DAY + 1000;
    await tp.platform.app.get(VoteService).onClose(passed);
    expect((await tp.api('GET', `votes/${passed}`, undefined, o1)).body.result.adoptedOption).toBe('同意');
    for (const code of ['N-01', 'N-02']) expect((await tp.api('POST', 'parking/slots', { communityId, code, location: '新增地面车位', ownership: 'common' })).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await tp?.close();
  });

  async function signIn(path: string, username: string, desktop: boolean): Promise<Page> {
    const page = await browser.open(desktop ? { viewport: DESKTOP } : {});
    await page.goto(`${tp.httpUrl}${path}`);
    await page.fill('#login-username', username);
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-submit');
    await page.waitForSelector('#app-view', { state: 'visible' });
    return page;
  }

  const boardOnPhone = async (hash = '') => {
    const page = await browser.open();
    await page.goto(`${tp.httpUrl}/board/?community=${communityId}${hash}`);
    await page.waitForSelector('#sections', { state: 'visible' });
    return page;
  };

  it('the committee draws the lottery on a phone; the board shows the seed and every hash, and the browser re-run matches', async () => {
    const page = await signIn('/board/lottery.html', 'dp-committee', false);
    await page.waitForSelector('[data-slot="N-01"]');
    await page.waitForSelector(`#vote option[value="${passed}"]`, { state: 'attached' });
    await page.fill('#title', '新增地面车位租用摇号');
    await page.fill('#seed', SEED);
    await page.fill('#entrants', ['1栋101', '1栋102', '2栋201', MARKUP_ENTRANT].join('\n'));
    await page.check('[data-slot="N-01"]');
    await page.check('[data-slot="N-02"]');
    await page.selectOption('#vote', passed);
    await expectFitsPhone(page);
    await page.click('#draw');
    await waitForText(page, '#result', '已摇号并公示：2 个车位已分配，2 人候补');
    await page.waitForSelector('#published [data-lottery]');
    lotteryId = (await page.getAttribute('#published [data-lottery]', 'data-lottery'))!;

    // What the server drew is the rule's result on those inputs.
    const lottery = (await tp.api('GET', `public/communities/${communityId}/board`, undefined, null)).body.slotLotteries.lotteries[0];
    expect(lottery).toMatchObject({ id: lotteryId, seed: SEED, decisionVoteId: passed });
    const expected = drawSlotLottery(SEED, ['1栋101', '1栋102', '2栋201', MARKUP_ENTRANT], ['N-01', 'N-02']);
    expect(lottery.result).toEqual(expected);

    // The link to the result lands on the public board (phone).
    const href = (await page.getAttribute('#result-link', 'href'))!;
    expect(href).toContain(`#lottery-${lotteryId}`);
    const board = await boardOnPhone(`#lottery-${lotteryId}`);
    const item = `[data-lottery="${lotteryId}"]`;
    await waitForText(board, item, SEED);
    await waitForText(board, item, QUESTION);
    for (const r of expected.ranking) await waitForText(board, item, r.digest);
    await waitForText(board, item, MARKUP_ENTRANT);
    expect(await board.locator('#injected').count()).toBe(0);
    await waitForText(board, `${item} [data-verify-result]`, '用公开的种子');
    await board.click(`${item} button[data-verify]`);
    await waitForText(board, `${item} [data-verify-result="matches"]`, '复核一致：与公示结果相同');
    await expectFitsPhone(board);
    await snapshot(page, 'lottery-drawn');
    await snapshot(board, 'board-lottery-verified');
    // The verdict stays through the English switch.
    await board.click('.lang__btn[data-lang="en"]');
    await waitForText(board, `${item} [data-verify-result="matches"]`, 'Verified: matches the published result');
    await board.click('.lang__btn[data-lang="zh"]');
  });

  it('staff file a tariff picking the decision vote; the tariff page, the board and the disclosure show the vote', async () => {
    const page = await signIn('/parking/tariff.html', 'dp-staff', true);
    await page.waitForSelector(`#decision-vote option[value="${passed}"]`, { state: 'attached' });
    await page.selectOption('#set-by', 'owners_assembly');
    await page.fill('#filing', '昭价备〔2026〕019号');
    await page.selectOption('#decision-vote', passed);
    await page.fill('#effective', new Date(now - 60_000 - new Date(now).getTimezoneOffset() * 60_000).toISOString().slice(0, 16));
    await page.fill('#unit-price', '1.5');
    await page.fill('#cap', '20');
    await page.click('#file');
    await waitForText(page, '#result', '已备案第 1 版');
    await waitForText(page, `#tariffs [data-decision-vote="${passed}"]`, QUESTION);

    const tariffs = (await tp.api('GET', `billing/communities/${communityId}/tariffs`, undefined, await tp.login('dp-o1', PASSWORD))).body;
    expect(tariffs[0]).toMatchObject({ decisionVoteId: passed, filingNumber: '昭价备〔2026〕019号', rules: { pricing: { bands: [{ unitPriceFen: 150 }] }, cap: { amountFen: 2000 } } });

    // The link goes to the vote's published result on the board.
    const href = (await page.getAttribute(`#tariffs [data-decision-vote="${passed}"]`, 'href'))!;
    expect(href).toBe(`/board/?community=${communityId}#vote-${passed}`);
    const board = await boardOnPhone(`#vote-${passed}`);
    await waitForText(board, `[data-section="parking_fees"] [data-decision-vote="${passed}"]`, QUESTION);
    expect(await board.getAttribute(`[data-section="parking_fees"] [data-decision-vote="${passed}"] a`, 'href')).toBe(`#vote-${passed}`);
    await waitForText(board, `#vote-${passed}`, '同意');
    await expectFitsPhone(board);

    const disclosure = await browser.open();
    await disclosure.goto(`${tp.httpUrl}/parking-disclosure/?community=${communityId}`);
    await waitForText(disclosure, `[data-decision-vote="${passed}"]`, '查看表决结果');
    expect(await disclosure.getAttribute(`[data-decision-vote="${passed}"]`, 'href')).toBe(href);
  });

  it('a street officer records the decision ordered corrected; the board and the tariff page show it; a district officer only reads', async () => {
    const reason = '表决结果未公示满 7 日 <i id="injected">责令</i>更正后重新公示';
    const page = await signIn('/supervision/', 'dp-street', true);
    const vote = `#decisions-list [data-vote="${passed}"]`;
    await waitForText(page, vote, QUESTION);
    await waitForText(page, vote, '街道尚未审核');
    await page.selectOption(`${vote} select[name="outcome"]`, 'ordered_corrected');
    await page.fill(`${vote} textarea[name="reason"]`, reason);
    await page.click(`${vote} button[type="submit"]`);
    await waitForText(page, `${vote} [data-review="ordered_corrected"]`, reason);
    await waitForText(page, `${vote} .sup-dec__status`, '街道审核：责令改正');
    await snapshot(page, 'supervision-reviewed');
    expect(await page.locator('#injected').count()).toBe(0);

    const reviews = (await tp.api('GET', `votes/${passed}`, undefined, await tp.login('dp-o1', PASSWORD))).body.reviews;
    expect(reviews).toMatchObject([{ outcome: 'ordered_corrected', reason }]);

    const board = await boardOnPhone();
    await waitForText(board, `[data-vote="${passed}"] [data-review="ordered_corrected"]`, reason);
    await waitForText(board, `[data-vote="${passed}"] [data-review-status="ordered_corrected"]`, '责令改正');
    await waitForText(board, `[data-section="parking_fees"] [data-review-status="ordered_corrected"]`, '责令改正');
    expect(await board.locator('#injected').count()).toBe(0);
    await expectFitsPhone(board);

    const staff = await signIn('/parking/tariff.html', 'dp-staff', true);
    await waitForText(staff, '#tariffs', '街道责令改正');
    await snapshot(staff, 'tariff-page');
    await snapshot(board, 'board-reviewed');
    // A decision ordered corrected is no longer offered to cite.
    expect(await staff.locator(`#decision-vote option[value="${passed}"]`).count()).toBe(0);

    const district = await signIn('/supervision/', 'dp-district', true);
    await waitForText(district, `#decisions-list [data-vote="${passed}"]`, '责令改正');
    expect(await district.locator('[data-review-form]').count()).toBe(0);
  });
});
