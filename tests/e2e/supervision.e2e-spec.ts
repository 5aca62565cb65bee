/**
 * Supervision views (apps/platform/web/supervision + /api/v1/supervision) for street and district
 * officers: each sees only the communities of their area, with live counts; in headless Chromium a
 * street officer sees an alarm raised in one of their communities arrive without a reload; officers
 * of another street or district get 404 / an empty list over REST and no socket event about it.
 */
import type { MqttClient } from 'mqtt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Socket } from 'socket.io-client';
import { publishJson, startTestPlatform, type ProvisionedDevice, type TestPlatform } from '../support/platform';
import { collectCspViolations, launchChromium } from '../support/browser';
import { nextEvent } from '../support/wait';

const UI_TIMEOUT = 15_000;

interface SupervisionEvent {
  communityId: string;
  alarms: { total: number; bySeverity: Record<string, number> };
  devices: { total: number; online: number; offline: number };
  fundCases: { open: number; nextDeadline: string | null };
}

interface BrowserGlobals {
  document: { querySelector(selector: string): { textContent: string | null } | null; documentElement: { lang: string } };
}

const expectError = (res: { status: number; body: any }, status: number) => {
  expect(res.status).toBe(status);
  expect(res.body).toEqual(expect.objectContaining({ statusCode: status, error: expect.any(String), message: expect.any(String) }));
};

describe('supervision views (street / district officers)', () => {
  let tp: TestPlatform;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const c: Record<'a1' | 'a2' | 'b' | 'c', string> = { a1: '', a2: '', b: '', c: '' };
  const names: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  let liftA1: ProvisionedDevice;
  let liftB: ProvisionedDevice;
  let clientA1: MqttClient;
  let clientB: MqttClient;

  const users = [
    { username: 'officer.s1', role: 'street_officer', scope: { level: 'street', district: 'D1', street: 'S1' } },
    { username: 'officer.s2', role: 'street_officer', scope: { level: 'street', district: 'D1', street: 'S2' } },
    { username: 'authority.d1', role: 'district_authority', scope: { level: 'district', district: 'D1' } },
    { username: 'authority.d2', role: 'district_authority', scope: { level: 'district', district: 'D2' } },
  ];

  async function supervisionSocket(token: string): Promise<{ socket: Socket; seen: SupervisionEvent[] }> {
    const socket = await tp.socket(token);
    const seen: SupervisionEvent[] = [];
    socket.on('supervision.community', (e: SupervisionEvent) => seen.push(e));
    const ack = await socket.timeout(5000).emitWithAck('supervision.subscribe', {});
    expect(ack).toMatchObject({ ok: true });
    return { socket, seen };
  }

  async function waitForText(selector: string, text: string): Promise<void> {
    try {
      await page.waitForFunction(
        ([sel, want]) => (globalThis as unknown as BrowserGlobals).document.querySelector(sel)?.textContent?.trim() === want,
        [selector, text] as const,
        { timeout: UI_TIMEOUT },
      );
    } catch (e) {
      const actual = await page.evaluate((sel) => (globalThis as unknown as BrowserGlobals).document.querySelector(sel)?.textContent?.trim() ?? '<missing>', selector);
      throw new Error(`"${selector}" should read "${text}" but reads "${actual}": ${(e as Error).message}`);
    }
  }

  const row = (id: string) => `tr[data-community-id="${id}"]`;

  beforeAll(async () => {
    tp = await startTestPlatform();
    const n = Math.random().toString(36).slice(2, 6);
    for (const [key, district, street] of [['a1', 'D1', 'S1'], ['a2', 'D1', 'S1'], ['b', 'D1', 'S2'], ['c', 'D2', 'S3']] as const) {
      names[key] = `${key.toUpperCase()} 小区 ${n}`;
      c[key] = (await tp.createCommunity({ name: names[key], district, street })).id;
    }
    for (const u of users) {
      const res = await tp.api('POST', '/api/v1/users', { ...u, password: 'user-pass-123' });
      expect(res.status).toBe(201);
      tokens[u.username] = await tp.login(u.username, 'user-pass-123');
    }
    liftA1 = await tp.provisionDevice(c.a1, 'elevator', { id: `sup-a1-${n}` });
    liftB = await tp.provisionDevice(c.b, 'elevator', { id: `sup-b-${n}` });
    await tp.provisionDevice(c.a2, 'gate', { id: `sup-a2-${n}` });
    clientA1 = await tp.connectDevice(liftA1);
    clientB = await tp.connectDevice(liftB);
    await clientA1.publishAsync(`v1/devices/${liftA1.id}/status`, 'online', { qos: 1, retain: true });

    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
    page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    collectCspViolations(page, pageErrors);
  }, 90_000);

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await tp?.close();
  }, 60_000);

  it('lists only the communities of each officer’s area, with counts', async () => {
    const ids = async (user: string) => ((await tp.api('GET', '/api/v1/supervision/overview', undefined, tokens[user])).body as Array<{ id: string }>).map((r) => r.id).sort();
    expect(await ids('officer.s1')).toEqual([c.a1, c.a2].sort());
    expect(await ids('officer.s2')).toEqual([c.b]);
    expect(await ids('authority.d1')).toEqual([c.a1, c.a2, c.b].sort());
    expect(await ids('authority.d2')).toEqual([c.c]);

    const one = await tp.api('GET', `/api/v1/supervision/communities/${c.a2}`, undefined, tokens['officer.s1']);
    expect(one.status).toBe(200);
    expect(one.body).toEqual({
      id: c.a2,
      name: names.a2,
      street: 'S1',
      district: 'D1',
      alarms: { total: 0, bySeverity: { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 } },
      devices: { total: 1, online: 0, offline: 1 },
      fundCases: { open: 0, nextDeadline: null },
      complaints: { open: 0, overdue: 0 },
    });
  });

  it('answers 404 for a community outside the area, 400 for a bad id and 401 without a token', async () => {
    expectError(await tp.api('GET', `/api/v1/supervision/communities/${c.a1}`, undefined, tokens['officer.s2']), 404);
    expectError(await tp.api('GET', `/api/v1/supervision/communities/${c.a1}`, undefined, tokens['authority.d2']), 404);
    expectError(await tp.api('GET', `/api/v1/supervision/communities/${c.c}`, undefined, tokens['authority.d1']), 404);
    expectError(await tp.api('GET', '/api/v1/supervision/communities/not-a-uuid', undefined, tokens['officer.s1']), 400);
    expectError(await tp.api('GET', '/api/v1/supervision/overview', undefined, null), 401);
  });

  it('shows a street officer their communities in the browser and an alarm count changing live; other areas get no event', async () => {
    const other = await supervisionSocket(tokens['officer.s2']);
    const otherDistrict = await supervisionSocket(tokens['authority.d2']);
    const district = await supervisionSocket(tokens['authority.d1']);

    await page.goto(`${tp.httpUrl}/supervision/`);
    await page.fill('#login-username', 'officer.s1');
    await page.fill('#login-password', 'user-pass-123');
    await page.click('#login-submit');
    await page.waitForSelector(row(c.a1));
    await page.waitForSelector(row(c.a2));
    await page.waitForSelector('#conn[data-state="live"]');
    expect(await page.$$eval('tr[data-community-id]', (els) => els.map((e) => e.getAttribute('data-community-id')).sort())).toEqual([c.a1, c.a2].sort());
    await waitForText(`${row(c.a1)} [data-field="alarms"]`, '0');
    expect(await page.getAttribute(`${row(c.a1)} a[data-field="name"]`, 'href')).toBe(`/dashboard/?community=${c.a1}`);

    const districtSaw = nextEvent<SupervisionEvent>(district.socket, 'supervision.community', { filter: (e) => e.communityId === c.a1 && e.alarms.total === 1, timeoutMs: UI_TIMEOUT });
    await publishJson(clientA1, `v1/devices/${liftA1.id}/events`, { type: 'trapped_not_level', active: true });
    await waitForText(`${row(c.a1)} [data-field="alarms"]`, '1');
    expect(await page.getAttribute(`${row(c.a1)} [data-sev="1"]`, 'data-n')).toBe('1');
    expect(await page.textContent(`${row(c.a1)} [data-field="complaints-overdue"]`)).toBe('0');
    expect((await districtSaw).devices).toEqual({ total: 1, online: 1, offline: 0 });

    // positive control for the other street: its own community's change arrives (after A1's, which it must not see)
    const bSeen = nextEvent<SupervisionEvent>(other.socket, 'supervision.community', { filter: (e) => e.communityId === c.b && e.alarms.total === 1, timeoutMs: UI_TIMEOUT });
    await publishJson(clientB, `v1/devices/${liftB.id}/events`, { type: 'trapped_not_level', active: true });
    await bSeen;
    expect(other.seen.map((e) => e.communityId)).not.toContain(c.a1);
    expect(other.seen.every((e) => e.communityId === c.b)).toBe(true);
    expect(otherDistrict.seen).toEqual([]);
    // the street officer's page never shows the other street's community
    expect(await page.$(row(c.b))).toBeNull();
  });

  it('counts a newly reported emergency repair case live', async () => {
    const created = await tp.api('POST', '/api/v1/fund/cases', { communityId: c.a2, category: 'elevator', title: '电梯钢丝绳断股' });
    expect(created.status).toBe(201);
    await waitForText(`${row(c.a2)} [data-field="fund"]`, '1');
    const one = await tp.api('GET', `/api/v1/supervision/communities/${c.a2}`, undefined, tokens['authority.d1']);
    expect(one.body.fundCases.open).toBe(1);
    expectError(await tp.api('GET', `/api/v1/supervision/communities/${c.a2}`, undefined, tokens['officer.s2']), 404);
  });

  it('shows a district authority every community of the district, and none of another district', async () => {
    const districtPage = await context.browser()!.newContext({ locale: 'zh-CN' }).then((ctx) => ctx.newPage());
    try {
      await districtPage.goto(`${tp.httpUrl}/supervision/`);
      await districtPage.fill('#login-username', 'authority.d1');
      await districtPage.fill('#login-password', 'user-pass-123');
      await districtPage.click('#login-submit');
      await districtPage.waitForSelector(row(c.b));
      expect(await districtPage.$$eval('tr[data-community-id]', (els) => els.map((e) => e.getAttribute('data-community-id')).sort())).toEqual([c.a1, c.a2, c.b].sort());
      // sorted by active alarms, most severe first: A1 and B (one critical each) before A2
      const order = await districtPage.$$eval('tr[data-community-id]', (els) => els.map((e) => e.getAttribute('data-community-id')));
      expect(order[2]).toBe(c.a2);
    } finally {
      await districtPage.context().close();
    }
  });

  it('switches to English', async () => {
    await page.click('.topbar .lang__btn[data-lang="en"]');
    await waitForText('th button[data-sort="name"]', 'Community');
    await waitForText(`${row(c.a1)} [data-field="alarms"]`, '1');
    await page.click('.topbar .lang__btn[data-lang="zh"]');
    await waitForText('th button[data-sort="name"]', '小区');
    expect(pageErrors).toEqual([]);
  });
});
