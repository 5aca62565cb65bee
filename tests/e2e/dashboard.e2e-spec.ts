/**
 * The live dashboard (apps/platform/web/dashboard) in headless Chromium against an in-process
 * platform: log in through the form, see an elevator's floor arrive over MQTT and change live,
 * switch to English, see a device go offline, and see the API's error for a wrong password.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startPlatform } from '../../apps/platform/src/bootstrap';
import { freshInfluxDatabase, freshPostgresDatabase, freshRedisPrefix, type FreshInflux, type FreshPostgres } from '../support/databases';
import { collectCspViolations } from '../support/browser';
import { testServices } from '../support/test-services';

const ADMIN = { username: 'admin', password: 'admin-pass-123' };
const UI_TIMEOUT = 15_000;

/** The few browser globals the page callbacks use (the project compiles without the DOM lib). */
interface BrowserGlobals {
  document: {
    querySelector(selector: string): { textContent: string | null } | null;
    documentElement: { lang: string };
  };
  location: { href: string };
  sessionStorage: { getItem(key: string): string | null };
  __e2eMarker?: number;
}

type Platform = Awaited<ReturnType<typeof startPlatform>>;

interface ProvisionedDevice {
  id: string;
  secret: string;
}

describe('live dashboard (browser)', () => {
  let platform: Platform;
  let dataDir: string;
  let influx: FreshInflux;
  let postgres: FreshPostgres;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let adminToken: string;
  let communityId: string;
  let elevator: ProvisionedDevice;
  let hydrant: ProvisionedDevice;
  const mqttClients: MqttClient[] = [];
  const pageErrors: string[] = [];
  const suffix = Date.now().toString(36);

  async function rest<T>(method: string, path: string, body?: unknown, token = adminToken): Promise<{ status: number; body: T }> {
    const res = await fetch(`${platform.httpUrl}/api/v1${path}`, {
      method,
      headers: {
        'Content-Type': 'application/json',
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  async function connectDevice(device: ProvisionedDevice): Promise<MqttClient> {
    if (!platform.mqttUrl) throw new Error('platform started without the embedded broker');
    const client = await connectAsync(platform.mqttUrl, {
      clientId: device.id,
      username: device.id,
      password: device.secret,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      will: { topic: `v1/devices/${device.id}/status`, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    mqttClients.push(client);
    return client;
  }

  const publish = (client: MqttClient, topic: string, payload: unknown, retain = false) =>
    client.publishAsync(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1, retain });

  function elevatorReading(floor: number, direction: 'up' | 'down' | 'stop' = 'stop') {
    return {
      ts: Date.now(),
      mode: 'normal',
      direction,
      floor,
      atLevel: direction === 'stop',
      door: 'closed',
      speed: direction === 'stop' ? 0 : 1.5,
      occupied: true,
      power: 'mains',
      safetyCircuit: 'closed',
    };
  }

  const tile = (deviceId: string) => `[data-device-id="${deviceId}"]`;

  /** Waits until the element's trimmed text equals `text`. */
  async function waitForText(selector: string, text: string, timeout = UI_TIMEOUT): Promise<void> {
    try {
      await page.waitForFunction(
        ([sel, want]) => (globalThis as unknown as BrowserGlobals).document.querySelector(sel)?.textContent?.trim() === want,
        [selector, text] as const,
        { timeout },
      );
    } catch (e) {
      const actual = await page.evaluate((sel) => (globalThis as unknown as BrowserGlobals).document.querySelector(sel)?.textContent?.trim() ?? '<missing>', selector);
      throw new Error(`"${selector}" should read "${text}" but reads "${actual}": ${(e as Error).message}`);
    }
  }

  /** Opt-in screenshots for looking at the page: SPP_E2E_SCREENSHOTS=/some/dir */
  async function snapshot(name: string): Promise<void> {
    const dir = process.env.SPP_E2E_SCREENSHOTS;
    if (dir) await page.screenshot({ path: join(dir, `dashboard-e2e-${name}.png`), fullPage: true });
  }

  async function login(username: string, password: string): Promise<void> {
    await page.fill('#login-username', username);
    await page.fill('#login-password', password);
    await page.click('#login-submit');
  }

  beforeAll(async () => {
    const services = testServices();
    dataDir = mkdtempSync(join(tmpdir(), 'spp-dashboard-e2e-'));
    influx = freshInfluxDatabase();
    postgres = await freshPostgresDatabase();
    platform = await startPlatform({
      NODE_ENV: 'test',
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      MQTT_PORT: '0',
      MQTT_WS_PORT: '0',
      DATA_DIR: dataDir,
      DATABASE_URL: postgres.url,
      REDIS_URL: services.redisUrl,
      REDIS_PREFIX: freshRedisPrefix(),
      INFLUX_URL: influx.url,
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      JWT_SECRET: 'x'.repeat(32),
    });

    const loginRes = await rest<{ accessToken: string }>('POST', '/auth/login', ADMIN, '');
    expect(loginRes.status).toBe(200);
    adminToken = loginRes.body.accessToken;

    const community = await rest<{ id: string }>('POST', '/communities', {
      name: `翠湖花园 e2e ${suffix}`,
      district: '海淀区',
      street: '西三旗街道',
      buildings: [],
    });
    expect(community.status).toBe(201);
    communityId = community.body.id;

    const e = await rest<{ id: string; secret: string }>('POST', '/devices', {
      id: `e2e-elev-${suffix}`,
      communityId,
      kind: 'elevator',
      name: '1号楼 1号梯',
      location: '1号楼 东单元',
    });
    expect(e.status).toBe(201);
    elevator = { id: e.body.id, secret: e.body.secret };

    const h = await rest<{ id: string; secret: string }>('POST', '/devices', {
      id: `e2e-hyd-${suffix}`,
      communityId,
      kind: 'fire',
      subtype: 'hydrant_pressure',
      name: '1号楼 消火栓',
      location: '1号楼 B1',
    });
    expect(h.status).toBe(201);
    hydrant = { id: h.body.id, secret: h.body.secret };

    browser = await chromium.launch({
      executablePath: services.chromiumPath || '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
    page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    collectCspViolations(page, pageErrors);
  }, 90_000);

  afterAll(async () => {
    await Promise.allSettled(mqttClients.map((c) => c.endAsync(true)));
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await platform?.close();
    await influx?.drop().catch(() => undefined);
    await postgres?.drop().catch(() => undefined);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('redirects / to the dashboard and shows the API error for a wrong password', async () => {
    const expected = await rest<{ message: string }>('POST', '/auth/login', { username: ADMIN.username, password: 'wrong-password' }, '');
    expect(expected.status).toBe(401);

    await page.goto(`${platform.httpUrl}/`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/');
    await page.waitForSelector('#login-form', { state: 'visible' });

    await login(ADMIN.username, 'wrong-password');
    await page.waitForSelector('#login-error', { state: 'visible' });
    const shown = (await page.textContent('#login-error'))?.trim();
    expect(shown).toBe(String(expected.body.message));
    expect(await page.isVisible('#app-view')).toBe(false);
  });

  it('logs in, shows the elevator floor from MQTT and updates it live without reloading', async () => {
    await login(ADMIN.username, ADMIN.password);
    await page.waitForSelector('#app-view', { state: 'visible' });
    // the community choice is kept in the URL
    await page.waitForFunction(
      (id) => new URL((globalThis as unknown as BrowserGlobals).location.href).searchParams.get('community') === id,
      communityId,
    );
    await page.waitForSelector(tile(elevator.id));
    await page.waitForSelector(tile(hydrant.id));
    await page.waitForSelector('#conn.conn--live');
    await waitForText('#count-total', '2');

    const marker = await page.evaluate(() => ((globalThis as unknown as BrowserGlobals).__e2eMarker = Math.random()));

    const client = await connectDevice(elevator);
    await publish(client, `v1/devices/${elevator.id}/status`, 'online', true);
    await publish(client, `v1/devices/${elevator.id}/telemetry`, elevatorReading(7));
    await waitForText(`${tile(elevator.id)} [data-field="floor"]`, '7');
    await waitForText(`${tile(elevator.id)} [data-field="status"]`, '在线');

    await publish(client, `v1/devices/${elevator.id}/telemetry`, elevatorReading(8, 'up'));
    await waitForText(`${tile(elevator.id)} [data-field="floor"]`, '8');
    await waitForText(`${tile(elevator.id)} [data-field="direction"]`, '上行');
    await page.waitForSelector(`${tile(elevator.id)}.is-moving`);

    // same document: the update arrived over socket.io, not through a reload
    expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobals).__e2eMarker)).toBe(marker);

    await publish(client, `v1/devices/${elevator.id}/telemetry`, elevatorReading(-2));
    await waitForText(`${tile(elevator.id)} [data-field="floor"]`, 'B2');
    await snapshot('live');
  });

  it('switches to English, remembers it across a reload, and back to Chinese', async () => {
    await page.click('.topbar .lang__btn[data-lang="en"]');
    await waitForText('#kind-title-elevator', 'Elevators');
    await waitForText('[data-i18n="count.online"]', 'Online');
    await snapshot('english');
    await waitForText('#logout', 'Sign out');
    await waitForText(`${tile(elevator.id)} [data-field="status"]`, 'Online');
    expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobals).document.documentElement.lang)).toBe('en');
    const labels = await page.$$eval(`${tile(elevator.id)} .kv dt`, (els) => els.map((e) => e.textContent));
    expect(labels).toEqual(expect.arrayContaining(['Door', 'Mode', 'Power']));

    await page.reload();
    await page.waitForSelector(tile(elevator.id));
    await waitForText('#kind-title-elevator', 'Elevators');
    await waitForText(`${tile(elevator.id)} [data-field="floor"]`, 'B2');

    await page.click('.topbar .lang__btn[data-lang="zh"]');
    await waitForText('#kind-title-elevator', '电梯');
    expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobals).document.documentElement.lang)).toBe('zh-CN');
  });

  it('shows a device that publishes "offline" as offline', async () => {
    await page.waitForSelector('#conn.conn--live');
    const client = await connectDevice(hydrant);
    await publish(client, `v1/devices/${hydrant.id}/status`, 'online', true);
    await publish(client, `v1/devices/${hydrant.id}/telemetry`, { ts: Date.now(), value: 350.5, flags: { fault: true } });
    await waitForText(`${tile(hydrant.id)} [data-field="status"]`, '在线');
    await waitForText(`${tile(hydrant.id)} .fire__unit`, 'kPa');
    await page.waitForSelector(`${tile(hydrant.id)} [data-flag="fault"]`);
    await waitForText('#count-alarm', '1');

    // A device going away cleanly says "offline" and disconnects (the platform ignores an
    // "offline" from a device that still holds its connection).
    await publish(client, `v1/devices/${hydrant.id}/status`, 'offline', true);
    await client.endAsync();
    await page.waitForSelector(`${tile(hydrant.id)}.is-offline`);
    await waitForText(`${tile(hydrant.id)} [data-field="status"]`, '离线');
    await waitForText('#count-offline', '1');
    await waitForText('#count-online', '1');
    // an offline device's flags do not count as live alarms
    await waitForText('#count-alarm', '0');
    await snapshot('offline');
  });

  it('logs out back to the login form', async () => {
    await page.click('#logout');
    await page.waitForSelector('#login-form', { state: 'visible' });
    expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobals).sessionStorage.getItem('spp.accessToken'))).toBeNull();
    expect(pageErrors).toEqual([]);
  });
});
