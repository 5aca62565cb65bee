/**
 * What follows an owners' decision (issue 13 §2): a parking tariff cites the vote that set it (a
 * passed vote of its own community only); the lottery (摇号) for added slots (seed 004 三(四)2(2))
 * is drawn with a published seed and shown on the board so anyone re-runs it to the same result;
 * the street reviews a decision (seed 002 五 职责分工), shown with the result. Every new route is
 * walked for scope: another community's committee, street or vote is refused. The public board
 * shows the three on a 375 px phone.
 */
import { drawSlotLottery } from '../../apps/platform/src/domain/slot-lottery';
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { VoteService } from '../../apps/platform/src/services/vote.service';
import { browserPages, expectFitsPhone, waitForText } from '../support/browser';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const DAY = 86_400_000;
const rules = { freeMinutes: 15, pricing: { mode: 'unit', bands: [{ name: 'all', start: '00:00', end: '00:00', unitMinutes: 30, unitPriceFen: 100 }] }, cap: { amountFen: 2000, window: 'calendarDay' } };

describe('decisions of owners’ votes: tariff reference, slot lottery, street review', () => {
  let tp: TestPlatform;
  let now = Date.now();
  let communityId: string;
  let otherId: string;
  const tokens: Record<string, string> = {};
  const votes: Record<'passed' | 'failed' | 'open' | 'other', string> = { passed: '', failed: '', open: '', other: '' };
  const browser = browserPages();

  beforeAll(async () => {
    tp = await startTestPlatform();
    jest.spyOn(tp.platform.app.get(ClockRepository), 'now').mockImplementation(() => now);
    communityId = (await tp.createCommunity({ name: '和谐家园', district: '昭阳区', street: '凤凰街道' })).id;
    otherId = (await tp.createCommunity({ name: '邻里小区', district: '昭阳区', street: '龙泉街道' })).id;
    const here = { level: 'community', communityIds: [communityId] };
    const there = { level: 'community', communityIds: [otherId] };
    const users: Array<[string, string, Record<string, unknown>]> = [
      ['staff', 'property_staff', here],
      ['committee', 'owners_committee', here],
      ['o1', 'owner', here],
      ['other-staff', 'property_staff', there],
      ['other-committee', 'owners_committee', there],
      ['street', 'street_officer', { level: 'street', district: '昭阳区', street: '凤凰街道' }],
      ['other-street', 'street_officer', { level: 'street', district: '昭阳区', street: '龙泉街道' }],
    ];
    for (const [name, role, scope] of users) {
      expect((await tp.api('POST', 'users', { username: `vd-${name}`, password: 'user-pass-123', role, scope })).status).toBe(201);
      tokens[name] = await tp.login(`vd-${name}`, 'user-pass-123');
    }
    // One unit, its verified owner o1: o1's ballot decides.
    const csv = 'building,number,floorArea,owner\n1栋,101,90.00,vd-o1\n';
    const imported = await fetch(`${tp.httpUrl}/api/v1/communities/${communityId}/units/import`, { method: 'POST', headers: { 'Content-Type': 'text/csv', Authorization: `Bearer ${tokens.staff}` }, body: csv });
    expect(imported.status).toBe(200);

    const open = async (token: string, community: string, question: string, closesIn: number) => {
      const res = await tp.api('POST', 'votes', { communityId: community, question, options: ['同意', '反对'], rule: 'seed_004_added_slots', closesAt: new Date(now + closesIn).toISOString() }, token);
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    votes.passed = await open(tokens.committee, communityId, '增建 2 个车位并调整停车收费标准', DAY);
    votes.failed = await open(tokens.committee, communityId, '取消访客车位', DAY);
    votes.open = await open(tokens.committee, communityId, '更换门禁系统', 30 * DAY);
    votes.other = await open(tokens['other-committee'], otherId, '邻里小区停车收费', DAY);
    expect((await tp.api('POST', `votes/${votes.passed}/ballots`, { option: 0 }, tokens.o1)).status).toBe(201);
    now += DAY + 1000;
    const service = tp.platform.app.get(VoteService);
    for (const id of [votes.passed, votes.failed, votes.other]) await service.onClose(id);
    expect((await tp.api('GET', `votes/${votes.passed}`, undefined, tokens.o1)).body.result.adoptedOption).toBe('同意');
    for (const code of ['N-01', 'N-02']) expect((await tp.api('POST', 'parking/slots', { communityId, code, location: '新增地面车位', ownership: 'common' })).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await tp?.close();
  });

  const board = async () => (await tp.api('GET', `public/communities/${communityId}/board`, undefined, null)).body;

  it('a tariff cites the passed vote of its community that set it; the read and the board show it', async () => {
    const tariff = (decisionVoteId: string, token = tokens.staff, community = communityId) =>
      tp.api('POST', `billing/communities/${community}/tariffs`, { setBy: 'owners_assembly', filingNumber: '昭价备〔2026〕019号', decisionVoteId, effectiveFrom: new Date(now - 1000).toISOString(), rules }, token);
    const refused = async (id: string, text: string) => {
      const res = await tariff(id);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain(text);
    };
    await refused(votes.other, 'no vote of this community');
    await refused(votes.failed, 'did not pass');
    await refused(votes.open, 'not closed');
    expect((await tariff(votes.passed, tokens['other-staff'])).status).toBe(404);

    const created = await tariff(votes.passed);
    expect(created.status).toBe(201);
    expect(created.body.decisionVoteId).toBe(votes.passed);
    const list = (await tp.api('GET', `billing/communities/${communityId}/tariffs`, undefined, tokens.o1)).body;
    expect(list[0].decisionVoteId).toBe(votes.passed);
    expect((await board()).parkingFees.currentTariff.decisionVoteId).toBe(votes.passed);
  });

  it('draws the lottery for the added slots with a published seed; the board shows it and re-running gives the same', async () => {
    const request = { communityId, title: '新增地面车位租用摇号', seed: '2026 第 150 期福彩 3D 开奖号 385', entrants: ['1栋101', '1栋102', '2栋201'], slots: ['N-02', 'N-01'], decisionVoteId: votes.passed };
    const draw = (body: Record<string, unknown>, token = tokens.committee) => tp.api('POST', 'parking/lotteries', body, token);
    expect((await draw(request, tokens.o1)).status).toBe(403);
    expect((await draw(request, tokens['other-committee'])).status).toBe(404);
    expect((await draw({ ...request, communityId: otherId })).status).toBe(404);
    expect((await draw({ ...request, slots: ['N-01', 'X-99'] })).status).toBe(400);
    expect((await draw({ ...request, decisionVoteId: votes.other })).status).toBe(400);
    expect((await draw({ ...request, entrants: ['1栋101', '1栋101'] })).status).toBe(400);

    const drawn = await draw(request);
    expect(drawn.status).toBe(201);
    expect(drawn.body.result.assignments.map((a: { slot: string }) => a.slot)).toEqual(['N-01', 'N-02']);
    expect(drawn.body.result.waiting).toHaveLength(1);

    const published = (await board()).slotLotteries;
    expect(published.lastUpdated).toBe(drawn.body.drawnAt);
    const lottery = published.lotteries[0];
    expect(lottery).toMatchObject({ seed: request.seed, entrants: request.entrants, slots: request.slots, decisionVoteId: votes.passed });
    expect(lottery.method).toContain('SHA-256');
    // Anyone re-runs it from what the board publishes.
    expect(drawSlotLottery(lottery.seed, lottery.entrants, lottery.slots)).toEqual(lottery.result);
  });

  it('the street of the community reviews a decision; the review shows with the result', async () => {
    const review = (id: string, token: string, body: Record<string, unknown> = { outcome: 'ordered_corrected', reason: '表决结果未在公示栏公示满 7 日，责令更正后重新公示' }) => tp.api('POST', `votes/${id}/reviews`, body, token);
    expect((await review(votes.passed, tokens['other-street'])).status).toBe(404);
    expect((await review(votes.passed, tokens.committee)).status).toBe(403);
    expect((await review(votes.passed, tokens.staff)).status).toBe(403);
    expect((await review(votes.open, tokens.street)).status).toBe(409);
    expect((await review(votes.passed, tokens.street, { outcome: 'overturned', reason: 'x' })).status).toBe(400);
    expect((await review(votes.passed, tokens.street, { outcome: 'upheld', reason: ' ' })).status).toBe(400);

    expect((await review(votes.passed, tokens.street)).status).toBe(201);
    // A decision ordered corrected backs no new tariff until the street upholds it.
    const tariff = () => tp.api('POST', `billing/communities/${communityId}/tariffs`, { setBy: 'owners_assembly', filingNumber: '昭价备〔2026〕020号', decisionVoteId: votes.passed, effectiveFrom: new Date(now).toISOString(), rules }, tokens.staff);
    const refused = await tariff();
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('ordered the decision corrected');
    now += 1000;
    const upheld = await review(votes.passed, tokens.street, { outcome: 'upheld', reason: '已更正并重新公示，程序合规' });
    expect(upheld.status).toBe(201);
    expect((await tariff()).status).toBe(201);
    const vote = (await tp.api('GET', `votes/${votes.passed}`, undefined, tokens.o1)).body;
    expect(vote.reviews.map((r: { outcome: string }) => r.outcome)).toEqual(['ordered_corrected', 'upheld']);
    const onBoard = (await board()).ownerDecisions.votes.find((v: { id: string }) => v.id === votes.passed);
    expect(onBoard.reviews[1]).toMatchObject({ outcome: 'upheld', reason: '已更正并重新公示，程序合规' });
    expect((await tp.api('GET', `votes?communityId=${communityId}`, undefined, tokens.street)).body.find((v: { id: string }) => v.id === votes.passed).reviews).toHaveLength(2);
  });

  it('shows all three on the public board on a phone', async () => {
    const page = await browser.open();
    await page.goto(`${tp.httpUrl}/board/?community=${communityId}`);
    await waitForText(page, '[data-section="parking_fees"]', '增建 2 个车位并调整停车收费标准');
    await waitForText(page, '[data-section="slot_lotteries"]', '2026 第 150 期福彩 3D 开奖号 385');
    await waitForText(page, `[data-vote="${votes.passed}"] [data-review="ordered_corrected"]`, '责令改正');
    await waitForText(page, `[data-vote="${votes.passed}"] [data-review="upheld"]`, '已更正并重新公示');
    await expectFitsPhone(page);
  });
});
