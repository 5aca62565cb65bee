/**
 * The parking web pages in headless Chromium against an in-process platform: an owner publishes a
 * weekly share window on /parking/ (phone size), a second owner books the slot from the page
 * (desktop size), the owner sees the booking and an empty earnings month; on the dashboard the
 * parking panel shows occupancy change live when the gate sends a vehicle event, and an unreadable
 * plate shows up as pending whose "open" button sends `open` on the gate's command topic.
 * SPP_E2E_SCREENSHOTS=/some/dir keeps screenshots of each step.
 */
import type { MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { ADMIN, publishJson, startTestPlatform, type TestPlatform } from '../support/platform';
import { browserPages, screenshots, waitForText } from '../support/browser';

const UI_TIMEOUT = 15_000;

interface GateCommand {
  id: string;
  cmd: string;
  lane: string;
  reason: string;
}

describe('parking pages (browser)', () => {
  let tp: TestPlatform;
  const browser = browserPages();
  let communityId: string;
  let ownerId: string;
  let gate: { id: string; secret: string };
  let gateClient: MqttClient;
  const commandWaiters: Array<{ match: (c: GateCommand) => boolean; resolve: (c: GateCommand) => void }> = [];

  /** The next gate command matching `match` (register before causing it). */
  function nextCommand(match: (c: GateCommand) => boolean, timeoutMs = UI_TIMEOUT): Promise<GateCommand> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching gate command')), timeoutMs);
      commandWaiters.push({
        match,
        resolve: (c) => {
          clearTimeout(timer);
          resolve(c);
        },
      });
    });
  }

  const newPage = (viewport: { width: number; height: number }) => browser.open({ viewport });

  const snapshot = screenshots('parking-e2e');

  async function login(page: Page, path: string, username: string, password: string): Promise<void> {
    await page.goto(`${tp.httpUrl}${path}`);
    await page.fill('#login-username', username);
    await page.fill('#login-password', password);
    await page.click('#login-submit');
    await page.waitForSelector('#app-view', { state: 'visible' });
  }

  beforeAll(async () => {
    tp = await startTestPlatform();
    communityId = (await tp.createCommunity()).id;
    const mk = async (username: string) => {
      const res = await tp.api('POST', 'users', { username, password: 'user-pass-123', role: 'owner', scope: { level: 'community', communityIds: [communityId] } });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    ownerId = await mk('owner-a');
    await mk('owner-b');
    expect((await tp.api('POST', 'parking/slots', { communityId, code: 'B1-023', location: '地下一层 B 区', ownership: 'private', ownerId })).status).toBe(201);
    expect((await tp.api('POST', 'parking/slots', { communityId, code: 'V-01', location: '地面访客区', ownership: 'common' })).status).toBe(201);

    gate = await tp.provisionDevice(communityId, 'gate');
    gateClient = await tp.connectDevice(gate);
    await gateClient.subscribeAsync(`v1/devices/${gate.id}/commands`, { qos: 1 });
    gateClient.on('message', (_topic, payload) => {
      const c = JSON.parse(payload.toString()) as GateCommand;
      const i = commandWaiters.findIndex((w) => w.match(c));
      if (i >= 0) commandWaiters.splice(i, 1)[0].resolve(c);
    });

  }, 90_000);

  afterAll(async () => {
    await tp?.close();
  }, 60_000);


  it('an owner publishes a weekly window, another owner books it from the page, the owner sees the booking', async () => {
    const owner = await newPage({ width: 390, height: 844 });
    await login(owner, '/parking/', 'owner-a', 'user-pass-123');
    const card = '[data-slot-code="B1-023"]';
    await owner.waitForSelector(card);
    await waitForText(owner, `${card} .badge`, '未共享');

    // An overnight window every day: the page says it runs into the next day.
    const weekly = `${card} form[data-form="weekly"]`;
    for (const d of [1, 2, 3, 4, 5, 6, 0]) await owner.check(`${weekly} input[name="day"][value="${d}"]`, { force: true });
    await owner.fill(`${weekly} input[name="from"]`, '22:00');
    await owner.fill(`${weekly} input[name="to"]`, '07:00');
    await waitForText(owner, `${weekly} .pk-hint`, '跨夜');
    await owner.click(`${weekly} button[type="submit"]`);
    await waitForText(owner, `${card} .pk-wins`, '每天');
    await waitForText(owner, `${card} .pk-wins`, '22:00–次日 07:00');
    await waitForText(owner, `${card} .badge`, '共享中');
    await snapshot(owner, 'owner-windows-phone');

    // Replace it with an all-day window (so a booking starting soon fits whatever the hour).
    await owner.click(`${card} [data-action="remove-weekly"]`);
    await waitForText(owner, card, '尚未设置共享时段');
    const form = `${card} form[data-form="weekly"]`;
    for (const d of [1, 2, 3, 4, 5, 6, 0]) await owner.check(`${form} input[name="day"][value="${d}"]`, { force: true });
    await owner.fill(`${form} input[name="from"]`, '00:00');
    await owner.fill(`${form} input[name="to"]`, '00:00');
    await owner.click(`${form} button[type="submit"]`);
    await waitForText(owner, `${card} .pk-wins`, '全天');
    const published = await tp.api('GET', 'parking/slots/mine', undefined, await tp.login('owner-a', 'user-pass-123'));
    expect(published.body[0].windows.weekly).toHaveLength(7);
    expect(published.body[0].windows.weekly[0]).toMatchObject({ startMinute: 0, endMinute: 1440 });

    // The second owner finds and books it (desktop size).
    const guest = await newPage({ width: 1280, height: 860 });
    await login(guest, '/parking/', 'owner-b', 'user-pass-123');
    await waitForText(guest, '#tab-slots', '您名下暂无车位');
    await snapshot(guest, 'guest-noslots-desktop');
    await guest.click('.pk-tab[data-tab="book"]');
    await guest.fill('#book-plate', '粤B12345');
    await guest.click('#search-submit');
    const result = '[data-result-slot][data-slot-code="B1-023"]';
    await guest.waitForSelector(result);
    await snapshot(guest, 'guest-search-desktop');
    await guest.click(`${result} [data-book]`);
    await waitForText(guest, '#notice', '粤B12345');
    await guest.click('.pk-tab[data-tab="bookings"]');
    await waitForText(guest, '#my-bookings', '粤B12345');
    await waitForText(guest, '#my-bookings', '已预约');
    await snapshot(guest, 'guest-bookings-desktop');

    // The owner sees it under "bookings of my slots", and an empty earnings month.
    await owner.click('.pk-tab[data-tab="bookings"]');
    await waitForText(owner, '#bookings-of-my-slots', '粤B12345');
    await waitForText(owner, '#bookings-of-my-slots', 'B1-023');
    await snapshot(owner, 'owner-bookings-phone');
    await owner.click('.pk-tab[data-tab="earnings"]');
    await owner.waitForSelector('#earnings-empty');
    await waitForText(owner, '#earnings-empty', '暂无收益');
    await owner.click('.lang__btn[data-lang="en"] >> visible=true');
    await waitForText(owner, '#earnings-empty', 'No earnings yet');
    await snapshot(owner, 'owner-earnings-phone-en');
  }, 90_000);

  it('the dashboard shows occupancy live and opens the gate for an unreadable plate', async () => {
    const page = await newPage({ width: 1440, height: 900 });
    await login(page, `/dashboard/?community=${communityId}`, ADMIN.username, ADMIN.password);
    const common = '#parking-panel [data-occ="common"]';
    await waitForText(page, `${common} [data-occ-total]`, '1');
    await waitForText(page, `${common} [data-occ-used]`, '0');
    await waitForText(page, '#parking-panel [data-occ="shared"] [data-occ-total]', '1');

    // A visitor drives in: the gate opens and the panel counts the common slot as taken.
    const opened = nextCommand((c) => c.reason === 'visitor');
    await publishJson(gateClient, `v1/devices/${gate.id}/events`, { type: 'vehicle', lane: 'in-1', direction: 'in', plate: '粤B77777', confidence: 0.95 });
    expect(await opened).toMatchObject({ cmd: 'open', lane: 'in-1' });
    await waitForText(page, `${common} [data-occ-used]`, '1');
    await waitForText(page, '#parking-panel [data-occ="inside"] [data-occ-used]', '1');

    // An unreadable plate is held and waits for a person.
    const held = nextCommand((c) => c.reason === 'unreadable_plate');
    await publishJson(gateClient, `v1/devices/${gate.id}/events`, { type: 'vehicle', lane: 'in-2', direction: 'in', plate: '无牌车', confidence: 0.2 });
    expect(await held).toMatchObject({ cmd: 'hold' });
    const item = '#parking-panel [data-pending-id]';
    await page.waitForSelector(item);
    await waitForText(page, item, '无法识别车牌');
    await snapshot(page, 'dashboard-pending');
    const manual = nextCommand((c) => c.reason === 'manual');
    await page.click(`${item} [data-open]`);
    expect(await manual).toMatchObject({ cmd: 'open', lane: 'in-2' });
    await page.waitForSelector(item, { state: 'detached' });
    await waitForText(page, '#parking-panel', '无待处理车辆');
  }, 60_000);
});
