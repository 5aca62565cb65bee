/**
 * The shared page session (web/shared/session.js) in Chromium, with access tokens that live 6 s:
 * an open dashboard renews its token before it expires, hands the new one to its socket.io
 * connections (no connection is closed for expiry) and keeps showing live data and loading over
 * REST; a user disabled by the administrator sees their open dashboard go back to the login form.
 */
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { publishJson, startTestPlatform, type ProvisionedDevice, type TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

const UI_TIMEOUT = 20_000;
const PASSWORD = 'user-pass-123';

interface BrowserGlobals {
  localStorage: { getItem(key: string): string | null };
}

describe('the page session (browser)', () => {
  let tp: TestPlatform;
  let browser: Browser;
  const pageErrors: string[] = [];
  let first: { id: string };
  let second: { id: string };
  let lift: ProvisionedDevice;
  let liftB: ProvisionedDevice;
  const userIds: Record<string, string> = {};

  beforeAll(async () => {
    tp = await startTestPlatform({ env: { JWT_TTL: '6s' } });
    // The administrator's token of the helper lives 6 s too: log in again when it ran out.
    const admin = async () => tp.login('admin', 'admin-pass-123');
    first = await tp.createCommunity({ name: '一号院' }, await admin());
    second = await tp.createCommunity({ name: '二号院' }, await admin());
    lift = await tp.provisionDevice(first.id, 'elevator', {}, await admin());
    liftB = await tp.provisionDevice(second.id, 'elevator', {}, await admin());
    for (const username of ['long.session', 'to.be.disabled']) {
      const res = await tp.api('POST', 'users', { username, password: PASSWORD, role: 'property_staff', scope: { level: 'community', communityIds: [first.id, second.id] } }, await admin());
      expect(res.status).toBe(201);
      userIds[username] = res.body.id;
    }
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await tp?.close();
  }, 60_000);

  async function openDashboard(username: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${tp.httpUrl}/dashboard/?community=${first.id}`);
    await page.fill('#login-username', username);
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-submit');
    await page.waitForSelector('#app-view', { state: 'visible' });
    await page.waitForSelector('#conn.conn--live');
    return page;
  }

  const storedToken = (page: Page) => page.evaluate(() => JSON.parse((globalThis as unknown as BrowserGlobals).localStorage.getItem('spp.session') ?? 'null')?.accessToken as string | undefined);
  const reading = (floor: number) => ({ mode: 'normal', direction: 'stop', floor, atLevel: true, door: 'closed', speed: 0, occupied: false, power: 'mains', safetyCircuit: 'closed' });

  it('outlives several access tokens: renewed ahead of expiry, sockets handed the new token, REST and live data keep working', async () => {
    const page = await openDashboard('long.session');
    const tokens = new Set<string>([(await storedToken(page))!]);
    // Three renewals: well past the lifetime of the token the page signed in with.
    await waitFor(
      async () => {
        tokens.add((await storedToken(page))!);
        return tokens.size >= 4;
      },
      { timeoutMs: 40_000, intervalMs: 250, message: 'the page renewed its access token three times' },
    );
    expect(await page.isVisible('#login-view')).toBe(false);
    const client = await tp.connectDevice(lift);
    await publishJson(client, `v1/devices/${lift.id}/telemetry`, reading(7));
    await page.waitForFunction((sel) => (globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }).document.querySelector(sel)?.textContent?.trim() === '7', `[data-device-id="${lift.id}"] [data-field="floor"]`);
    // A REST load with the current token: switch to the other community.
    await page.selectOption('#community-select', second.id);
    await page.waitForSelector(`[data-device-id="${liftB.id}"]`);
    await page.waitForSelector('#conn.conn--live');
    expect(await tp.metric('spp_socket_sessions_ended_total', { reason: 'expired' })).toBe(0);
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('goes back to the login form when the administrator disables the user', async () => {
    const page = await openDashboard('to.be.disabled');
    const res = await tp.api('PATCH', `users/${userIds['to.be.disabled']}`, { disabled: true }, await tp.login('admin', 'admin-pass-123'));
    expect(res.status).toBe(200);
    await page.waitForSelector('#login-view', { state: 'visible' });
    expect(await page.isVisible('#app-view')).toBe(false);
    expect((await page.textContent('#login-error'))?.trim()).toBe('登录已过期，请重新登录');
    expect(await storedToken(page)).toBeUndefined();
    expect(pageErrors).toEqual([]);
  });
});
