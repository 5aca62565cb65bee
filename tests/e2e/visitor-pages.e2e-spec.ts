/**
 * The visitor's phone page /visit/ (issue 13 §7) in headless Chromium at 375×812, against the
 * local Tencent Cloud SMS and the local WeChat Pay: phone → SMS code → community, time and plate →
 * a free slot → book → (the stay ends) the bill → the WeChat Pay QR code → paid. Chinese first,
 * the English switch. SPP_E2E_SCREENSHOTS=/some/dir keeps screenshots of each step.
 */
import { DatabaseRepository } from '../../apps/platform/src/repositories/database.repository';
import { EventBusRepository } from '../../apps/platform/src/repositories/event-bus.repository';
import { browserPages, expectFitsPhone, PHONE, screenshots, waitForText } from '../support/browser';
import { FakeSms } from '../support/fake-sms';
import { FakeWechatPay } from '../support/fake-wechat-pay';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { freePort } from '../support/processes';
import { waitFor } from '../support/wait';
import { fileHalfHourYuanTariff } from '../support/tariffs';

const NOTIFY_PATH = '/api/v1/public/payments/wechat/notify';
const PHONE_NUMBER = '13612345678';

describe('the visitor page (browser, 375 px)', () => {
  const sms = new FakeSms();
  const wechat = new FakeWechatPay();
  const browser = browserPages();
  const snapshot = screenshots('visitor-e2e');
  let tp: TestPlatform;
  let communityId: string;
  let slotId: string;

  beforeAll(async () => {
    await sms.start();
    await wechat.start();
    const port = await freePort();
    tp = await startTestPlatform({ env: { HTTP_PORT: String(port), ...sms.env(), ...wechat.env(`http://127.0.0.1:${port}${NOTIFY_PATH}`) } });
    communityId = (await tp.createCommunity({ name: '访客页小区' })).id;
    expect((await tp.api('PUT', `parking/communities/${communityId}/visitors`, { visitorsAllowed: true })).status).toBe(200);
    const slot = await tp.api('POST', 'parking/slots', { communityId, code: 'P-07', location: 'B1 东区', ownership: 'common' });
    expect(slot.status).toBe(201);
    slotId = slot.body.id;
    await fileHalfHourYuanTariff(tp, communityId, '沪价备〔2025〕020号', { sinceMs: 0 });
  });
  afterAll(async () => {
    await tp?.close();
    await sms.close();
    await wechat.close();
  });

  it('proves the phone, books a slot with the plate, and pays the bill by WeChat Pay QR code', async () => {
    const page = await browser.open({ viewport: PHONE });
    await page.goto(`${tp.httpUrl}/visit/`);
    await waitForText(page, '#step-phone h1', '手机号验证');
    await expectFitsPhone(page);
    await snapshot(page, '1-phone');

    await page.fill('#visit-phone', PHONE_NUMBER);
    await page.click('#visit-send');
    await page.waitForSelector('#code-form', { state: 'visible' });
    await waitForText(page, '#code-sent', '136****5678');
    const code = await waitFor(() => sms.lastCode(PHONE_NUMBER), { message: 'the SMS code' });
    await page.fill('#visit-code', code);
    await page.click('#visit-verify');
    await page.waitForSelector('#step-book', { state: 'visible' });
    await waitForText(page, '#visit-community', '访客页小区');
    await expectFitsPhone(page);

    await page.fill('#visit-plate', '沪A·F6601');
    await page.click('#visit-search');
    await page.waitForSelector(`[data-book="${slotId}"]`);
    await waitForText(page, '#visit-results', 'P-07');
    await snapshot(page, '2-results');
    await page.click(`[data-book="${slotId}"]`);
    await waitForText(page, '#visit-bookings', '沪AF6601');
    await waitForText(page, '#visit-bookings', '已预约');
    await expectFitsPhone(page);
    await snapshot(page, '3-booked');

    // The English switch.
    await page.click('.lang__btn[data-lang="en"]');
    await waitForText(page, '#step-book h1', 'Book a slot');
    await waitForText(page, '#visit-bookings', 'Booked');
    await page.click('.lang__btn[data-lang="zh"]');
    await waitForText(page, '#step-book h1', '预约车位');

    // The stay ends: the bill of the booking's closed session.
    const db = tp.platform.app.get(DatabaseRepository).db;
    const booking = await db.selectFrom('parking_bookings').selectAll().where('slot_id', '=', slotId).executeTakeFirstOrThrow();
    const entry = new Date(booking.starts_at);
    const session = await db
      .insertInto('parking_sessions')
      .values({ community_id: communityId, slot_id: slotId, booking_id: booking.id, plate: booking.plate, plate_kind: 'regular', kind: 'booking', status: 'closed', entry_at: entry, exit_at: new Date(entry.getTime() + 65 * 60_000), entry_reason: 'booking' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.updateTable('parking_bookings').set({ status: 'completed' }).where('id', '=', booking.id).execute();
    tp.platform.app.get(EventBusRepository).emit('parking.session.closed', { sessionId: session.id, communityId });
    const billId = await waitFor(async () => (await db.selectFrom('parking_bills').select('id').where('session_id', '=', session.id).executeTakeFirst())?.id, { message: 'the bill' });

    await page.reload();
    await page.waitForSelector(`[data-pay="${billId}"]`);
    await waitForText(page, '#visit-bills', '待支付');
    await page.click(`[data-pay="${billId}"]`);
    await page.waitForSelector('#visit-pay', { state: 'visible' });
    await waitForText(page, '#visit-pay-amount', '¥');
    const codeUrl = await page.getAttribute('#visit-qr', 'data-code-url');
    expect(codeUrl).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    expect(await page.getAttribute('#visit-qr', 'src')).toMatch(/^data:image\/gif;base64,/);
    expect(await page.evaluate(() => (globalThis as unknown as { document: { querySelector(s: string): { naturalWidth: number } } }).document.querySelector('#visit-qr').naturalWidth)).toBeGreaterThan(0);
    await expectFitsPhone(page);
    await snapshot(page, '4-qr');

    const order = [...wechat.orders.values()].find((o) => o.codeUrl === codeUrl)!;
    expect(order).toBeDefined();
    wechat.pay(order.outTradeNo);
    expect(await wechat.deliver(order.outTradeNo, wechat.notification(order.outTradeNo))).toBe(200);
    await waitForText(page, '#notice', '支付成功');
    await waitForText(page, `[data-bill="${billId}"]`, '已支付');
    await page.waitForSelector('#visit-pay', { state: 'hidden' });
    await snapshot(page, '5-paid');
  });
});
