/**
 * Maintenance from the duty desk (/duty/) on a phone (headless Chromium, 375×812), issue 12 §1, §4:
 * an elevator whose half-monthly visit is overdue shows its maintenance_overdue alarm in the desk's
 * inbox under the elevator's name; the maintenance worker comments on it with a photo, opens the
 * maintenance tab, records the visit (items ticked from the plan's list, a photo from the phone)
 * and the inspection certificate with its scan; the alarm clears and the public 公示栏's elevator
 * maintenance and inspection sections show the records. The maintenance company of another
 * community sees none of it. SPP_E2E_SCREENSHOTS=/some/dir keeps screenshots of each step.
 */
import type { Page } from 'playwright-core';
import { browserPages, expectFitsPhone, screenshots, waitForText } from '../support/browser';
import { startTestPlatform, type ProvisionedDevice, type TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

const DAY = 86_400_000;
/** A real 1×1 PNG, so the thumbnail decodes. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

interface BrowserGlobals {
  document: { documentElement: { scrollWidth: number }; querySelectorAll(s: string): ArrayLike<{ getAttribute(n: string): string | null }> };
}

describe('maintenance on the duty desk (browser, phone)', () => {
  let tp: TestPlatform;
  const browser = browserPages();
  const community = {} as Record<'a' | 'b', string>;
  let lift: ProvisionedDevice;
  const snapshot = screenshots('maintenance-desk-e2e');

  async function login(page: Page, username: string): Promise<void> {
    await page.goto(`${tp.httpUrl}/duty/`);
    await page.fill('#login-username', username);
    await page.fill('#login-password', 'user-pass-123');
    await page.click('#login-submit');
    await page.waitForSelector('#app-view', { state: 'visible' });
    await page.waitForSelector('#conn[data-state="live"]');
  }

  /** Thumbnails shown from object URLs (fetched with the token). */
  const thumbsLoaded = (page: Page, selector: string) =>
    page.waitForFunction((sel) => Array.from((globalThis as unknown as BrowserGlobals).document.querySelectorAll(sel)).some((img) => (img.getAttribute('src') ?? '').startsWith('blob:')), selector);

  beforeAll(async () => {
    tp = await startTestPlatform();
    community.a = (await tp.createCommunity({ name: '维保花园', district: '五华区', street: '华山街道' })).id;
    community.b = (await tp.createCommunity({ name: '别处小区', district: '盘龙区', street: '拓东街道' })).id;
    const mk = async (username: string, displayName: string, role: string, communityId: string) => {
      const res = await tp.api('POST', '/api/v1/users', { username, displayName, password: 'user-pass-123', role, scope: { level: 'community', communityIds: [communityId] } });
      expect(res.status).toBe(201);
    };
    await mk('mt-staff-a', '物业小刘', 'property_staff', community.a);
    await mk('mt-maint-a', '维保张工', 'maintenance_staff', community.a);
    await mk('mt-maint-b', '别处维保', 'maintenance_staff', community.b);
    lift = await tp.provisionDevice(community.a, 'elevator', { name: '3 栋 2 号梯' });
    // The plan started 20 days ago and no visit is on record: the half-monthly visit is overdue at once.
    const staff = await tp.login('mt-staff-a', 'user-pass-123');
    const plan = await tp.api('PUT', `/api/v1/maintenance/devices/${lift.id}/plan`, { company: '云岭电梯工程有限公司', companyPhone: '0871-66668888', startedAt: new Date(Date.now() - 20 * DAY).toISOString() }, staff);
    expect(plan.status).toBe(200);
  }, 90_000);

  afterAll(async () => {
    await tp?.close();
  }, 60_000);


  it('an overdue visit shows on the desk; the worker records it with a photo from the phone, the alarm clears and the board shows the visit', async () => {
    const alarm = await waitFor(
      async () => ((await tp.api('GET', `/api/v1/alarms?communityId=${community.a}&type=maintenance_overdue&state=active`)).body as Array<{ alarmId: string; deviceId: string }>).find((a) => a.deviceId === lift.id),
      { timeoutMs: 15_000, message: 'maintenance_overdue raised' },
    );
    const page = await browser.open();
    await login(page, 'mt-maint-a');

    // The inbox names the alarm and the elevator (not only its id).
    const card = `#inbox [data-alarm-id="${alarm.alarmId}"]`;
    await waitForText(page, card, '维保逾期');
    await waitForText(page, `${card} [data-field="device"]`, '3 栋 2 号梯');
    await expectFitsPhone(page);
    await snapshot(page, '1-inbox');

    // A comment with a photo from the site.
    await page.click(card);
    await page.waitForSelector('#detail article[data-state="active"]');
    await page.fill('#comment', '已到现场，准备保养');
    await page.setInputFiles('#comment-photo', { name: 'site.png', mimeType: 'image/png', buffer: PNG });
    await page.click('[data-do="comment"]');
    await waitForText(page, '#detail .dd-history', '已到现场，准备保养');
    await thumbsLoaded(page, '#detail .dd-history img');
    await expectFitsPhone(page);
    await snapshot(page, '2-comment-photo');
    const history = (await tp.api('GET', `/api/v1/alarms/${alarm.alarmId}`)).body.history as Array<{ action: string; detail: { photoId?: string } }>;
    const photoId = history.find((h) => h.action === 'commented' && h.detail.photoId)?.detail.photoId;
    const stored = await fetch(`${tp.httpUrl}/api/v1/alarms/${alarm.alarmId}/photos/${photoId}/file`, { headers: { Authorization: `Bearer ${tp.token}` } });
    expect(stored.status).toBe(200);
    expect(Buffer.from(await stored.arrayBuffer()).equals(PNG)).toBe(true);
    // The alarm leads to the elevator's maintenance form; back from it, the list of plans.
    await waitForText(page, '#detail', '记录维保或检验合格证后自动解除');
    await page.click('[data-do="maint"]');
    await page.waitForSelector(`#maint-detail article[data-device-id="${lift.id}"]`);
    await page.click('#maint-detail [data-do="back"]');
    const plan = `#plans [data-device-id="${lift.id}"]`;
    await waitForText(page, plan, '3 栋 2 号梯');
    await waitForText(page, `${plan} [data-field="overdue"]`, '半月维保逾期');
    await waitForText(page, `${plan} [data-field="cert"]`, '无合格证记录');
    await expectFitsPhone(page);
    await snapshot(page, '3-plans');

    await page.click(plan);
    await page.waitForSelector('#visit-form');
    expect(await page.inputValue('#visit-kind')).toBe('half_monthly');
    expect(await page.inputValue('#visit-worker')).toBe('维保张工');
    await page.check('#visit-items input[value="制动器间隙"]');
    await page.check('#visit-items input[value="轿门门锁电气触点"]');
    await page.setInputFiles('#visit-photos', { name: 'brake.png', mimeType: 'image/png', buffer: PNG });
    await page.click('[data-do="visit"]');
    await waitForText(page, '#maint-detail [data-field="visits"]', '维保张工');
    await waitForText(page, '#maint-detail [data-field="visits"]', '制动器间隙');
    await thumbsLoaded(page, '#maint-detail [data-field="visits"] img');
    await expectFitsPhone(page);
    await snapshot(page, '4-visit');

    // The annual inspection certificate with its scan.
    await page.fill('#cert-agency', '云南省特种设备安全检测研究院');
    await page.fill('#cert-no', 'DT-2026-0815');
    await page.fill('#cert-inspected', '2026-11-20');
    await page.fill('#cert-expires', '2027-11-19');
    await page.setInputFiles('#cert-scan', { name: 'certificate.png', mimeType: 'image/png', buffer: PNG });
    await page.click('[data-do="cert"]');
    await waitForText(page, '#maint-detail [data-field="certificates"]', 'DT-2026-0815');
    await thumbsLoaded(page, '#maint-detail [data-field="certificates"] img');
    await waitForText(page, '#maint-detail [data-field="cert"]', '检验合格证有效');
    await snapshot(page, '5-certificate');

    // The alarm cleared, live on the desk and in the API.
    await page.click('.dd-tab[data-tab="alarms"]');
    await page.waitForSelector(card, { state: 'detached' });
    const after = (await tp.api('GET', `/api/v1/alarms/${alarm.alarmId}`)).body;
    expect(after.state).toBe('cleared');
    const visits = (await tp.api('GET', `/api/v1/maintenance/devices/${lift.id}/visits`)).body;
    expect(visits).toMatchObject([{ kind: 'half_monthly', worker: '维保张工', items: ['制动器间隙', '轿门门锁电气触点'], photos: [{ fileName: 'brake.png', contentType: 'image/png' }] }]);

    // The English switch.
    await page.click('.dd-top .lang__btn[data-lang="en"]');
    await waitForText(page, '.dd-tab[data-tab="maint"]', 'Maintenance');
    await page.click('.dd-tab[data-tab="maint"]');
    await waitForText(page, '#maint-detail [data-field="due"]', 'Fortnightly maintenance');
    await page.click('.dd-top .lang__btn[data-lang="zh"]');

    // The public 公示栏: the visit and the certificate, from the records.
    const board = await browser.open();
    await board.goto(`${tp.httpUrl}/board/?community=${community.a}`);
    const em = '[data-section="elevator_maintenance_records"]';
    await waitForText(board, em, '云岭电梯工程有限公司');
    await waitForText(board, em, '3 栋 2 号梯');
    await waitForText(board, em, '制动器间隙');
    await waitForText(board, '[data-section="elevator_inspection_records"]', 'DT-2026-0815');
    await snapshot(board, '6-board');
  });

  it('the maintenance company of another community sees none of it', async () => {
    const other = await browser.open();
    await login(other, 'mt-maint-b');
    await other.click('.dd-tab[data-tab="maint"]');
    await other.waitForSelector('#maint-empty', { state: 'visible' });
    expect(await other.$(`[data-device-id="${lift.id}"]`)).toBeNull();
    const token = await tp.login('mt-maint-b', 'user-pass-123');
    expect((await tp.api('GET', `/api/v1/maintenance/devices/${lift.id}/visits`, undefined, token)).status).toBe(404);
    expect((await tp.api('GET', `/api/v1/maintenance/devices/${lift.id}/certificates`, undefined, token)).status).toBe(404);
  });
});
