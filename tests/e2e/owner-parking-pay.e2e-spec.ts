/**
 * An owner pays their own parking bill online from the phone page /parking/ (issue 13 §7), in
 * headless Chromium at 375×812, once against the local WeChat Pay and once against the local
 * Alipay (the page's fallback when WeChat Pay is not configured): owner B books owner A's shared
 * slot, drives in through the gate, checks out on the page, sees the amount due, pays with the QR
 * code's order, and the row turns to paid with a receipt (amount, time, channel, the provider's
 * transaction number). Nothing scrolls sideways. SPP_E2E_SCREENSHOTS=/some/dir keeps screenshots
 * of each step.
 */
import type { MqttClient } from 'mqtt';
import { ParkingGateService } from '../../apps/platform/src/services/parking-gate.service';
import { browserPages, expectFitsPhone, PHONE, screenshots, waitForText } from '../support/browser';
import { FakeAlipay } from '../support/fake-alipay';
import { FakeWechatPay } from '../support/fake-wechat-pay';
import { publishJson, startTestPlatform, type TestPlatform } from '../support/platform';
import { freePort } from '../support/processes';
import { waitFor } from '../support/wait';
import { fileHalfHourYuanTariff } from '../support/tariffs';

const PASSWORD = 'user-pass-123';
const PLATE = '粤B66001';

/** A local payment provider as the test drives it. */
interface Provider {
  start(): Promise<unknown>;
  close(): Promise<void>;
  /** The platform's configuration for it, notifications to `httpUrl`. */
  env(httpUrl: string): Record<string, string>;
  /** The QR code's content of an order. */
  codeUrl: RegExp;
  /** The channel's name on the receipt. */
  channel: string;
  /** The payer pays the order behind `codeUrl`; the provider notifies the platform. Returns its transaction number. */
  payAndNotify(codeUrl: string): Promise<string>;
}

function wechatPay(): Provider {
  const fake = new FakeWechatPay();
  return {
    start: () => fake.start(),
    close: () => fake.close(),
    env: (httpUrl) => fake.env(`${httpUrl}/api/v1/public/payments/wechat/notify`),
    codeUrl: /^weixin:\/\/wxpay\/bizpayurl\?pr=/,
    channel: '微信支付',
    payAndNotify: async (codeUrl) => {
      const order = [...fake.orders.values()].find((o) => o.codeUrl === codeUrl)!;
      expect(order).toBeDefined();
      fake.pay(order.outTradeNo);
      expect(await fake.deliver(order.outTradeNo, fake.notification(order.outTradeNo))).toBe(200);
      return order.transactionId;
    },
  };
}

function alipay(): Provider {
  const fake = new FakeAlipay();
  return {
    start: () => fake.start(),
    close: () => fake.close(),
    env: (httpUrl) => fake.env(`${httpUrl}/api/v1/public/payments/alipay/notify`),
    codeUrl: /^https:\/\/qr\.alipay\.com\//,
    channel: '支付宝',
    payAndNotify: async (codeUrl) => {
      const trade = [...fake.trades.values()].find((t) => t.qrCode === codeUrl)!;
      expect(trade).toBeDefined();
      fake.pay(trade.outTradeNo);
      expect(await fake.deliver(trade.outTradeNo, fake.notification(trade.outTradeNo))).toEqual({ status: 200, text: 'success' });
      return trade.tradeNo;
    },
  };
}

describe.each([
  ['WeChat Pay', 'wechat', wechatPay],
  ['Alipay (WeChat Pay not configured)', 'alipay', alipay],
])('an owner pays a parking bill on /parking/ through %s (browser, 375 px)', (_name, key, makeProvider) => {
  const provider = makeProvider();
  const browser = browserPages();
  const snapshot = screenshots(`owner-pay-${key}-e2e`);
  let tp: TestPlatform;
  let communityId: string;
  let slotId: string;
  let gate: { id: string; secret: string };
  let gateClient: MqttClient;
  const commands: Array<{ cmd: string; reason: string }> = [];

  beforeAll(async () => {
    await provider.start();
    const port = await freePort();
    tp = await startTestPlatform({ env: { HTTP_PORT: String(port), ...provider.env(`http://127.0.0.1:${port}`) } });
    communityId = (await tp.createCommunity({ name: '业主支付小区' })).id;
    const user = async (username: string) => {
      const res = await tp.api('POST', 'users', { username, password: PASSWORD, role: 'owner', scope: { level: 'community', communityIds: [communityId] } });
      expect(res.status).toBe(201);
      return { id: res.body.id as string, token: await tp.login(username, PASSWORD) };
    };
    const slotOwner = await user('pay-slot-owner');
    const guest = await user('pay-guest');
    const slot = await tp.api('POST', 'parking/slots', { communityId, code: 'B2-015', location: '地下二层', ownership: 'private', ownerId: slotOwner.id });
    expect(slot.status).toBe(201);
    slotId = slot.body.id;
    const allWeek = [0, 1, 2, 3, 4, 5, 6].map((weekday) => ({ weekday, startMinute: 0, endMinute: 1440 }));
    expect((await tp.api('POST', `parking/slots/${slotId}/windows`, { weekly: allWeek }, slotOwner.token)).status).toBe(200);
    await fileHalfHourYuanTariff(tp, communityId, '粤价备〔2026〕015号');
    const startsAt = Date.now();
    expect((await tp.api('POST', 'parking/bookings', { slotId, plate: PLATE, startsAt, endsAt: startsAt + 3600_000 }, guest.token)).status).toBe(201);

    // The guest drives in: the gate opens for the booking and the booking is parked.
    gate = await tp.provisionDevice(communityId, 'gate');
    gateClient = await tp.connectDevice(gate);
    await gateClient.subscribeAsync(`v1/devices/${gate.id}/commands`, { qos: 1 });
    gateClient.on('message', (_topic, payload) => commands.push(JSON.parse(payload.toString()) as { cmd: string; reason: string }));
    await publishJson(gateClient, `v1/devices/${gate.id}/events`, { type: 'vehicle', lane: 'in-1', direction: 'in', plate: PLATE, confidence: 0.95 });
    await waitFor(() => commands.some((c) => c.cmd === 'open' && c.reason === 'booking'), { message: 'the gate opens for the booking' });
    await tp.platform.app.get(ParkingGateService).settled();
  }, 120_000);
  afterAll(async () => {
    await gateClient?.endAsync(true).catch(() => undefined);
    await tp?.close();
    await provider.close();
  }, 60_000);

  it('checks out on the phone, pays the bill and shows paid with a receipt', async () => {
    const page = await browser.open({ viewport: PHONE });
    await page.goto(`${tp.httpUrl}/parking/#bookings`);
    await page.fill('#login-username', 'pay-guest');
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-submit');
    await page.waitForSelector('#app-view', { state: 'visible' });

    const row = '#my-bookings .pk-booking';
    await waitForText(page, row, PLATE);
    await waitForText(page, row, '停放中');
    await expectFitsPhone(page);
    await snapshot(page, '1-parked');

    // Check out: the stay is priced and the payment box opens with the amount due.
    await page.click(`${row} [data-checkout]`);
    await page.waitForSelector('#owner-qr');
    await waitForText(page, `${row} .pk-bill__due`, '待支付 ¥1.00');
    await waitForText(page, '#owner-pay-amount', '应付 ¥1.00');
    const codeUrl = await page.getAttribute('#owner-qr', 'data-code-url');
    expect(codeUrl).toMatch(provider.codeUrl);
    expect(await page.getAttribute('#owner-qr', 'src')).toMatch(/^data:image\/gif;base64,/);
    expect(await page.getAttribute(`${row} [data-pay-link]`, 'href')).toBe(codeUrl);
    await expectFitsPhone(page);
    await snapshot(page, '2-qr');

    // Chinese first, English on the switch, the box too.
    await page.click('.lang__btn[data-lang="en"] >> visible=true');
    await waitForText(page, '#owner-pay-amount', 'Due ¥1.00');
    await waitForText(page, `${row} .pk-bill__due`, 'Due ¥1.00');
    await page.click('.lang__btn[data-lang="zh"] >> visible=true');
    await waitForText(page, '#owner-pay-amount', '应付 ¥1.00');

    // The payer pays; the provider notifies the platform; the page sees it by polling the bill.
    const transactionId = await provider.payAndNotify(codeUrl!);
    await waitForText(page, '#notice', '支付成功');
    await page.waitForSelector('#owner-qr', { state: 'detached' });
    await waitForText(page, `${row} .pk-bill__state`, '已支付');
    await waitForText(page, `${row} [data-receipt-amount]`, '¥1.00');
    await waitForText(page, `${row} [data-receipt-channel]`, provider.channel);
    await waitForText(page, `${row} [data-receipt-transaction]`, transactionId);
    expect(await page.textContent(`${row} [data-receipt-time]`)).not.toBe('');
    await expectFitsPhone(page);
    await snapshot(page, '3-paid');

    // The receipt stays after a reload (it is the bill's, not the page's).
    await page.reload();
    await waitForText(page, `${row} [data-receipt-transaction]`, transactionId);
    await waitForText(page, `${row} .pk-bill__state`, '已支付');
    expect(await page.locator(`${row} [data-pay]`).count()).toBe(0);
  }, 90_000);
});
