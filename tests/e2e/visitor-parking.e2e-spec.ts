/**
 * Visitors from outside the estate (issue 13 §7): a mainland mobile number proven with an SMS
 * code from a local Tencent Cloud SMS that checks the TC3 signature; codes of six digits that
 * expire, five tries, send rates per number and per address; a visitor session that reaches only
 * the shared slots of communities that admit visitors, its own bookings and bills; the gate
 * admits the booked plate as any booking; the visitor pays the bill with WeChat Pay Native.
 */
import type { MqttClient } from 'mqtt';
import { DatabaseRepository } from '../../apps/platform/src/repositories/database.repository';
import { EventBusRepository } from '../../apps/platform/src/repositories/event-bus.repository';
import { ParkingGateService } from '../../apps/platform/src/services/parking-gate.service';
import { FakeSms } from '../support/fake-sms';
import { FakeWechatPay } from '../support/fake-wechat-pay';
import { publishJson, startTestPlatform, type TestPlatform } from '../support/platform';
import { freePort } from '../support/processes';
import { waitFor } from '../support/wait';
import { fileHalfHourYuanTariff } from '../support/tariffs';

const NOTIFY_PATH = '/api/v1/public/payments/wechat/notify';
const PHONE_1 = '13800138001';
const PHONE_2 = '13900139002';

describe('visitors book shared slots with a phone number and pay online', () => {
  const sms = new FakeSms();
  const wechat = new FakeWechatPay();
  let tp: TestPlatform;
  let open: string; // admits visitors
  let closed: string; // does not
  let staffA: string;
  let ownerA: string;
  let slotA: string;
  let slotA2: string;
  let slotB: string;
  let visitor1: string;
  let visitor2: string;
  let booking1: string;
  let gate: { id: string; secret: string };
  let client: MqttClient;
  const commands: Array<{ cmd: string; reason: string }> = [];

  const db = () => tp.platform.app.get(DatabaseRepository).db;
  const createUser = async (username: string, role: string, communityIds: string[]) => {
    const res = await tp.api('POST', 'users', { username, password: 'user-pass-123', role, scope: { level: 'community', communityIds } });
    expect(res.status).toBe(201);
    return { id: res.body.id as string, token: await tp.login(username, 'user-pass-123') };
  };
  const askCode = (phone: string) => tp.api('POST', 'public/visit/codes', { phone }, null);
  const signIn = async (phone: string) => {
    expect((await askCode(phone)).status).toBe(202);
    const code = sms.lastCode(phone)!;
    const res = await tp.api('POST', 'public/visit/sessions', { phone, code }, null);
    expect(res.status).toBe(201);
    return res.body.accessToken as string;
  };
  const signIns = (outcome: string) => tp.metric('spp_visitor_sign_ins_total', { outcome });
  const codes = (outcome: string) => tp.metric('spp_visitor_codes_total', { outcome });

  beforeAll(async () => {
    await sms.start();
    await wechat.start();
    const port = await freePort();
    tp = await startTestPlatform({ env: { HTTP_PORT: String(port), ...sms.env(), ...wechat.env(`http://127.0.0.1:${port}${NOTIFY_PATH}`) } });
    open = (await tp.createCommunity({ name: '访客开放小区' })).id;
    closed = (await tp.createCommunity({ name: '不开放小区' })).id;
    staffA = (await createUser('v-staff-a', 'property_staff', [open])).token;
    const owner = await createUser('v-owner-a', 'owner', [open]);
    ownerA = owner.token;
    const slot = async (communityId: string, code: string, extra: Record<string, unknown> = { ownership: 'common' }) => {
      const res = await tp.api('POST', 'parking/slots', { communityId, code, location: `B1-${code}`, ...extra });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    slotA = await slot(open, 'V1');
    slotA2 = await slot(open, 'V2');
    slotB = await slot(closed, 'X1');
    expect(slotB).toBeDefined();
    await fileHalfHourYuanTariff(tp, open, '沪价备〔2025〕019号', { sinceMs: 0, token: staffA });
    gate = await tp.provisionDevice(open, 'gate');
    client = await tp.connectDevice(gate);
    await client.subscribeAsync(`v1/devices/${gate.id}/commands`, { qos: 1 });
    client.on('message', (_topic, payload) => commands.push(JSON.parse(payload.toString())));
  });
  afterAll(async () => {
    await client?.endAsync();
    await tp?.close();
    await sms.close();
    await wechat.close();
  });

  it('sends a six-digit code through the signed SMS API, the same answer for any number; refuses what is not a mainland mobile', async () => {
    expect((await askCode('12800138001')).status).toBe(400);
    expect((await askCode('1380013800')).status).toBe(400);
    const first = await askCode(PHONE_1);
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ phone: '138****8001', expiresInS: 300 });
    expect(sms.messages.at(-1)).toEqual({ phone: `+86${PHONE_1}`, signName: expect.any(String), templateId: expect.any(String), params: [expect.stringMatching(/^\d{6}$/), '5'] });
    expect(sms.badSignatures).toBe(0);
    // The code is stored as a digest, never as it was sent.
    const stored = await db().selectFrom('visitor_codes').selectAll().where('phone', '=', PHONE_1).executeTakeFirstOrThrow();
    expect(stored.code_digest).not.toContain(sms.lastCode(PHONE_1));
    expect(stored.code_digest).toMatch(/^[0-9a-f]{64}$/);
    expect(await codes('sent')).toBe(1);
  });

  it('allows five tries per code: the right code after five wrong ones is refused, a new code passes once', async () => {
    const code = sms.lastCode(PHONE_1)!;
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < 5; i++) expect((await tp.api('POST', 'public/visit/sessions', { phone: PHONE_1, code: wrong }, null)).status).toBe(401);
    const late = await tp.api('POST', 'public/visit/sessions', { phone: PHONE_1, code }, null);
    expect(late.status).toBe(401);
    // A number never sent a code gets the same answer.
    const never = await tp.api('POST', 'public/visit/sessions', { phone: '13700137000', code }, null);
    expect(never.status).toBe(401);
    expect(never.body.message).toBe(late.body.message);
    expect((await tp.api('POST', 'public/visit/sessions', { phone: PHONE_1, code: '12345' }, null)).status).toBe(400);
    expect(await signIns('wrong_code')).toBe(5);
    expect(await signIns('too_many_tries')).toBe(1);
    expect(await signIns('no_code')).toBe(1);

    visitor1 = await signIn(PHONE_1);
    // Used once.
    expect((await tp.api('POST', 'public/visit/sessions', { phone: PHONE_1, code: sms.lastCode(PHONE_1) }, null)).status).toBe(401);
    expect(await signIns('success')).toBe(1);
  });

  it('expires a code after five minutes', async () => {
    expect((await askCode(PHONE_2)).status).toBe(202);
    await db().updateTable('visitor_codes').set({ expires_at: new Date(Date.now() - 1000) }).where('phone', '=', PHONE_2).execute();
    expect((await tp.api('POST', 'public/visit/sessions', { phone: PHONE_2, code: sms.lastCode(PHONE_2) }, null)).status).toBe(401);
    expect(await signIns('expired')).toBe(1);
    visitor2 = await signIn(PHONE_2);
  });

  it('keeps the visitor session to visitor actions: nothing of accounts, owners, other communities', async () => {
    for (const [method, path] of [
      ['GET', 'auth/me'],
      ['GET', 'communities'],
      ['GET', `parking/slots?communityId=${open}`],
      ['GET', `parking/availability?communityId=${open}&from=${Date.now()}&to=${Date.now() + 3600_000}`],
      ['GET', 'parking/bookings/mine'],
      ['GET', `billing/communities/${open}/bills`],
      ['GET', 'users'],
      ['GET', `devices?communityId=${open}`],
    ] as const) {
      expect([method, path, (await tp.api(method, path, undefined, visitor1)).status]).toEqual([method, path, 403]);
    }
    // Visitors sign in by code only: their row cannot log in with a password, nor is it an account.
    expect((await tp.api('POST', 'auth/login', { username: `visitor:${PHONE_1}`, password: 'anything-at-all' }, null)).status).toBe(401);
    expect(((await tp.api('GET', 'users')).body as Array<{ username: string }>).some((u) => u.username.startsWith('visitor:'))).toBe(false);
    // Account roles cannot use the visitor routes.
    expect((await tp.api('GET', 'visit/communities', undefined, ownerA)).status).toBe(403);
    expect((await tp.api('GET', 'visit/communities', undefined, null)).status).toBe(401);
  });

  it('shows only communities that admit visitors (off until property staff turn it on), and their free slots without owners', async () => {
    const from = Date.now() + 10 * 60_000;
    const to = from + 3600_000;
    expect((await tp.api('GET', 'visit/communities', undefined, visitor1)).body).toEqual([]);
    expect((await tp.api('GET', `visit/availability?communityId=${open}&from=${from}&to=${to}`, undefined, visitor1)).status).toBe(404);
    // Owners cannot, staff of another community get 404.
    expect((await tp.api('PUT', `parking/communities/${open}/visitors`, { visitorsAllowed: true }, ownerA)).status).toBe(403);
    expect((await tp.api('PUT', `parking/communities/${closed}/visitors`, { visitorsAllowed: true }, staffA)).status).toBe(404);
    const set = await tp.api('PUT', `parking/communities/${open}/visitors`, { visitorsAllowed: true }, staffA);
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ communityId: open, visitorsAllowed: true });

    const listed = (await tp.api('GET', 'visit/communities', undefined, visitor1)).body;
    expect(listed).toEqual([expect.objectContaining({ id: open, name: '访客开放小区' })]);
    expect(Object.keys(listed[0]).sort()).toEqual(['address', 'id', 'name']);
    const search = await tp.api('GET', `visit/availability?communityId=${open}&from=${from}&to=${to}`, undefined, visitor1);
    expect(search.status).toBe(200);
    expect(search.body.map((s: { id: string }) => s.id).sort()).toEqual([slotA, slotA2].sort());
    for (const s of search.body) expect(Object.keys(s).sort()).toEqual(['code', 'communityId', 'freeIntervals', 'id', 'location']);
    expect((await tp.api('GET', `visit/availability?communityId=${closed}&from=${from}&to=${to}`, undefined, visitor1)).status).toBe(404);
  });

  it('books one slot with a valid plate, one booking at a time, not in another community; sees and cancels only its own', async () => {
    const startsAt = Date.now() + 5 * 60_000;
    const endsAt = startsAt + 2 * 3600_000;
    expect((await tp.api('POST', 'visit/bookings', { slotId: slotA, plate: 'nonsense', startsAt, endsAt }, visitor1)).status).toBe(400);
    expect((await tp.api('POST', 'visit/bookings', { slotId: slotB, plate: '沪A·V1001', startsAt, endsAt }, visitor1)).status).toBe(404);
    const res = await tp.api('POST', 'visit/bookings', { slotId: slotA, plate: '沪A·V1001', startsAt, endsAt }, visitor1);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ slotId: slotA, plate: '沪AV1001', status: 'booked' });
    expect(res.body.userId).toBeUndefined();
    booking1 = res.body.id;
    expect((await tp.api('POST', 'visit/bookings', { slotId: slotA2, plate: '沪A·V1001', startsAt: endsAt + 3600_000, endsAt: endsAt + 7200_000 }, visitor1)).status).toBe(409);
    // The slot is taken for that time, whoever asks.
    expect((await tp.api('POST', 'visit/bookings', { slotId: slotA, plate: '沪A·V2002', startsAt, endsAt }, visitor2)).status).toBe(409);

    expect((await tp.api('GET', 'visit/bookings', undefined, visitor1)).body.map((b: { id: string }) => b.id)).toEqual([booking1]);
    expect((await tp.api('GET', 'visit/bookings', undefined, visitor2)).body).toEqual([]);
    expect((await tp.api('POST', `visit/bookings/${booking1}/cancel`, undefined, visitor2)).status).toBe(404);
  });

  it('the gate admits the visitor’s booked plate in its window as any booking', async () => {
    const before = commands.length;
    await publishJson(client, `v1/devices/${gate.id}/events`, { type: 'vehicle', lane: 'in-1', direction: 'in', plate: '沪AV1001', confidence: 0.9 });
    await waitFor(() => commands.length > before, { message: 'gate command for the visitor' });
    expect(commands[before]).toMatchObject({ cmd: 'open', reason: 'booking' });
    await tp.platform.app.get(ParkingGateService).settled();
    expect((await tp.api('GET', 'visit/bookings', undefined, visitor1)).body[0]).toMatchObject({ id: booking1, status: 'active' });
    // A plate the visitor did not book is not admitted as a booking.
    const next = commands.length;
    await publishJson(client, `v1/devices/${gate.id}/events`, { type: 'vehicle', lane: 'in-1', direction: 'in', plate: '沪AV9009', confidence: 0.9 });
    await waitFor(() => commands.length > next, { message: 'gate command for an unbooked plate' });
    expect(commands[next].reason).not.toBe('booking');
  });

  it('pays before driving out (issue 13 §7): checks out by the booking, pays on the phone, and the exit lane opens at once', async () => {
    expect((await tp.api('POST', `parking/bookings/${booking1}/checkout`, undefined, visitor2)).status).toBe(404);
    const checkout = await tp.api('POST', `parking/bookings/${booking1}/checkout`, undefined, visitor1);
    expect(checkout.status).toBe(200);
    expect(checkout.body).toMatchObject({ billId: expect.any(String), amountFen: 100, dueFen: 100, paidGraceMin: 15 });
    const order = await tp.api('POST', `billing/bills/${checkout.body.billId}/wechat-pay/native`, undefined, visitor1);
    expect(order.status).toBe(201);
    wechat.pay(order.body.outTradeNo);
    expect(await wechat.deliver(order.body.outTradeNo, wechat.notification(order.body.outTradeNo))).toBe(200);
    const before = commands.length;
    await publishJson(client, `v1/devices/${gate.id}/events`, { type: 'vehicle', lane: 'out-1', direction: 'out', plate: '沪AV1001', confidence: 0.9 });
    await waitFor(() => commands.length > before, { message: 'gate command for the visitor leaving' });
    expect(commands[before]).toMatchObject({ cmd: 'open', reason: 'paid', billId: checkout.body.billId });
  });

  it('cancels its own booking', async () => {
    const startsAt = Date.now() + 3 * 3600_000;
    const res = await tp.api('POST', 'visit/bookings', { slotId: slotA2, plate: '沪A·V2002', startsAt, endsAt: startsAt + 3600_000 }, visitor2);
    expect(res.status).toBe(201);
    const cancelled = await tp.api('POST', `visit/bookings/${res.body.id}/cancel`, undefined, visitor2);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id: res.body.id, status: 'cancelled' });
  });

  it('sees its own bill only, and pays it with WeChat Pay Native', async () => {
    // Visitor 2's stay, booked and left: the bill comes of the closed session as for any booking.
    const startsAt = Date.now() + 60_000;
    const booked = await tp.api('POST', 'visit/bookings', { slotId: slotA2, plate: '沪A·V2002', startsAt, endsAt: startsAt + 3600_000 }, visitor2);
    expect(booked.status).toBe(201);
    const session = await db()
      .insertInto('parking_sessions')
      .values({ community_id: open, slot_id: slotA2, booking_id: booked.body.id, plate: '沪AV2002', plate_kind: 'regular', kind: 'booking', status: 'closed', entry_at: new Date(startsAt), exit_at: new Date(startsAt + 95 * 60_000), entry_reason: 'booking' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db().updateTable('parking_bookings').set({ status: 'completed' }).where('id', '=', booked.body.id).execute();
    tp.platform.app.get(EventBusRepository).emit('parking.session.closed', { sessionId: session.id, communityId: open });
    const bills = await waitFor(
      async () => {
        const res = await tp.api('GET', 'visit/bills', undefined, visitor2);
        return res.body.length > 0 ? (res.body as Array<{ id: string; amountFen: number; status: string }>) : undefined;
      },
      { message: 'the visitor’s bill' },
    );
    expect(bills).toHaveLength(1);
    const bill = bills[0];
    expect(bill).toMatchObject({ plate: '沪AV2002', status: 'unpaid' });
    expect(bill.amountFen).toBeGreaterThan(0);
    // Visitor 1 has only the bill of their own stay (paid before driving out, above).
    expect((await tp.api('GET', 'visit/bills', undefined, visitor1)).body.map((b: { plate: string }) => b.plate)).toEqual(['沪AV1001']);
    expect((await tp.api('GET', `billing/bills/${bill.id}`, undefined, visitor1)).status).toBe(404);
    expect((await tp.api('POST', `billing/bills/${bill.id}/wechat-pay/native`, undefined, visitor1)).status).toBe(404);
    const own = await tp.api('GET', `billing/bills/${bill.id}`, undefined, visitor2);
    expect(own.status).toBe(200);
    expect(own.body.slotOwnerId).toBeNull();

    const order = await tp.api('POST', `billing/bills/${bill.id}/wechat-pay/native`, undefined, visitor2);
    expect(order.status).toBe(201);
    expect(order.body).toMatchObject({ billId: bill.id, amountFen: bill.amountFen, codeUrl: expect.stringMatching(/^weixin:\/\//) });
    wechat.pay(order.body.outTradeNo);
    expect(await wechat.deliver(order.body.outTradeNo, wechat.notification(order.body.outTradeNo))).toBe(200);
    expect((await tp.api('GET', 'visit/bills', undefined, visitor2)).body[0]).toMatchObject({ id: bill.id, status: 'paid', paidFen: bill.amountFen });
  });

  it('limits codes per number and per source address, and counts the refusals', async () => {
    // Burst of three per number: PHONE_2 has had two.
    expect((await askCode(PHONE_2)).status).toBe(202);
    expect((await askCode(PHONE_2)).status).toBe(429);
    expect(await codes('throttled_phone')).toBe(1);
    // Burst of ten per address: this address has asked six times so far (two refused for the number did not count twice).
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await askCode(`1360013600${i}`)).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(await codes('throttled_address')).toBeGreaterThan(0);
  });
});

describe('visitor booking without an SMS gateway', () => {
  let tp: TestPlatform;
  beforeAll(async () => {
    tp = await startTestPlatform();
  });
  afterAll(() => tp?.close());

  it('answers 503 with the reason, and sends nothing', async () => {
    for (const [path, body] of [
      ['public/visit/codes', { phone: PHONE_1 }],
      ['public/visit/sessions', { phone: PHONE_1, code: '123456' }],
    ] as const) {
      const res = await tp.api('POST', path, body, null);
      expect(res.status).toBe(503);
      expect(res.body.message).toMatch(/no SMS gateway is configured/);
    }
    expect(await tp.metric('spp_visitor_codes_total', { outcome: 'sent' })).toBe(0);
  });
});
