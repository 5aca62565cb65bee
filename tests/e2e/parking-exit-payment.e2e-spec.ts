/**
 * Pay before leaving (issue 13 §7: "the exit gate opens when the bill is paid"), with real MQTT
 * gate clients and a local WeChat Pay: a visitor enters, is read at the exit and the lane holds
 * with the bill, the amount and the WeChat Pay code; the payer pays and WeChat Pay's signed
 * notification opens that lane once; cash at the booth does the same. Also: two exit reads (one
 * bill), a resident opens at once, staff open by hand and a later payment opens nothing, a fire
 * opens held lanes, a refund makes the money due again, a bill of another community opens only
 * its own gate, and a car read again long after paying goes to a person.
 */
import type { MqttClient } from 'mqtt';
import type { Socket } from 'socket.io-client';
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { DatabaseRepository } from '../../apps/platform/src/repositories/database.repository';
import { EventBusRepository } from '../../apps/platform/src/repositories/event-bus.repository';
import { ParkingGateService } from '../../apps/platform/src/services/parking-gate.service';
import { FakeWechatPay } from '../support/fake-wechat-pay';
import { publishJson, startTestPlatform, type TestPlatform } from '../support/platform';
import { freePort } from '../support/processes';
import { nextEvent, waitFor } from '../support/wait';
import { fileHalfHourYuanTariff } from '../support/tariffs';

const NOTIFY_PATH = '/api/v1/public/payments/wechat/notify';

interface Command {
  id: string;
  cmd: string;
  lane: string;
  reason: string;
  billId?: string;
  amountFen?: number;
  payUrl?: string;
}

/** A gate device on MQTT that collects the commands it is sent. */
class Gate {
  readonly commands: Command[] = [];
  client!: MqttClient;
  constructor(readonly device: { id: string; secret: string }) {}

  async connect(tp: TestPlatform): Promise<this> {
    this.client = await tp.connectDevice(this.device);
    await this.client.subscribeAsync(`v1/devices/${this.device.id}/commands`, { qos: 1 });
    this.client.on('message', (_topic, payload) => this.commands.push(JSON.parse(payload.toString()) as Command));
    return this;
  }

  /** Publishes a vehicle event and returns the command that answers it. */
  async read(plate: string, direction: 'in' | 'out', lane = direction === 'in' ? 'in-1' : 'out-1'): Promise<Command> {
    const before = this.commands.length;
    await publishJson(this.client, `v1/devices/${this.device.id}/events`, { type: 'vehicle', lane, direction, plate, confidence: 0.95 });
    await waitFor(() => this.commands.length > before, { message: `gate command for ${plate}` });
    return this.commands[before];
  }

  opensFor(billId: string): Command[] {
    return this.commands.filter((c) => c.cmd === 'open' && c.billId === billId && c.reason !== 'exit');
  }
}

describe('the exit gate opens when the bill is paid', () => {
  const fake = new FakeWechatPay();
  let tp: TestPlatform;
  let communityId: string;
  let otherCommunityId: string;
  let gate: Gate;
  let otherGate: Gate;
  let staffToken: string;
  let staffSocket: Socket;
  let resident: { id: string; token: string };
  let guest: { id: string; token: string };
  let slotId: string;

  const db = () => tp.platform.app.get(DatabaseRepository).db;
  const gates = () => tp.platform.app.get(ParkingGateService);
  const orderOf = async (billId: string) => (await db().selectFrom('online_payment_orders').selectAll().where('bill_id', '=', billId).executeTakeFirstOrThrow()).out_trade_no;
  const billsOf = async (plate: string) => db().selectFrom('parking_bills').selectAll().where('plate', '=', plate).execute();
  const holdOf = (billId: string) => db().selectFrom('parking_exit_holds').selectAll().where('bill_id', '=', billId).executeTakeFirstOrThrow();
  const payCash = (billId: string, amountFen: number, reference: string, token?: string) => tp.api('POST', `billing/bills/${billId}/payments`, { provider: 'cash', amountFen, reference }, token);

  /** A visitor enters and is read at the exit: the lane holds for the bill. */
  const enterAndHold = async (g: Gate, plate: string) => {
    expect(await g.read(plate, 'in')).toMatchObject({ cmd: 'open', reason: 'visitor' });
    const hold = await g.read(plate, 'out');
    expect(hold).toMatchObject({ cmd: 'hold', lane: 'out-1', reason: 'payment_due', billId: expect.any(String), amountFen: 100 });
    return hold as Command & { billId: string; amountFen: number };
  };

  beforeAll(async () => {
    await fake.start();
    const port = await freePort();
    tp = await startTestPlatform({ env: { HTTP_PORT: String(port), ...fake.env(`http://127.0.0.1:${port}${NOTIFY_PATH}`) } });
    const community = await tp.createCommunity({ buildings: [{ name: '1栋', units: [{ number: '101', floorArea: '89.50' }] }] });
    communityId = community.id;
    otherCommunityId = (await tp.createCommunity()).id;
    const user = async (username: string, role: string, communityIds: string[]) => {
      const res = await tp.api('POST', 'users', { username, password: 'user-pass-123', role, scope: { level: 'community', communityIds } });
      expect(res.status).toBe(201);
      return { id: res.body.id as string, token: await tp.login(username, 'user-pass-123') };
    };
    staffToken = (await user('booth', 'property_staff', [communityId])).token;
    const owner = await user('resident', 'owner', [communityId]);
    resident = owner;
    guest = await user('guest', 'owner', [communityId]);
    const unitId = (community as unknown as { buildings: Array<{ units: Array<{ id: string }> }> }).buildings[0].units[0].id;
    expect((await tp.api('POST', `units/${unitId}/occupants`, { userId: owner.id })).status).toBe(201);
    expect((await tp.api('POST', 'parking/vehicles', { communityId, plate: '粤B55555' }, owner.token)).status).toBe(201);
    for (const [id, n] of [[communityId, 8], [otherCommunityId, 2]] as const) {
      for (let i = 0; i < n; i++) expect((await tp.api('POST', 'parking/slots', { communityId: id, code: `V${i}`, location: 'surface', ownership: 'common' })).status).toBe(201);
      // Every visit owes 100 fen.
      await fileHalfHourYuanTariff(tp, id, '粤价备〔2025〕031号');
    }
    const slot = await tp.api('POST', 'parking/slots', { communityId, code: 'P1', location: 'B1-P1', ownership: 'private', ownerId: owner.id });
    expect(slot.status).toBe(201);
    slotId = slot.body.id;
    const allWeek = [0, 1, 2, 3, 4, 5, 6].map((weekday) => ({ weekday, startMinute: 0, endMinute: 1440 }));
    expect((await tp.api('POST', `parking/slots/${slotId}/windows`, { weekly: allWeek }, owner.token)).status).toBe(200);
    gate = await new Gate(await tp.provisionDevice(communityId, 'gate')).connect(tp);
    otherGate = await new Gate(await tp.provisionDevice(otherCommunityId, 'gate')).connect(tp);
    staffSocket = await tp.socket(staffToken);
  });
  afterAll(async () => {
    await tp?.close();
    await fake.close();
  });

  it('holds a visitor with the amount and the WeChat Pay code; a second read issues no second bill; the paid notification opens the lane once', async () => {
    const plate = '粤B10001';
    const hold = await enterAndHold(gate, plate);
    expect(hold.payUrl).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    // The driver backs up and drives up again: the same bill, the same code, still one bill.
    expect(await gate.read(plate, 'out')).toMatchObject({ cmd: 'hold', reason: 'payment_due', billId: hold.billId, amountFen: 100, payUrl: hold.payUrl });
    expect(await billsOf(plate)).toHaveLength(1);
    expect((await tp.api('GET', `billing/bills/${hold.billId}`, undefined, staffToken)).body).toMatchObject({ status: 'unpaid', amountFen: 100, sessionKind: 'visitor' });

    const outTradeNo = await orderOf(hold.billId);
    fake.pay(outTradeNo);
    expect(await fake.deliver(outTradeNo, fake.notification(outTradeNo))).toBe(200);
    await waitFor(() => gate.opensFor(hold.billId).length > 0, { message: 'open after the WeChat Pay notification' });
    expect(gate.opensFor(hold.billId)[0]).toMatchObject({ cmd: 'open', lane: 'out-1', reason: 'paid' });
    // WeChat Pay delivers the notification again, and the sweep runs: nothing opens twice.
    expect(await fake.deliver(outTradeNo, fake.notification(outTradeNo))).toBe(200);
    expect(await gates().openPaidLanes()).toBe(0);
    expect(gate.opensFor(hold.billId)).toHaveLength(1);
    expect(await holdOf(hold.billId)).toMatchObject({ released_by: 'paid' });
    expect((await tp.api('GET', `billing/bills/${hold.billId}`, undefined, staffToken)).body).toMatchObject({ status: 'paid', paidFen: 100 });
    // Read again within the grace after paying: opens at once, no new bill.
    expect(await gate.read(plate, 'out')).toMatchObject({ cmd: 'open', reason: 'paid', billId: hold.billId });
    expect(await billsOf(plate)).toHaveLength(1);
    // The gate log has the hold, the hold again, the open on payment and the open on the read.
    const log = await db().selectFrom('parking_gate_events').select(['direction', 'cmd', 'reason']).where('plate', '=', plate).orderBy('id').execute();
    expect(log.map((e) => `${e.direction} ${e.cmd} ${e.reason}`)).toEqual(['in open visitor', 'out hold payment_due', 'out hold payment_due', 'out open paid', 'out open paid']);
  });

  it('cash at the booth opens the held lane once; a resident opens at once without waiting for a price', async () => {
    expect(await gate.read('粤B55555', 'in')).toMatchObject({ cmd: 'open', reason: 'resident' });
    expect(await gate.read('粤B55555', 'out')).toMatchObject({ cmd: 'open', reason: 'exit' });

    const hold = await enterAndHold(gate, '粤B10002');
    // Staff of another community cannot take the payment.
    const other = await tp.api('POST', 'users', { username: 'booth-other', password: 'user-pass-123', role: 'property_staff', scope: { level: 'community', communityIds: [otherCommunityId] } });
    expect(other.status).toBe(201);
    expect((await payCash(hold.billId, 100, 'CASH-0002', await tp.login('booth-other', 'user-pass-123'))).status).toBe(404);
    expect(gate.opensFor(hold.billId)).toHaveLength(0);
    // Part of it: still held.
    expect((await payCash(hold.billId, 40, 'CASH-0002a', staffToken)).status).toBe(201);
    expect(await gates().openPaidLanes()).toBe(0);
    expect(await gate.read('粤B10002', 'out')).toMatchObject({ cmd: 'hold', reason: 'payment_due', billId: hold.billId, amountFen: 60 });
    expect((await payCash(hold.billId, 60, 'CASH-0002b', staffToken)).status).toBe(201);
    await waitFor(() => gate.opensFor(hold.billId).length > 0, { message: 'open after the cash payment' });
    expect(await gates().openPaidLanes()).toBe(0);
    expect(gate.opensFor(hold.billId)).toEqual([expect.objectContaining({ cmd: 'open', lane: 'out-1', reason: 'paid' })]);
  });

  it('staff open a held lane by hand (audited); the payment that follows opens nothing', async () => {
    const pending = nextEvent<{ pendingId: string; reason: string; direction: string; plate: string }>(staffSocket, 'parking.gate.pending', { filter: (e) => e.plate === '粤B10003' });
    const hold = await enterAndHold(gate, '粤B10003');
    const event = await pending;
    expect(event).toMatchObject({ reason: 'payment_due', direction: 'out' });
    const before = gate.commands.length;
    expect((await tp.api('POST', `parking/gates/${gate.device.id}/open`, { lane: 'out-1', pendingId: event.pendingId, note: 'driver paid the guard, receipt 17' }, staffToken)).status).toBe(200);
    await waitFor(() => gate.commands.length > before);
    expect(gate.commands[before]).toMatchObject({ cmd: 'open', lane: 'out-1', reason: 'manual' });
    await gates().settled();
    expect(await holdOf(hold.billId)).toMatchObject({ released_by: 'manual' });
    const audit = await db().selectFrom('audit_log').selectAll().where('action', '=', 'parking.gate.manual_open').where('subject_id', '=', gate.device.id).execute();
    expect(audit.map((a) => (a.detail as { pendingId: string }).pendingId)).toContain(event.pendingId);

    // The payment arrives after the car left: booked, and no 'open' goes to the gate.
    const outTradeNo = await orderOf(hold.billId);
    fake.pay(outTradeNo);
    expect(await fake.deliver(outTradeNo, fake.notification(outTradeNo))).toBe(200);
    await waitFor(async () => (await tp.api('GET', `billing/bills/${hold.billId}`, undefined, staffToken)).body.status === 'paid', { message: 'the late payment booked' });
    expect(await gates().openPaidLanes()).toBe(0);
    expect(gate.opensFor(hold.billId).filter((c) => c.reason === 'paid')).toHaveLength(0);
    expect(await billsOf('粤B10003')).toHaveLength(1);
  });

  it('a bill paid in another community opens only that community’s gate', async () => {
    const mine = await enterAndHold(gate, '粤B10004');
    const theirs = await enterAndHold(otherGate, '粤B20004');
    expect((await payCash(theirs.billId, 100, 'CASH-0004')).status).toBe(201);
    await waitFor(() => otherGate.opensFor(theirs.billId).length > 0, { message: 'the other community’s gate opens' });
    expect(gate.commands.filter((c) => c.billId === theirs.billId)).toHaveLength(0);
    expect(gate.opensFor(mine.billId)).toHaveLength(0);
    expect(otherGate.opensFor(mine.billId)).toHaveLength(0);
    expect(await holdOf(mine.billId)).toMatchObject({ released_at: null });
  });

  it('a refunded bill is due again at the lane; paid long ago, a car read again goes to a person', async () => {
    const hold = await enterAndHold(gate, '粤B10005');
    expect((await payCash(hold.billId, 100, 'CASH-0005', staffToken)).status).toBe(201);
    await waitFor(() => gate.opensFor(hold.billId).length > 0, { message: 'open after the cash payment' });
    // The car did not leave. 16 minutes later (grace 15) it is read again: a person decides.
    const clock = tp.platform.app.get(ClockRepository);
    const realNow = clock.now;
    clock.now = () => Date.now() + 16 * 60_000;
    try {
      expect(await gate.read('粤B10005', 'out')).toMatchObject({ cmd: 'hold', reason: 'paid_grace_expired', billId: hold.billId });
    } finally {
      clock.now = realNow;
    }
    expect((await tp.api('POST', `billing/bills/${hold.billId}/refunds`, { amountFen: 100, reason: 'charged twice', reference: 'R-0005' }, staffToken)).status).toBe(201);
    expect(await gate.read('粤B10005', 'out')).toMatchObject({ cmd: 'hold', reason: 'payment_due', billId: hold.billId, amountFen: 100 });
    expect(await billsOf('粤B10005')).toHaveLength(1);
    expect(gate.opensFor(hold.billId)).toHaveLength(1);
  });

  it('a fire alarm opens the lanes held for payment and every exit while it lasts', async () => {
    const held = await enterAndHold(gate, '粤B10006');
    expect(await gate.read('粤B10007', 'in')).toMatchObject({ cmd: 'open', reason: 'visitor' });
    const bus = tp.platform.app.get(EventBusRepository);
    const alarm = { alarmId: 'fire-exit-1', deviceId: 'smoke-1', communityId, type: 'fire', severity: 1, state: 'raised', ts: Date.now() };
    bus.emit('alarm.raised', alarm);
    try {
      await waitFor(() => gate.opensFor(held.billId).length > 0, { message: 'the held lane opens on fire' });
      expect(gate.opensFor(held.billId)).toEqual([expect.objectContaining({ cmd: 'open', lane: 'out-1', reason: 'fire_free_flow' })]);
      expect(await gate.read('粤B10007', 'out')).toMatchObject({ cmd: 'open', reason: 'fire_free_flow' });
      expect(await gate.read('无牌车', 'out')).toMatchObject({ cmd: 'open', reason: 'fire_free_flow' });
    } finally {
      bus.emit('alarm.cleared', { ...alarm, state: 'cleared' });
    }
    await gates().settled();
    expect(await holdOf(held.billId)).toMatchObject({ released_by: 'fire' });
    // The stays left in free flow are still billed; paying later opens nothing more.
    await waitFor(async () => (await billsOf('粤B10007')).length === 1, { message: 'the bill of the car that left in free flow' });
    expect((await payCash(held.billId, 100, 'CASH-0006', staffToken)).status).toBe(201);
    expect(await gates().openPaidLanes()).toBe(0);
    expect(gate.opensFor(held.billId)).toHaveLength(1);
  });

  it('paid in advance at the booth (the stay ends and is billed once): the car passes the lane at once', async () => {
    const plate = '粤B10008';
    expect(await gate.read(plate, 'in')).toMatchObject({ cmd: 'open', reason: 'visitor' });
    await gates().settled();
    const session = (await tp.api('GET', `parking/sessions?communityId=${communityId}`)).body.find((x: { plate: string; status: string }) => x.plate === plate && x.status === 'open');
    // Not the guest of this stay, not staff of this community: not found.
    expect((await tp.api('POST', `parking/sessions/${session.id}/checkout`, undefined, resident.token)).status).toBe(404);
    expect((await tp.api('POST', `parking/sessions/${session.id}/checkout`, undefined, await tp.login('booth-other', 'user-pass-123'))).status).toBe(404);
    const checkout = await tp.api('POST', `parking/sessions/${session.id}/checkout`, undefined, staffToken);
    expect(checkout.status).toBe(200);
    expect(checkout.body).toMatchObject({ sessionId: session.id, billId: expect.any(String), amountFen: 100, dueFen: 100, paidGraceMin: 15 });
    // Asked again: the same bill.
    expect((await tp.api('POST', `parking/sessions/${session.id}/checkout`, undefined, staffToken)).body).toMatchObject({ billId: checkout.body.billId, exitAt: checkout.body.exitAt });
    expect((await payCash(checkout.body.billId, 100, 'CASH-0008', staffToken)).status).toBe(201);
    expect(await gate.read(plate, 'out')).toMatchObject({ cmd: 'open', reason: 'paid', billId: checkout.body.billId });
    expect(await billsOf(plate)).toHaveLength(1);
    expect(gate.commands.filter((c) => c.billId === checkout.body.billId && c.cmd === 'hold')).toHaveLength(0);
    const audit = await db().selectFrom('audit_log').selectAll().where('action', '=', 'parking.session.checked_out').where('subject_id', '=', session.id).execute();
    expect(audit).toHaveLength(1);
  });

  it('the guest of a booked stay pays on the phone before driving out; an unpaid checkout still holds at the lane', async () => {
    const plate = '粤B10009';
    const startsAt = Date.now();
    const booking = await tp.api('POST', 'parking/bookings', { slotId, plate, startsAt, endsAt: startsAt + 3600_000 }, guest.token);
    expect(booking.status).toBe(201);
    expect(await gate.read(plate, 'in')).toMatchObject({ cmd: 'open', reason: 'booking' });
    await gates().settled();
    const session = (await tp.api('GET', `parking/sessions?communityId=${communityId}`)).body.find((x: { plate: string; status: string }) => x.plate === plate && x.status === 'open');
    expect((await tp.api('POST', `parking/sessions/${session.id}/checkout`, undefined, resident.token)).status).toBe(404);
    const checkout = await tp.api('POST', `parking/sessions/${session.id}/checkout`, undefined, guest.token);
    expect(checkout.status).toBe(200);
    expect(checkout.body).toMatchObject({ amountFen: 100, dueFen: 100 });
    // Not paid yet: the lane holds for that bill.
    expect(await gate.read(plate, 'out')).toMatchObject({ cmd: 'hold', reason: 'payment_due', billId: checkout.body.billId, amountFen: 100 });
    // The guest pays with WeChat Pay from the phone: the held lane opens.
    const order = await tp.api('POST', `billing/bills/${checkout.body.billId}/wechat-pay/native`, undefined, guest.token);
    expect(order.status).toBe(201);
    fake.pay(order.body.outTradeNo);
    expect(await fake.deliver(order.body.outTradeNo, fake.notification(order.body.outTradeNo))).toBe(200);
    await waitFor(() => gate.opensFor(checkout.body.billId).length > 0, { message: 'open after the guest paid' });
    expect(gate.opensFor(checkout.body.billId)).toEqual([expect.objectContaining({ reason: 'paid' })]);
    expect(await billsOf(plate)).toHaveLength(1);
  });
});
