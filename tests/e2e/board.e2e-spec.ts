/**
 * The public disclosure board (公示栏) in headless Chromium against an in-process platform: the
 * administrator publishes the manager's contacts and a notice from /board/admin.html; the elevator
 * inspection section is filled from the recorded certificate (api/v1/maintenance, not typed in);
 * the public page (no login) shows them with their "last updated" dates next
 * to the live sections (parking fees with the tariff's filing number, slot usage); a second
 * publication shows as version 2 while the history keeps version 1 and the audit log has every
 * publication; refusals: another community's property staff (404), an owner (403), content that
 * does not match the section (400), no login (401); printing (print media) hides the controls.
 * SPP_E2E_SCREENSHOTS=/some/dir keeps screenshots.
 */
import { ADMIN, startTestPlatform, type TestPlatform } from '../support/platform';
import { browserPages, screenshots, waitForText } from '../support/browser';


interface BrowserGlobals {
  document: { querySelector(selector: string): { textContent: string | null; value?: string } | null };
}

const managerContacts = (company: string) => ({
  company,
  projectManager: { name: '陈经理', title: '项目经理', phone: '0871-12345678' },
  servicePhone: '0871-11112222',
  complaintPhone: '0871-33334444',
  contacts: [{ role: '客服', name: '李四', phone: '13800000000' }],
  facilityContractors: [{ facility: 'elevator', company: '云岭电梯工程有限公司', phone: '13900000000' }],
});

const inspection = {
  records: [{ elevator: '1 栋 1 号梯', registrationCode: '31105301002018000001', agency: '昭通市特种设备检验所', inspectedOn: '2026-03-01', result: 'pass', certificateNo: 'DT-2026-0042', nextDueOn: '2027-03-01' }],
};
const notice = { items: [{ title: '电梯年检通知', body: '1 栋 1 号梯 3 月 1 日年检，暂停使用半天。', date: '2026-02-25' }] };

const expectError = (res: { status: number; body: any }, status: number) => {
  expect(res.status).toBe(status);
  expect(res.body).toEqual(expect.objectContaining({ statusCode: status, error: expect.any(String), message: expect.anything() }));
};

describe('disclosure board (browser)', () => {
  let tp: TestPlatform;
  const browser = browserPages();
  let communityId: string;
  let otherCommunityId: string;

  const newPage = () => browser.open({ viewport: { width: 1280, height: 900 } });

  const snapshot = screenshots('board-e2e');

  /** "YYYY-MM-DD HH:mm" in the board's time zone, as the page writes it. */
  const stamp = (iso: string, timeZone: string) =>
    new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(iso));

  beforeAll(async () => {
    tp = await startTestPlatform();
    communityId = (await tp.createCommunity({ name: '翠湖小区' })).id;
    otherCommunityId = (await tp.createCommunity({ name: '别的小区' })).id;
    const mk = async (username: string, role: string, ids: string[]) => {
      const res = await tp.api('POST', 'users', { username, password: 'user-pass-123', role, scope: { level: 'community', communityIds: ids } });
      expect(res.status).toBe(201);
    };
    await mk('staff-here', 'property_staff', [communityId]);
    await mk('staff-other', 'property_staff', [otherCommunityId]);
    await mk('owner-here', 'owner', [communityId]);
    // Live data the board derives: a filed parking tariff and two slots.
    const tariff = await tp.api('POST', `billing/communities/${communityId}/tariffs`, {
      setBy: 'owners_assembly',
      filingNumber: '昭价备〔2026〕007号',
      decisionRef: '业主大会决议 2026-01',
      effectiveFrom: new Date(Date.now() - 1000).toISOString(),
      rules: { freeMinutes: 15, pricing: { mode: 'unit', bands: [{ name: 'all', start: '00:00', end: '00:00', unitMinutes: 30, unitPriceFen: 100 }] }, cap: { amountFen: 2000, window: 'calendarDay' } },
    });
    expect(tariff.status).toBe(201);
    expect((await tp.api('POST', 'parking/slots', { communityId, code: 'V-01', location: '地面访客区', ownership: 'common' })).status).toBe(201);
    expect((await tp.api('POST', 'parking/slots', { communityId, code: 'V-02', location: '地面访客区', ownership: 'common' })).status).toBe(201);
    // The elevator inspection section comes from the recorded certificate.
    const elevator = await tp.provisionDevice(communityId, 'elevator', { name: '1 栋 1 号梯' });
    const plan = { company: '云岭电梯工程有限公司', companyPhone: '13900000000', startedAt: new Date().toISOString() };
    expect((await tp.api('PUT', `maintenance/devices/${elevator.id}/plan`, plan)).status).toBe(200);
    const { agency, inspectedOn, result, certificateNo, nextDueOn } = inspection.records[0];
    expect((await tp.api('POST', `maintenance/devices/${elevator.id}/certificates`, { agency, inspectedOn, result, certificateNo, expiresOn: nextDueOn })).status).toBe(201);

  }, 90_000);

  afterAll(async () => {
    await tp?.close();
  }, 60_000);


  it('an admin publishes from the form, the public page shows it with dates, a second publication is a new audited version', async () => {
    // Before anything is published the public board already shows the live sections.
    const empty = await tp.api('GET', `/api/v1/public/communities/${communityId}/board`, undefined, null);
    expect(empty.status).toBe(200);
    expect(empty.body.sections.manager_contacts).toBeNull();
    expect(empty.body.parkingFees.currentTariff.filingNumber).toBe('昭价备〔2026〕007号');
    expect(empty.body.slotUsage).toMatchObject({ totalSlots: 2, commonSlots: 2, privateSlots: 0 });
    expect(empty.body.fundCases).toMatchObject({ cases: [], totalFen: 0, lastUpdated: null });

    // The administrator publishes from the admin page.
    const admin = await newPage();
    await admin.goto(`${tp.httpUrl}/board/admin.html?community=${communityId}`);
    await admin.fill('#login-username', ADMIN.username);
    await admin.fill('#login-password', ADMIN.password);
    await admin.click('#login-submit');
    await admin.waitForSelector('#app-view', { state: 'visible' });
    await admin.selectOption('#community', communityId);
    await admin.selectOption('#section', 'manager_contacts');
    await admin.waitForFunction(() => ((globalThis as unknown as BrowserGlobals).document.querySelector('#content')?.value ?? '').includes('projectManager'));
    await admin.fill('#content', JSON.stringify(managerContacts('翠湖物业服务有限公司')));
    await admin.click('#publish');
    await waitForText(admin, '#result', '第 1 版');
    await waitForText(admin, '#history', '1');

    await admin.selectOption('#section', 'notices');
    await admin.waitForFunction(() => ((globalThis as unknown as BrowserGlobals).document.querySelector('#content')?.value ?? '').includes('title'));
    await admin.fill('#content', JSON.stringify(notice));
    await admin.click('#publish');
    await waitForText(admin, '#result', '通知公告');
    await waitForText(admin, '#audit', '通知公告');
    // Invalid content is refused and shown.
    await admin.fill('#content', JSON.stringify({ items: [] }));
    await admin.click('#publish');
    await waitForText(admin, '#result', '发布失败');
    await snapshot(admin, 'admin');

    // The public page, without login.
    const board = (await tp.api('GET', `/api/v1/public/communities/${communityId}/board`, undefined, null)).body;
    expect(board.sections.manager_contacts).toMatchObject({ version: 1, content: { company: '翠湖物业服务有限公司' } });
    const { registrationCode: _notRecorded, ...recorded } = inspection.records[0];
    expect(board.sections.elevator_inspection_records).toMatchObject({ version: 1, source: 'records', content: { records: [recorded] } });
    const page = await newPage();
    await page.goto(`${tp.httpUrl}/board/?community=${communityId}`);
    const mc = '[data-section="manager_contacts"]';
    await waitForText(page, mc, '翠湖物业服务有限公司');
    await waitForText(page, mc, '0871-33334444');
    await waitForText(page, mc, '云岭电梯工程有限公司');
    expect(await page.textContent(mc)).not.toContain('[object');
    await waitForText(page, `${mc} .bd-updated`, '最后更新');
    await waitForText(page, `${mc} .bd-updated__at`, stamp(board.sections.manager_contacts.lastUpdated, board.timeZone));
    const ei = '[data-section="elevator_inspection_records"]';
    await waitForText(page, ei, 'DT-2026-0042');
    await waitForText(page, ei, '合格');
    await waitForText(page, `${ei} .bd-updated__at`, stamp(board.sections.elevator_inspection_records.lastUpdated, board.timeZone));
    await waitForText(page, '[data-section="parking_fees"]', '昭价备〔2026〕007号');
    await waitForText(page, '[data-section="parking_fees"] .bd-updated__at', stamp(board.parkingFees.lastUpdated, board.timeZone));
    await waitForText(page, '[data-section="slot_usage"]', '车位总数');
    await waitForText(page, '[data-section="notices"]', '电梯年检通知');
    await waitForText(page, '[data-section="utility_cost_sharing"] .bd-updated__at', '尚未公示');
    await snapshot(page, 'public-v1');

    // English switch.
    await page.click('.lang__btn[data-lang="en"]');
    await waitForText(page, `${mc} .bd-updated`, 'Last updated');
    await waitForText(page, ei, 'Pass');
    await page.click('.lang__btn[data-lang="zh"]');
    await waitForText(page, `${mc} .bd-updated`, '最后更新');

    // A second publication, by the community's own property staff: version 2 on the board.
    const staff = await tp.login('staff-here', 'user-pass-123');
    const second = await tp.api('POST', `board/communities/${communityId}/items`, { section: 'manager_contacts', content: managerContacts('翠湖新物业有限公司') }, staff);
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ section: 'manager_contacts', version: 2 });
    await page.reload();
    await waitForText(page, mc, '翠湖新物业有限公司');
    await waitForText(page, `${mc} .bd-updated`, '第 2 版');
    expect(await page.textContent(mc)).not.toContain('翠湖物业服务有限公司');

    const history = await tp.api('GET', `board/communities/${communityId}/items/manager_contacts/history`, undefined, staff);
    expect(history.status).toBe(200);
    expect(history.body.map((h: { version: number; content: { company: string } }) => [h.version, h.content.company])).toEqual([
      [2, '翠湖新物业有限公司'],
      [1, '翠湖物业服务有限公司'],
    ]);
    const audit = await tp.api('GET', `board/communities/${communityId}/audit`, undefined, staff);
    expect(audit.status).toBe(200);
    expect(audit.body.map((a: { detail: { section: string; version: number; username: string } }) => [a.detail.section, a.detail.version, a.detail.username])).toEqual([
      ['manager_contacts', 1, 'admin'],
      ['notices', 1, 'admin'],
      ['manager_contacts', 2, 'staff-here'],
    ]);
    for (const a of audit.body) expect(new Date(a.at).getTime()).toBeGreaterThan(Date.now() - 120_000);
  }, 120_000);

  it('refuses publishers outside the community, other roles, mismatched content and anonymous callers', async () => {
    const path = `board/communities/${communityId}/items`;
    const body = { section: 'manager_contacts', content: managerContacts('不该出现的公司') };
    expectError(await tp.api('POST', path, body, await tp.login('staff-other', 'user-pass-123')), 404);
    expectError(await tp.api('GET', `board/communities/${communityId}/audit`, undefined, await tp.login('staff-other', 'user-pass-123')), 404);
    expectError(await tp.api('POST', path, body, await tp.login('owner-here', 'user-pass-123')), 403);
    expectError(await tp.api('POST', path, body, null), 401);
    expectError(await tp.api('POST', path, { section: 'manager_contacts', content: inspection }), 400);
    expectError(await tp.api('POST', path, { section: 'no_such_section', content: {} }), 400);
    expectError(await tp.api('POST', path, { section: 'elevator_inspection_records', content: { records: [{ ...inspection.records[0], nextDueOn: '2026-02-01' }] } }), 400);
    // Filled from the maintenance records: valid content is refused too.
    expectError(await tp.api('POST', path, { section: 'elevator_inspection_records', content: inspection }), 400);
    expectError(await tp.api('GET', '/api/v1/public/communities/00000000-0000-4000-8000-000000000000/board', undefined, null), 404);
    const board = (await tp.api('GET', `/api/v1/public/communities/${communityId}/board`, undefined, null)).body;
    expect(JSON.stringify(board)).not.toContain('不该出现的公司');
    expect(board.sections.manager_contacts.version).toBe(2);
  }, 60_000);

  it('prints as a clean sheet: print media hides the controls', async () => {
    const page = await newPage();
    await page.goto(`${tp.httpUrl}/board/?community=${communityId}`);
    await waitForText(page, '[data-section="manager_contacts"]', '翠湖新物业有限公司');
    expect(await page.isVisible('#tools')).toBe(true);
    expect(await page.isVisible('#print')).toBe(true);
    await page.emulateMedia({ media: 'print' });
    expect(await page.isVisible('#tools')).toBe(false);
    expect(await page.isVisible('#print')).toBe(false);
    expect(await page.isVisible('[data-section="parking_fees"] a')).toBe(false);
    expect(await page.isVisible('[data-section="manager_contacts"] .bd-updated')).toBe(true);
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    expect(pdf.subarray(0, 4).toString()).toBe('%PDF');
    await snapshot(page, 'print');
    await page.emulateMedia({ media: 'screen' });
    expect(await page.isVisible('#tools')).toBe(true);
  }, 60_000);
});
