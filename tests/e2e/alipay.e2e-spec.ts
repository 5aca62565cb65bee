/**
 * Paying for parking online with Alipay (issue 13 §7), against a local Alipay gateway that checks
 * the platform's RSA2 request signatures: a parking bill → a face-to-face precreate order (QR
 * qr_code) → the payer pays → Alipay's signed form-encoded notification books the payment exactly
 * once (forged, mismatched, another seller's, repeated, concurrent, out-of-order and late
 * notifications change nothing) → a refund → the day's reconciliation, from the zipped GBK bill,
 * finds the one trade the platform never booked.
 */
import { generateKeyPairSync } from 'node:crypto';
import { localDate } from '../../apps/platform/src/domain/business-time';
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { DatabaseRepository } from '../../apps/platform/src/repositories/database.repository';
import { EventBusRepository } from '../../apps/platform/src/repositories/event-bus.repository';
import { FakeAlipay } from '../support/fake-alipay';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { freePort } from '../support/processes';
import { waitFor } from '../support/wait';

const at = (local: string) => new Date(`${local.replace(' ', 'T')}:00+08:00`);
const NOW = at('2025-03-10 09:00');
const NOTIFY_PATH = '/api/v1/public/payments/alipay/notify';

describe('Alipay for parking bills', () => {
  const fake = new FakeAlipay();
  let tp: TestPlatform;
  let communityId: string;
  let staffToken: string;
  let otherStaffToken: string;
  let ownerToken: string;
  let billId: string;
  let outTradeNo: string;
  let amountFen: number;
  let secondBill: { id: string; amountFen: number };
  /** The Alipay order of the second bill, paid after the bill was paid in cash. */
  let strayOrder: string;

  const db = () => tp.platform.app.get(DatabaseRepository).db;
  const bill = async () => (await tp.api('GET', `billing/bills/${billId}`, undefined, staffToken)).body;
  const outcomes = (outcome: string) => tp.metric('spp_payment_notifications_total', { provider: 'alipay', outcome });
  const accepted = { status: 200, text: 'success' };
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
    staffToken = await createUser('ali-staff', 'property_staff', [communityId]);
    otherStaffToken = await createUser('ali-staff-other', 'property_staff', [otherCommunityId]);
    ownerToken = await createUser('ali-owner', 'owner', [communityId]);
    const tariff = await tp.api(
      'POST',
      `billing/communities/${communityId}/tariffs`,
      {
        setBy: 'owners_assembly',
        filingNumber: '沪价备〔2025〕019号',
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
    const billed = await billOfStay('沪A40001', '2025-03-10 11:35');
    billId = billed.id;
    amountFen = billed.amountFen;
    expect(amountFen).toBeGreaterThan(0);
    secondBill = await billOfStay('沪A40002', '2025-03-10 10:30');
  });
  afterAll(async () => {
    await tp?.close();
    await fake.close();
  });

  it('places a precreate order at Alipay with an RSA2-signed request and returns the qr_code (once per bill and amount)', async () => {
    expect((await tp.api('POST', `billing/bills/${billId}/alipay/precreate`, undefined, null)).status).toBe(401);
    expect((await tp.api('POST', `billing/bills/${billId}/alipay/precreate`, undefined, otherStaffToken)).status).toBe(404);
    // An owner of the community whose slot and stay it is not.
    expect((await tp.api('POST', `billing/bills/${billId}/alipay/precreate`, undefined, ownerToken)).status).toBe(404);
    // Staff cannot record an Alipay payment by hand: only the notification books one.
    expect((await tp.api('POST', `billing/bills/${billId}/payments`, { provider: 'alipay', amountFen, reference: 'P0000001' }, staffToken)).status).toBe(400);
    expect(fake.requests).toEqual([]);
    // An answer not signed with Alipay's key is not believed.
    fake.answerSigningKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect((await tp.api('POST', `billing/bills/${billId}/alipay/precreate`, undefined, staffToken)).status).toBe(502);
    fake.answerSigningKey = undefined;
    fake.requests.length = 0;
    const res = await tp.api('POST', `billing/bills/${billId}/alipay/precreate`, undefined, staffToken);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ billId, provider: 'alipay', amountFen, codeUrl: expect.stringMatching(/^https:\/\/qr\.alipay\.com\//) });
    outTradeNo = res.body.outTradeNo;
    expect(fake.trades.get(outTradeNo)).toMatchObject({ totalFen: amountFen, notifyUrl: expect.stringContaining(NOTIFY_PATH), status: 'WAIT_BUYER_PAY' });
    expect(fake.requests).toEqual([{ method: 'alipay.trade.precreate', signed: true }]);

    const again = await tp.api('POST', `billing/bills/${billId}/alipay/precreate`, undefined, staffToken);
    expect(again.body).toMatchObject({ outTradeNo, codeUrl: res.body.codeUrl });
    expect(fake.requests).toHaveLength(1);
    expect((await bill()).status).toBe('unpaid');
  });

  it('refuses forged (401), mismatched and foreign (400) notifications, counts them, and ignores WAIT_BUYER_PAY', async () => {
    fake.pay(outTradeNo);
    const forger = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect((await fake.deliver(outTradeNo, fake.notification(outTradeNo, { signingKey: forger.privateKey }))).status).toBe(401);
    // A genuine notification with its amount changed on the way.
    const tampered = fake.notification(outTradeNo).replace(/total_amount=[^&]+/, 'total_amount=0.01');
    expect((await fake.deliver(outTradeNo, tampered)).status).toBe(401);
    expect((await fake.deliver(outTradeNo, '')).status).toBe(401);
    expect(await outcomes('bad_signature')).toBe(3);

    // Signed by Alipay but not what the order says, or for another app or seller.
    expect((await fake.deliver(outTradeNo, fake.notification(outTradeNo, { totalFen: amountFen - 1 }))).status).toBe(400);
    expect(await outcomes('amount_mismatch')).toBe(1);
    expect((await fake.deliver(outTradeNo, fake.notification(outTradeNo, { appId: '2021000117609999' }))).status).toBe(400);
    expect((await fake.deliver(outTradeNo, fake.notification(outTradeNo, { sellerId: '2088102177009999' }))).status).toBe(400);
    expect(await outcomes('wrong_merchant')).toBe(2);
    expect(await fake.deliver(outTradeNo, fake.notification(outTradeNo, { tradeStatus: 'WAIT_BUYER_PAY' }))).toEqual(accepted);
    expect(await outcomes('not_success')).toBe(1);
    // A trade Alipay knows and the platform never placed.
    fake.trades.set('GHOST00000001', { ...fake.trades.get(outTradeNo)!, outTradeNo: 'GHOST00000001' });
    expect((await fake.deliver('GHOST00000001', fake.notification('GHOST00000001'))).status).toBe(400);
    fake.trades.delete('GHOST00000001');
    expect(await outcomes('unknown_order')).toBe(1);
    expect(await bill()).toMatchObject({ status: 'unpaid', paidFen: 0, payments: [] });
  });

  it('books the verified notification once: repeated, concurrent and out-of-order (FINISHED then SUCCESS) deliveries change nothing', async () => {
    // TRADE_FINISHED may arrive before TRADE_SUCCESS: either pays the order, the other is a repeat.
    const finished = fake.notification(outTradeNo, { tradeStatus: 'TRADE_FINISHED' });
    expect(await fake.deliver(outTradeNo, finished)).toEqual(accepted);
    expect(await bill()).toMatchObject({ status: 'paid', paidFen: amountFen, payments: [{ kind: 'payment', provider: 'alipay', reference: outTradeNo, amountFen }] });

    expect(await fake.deliver(outTradeNo, finished)).toEqual(accepted);
    expect(await fake.deliver(outTradeNo, fake.notification(outTradeNo, { tradeStatus: 'TRADE_SUCCESS' }))).toEqual(accepted);
    const concurrent = await Promise.all([1, 2, 3].map(() => fake.deliver(outTradeNo, fake.notification(outTradeNo))));
    expect(concurrent).toEqual([accepted, accepted, accepted]);
    expect(await bill()).toMatchObject({ status: 'paid', paidFen: amountFen, payments: [expect.objectContaining({ reference: outTradeNo })] });
    expect(await outcomes('paid')).toBe(1);
    expect(await outcomes('duplicate')).toBe(5);
    expect((await tp.api('GET', `billing/communities/${communityId}/ledger`, undefined, staffToken)).body.balanced).toBe(true);
    // Nothing is due any more: no second order.
    expect((await tp.api('POST', `billing/bills/${billId}/alipay/precreate`, undefined, staffToken)).status).toBe(409);
  });

  it('refunds through alipay.trade.refund, and a late notification afterwards changes nothing', async () => {
    const res = await tp.api('POST', `billing/bills/${billId}/refunds`, { amountFen: 100, reason: '道闸故障多收' }, staffToken);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ refundedFen: 100, paidFen: amountFen });
    expect(fake.refunds).toEqual([{ outRequestNo: expect.any(String), outTradeNo, refundFen: 100 }]);
    expect(fake.requests.at(-1)).toEqual({ method: 'alipay.trade.refund', signed: true });
    // The refund row's reference is the out_request_no Alipay holds.
    expect((await bill()).payments.find((p: { kind: string }) => p.kind === 'refund')).toMatchObject({ provider: 'alipay', reference: fake.refunds[0].outRequestNo, amountFen: 100 });

    // Alipay notifies a partial refund as TRADE_SUCCESS again (with refund_fee); it books nothing.
    expect(await fake.deliver(outTradeNo, fake.notification(outTradeNo))).toEqual(accepted);
    expect(await bill()).toMatchObject({ paidFen: amountFen, refundedFen: 100 });
    expect((await bill()).payments).toHaveLength(2);
  });

  it('does not book a payment for a bill settled otherwise meanwhile: counted, and left to reconciliation', async () => {
    const order = await tp.api('POST', `billing/bills/${secondBill.id}/alipay/precreate`, undefined, staffToken);
    expect(order.status).toBe(201);
    const cash = await tp.api('POST', `billing/bills/${secondBill.id}/payments`, { provider: 'cash', amountFen: secondBill.amountFen, reference: 'RCPT-0002' }, staffToken);
    expect(cash.body).toMatchObject({ status: 'paid' });
    fake.pay(order.body.outTradeNo);
    expect(await fake.deliver(order.body.outTradeNo, fake.notification(order.body.outTradeNo))).toEqual(accepted);
    expect(await outcomes('bill_settled')).toBe(1);
    const after = (await tp.api('GET', `billing/bills/${secondBill.id}`, undefined, staffToken)).body;
    expect(after.payments.map((p: { provider: string }) => p.provider)).toEqual(['cash']);
    strayOrder = order.body.outTradeNo;
  });

  it('reconciles the day from the zipped GBK bill: payment and refund match, a trade the platform never booked is reported', async () => {
    fake.plantPayment('PLANTED000000002', 999);
    // Payments are stamped by the database clock (today), which is also the fake's trade day.
    const date = localDate(Date.now(), 'Asia/Shanghai');
    expect((await tp.api('GET', `billing/alipay/reconciliation?date=${date}`, undefined, staffToken)).status).toBe(403);
    expect((await tp.api('GET', 'billing/alipay/reconciliation?date=2025-13-01')).status).toBe(400);
    const res = await tp.api('GET', `billing/alipay/reconciliation?date=${date}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ provider: 'alipay', date, matched: 2 });
    // The planted trade, and the Alipay payment of the bill paid in cash (to refund).
    expect(res.body.mismatches).toHaveLength(2);
    expect(res.body.mismatches).toEqual(
      expect.arrayContaining([
        { problem: 'missing_on_platform', kind: 'payment', ref: 'PLANTED000000002', platformFen: null, providerFen: 999 },
        { problem: 'missing_on_platform', kind: 'payment', ref: strayOrder, platformFen: null, providerFen: secondBill.amountFen },
      ]),
    );
    expect(fake.requests.at(-1)).toEqual({ method: 'alipay.data.dataservice.bill.downloadurl.query', signed: true });
  });
});
