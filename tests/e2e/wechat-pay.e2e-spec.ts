/**
 * Paying for parking online with WeChat Pay (issue 13 §7), against a local WeChat Pay that checks
 * the platform's request signatures: a parking bill → a Native order (QR code_url) → the payer
 * pays → WeChat Pay's signed, encrypted notification books the payment exactly once (forged,
 * mismatched, repeated, concurrent, out-of-order and late notifications change nothing) → a refund
 * → the day's reconciliation finds the one trade the platform never booked.
 */
import { generateKeyPairSync } from 'node:crypto';
import { localDate } from '../../apps/platform/src/domain/business-time';
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { DatabaseRepository } from '../../apps/platform/src/repositories/database.repository';
import { EventBusRepository } from '../../apps/platform/src/repositories/event-bus.repository';
import { FakeWechatPay } from '../support/fake-wechat-pay';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { freePort } from '../support/processes';
import { waitFor } from '../support/wait';

const at = (local: string) => new Date(`${local.replace(' ', 'T')}:00+08:00`);
const NOW = at('2025-03-10 09:00');
const NOTIFY_PATH = '/api/v1/public/payments/wechat/notify';

describe('WeChat Pay for parking bills', () => {
  const fake = new FakeWechatPay();
  let tp: TestPlatform;
  let communityId: string;
  let staffToken: string;
  let otherStaffToken: string;
  let ownerToken: string;
  let billId: string;
  let outTradeNo: string;
  let amountFen: number;
  let secondBill: { id: string; amountFen: number };
  /** The WeChat order of the second bill, paid after the bill was paid in cash. */
  let strayOrder: string;

  const db = () => tp.platform.app.get(DatabaseRepository).db;
  const bill = async () => (await tp.api('GET', `billing/bills/${billId}`, undefined, staffToken)).body;
  const outcomes = (outcome: string) => tp.metric('spp_payment_notifications_total', { provider: 'wechat', outcome });
  const createUser = async (username: string, role: string, communityIds: string[]) => {
    expect((await tp.api('POST', 'users', { username, password: 'user-pass-123', role, scope: { level: 'community', communityIds } })).status).toBe(201);
    return tp.login(username, 'user-pass-123');
  };

  beforeAll(async () => {
    await fake.start();
    const port = await freePort();
    tp = await startTestPlatform({ env: { HTTP_PORT: String(port), ...fake.env(`http://127.0.0.1:${port}${NOTIFY_PATH}`) } });
    tp.platform.app.get(ClockRepository).now = () => NOW.getTime();
    communityId = (await tp.createCommunity()).id;
    const otherCommunityId = (await tp.createCommunity()).id;
    staffToken = await createUser('pay-staff', 'property_staff', [communityId]);
    otherStaffToken = await createUser('pay-staff-other', 'property_staff', [otherCommunityId]);
    ownerToken = await createUser('pay-owner', 'owner', [communityId]);
    const tariff = await tp.api(
      'POST',
      `billing/communities/${communityId}/tariffs`,
      {
        setBy: 'owners_assembly',
        filingNumber: '沪价备〔2025〕018号',
        effectiveFrom: NOW.toISOString(),
        rules: { freeMinutes: 15, pricing: { mode: 'unit', bands: [{ name: 'all', start: '00:00', end: '00:00', unitMinutes: 30, unitPriceFen: 100 }] } },
      },
      staffToken,
    );
    expect(tariff.status).toBe(201);
    const billOfStay = async (plate: string, exit: string) => {
      const session = await db()
        .insertInto('parking_sessions')
        .values({ community_id: communityId, slot_id: null, plate, plate_kind: 'regular', kind: 'visitor', status: 'closed', entry_at: at('2025-03-10 09:30'), exit_at: at(exit), entry_reason: 'test' })
        .returning('id')
        .executeTakeFirstOrThrow();
      tp.platform.app.get(EventBusRepository).emit('parking.session.closed', { sessionId: session.id, communityId });
      return waitFor(async () => {
        const res = await tp.api('GET', `billing/sessions/${session.id}/bill`, undefined, staffToken);
        return res.status === 200 ? (res.body as { id: string; amountFen: number }) : undefined;
      }, { message: `the parking bill of ${plate}` });
    };
    const billed = await billOfStay('沪A30001', '2025-03-10 11:35');
    billId = billed.id;
    amountFen = billed.amountFen;
    expect(amountFen).toBeGreaterThan(0);
    secondBill = await billOfStay('沪A30002', '2025-03-10 10:30');
  });
  afterAll(async () => {
    await tp?.close();
    await fake.close();
  });

  it('places a Native order at WeChat Pay with a signed request and returns the QR code_url (once per bill and amount)', async () => {
    expect((await tp.api('POST', `billing/bills/${billId}/wechat-pay/native`, undefined, null)).status).toBe(401);
    expect((await tp.api('POST', `billing/bills/${billId}/wechat-pay/native`, undefined, otherStaffToken)).status).toBe(404);
    // An owner of the community whose slot and stay it is not.
    expect((await tp.api('POST', `billing/bills/${billId}/wechat-pay/native`, undefined, ownerToken)).status).toBe(404);
    // Staff cannot record a WeChat payment by hand: only the notification books one.
    expect((await tp.api('POST', `billing/bills/${billId}/payments`, { provider: 'wechat', amountFen, reference: 'P0000001' }, staffToken)).status).toBe(400);
    expect(fake.requests).toEqual([]);
    // An answer not signed by WeChat Pay's platform key is not believed.
    fake.answerSigningKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect((await tp.api('POST', `billing/bills/${billId}/wechat-pay/native`, undefined, staffToken)).status).toBe(502);
    fake.answerSigningKey = undefined;
    fake.requests.length = 0;
    const res = await tp.api('POST', `billing/bills/${billId}/wechat-pay/native`, undefined, staffToken);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ billId, provider: 'wechat', amountFen, codeUrl: expect.stringMatching(/^weixin:\/\/wxpay\/bizpayurl\?pr=/) });
    outTradeNo = res.body.outTradeNo;
    expect(fake.orders.get(outTradeNo)).toMatchObject({ totalFen: amountFen, notifyUrl: expect.stringContaining(NOTIFY_PATH) });
    expect(fake.requests).toEqual([{ method: 'POST', path: '/v3/pay/transactions/native', signed: true }]);

    const again = await tp.api('POST', `billing/bills/${billId}/wechat-pay/native`, undefined, staffToken);
    expect(again.body).toMatchObject({ outTradeNo, codeUrl: res.body.codeUrl });
    expect(fake.requests).toHaveLength(1);
    expect((await bill()).status).toBe('unpaid');
  });

  it('refuses forged (401) and mismatched (400) notifications, counts them, and ignores a NOTPAY one', async () => {
    fake.pay(outTradeNo);
    const forger = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(await fake.deliver(outTradeNo, fake.notification(outTradeNo, { signingKey: forger.privateKey }))).toBe(401);
    const genuine = fake.notification(outTradeNo);
    expect(await fake.deliver(outTradeNo, { headers: genuine.headers, body: genuine.body.replace('"id":"', '"id":"x') })).toBe(401);
    expect(await outcomes('bad_signature')).toBe(2);

    expect(await fake.deliver(outTradeNo, fake.notification(outTradeNo, { total: amountFen - 1 }))).toBe(400);
    expect(await outcomes('amount_mismatch')).toBe(1);
    expect(await fake.deliver(outTradeNo, fake.notification(outTradeNo, { tradeState: 'NOTPAY' }))).toBe(200);
    // An order WeChat Pay knows and the platform never placed.
    fake.orders.set('GHOST00000001', { ...fake.orders.get(outTradeNo)!, outTradeNo: 'GHOST00000001' });
    expect(await fake.deliver('GHOST00000001', fake.notification('GHOST00000001'))).toBe(400);
    fake.orders.delete('GHOST00000001');
    expect(await outcomes('unknown_order')).toBe(1);
    expect(await bill()).toMatchObject({ status: 'unpaid', paidFen: 0, payments: [] });
  });

  it('books the verified notification once: repeated and concurrent deliveries change nothing', async () => {
    const notification = fake.notification(outTradeNo);
    expect(await fake.deliver(outTradeNo, notification)).toBe(200);
    const paid = await bill();
    expect(paid).toMatchObject({ status: 'paid', paidFen: amountFen, payments: [{ kind: 'payment', provider: 'wechat', reference: outTradeNo, amountFen }] });

    expect(await fake.deliver(outTradeNo, notification)).toBe(200);
    const statuses = await Promise.all([1, 2, 3].map(() => fake.deliver(outTradeNo, fake.notification(outTradeNo))));
    expect(statuses).toEqual([200, 200, 200]);
    expect(await bill()).toMatchObject({ status: 'paid', paidFen: amountFen, payments: [expect.objectContaining({ reference: outTradeNo })] });
    expect(await outcomes('paid')).toBe(1);
    expect(await outcomes('duplicate')).toBe(4);
    expect((await tp.api('GET', `billing/communities/${communityId}/ledger`, undefined, staffToken)).body.balanced).toBe(true);
    // Nothing is due any more: no second order.
    expect((await tp.api('POST', `billing/bills/${billId}/wechat-pay/native`, undefined, staffToken)).status).toBe(409);
  });

  it('refunds through WeChat Pay, and a late notification afterwards changes nothing', async () => {
    const res = await tp.api('POST', `billing/bills/${billId}/refunds`, { amountFen: 100, reason: '道闸故障多收' }, staffToken);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ refundedFen: 100, paidFen: amountFen });
    expect(fake.refunds).toEqual([{ outRefundNo: expect.any(String), outTradeNo, refundFen: 100 }]);
    expect(fake.requests.at(-1)).toEqual({ method: 'POST', path: '/v3/refund/domestic/refunds', signed: true });

    expect(await fake.deliver(outTradeNo, fake.notification(outTradeNo))).toBe(200);
    expect(await bill()).toMatchObject({ paidFen: amountFen, refundedFen: 100 });
    expect((await bill()).payments).toHaveLength(2);
  });

  it('does not book a payment for a bill settled otherwise meanwhile: counted, and left to reconciliation', async () => {
    const order = await tp.api('POST', `billing/bills/${secondBill.id}/wechat-pay/native`, undefined, staffToken);
    expect(order.status).toBe(201);
    const cash = await tp.api('POST', `billing/bills/${secondBill.id}/payments`, { provider: 'cash', amountFen: secondBill.amountFen, reference: 'RCPT-0001' }, staffToken);
    expect(cash.body).toMatchObject({ status: 'paid' });
    fake.pay(order.body.outTradeNo);
    expect(await fake.deliver(order.body.outTradeNo, fake.notification(order.body.outTradeNo))).toBe(200);
    expect(await outcomes('bill_settled')).toBe(1);
    const after = (await tp.api('GET', `billing/bills/${secondBill.id}`, undefined, staffToken)).body;
    expect(after.payments.map((p: { provider: string }) => p.provider)).toEqual(['cash']);
    strayOrder = order.body.outTradeNo;
  });

  it('reconciles the day: payment and refund match, a trade the platform never booked is reported', async () => {
    fake.plantPayment('PLANTED000000001', 999);
    // Payments are stamped by the database clock (today), which is also the fake's trade day.
    const date = localDate(Date.now(), 'Asia/Shanghai');
    expect((await tp.api('GET', `billing/wechat-pay/reconciliation?date=${date}`, undefined, staffToken)).status).toBe(403);
    expect((await tp.api('GET', 'billing/wechat-pay/reconciliation?date=2025-13-01')).status).toBe(400);
    const res = await tp.api('GET', `billing/wechat-pay/reconciliation?date=${date}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ provider: 'wechat', date, matched: 2 });
    // The planted trade, and the WeChat payment of the bill paid in cash (to refund).
    expect(res.body.mismatches).toHaveLength(2);
    expect(res.body.mismatches).toEqual(
      expect.arrayContaining([
        { problem: 'missing_on_platform', kind: 'payment', ref: 'PLANTED000000001', platformFen: null, providerFen: 999 },
        { problem: 'missing_on_platform', kind: 'payment', ref: strayOrder, platformFen: null, providerFen: secondBill.amountFen },
      ]),
    );
    expect(fake.requests.slice(-2).map((r) => [r.path.split('?')[0], r.signed])).toEqual([
      ['/v3/bill/tradebill', true],
      ['/v3/billdownload/file', true],
    ]);
  });
});
