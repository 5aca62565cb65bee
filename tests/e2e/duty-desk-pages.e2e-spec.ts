/**
 * The duty desk (/duty/) on a phone (headless Chromium, 375×812): a trapped passenger reported by
 * the elevator reaches the duty room's page live (it vibrates), with the 96333/119 hand-off; it is
 * acknowledged, assigned to a colleague, marked "arrived on site", commented and cleared with a
 * release cause from the page, and the arrival time appears in the statistics. A duty room of
 * another community sees none of it (page, socket and REST), while its own alarm reaches it.
 * SPP_E2E_SCREENSHOTS=/some/dir keeps screenshots of each step.
 */
import type { MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { deviceTopic } from '@app/contracts';
import { browserPages, expectFitsPhone, screenshots, waitForText } from '../support/browser';
import { publishJson, startTestPlatform, type ProvisionedDevice, type TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';


interface BrowserGlobals {
  document: { querySelector(selector: string): { textContent: string | null } | null; documentElement: { scrollWidth: number } };
  vibrations: unknown[];
}

describe('duty desk (browser, phone)', () => {
  let tp: TestPlatform;
  const browser = browserPages();
  const community = {} as Record<'a' | 'b', string>;
  const users = {} as Record<string, string>;
  const lift = {} as Record<'a' | 'b', ProvisionedDevice>;
  const client = {} as Record<'a' | 'b', MqttClient>;

  /** A phone page that records what it asks the phone to vibrate. */
  const newPhonePage = () =>
    browser.open({
      initScript: () => {
        const g = globalThis as unknown as BrowserGlobals & { navigator: { vibrate?: (p: unknown) => boolean } };
        g.vibrations = [];
        Object.defineProperty(g.navigator, 'vibrate', { value: (p: unknown) => g.vibrations.push(p) > 0, configurable: true });
      },
    });

  const snapshot = screenshots('duty-e2e');

  async function login(page: Page, username: string): Promise<void> {
    await page.goto(`${tp.httpUrl}/duty/`);
    await page.fill('#login-username', username);
    await page.fill('#login-password', 'user-pass-123');
    await page.click('#login-submit');
    await page.waitForSelector('#app-view', { state: 'visible' });
    await page.waitForSelector('#conn[data-state="live"]');
  }

  const trapped = (which: 'a' | 'b') => publishJson(client[which], deviceTopic(lift[which].id, 'events'), { type: 'trapped_not_level', active: true });

  beforeAll(async () => {
    tp = await startTestPlatform();
    community.a = (await tp.createCommunity({ name: '值班花园', district: '鼓楼区', street: '东街街道' })).id;
    community.b = (await tp.createCommunity({ name: '别处小区', district: '台江区', street: '茶亭街道' })).id;
    const mk = async (username: string, displayName: string, role: string, communityId: string) => {
      const res = await tp.api('POST', '/api/v1/users', { username, displayName, password: 'user-pass-123', role, scope: { level: 'community', communityIds: [communityId] } });
      expect(res.status).toBe(201);
      users[username] = res.body.id;
    };
    await mk('duty-a', '值班员小王', 'property_staff', community.a);
    await mk('colleague-a', '维修工老李', 'property_staff', community.a);
    await mk('maint-a', '维保张工', 'maintenance_staff', community.a);
    await mk('duty-b', '别处值班员', 'property_staff', community.b);
    for (const w of ['a', 'b'] as const) {
      lift[w] = await tp.provisionDevice(community[w], 'elevator');
      client[w] = await tp.connectDevice(lift[w]);
    }
  }, 90_000);

  afterAll(async () => {
    await tp?.close();
  }, 60_000);


  let alarmId: string;

  it('a trapped passenger is acknowledged, assigned, reached and cleared with a release cause from the phone; the arrival time is in the statistics', async () => {
    const page = await newPhonePage();
    await login(page, 'duty-a');
    await page.waitForSelector('#empty', { state: 'visible' });

    // live: the alarm arrives over socket.io, severity 1 vibrates
    await trapped('a');
    const card = await page.waitForSelector('#inbox [data-alarm-id]');
    alarmId = (await card.getAttribute('data-alarm-id'))!;
    await waitForText(page, '#inbox [data-alarm-id]', '非平层困人');
    await waitForText(page, '#inbox [data-field="tier"]', '第 1 级');
    await page.waitForFunction(() => (globalThis as unknown as BrowserGlobals).vibrations.length > 0);
    await expectFitsPhone(page);
    await snapshot(page, '1-inbox');

    await card.click();
    await page.waitForSelector('#detail article[data-state="active"]');
    await waitForText(page, '#detail [data-field="handoff"]', '96333');
    await waitForText(page, '#detail [data-field="handoff"]', '119');
    // only colleagues of my role in scope are offered (not the maintenance company, not community B)
    const offered = await page.$$eval('#assignee option', (els) => els.map((e) => e.textContent));
    expect(offered.sort()).toEqual(['值班员小王', '维修工老李'].sort());

    await page.click('[data-do="ack"]');
    await waitForText(page, '#detail [data-field="ack"]', '已确认');
    // the duty room and the maintenance company were told at the raise (default trapped chain)
    await waitForText(page, '#detail [data-field="told"]', '值班员小王');
    await waitForText(page, '#detail [data-field="told"]', '维保张工');

    await page.selectOption('#assignee', users['colleague-a']);
    await page.click('[data-do="assign"]');
    await waitForText(page, '#detail [data-field="assignee"]', '维修工老李');

    await page.click('[data-do="arrived"]');
    await page.waitForSelector('#detail [data-field="arrived"]');

    await page.fill('#comment', '乘客情绪稳定，正在盘车');
    await page.click('[data-do="comment"]');
    await waitForText(page, '#detail .dd-history', '乘客情绪稳定，正在盘车');
    await expectFitsPhone(page);
    await snapshot(page, '2-detail');

    // a release cause is required by the page, and only the trapped-passenger ones are offered
    const causes = await page.$$eval('#cause option', (els) => els.map((e) => (e as unknown as { value: string }).value).filter(Boolean));
    expect(causes).toEqual(['power_cut', 'external_other', 'human', 'door_system', 'equipment_other', 'false_alarm']);
    await page.selectOption('#cause', 'human');
    await page.click('[data-do="clear"]');
    await page.waitForSelector('#detail article[data-state="cleared"]');
    await waitForText(page, '#detail .dd-history', '人为原因');
    await snapshot(page, '3-cleared');

    // what the page did, as the API records it
    const detail = (await tp.api('GET', `/api/v1/alarms/${alarmId}`)).body;
    expect(detail).toMatchObject({ state: 'cleared', acknowledged: true, acknowledgedBy: users['duty-a'], arrivedBy: users['duty-a'], assigneeId: users['colleague-a'], clearedBy: users['duty-a'] });
    expect(detail.history.find((h: { action: string }) => h.action === 'cleared').detail).toMatchObject({ cause: 'human' });
    // a cause that does not fit the type is refused
    expect((await tp.api('POST', `/api/v1/alarms/${alarmId}/clear`, { cause: 'repaired' })).status).toBe(400);

    // the arrival time appears in the statistics
    const from = new Date(Date.parse(detail.firstAt) - 3600_000).toISOString();
    const to = new Date(Date.now() + 3600_000).toISOString();
    const stats = await tp.api('GET', `/api/v1/statistics/communities/${community.a}?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    expect(stats.status).toBe(200);
    const { arrival, acknowledgement } = stats.body.figures;
    expect(arrival).toMatchObject({ due: 1, done: 1, withinDeadline: 1 });
    expect(Math.round(arrival.medianS)).toBe(detail.arrivalS); // the alarm rounds to whole seconds
    expect(acknowledgement).toMatchObject({ done: 1 });
    expect(Math.round(acknowledgement.medianS)).toBe(detail.responseS);

    // the page switches to English and back
    await page.click('.dd-top .lang__btn[data-lang="en"]');
    await waitForText(page, '#detail .dd-history', 'Human');
    await page.click('.dd-top .lang__btn[data-lang="zh"]');
  });

  it('a duty room of another community sees none of it (page, socket, REST) and gets its own alarm', async () => {
    const other = await newPhonePage();
    await login(other, 'duty-b');
    await other.waitForSelector('#empty', { state: 'visible' });
    expect(await other.$(`[data-alarm-id="${alarmId}"]`)).toBeNull();

    // a new alarm in A is not pushed to B; B's own alarm (raised after it) is, as the positive control
    const lift2 = await tp.provisionDevice(community.a, 'elevator');
    const client2 = await tp.connectDevice(lift2);
    await publishJson(client2, deviceTopic(lift2.id, 'events'), { type: 'emergency_call', active: true });
    const aAlarm = await waitFor(async () => ((await tp.api('GET', `/api/v1/alarms?communityId=${community.a}&state=active`)).body as Array<{ alarmId: string; deviceId: string }>).find((x) => x.deviceId === lift2.id), { message: 'A alarm raised' });
    await trapped('b');
    await other.waitForSelector('#inbox [data-alarm-id]');
    const shown = await other.$$eval('#inbox [data-alarm-id]', (els) => els.map((e) => e.getAttribute('data-alarm-id')));
    expect(shown).toHaveLength(1);
    expect(shown).not.toContain(aAlarm.alarmId);
    expect(shown).not.toContain(alarmId);

    const token = await tp.login('duty-b', 'user-pass-123');
    for (const id of [alarmId, aAlarm.alarmId]) {
      expect((await tp.api('GET', `/api/v1/alarms/${id}`, undefined, token)).status).toBe(404);
      expect((await tp.api('GET', `/api/v1/alarms/${id}/people`, undefined, token)).status).toBe(404);
      expect((await tp.api('POST', `/api/v1/alarms/${id}/acknowledge`, {}, token)).status).toBe(404);
    }
    // nor can A's alarm be assigned to B's duty room
    expect((await tp.api('POST', `/api/v1/alarms/${aAlarm.alarmId}/assign`, { userId: users['duty-b'] })).status).toBe(404);
    await snapshot(other, '4-other-community');
  });
});
