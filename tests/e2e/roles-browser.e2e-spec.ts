/**
 * Roles and scopes in the browser (headless Chromium) against an in-process platform: two
 * communities in different districts and streets; property staff, an owner and a street officer
 * of A, a district authority of B and a platform administrator each log in on the pages they use
 * (/dashboard/, /supervision/, /parking/) and see only what their role and scope allow; asking
 * for a community outside the scope shows a message, not data. Then one session acts and another
 * sees the result live: an elevator of A raises an emergency call over MQTT, it reaches two staff
 * dashboards and the street officer's supervision table without a reload, one staff member
 * acknowledges it and the other's panel shows it acknowledged.
 * SPP_README_SCREENSHOTS=/some/dir saves 1280×800 PNGs of the main pages for the README.
 */
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN, elevatorReading, publishJson, startTestPlatform, type ProvisionedDevice, type TestPlatform } from '../support/platform';
import { collectCspViolations, launchChromium } from '../support/browser';
import { waitFor } from '../support/wait';

const UI_TIMEOUT = 15_000;
const PASSWORD = 'user-pass-123';

interface BrowserGlobals {
  document: { querySelector(selector: string): { textContent: string | null } | null };
  __marker?: number;
}

describe('roles and scopes in the browser', () => {
  let tp: TestPlatform;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  const c = { a: '', b: '' };
  let liftA: ProvisionedDevice;
  let hydrantA: ProvisionedDevice;
  let liftB: ProvisionedDevice;
  let liftClient: MqttClient;
  let staffPage: Page;
  let officerPage: Page;
  const shotDir = process.env.SPP_README_SCREENSHOTS;

  const users = [
    { username: 'staff.a', role: 'property_staff', scope: () => ({ level: 'community', communityIds: [c.a] }) },
    { username: 'staff.a2', role: 'property_staff', scope: () => ({ level: 'community', communityIds: [c.a] }) },
    { username: 'owner.a', role: 'owner', scope: () => ({ level: 'community', communityIds: [c.a] }) },
    { username: 'officer.a', role: 'street_officer', scope: () => ({ level: 'street', district: '海淀区', street: '西三旗街道' }) },
    { username: 'authority.b', role: 'district_authority', scope: () => ({ level: 'district', district: '朝阳区' }) },
    { username: 'admin.two', role: 'platform_admin', scope: () => ({ level: 'platform' }) },
    { username: 'maint.a', role: 'maintenance_staff', scope: () => ({ level: 'community', communityIds: [c.a] }) },
    { username: 'committee.b', role: 'owners_committee', scope: () => ({ level: 'community', communityIds: [c.b] }) },
    { username: 'residents.a', role: 'residents_committee', scope: () => ({ level: 'community', communityIds: [c.a] }) },
  ];
  const ids: Record<string, string> = {};

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    collectCspViolations(page, pageErrors);
    return page;
  }

  async function shot(page: Page, name: string): Promise<void> {
    if (shotDir) await page.screenshot({ path: join(shotDir, `${name}.png`) });
  }

  async function login(page: Page, path: string, username: string, password = PASSWORD): Promise<void> {
    await page.goto(`${tp.httpUrl}${path}`);
    await page.fill('#login-username', username);
    await page.fill('#login-password', password);
    await page.click('#login-submit');
    await page.waitForSelector('#app-view', { state: 'visible' });
  }

  async function waitForText(page: Page, selector: string, text: string): Promise<void> {
    try {
      await page.waitForFunction(
        ([sel, want]) => ((globalThis as unknown as BrowserGlobals).document.querySelector(sel)?.textContent ?? '').trim() === want,
        [selector, text] as const,
        { timeout: UI_TIMEOUT },
      );
    } catch (e) {
      const actual = await page.evaluate((sel) => (globalThis as unknown as BrowserGlobals).document.querySelector(sel)?.textContent?.trim() ?? '<missing>', selector);
      throw new Error(`"${selector}" should read "${text}" but reads "${actual}": ${(e as Error).message}`);
    }
  }

  const pickerIds = (page: Page) => page.$$eval('#community-select option', (els) => els.map((e) => e.getAttribute('value')).sort());
  const tableIds = (page: Page) => page.$$eval('tr[data-community-id]', (els) => els.map((e) => e.getAttribute('data-community-id')).sort());
  const tile = (id: string) => `[data-device-id="${id}"]`;
  const row = (id: string) => `tr[data-community-id="${id}"]`;

  beforeAll(async () => {
    tp = await startTestPlatform();
    const n = Math.random().toString(36).slice(2, 6);
    c.a = (await tp.createCommunity({ name: `翠湖花园 ${n}`, district: '海淀区', street: '西三旗街道' })).id;
    c.b = (await tp.createCommunity({ name: `金桂苑 ${n}`, district: '朝阳区', street: '望京街道' })).id;
    for (const u of users) {
      const res = await tp.api('POST', '/api/v1/users', { username: u.username, role: u.role, scope: u.scope(), password: PASSWORD });
      expect(res.status).toBe(201);
      ids[u.username] = res.body.id;
    }

    liftA = await tp.provisionDevice(c.a, 'elevator', { id: `roles-lift-a-${n}`, name: '1号楼 1号梯', location: '1号楼 东单元' });
    hydrantA = await tp.provisionDevice(c.a, 'fire', { id: `roles-hyd-a-${n}`, subtype: 'hydrant_pressure', name: '1号楼 消火栓', location: '1号楼 B1' });
    await tp.provisionDevice(c.a, 'gate', { id: `roles-gate-a-${n}`, name: '北门 车辆道闸', location: '北门' });
    liftB = await tp.provisionDevice(c.b, 'elevator', { id: `roles-lift-b-${n}`, name: '5号楼 1号梯' });

    // an hour of elevator readings (for the history chart) and live state for the dashboard
    liftClient = await tp.connectDevice(liftA);
    await publishJson(liftClient, `v1/devices/${liftA.id}/status`, 'online', 1, true);
    const now = Date.now();
    for (let i = 0; i < 12; i++) {
      const moving = i % 3 === 1;
      await publishJson(liftClient, `v1/devices/${liftA.id}/telemetry`, { ...elevatorReading({ floor: (i * 5) % 17 + 1, speed: moving ? 1.6 : 0, direction: moving ? 'up' : 'stop', atLevel: !moving }), ts: now - (12 - i) * 5 * 60_000 });
    }
    await publishJson(liftClient, `v1/devices/${liftA.id}/telemetry`, { ...elevatorReading({ floor: 6 }), ts: now });
    const hydrantClient = await tp.connectDevice(hydrantA);
    await publishJson(hydrantClient, `v1/devices/${hydrantA.id}/status`, 'online', 1, true);
    await publishJson(hydrantClient, `v1/devices/${hydrantA.id}/telemetry`, { ts: now, value: 420.5, flags: {} });

    // parking: the owner's slot with a weekly share window; a filed tariff and a board publication for the board
    const slot = await tp.api('POST', 'parking/slots', { communityId: c.a, code: 'B1-023', location: '地下一层 B 区', ownership: 'private', ownerId: ids['owner.a'] });
    expect(slot.status).toBe(201);
    expect((await tp.api('POST', 'parking/slots', { communityId: c.a, code: 'V-01', location: '地面访客区', ownership: 'common' })).status).toBe(201);
    const tariff = await tp.api('POST', `billing/communities/${c.a}/tariffs`, {
      setBy: 'owners_assembly',
      filingNumber: '海价备〔2026〕012号',
      decisionRef: '业主大会决议 2026-01',
      effectiveFrom: new Date(now - 1000).toISOString(),
      rules: { freeMinutes: 15, pricing: { mode: 'unit', bands: [{ name: 'all', start: '00:00', end: '00:00', unitMinutes: 30, unitPriceFen: 100 }] }, cap: { amountFen: 2000, window: 'calendarDay' } },
    });
    expect(tariff.status).toBe(201);
    const board = await tp.api('POST', `board/communities/${c.a}/items`, {
      section: 'manager_contacts',
      content: {
        company: '翠湖物业服务有限公司',
        projectManager: { name: '陈经理', title: '项目经理', phone: '010-12345678' },
        servicePhone: '010-11112222',
        complaintPhone: '010-33334444',
        contacts: [{ role: '客服', name: '李四', phone: '13800000000' }],
        facilityContractors: [{ facility: 'elevator', company: '京北电梯工程有限公司', phone: '13900000000' }],
      },
    });
    expect(board.status).toBe(201);

    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    for (const ctx of contexts) await ctx.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await tp?.close();
  }, 60_000);

  it('property staff of A: the dashboard picker lists A only, with A’s devices and none of B', async () => {
    staffPage = await newPage();
    await login(staffPage, '/dashboard/', 'staff.a');
    await staffPage.waitForSelector(tile(liftA.id));
    await staffPage.waitForSelector('#conn.conn--live');
    expect(await pickerIds(staffPage)).toEqual([c.a]);
    await waitForText(staffPage, '#count-total', '3');
    await waitForText(staffPage, `${tile(liftA.id)} [data-field="floor"]`, '6');
    expect(await staffPage.$(tile(liftB.id))).toBeNull();
  });

  it.each([
    ['maint.a', 'maintenance staff of A', 'a'],
    ['residents.a', 'residents’ committee of A', 'a'],
    ['committee.b', 'owners’ committee of B', 'b'],
  ] as const)('%s (%s): the dashboard shows its own community only', async (username, _who, own) => {
    const page = await newPage();
    await login(page, '/dashboard/', username);
    const mine = own === 'a' ? liftA : liftB;
    const other = own === 'a' ? liftB : liftA;
    await page.waitForSelector(tile(mine.id));
    expect(await pickerIds(page)).toEqual([c[own]]);
    expect(await page.$(tile(other.id))).toBeNull();
  });

  it('street officer of A’s street: the supervision table lists A only', async () => {
    officerPage = await newPage();
    await login(officerPage, '/supervision/', 'officer.a');
    await officerPage.waitForSelector(row(c.a));
    await officerPage.waitForSelector('#conn[data-state="live"]');
    expect(await tableIds(officerPage)).toEqual([c.a]);
    await waitForText(officerPage, `${row(c.a)} [data-field="alarms"]`, '0');
  });

  it('district authority of B: sees B only; asking the dashboard for A shows a message and B’s data, not A’s', async () => {
    const page = await newPage();
    await login(page, '/supervision/', 'authority.b');
    await page.waitForSelector(row(c.b));
    expect(await tableIds(page)).toEqual([c.b]);

    await page.goto(`${tp.httpUrl}/dashboard/?community=${c.a}`);
    await page.waitForSelector('#notice', { state: 'visible' });
    await waitForText(page, '#notice', '找不到该小区，已切换到第一个小区');
    await page.waitForSelector(tile(liftB.id));
    expect(await pickerIds(page)).toEqual([c.b]);
    expect(await page.$(tile(liftA.id))).toBeNull();
    expect(new URL(page.url()).searchParams.get('community')).toBe(c.b);
    // and over REST the same community is simply not there
    const token = await tp.login('authority.b', PASSWORD);
    expect((await tp.api('GET', `/api/v1/communities/${c.a}`, undefined, token)).status).toBe(404);
  });

  it('platform administrator: sees both communities on the dashboard and in supervision', async () => {
    const page = await newPage();
    await login(page, '/supervision/', 'admin.two');
    await page.waitForSelector(row(c.a));
    await page.waitForSelector(row(c.b));
    expect(await tableIds(page)).toEqual(expect.arrayContaining([c.a, c.b]));
    await page.goto(`${tp.httpUrl}/dashboard/`);
    await page.waitForSelector('#community-select option', { state: 'attached' });
    expect(await pickerIds(page)).toEqual([c.a, c.b].sort());
  });

  it('owner of A: the parking page shows their own slot', async () => {
    const page = await newPage();
    await login(page, '/parking/', 'owner.a');
    await page.waitForFunction(() => ((globalThis as unknown as BrowserGlobals).document.querySelector('#tab-slots')?.textContent ?? '').includes('B1-023'), undefined, { timeout: UI_TIMEOUT });
    const text = (await page.textContent('#tab-slots')) ?? '';
    expect(text).toContain('B1-023');
    expect(text).not.toContain('V-01');
    await shot(page, 'parking-owner');
  });

  it('an emergency call reaches two staff dashboards and the street officer live; one acknowledges, the other sees it', async () => {
    const second = await newPage();
    await login(second, '/dashboard/', 'staff.a2');
    await second.waitForSelector(tile(liftA.id));
    await second.waitForSelector('#conn.conn--live');
    await waitForText(second, '.alarm-panel__n', '0');
    await waitForText(staffPage, '.alarm-panel__n', '0');
    const marker = await second.evaluate(() => ((globalThis as unknown as BrowserGlobals).__marker = Math.random()));
    const officerMarker = await officerPage.evaluate(() => ((globalThis as unknown as BrowserGlobals).__marker = Math.random()));

    await publishJson(liftClient, `v1/devices/${liftA.id}/events`, { type: 'emergency_call', active: true });

    const ackButton = '#alarm-panel .alarm__ack';
    for (const page of [staffPage, second]) {
      await page.waitForSelector(ackButton);
      await waitForText(page, '.alarm-panel__n', '1');
    }
    await waitForText(officerPage, `${row(c.a)} [data-field="alarms"]`, '1');
    await shot(staffPage, 'dashboard');
    await shot(officerPage, 'supervision');

    // an owner may not acknowledge (refusal with a message, not data)
    const alarms = await tp.api<Array<{ alarmId: string; type: string }>>('GET', `/api/v1/alarms?communityId=${c.a}&state=active`);
    const alarm = alarms.body.find((a) => a.type === 'emergency_call');
    expect(alarm).toBeDefined();
    const ownerToken = await tp.login('owner.a', PASSWORD);
    const refused = await tp.api('POST', `/api/v1/alarms/${alarm!.alarmId}/acknowledge`, {}, ownerToken);
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual(expect.objectContaining({ statusCode: 403, message: expect.any(String) }));

    // context 1 acknowledges; context 2 shows it acknowledged without a reload
    await staffPage.click(ackButton);
    await second.waitForSelector('#alarm-panel .alarm.is-acked .alarm__acked');
    await waitForText(second, '#alarm-panel .alarm__acked', '已确认');
    expect(await second.$(ackButton)).toBeNull();
    await staffPage.waitForSelector('#alarm-panel .alarm.is-acked');
    expect(await second.evaluate(() => (globalThis as unknown as BrowserGlobals).__marker)).toBe(marker);
    expect(await officerPage.evaluate(() => (globalThis as unknown as BrowserGlobals).__marker)).toBe(officerMarker);
    const after = await tp.api('GET', `/api/v1/alarms/${alarm!.alarmId}`);
    expect(after.body).toEqual(expect.objectContaining({ acknowledged: true, acknowledgedBy: ids['staff.a'] }));
  });

  it('the public board and the history chart show A’s data', async () => {
    const page = await newPage();
    await page.goto(`${tp.httpUrl}/board/?community=${c.a}`);
    await page.waitForFunction(() => ((globalThis as unknown as BrowserGlobals).document.querySelector('[data-section="manager_contacts"]')?.textContent ?? '').includes('翠湖物业服务有限公司'), undefined, { timeout: UI_TIMEOUT });
    await page.waitForFunction(() => ((globalThis as unknown as BrowserGlobals).document.querySelector('[data-section="parking_fees"]')?.textContent ?? '').includes('海价备〔2026〕012号'), undefined, { timeout: UI_TIMEOUT });
    await shot(page, 'board');

    await waitFor(async () => {
      const from = new Date(Date.now() - 3_600_000 - 120_000).toISOString();
      const res = await tp.api<{ points: unknown[] }>('GET', `/api/v1/devices/${liftA.id}/telemetry?from=${encodeURIComponent(from)}&every=1m`);
      return res.status === 200 && res.body.points.length >= 11;
    }, { timeoutMs: UI_TIMEOUT, message: 'readings stored in InfluxDB' });
    await login(page, `/history/?device=${encodeURIComponent(liftA.id)}&range=1h`, ADMIN.username, ADMIN.password);
    await page.waitForSelector('#chart[data-state="ready"]');
    expect(Number(await page.getAttribute('#chart', 'data-points'))).toBeGreaterThanOrEqual(11);
    await page.waitForSelector('.alarm-marker[data-type="emergency_call"]', { state: 'attached' });
    await shot(page, 'history');
    expect(pageErrors).toEqual([]);
  });
});
