/**
 * The green-channel desk (/fund/) in headless Chromium on a phone (375×812): a fire-controller
 * fault (fire_fault, MQTT → rule engine → outbox) opens a maintenance-fund case, and each role in
 * turn, logged in as itself, finds it in its queue with the working-day countdown of its step
 * and takes that step on the page: the property company proposes the plan (building charged,
 * budget, contractor, a photo) and publishes the notice; the community's 公示栏 shows the notice
 * for its notice period (and the residents' committee cannot confirm before it ends: the page says so, the API refuses); after it,
 * on a clock moved past the period, the residents' committee confirms, the district approves and
 * pays the first share, the property company signs acceptance, the district pays the balance and
 * the property company discloses; the board then shows the disclosed shares. A user of another
 * community sees none of it (page, board of their own community, REST).
 * SPP_E2E_SCREENSHOTS=/some/dir keeps screenshots of each step.
 */
import { readFileSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { deviceTopic } from '@app/contracts';
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { browserPages, expectFitsPhone, screenshots, waitForText } from '../support/browser';
import { ADMIN, publishJson, startTestPlatform, type TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

const DESKTOP = { width: 1280, height: 900 };
const PASSWORD = 'user-pass-123';

interface CaseSummary {
  id: string;
  state: string;
  alarmType: string | null;
  noticeEndsAt: string | null;
  deadline: { kind: string; at: string; workingDaysLeft: number | null } | null;
  availableActions: string[];
  title: string;
}

describe('green-channel desk (browser, phone)', () => {
  let tp: TestPlatform;
  const browser = browserPages();
  let communityId: string;
  let otherCommunityId: string;
  let buildingA: string;
  let controller: MqttClient;
  let controllerId: string;
  let caseId: string;
  /** The platform's clock runs with the real one, moved forward past the notice period when the test says so. */
  let offsetMs = 0;

  const newPhonePage = (desktop = false) => browser.open(desktop ? { viewport: DESKTOP } : {});

  const snapshot = screenshots('fund-desk');


  /** Logs in on the desk as a user, once the case is on the page (waiting for them or among the others). */
  async function deskAs(username: string, desktop = false): Promise<Page> {
    const page = await newPhonePage(desktop);
    await page.goto(`${tp.httpUrl}/fund/`);
    await page.fill('#login-username', username);
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-submit');
    await page.waitForSelector('#app-view', { state: 'visible' });
    await page.waitForSelector(`#queue-view [data-case="${caseId}"]`);
    return page;
  }

  async function openCase(page: Page): Promise<void> {
    await page.click(`#queue [data-case="${caseId}"]`);
    await page.waitForSelector(`#detail article[data-case="${caseId}"]`);
  }

  /** Submits the form of one action on the open case and waits for the state it leads to. */
  async function act(page: Page, action: string, state: string): Promise<void> {
    await page.click(`#detail form[data-action="${action}"] button[type=submit]`);
    await page.waitForSelector(`#detail article[data-state="${state}"]`);
  }

  const caseAs = async (token?: string) => (await tp.api('GET', `/api/v1/fund/cases/${caseId}`, undefined, token)).body as CaseSummary;
  const board = async (id: string) => (await tp.api('GET', `/api/v1/public/communities/${id}/board`)).body;

  beforeAll(async () => {
    tp = await startTestPlatform();
    jest.spyOn(tp.platform.app.get(ClockRepository), 'now').mockImplementation(() => Date.now() + offsetMs);
    const created = await tp.api('POST', '/api/v1/communities', {
      name: '绿通花园',
      district: '鼓楼区',
      street: '东街街道',
      buildings: [
        { name: 'A栋', units: [{ number: '101', floorArea: '90.00' }, { number: '102', floorArea: '110.00' }] },
        { name: 'B栋', units: [{ number: '101', floorArea: '100.00' }] },
      ],
    });
    expect(created.status).toBe(201);
    communityId = created.body.id;
    buildingA = created.body.buildings.find((b: { name: string }) => b.name === 'A栋').id;
    otherCommunityId = (await tp.createCommunity({ name: '别处小区', district: '台江区', street: '茶亭街道' })).id;
    const users: Array<[string, string, Record<string, unknown>]> = [
      ['fd-property', 'property_staff', { level: 'community', communityIds: [communityId] }],
      ['fd-rc', 'residents_committee', { level: 'community', communityIds: [communityId] }],
      ['fd-district', 'district_authority', { level: 'district', district: '鼓楼区' }],
      ['fd-other', 'property_staff', { level: 'community', communityIds: [otherCommunityId] }],
      ['fd-owner', 'owner', { level: 'community', communityIds: [communityId] }],
    ];
    for (const [username, role, scope] of users) {
      expect((await tp.api('POST', '/api/v1/users', { username, displayName: username, password: PASSWORD, role, scope })).status).toBe(201);
    }
    const device = await tp.provisionDevice(communityId, 'fire', { subtype: 'controller', buildingId: buildingA, name: 'A栋 消防主机' });
    controllerId = device.id;
    controller = await tp.connectDevice(device);
  }, 90_000);

  afterAll(async () => {
    await tp?.close();
  }, 60_000);


  it('a fire_fault case is walked to disclosure through the desk by each role, the notice on the board for its notice period', async () => {
    await publishJson(controller, deviceTopic(controllerId, 'events'), { type: 'fault', active: true });
    const opened = await waitFor(
      async () => ((await tp.api('GET', `/api/v1/fund/cases?communityId=${communityId}`)).body as CaseSummary[]).find((c) => c.alarmType === 'fire_fault'),
      { message: 'a fund case opened from the fire_fault alarm', timeoutMs: 20_000 },
    );
    caseId = opened.id;
    expect(opened).toMatchObject({ state: 'draft', deadline: null });

    // the property company: the case waits for its plan
    const property = await deskAs('fd-property');
    await waitForText(property, `#queue [data-case="${caseId}"] [data-field="state"]`, '待提出方案');
    await expectFitsPhone(property);
    await openCase(property);
    await property.fill('#detail [name="repairPlan"]', '更换消防主机主板及备用电源');
    await property.fill('#detail [name="contractor"]', '闽消安装工程有限公司');
    await property.fill('#detail [name="budget"]', '12000.00');
    await property.check(`#detail input[name="building"][value="${buildingA}"]`);
    await act(property, 'propose', 'proposed');
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('photo of the controller board')]);
    await property.setInputFiles('#detail form[data-upload] input[type=file]', { name: '主板照片.png', mimeType: 'image/png', buffer: png });
    await property.click('#detail form[data-upload] button[type=submit]');
    await waitForText(property, '#detail [data-field="files"]', '主板照片.png');
    // the stored file comes back as a download (fetched with the login token)
    const [download] = await Promise.all([property.waitForEvent('download'), property.click('#detail [data-evidence]')]);
    expect(download.suggestedFilename()).toBe('主板照片.png');
    expect(readFileSync((await download.path())!).equals(png)).toBe(true);
    await act(property, 'publish_notice', 'notice');
    await waitForText(property, '#detail [data-field="scope"]', 'A栋');
    await expectFitsPhone(property);
    await snapshot(property, '1-notice-published');
    // now it waits for the residents' committee, not for the property company
    await property.click('#detail [data-do="back"]');
    await property.waitForSelector(`#others [data-case="${caseId}"]`);
    expect(await property.$(`#queue [data-case="${caseId}"]`)).toBeNull();

    const inNotice = await caseAs();
    expect(inNotice.deadline).toMatchObject({ kind: 'notice', at: inNotice.noticeEndsAt });
    expect(inNotice.deadline!.workingDaysLeft).toBeGreaterThanOrEqual(2); // 3 working days (national profile); 2 if published on a day off

    // the 公示栏 shows the notice now, not only after disclosure
    const during = await board(communityId);
    expect(during.fundCases.inNotice).toEqual([
      expect.objectContaining({ id: caseId, contractor: '闽消安装工程有限公司', budgetFen: 1_200_000, chargedBuildings: ['A栋'], noticeEndsAt: inNotice.noticeEndsAt }),
    ]);
    const boardPage = await newPhonePage();
    await boardPage.goto(`${tp.httpUrl}/board/?community=${communityId}`);
    await waitForText(boardPage, `[data-notice="${caseId}"]`, '更换消防主机主板及备用电源');
    await waitForText(boardPage, `[data-notice="${caseId}"]`, '公示期');
    await snapshot(boardPage, '2-board-notice');

    // the residents' committee sees it with the countdown, and cannot confirm before the notice ends
    const rc = await deskAs('fd-rc');
    await waitForText(rc, `#queue [data-case="${caseId}"] [data-field="countdown"]`, `剩余 ${inNotice.deadline!.workingDaysLeft} 个工作日`);
    await openCase(rc);
    await waitForText(rc, '#detail form[data-action="confirm"] [data-field="wait"]', '公示期满');
    expect(await rc.isDisabled('#detail form[data-action="confirm"] button[type=submit]')).toBe(true);
    const early = await tp.api('POST', `/api/v1/fund/cases/${caseId}/transitions`, { action: 'confirm' }, await tp.login('fd-rc', PASSWORD));
    expect(early.status).toBe(409);
    expect((await caseAs()).state).toBe('notice');
    await snapshot(rc, '3-confirm-too-early');

    // an hour after the notice period: no longer on the board as a notice; sessions of the earlier clock have run out
    await browser.closeAll();
    offsetMs = Date.parse(inNotice.noticeEndsAt!) - Date.now() + 3600_000;
    tp.token = await tp.login(ADMIN.username, ADMIN.password);
    expect((await board(communityId)).fundCases.inNotice).toEqual([]);

    // the district office (at a desktop) has its desk open: the case is not its turn yet
    const district = await deskAs('fd-district', true);
    await district.waitForSelector(`#others [data-case="${caseId}"]`);
    const rc2 = await deskAs('fd-rc');
    await openCase(rc2);
    await act(rc2, 'confirm', 'confirmed');
    // live (fund.case.updated): the case moves into the district's queue without a reload
    await waitForText(district, `#queue [data-case="${caseId}"] [data-field="countdown"]`, '审核期限');
    await openCase(district);
    await act(district, 'approve', 'approved');
    await waitForText(district, '#detail [data-field="state"]', '待拨付'); // the national profile sets no payment deadline
    await act(district, 'pay', 'in_repair');
    await snapshot(district, '4-paid-first');

    const property2 = await deskAs('fd-property');
    await openCase(property2);
    await property2.fill('#detail [name="actual"]', '11800.00');
    await act(property2, 'accept', 'accepted');

    const district2 = await deskAs('fd-district');
    await openCase(district2);
    await act(district2, 'pay', 'accepted');
    await waitForText(district2, '#detail [data-field="paid"]', '11800.00');

    const property3 = await deskAs('fd-property');
    await openCase(property3);
    await act(property3, 'disclose', 'disclosed');
    await expectFitsPhone(property3);
    await snapshot(property3, '5-disclosed');

    const done = await caseAs();
    expect(done).toMatchObject({ state: 'disclosed', actualCostFen: 1_180_000, paidFen: 1_180_000 });
    const after = await board(communityId);
    expect(after.fundCases.cases.map((c: { id: string }) => c.id)).toEqual([caseId]);
    expect(after.fundCases.cases[0].shares.reduce((sum: number, s: { shareFen: number }) => sum + s.shareFen, 0)).toBe(1_180_000);
    expect(after.fundCases.cases[0].shares.map((s: { building: string }) => s.building)).toEqual(['A栋', 'A栋']);
  });

  it('an owner reports a leak by hand from the phone; it waits for the property company, live', async () => {
    const property = await newPhonePage();
    await property.goto(`${tp.httpUrl}/fund/`);
    await property.fill('#login-username', 'fd-property');
    await property.fill('#login-password', PASSWORD);
    await property.click('#login-submit');
    await property.waitForSelector('#app-view', { state: 'visible' });

    const owner = await newPhonePage();
    await owner.goto(`${tp.httpUrl}/fund/`);
    await owner.fill('#login-username', 'fd-owner');
    await owner.fill('#login-password', PASSWORD);
    await owner.click('#login-submit');
    await owner.waitForSelector('#app-view', { state: 'visible' });
    await owner.click('#report');
    await owner.waitForSelector('#report-view', { state: 'visible' });
    await owner.waitForSelector(`#report-form select[name="buildingId"] option[value="${buildingA}"]`, { state: 'attached' });
    await owner.selectOption('#report-form select[name="category"]', 'roof_wall_leak');
    await owner.selectOption('#report-form select[name="buildingId"]', buildingA);
    await owner.fill('#report-form [name="title"]', 'A栋顶层屋面渗水');
    await owner.fill('#report-form [name="description"]', '连续降雨，1201 室天花板滴水');
    await expectFitsPhone(owner);
    await owner.click('#report-form button[type=submit]');
    await waitForText(owner, '#detail [data-field="state"]', '待提出方案');
    await waitForText(owner, '#detail [data-field="source"]', '人工上报');
    await snapshot(owner, '6-owner-reported');

    // without a reload, the property company's queue now holds it
    const reported = ((await tp.api('GET', `/api/v1/fund/cases?communityId=${communityId}`)).body as CaseSummary[]).find((c) => c.title === 'A栋顶层屋面渗水');
    expect(reported).toMatchObject({ state: 'draft', category: 'roof_wall_leak', source: 'manual', buildingId: buildingA });
    await waitForText(property, `#queue [data-case="${reported!.id}"]`, 'A栋顶层屋面渗水');
  });

  it('a user of another community sees none of it (desk, their board, REST)', async () => {
    const page = await newPhonePage();
    await page.goto(`${tp.httpUrl}/fund/`);
    await page.fill('#login-username', 'fd-other');
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-submit');
    await page.waitForSelector('#empty', { state: 'visible' });
    expect(await page.$(`[data-case="${caseId}"]`)).toBeNull();
    await expectFitsPhone(page);
    await snapshot(page, '6-other-community');

    const token = await tp.login('fd-other', PASSWORD);
    expect((await tp.api('GET', '/api/v1/fund/cases', undefined, token)).body).toEqual([]);
    expect((await tp.api('GET', `/api/v1/fund/cases/${caseId}`, undefined, token)).status).toBe(404);
    expect((await tp.api('POST', `/api/v1/fund/cases/${caseId}/transitions`, { action: 'withdraw' }, token)).status).toBe(404);
    expect((await tp.api('GET', `/api/v1/fund/cases?communityId=${communityId}`, undefined, token)).status).toBe(404);
    const theirs = await board(otherCommunityId);
    expect(theirs.fundCases).toMatchObject({ cases: [], inNotice: [] });
  });
});
