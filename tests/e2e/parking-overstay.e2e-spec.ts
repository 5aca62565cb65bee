/**
 * Overstay end to end, on real time with tiny settings (departure grace 0, block after one
 * overstay): a booked car enters through an MQTT vehicle event and stays past its end; the guest's
 * socket.io client is told (first without, then — once the owner asks for the slot back — with
 * `ownerNeedsSlot`); at the exit its bill carries the overstay penalty and the lane holds until it
 * is paid; next time the plate
 * is held at the gate until staff unblock it (audited). Also: an emergency vehicle's session
 * bills 0 and its gate decisions are in parking_gate_events and the audit log.
 */
import type { MqttClient } from 'mqtt';
import type { Socket } from 'socket.io-client';
import { DatabaseRepository } from '../../apps/platform/src/repositories/database.repository';
import { ParkingGateService } from '../../apps/platform/src/services/parking-gate.service';
import { publishJson, startTestPlatform, type TestPlatform } from '../support/platform';
import { nextEvent, waitFor } from '../support/wait';

const allWeek = [0, 1, 2, 3, 4, 5, 6].map((weekday) => ({ weekday, startMinute: 0, endMinute: 1440 }));
const PLATE = '粤B12121';

interface OverstayEvent {
  bookingId: string;
  userId: string;
  plate: string;
  ownerNeedsSlot: boolean;
  communityId: string;
}

describe('parking overstay, blocking and emergency sessions (PGlite)', () => {
  let tp: TestPlatform;
  let communityId: string;
  let ownerToken: string;
  let guestId: string;
  let guestToken: string;
  let guestSocket: Socket;
  let slotId: string;
  let gate: { id: string; secret: string };
  let client: MqttClient;
  const commands: Array<{ id: string; cmd: string; lane: string; reason: string; billId?: string; amountFen?: number }> = [];

  const db = () => tp.platform.app.get(DatabaseRepository).db;
  const settled = () => tp.platform.app.get(ParkingGateService).settled();

  /** Publishes a vehicle event and returns the gate command that answers it. */
  const vehicle = async (plate: string, direction: 'in' | 'out') => {
    const before = commands.length;
    await publishJson(client, `v1/devices/${gate.id}/events`, { type: 'vehicle', lane: direction === 'in' ? 'in-1' : 'out-1', direction, plate, confidence: 0.9 });
    await waitFor(() => commands.length > before, { message: `gate command for ${plate}` });
    return commands[before];
  };
  const overstayNotice = (bookingId: string) =>
    nextEvent<OverstayEvent>(guestSocket, 'parking.overstay', { filter: (e) => e.bookingId === bookingId, timeoutMs: 20_000, message: `parking.overstay for ${bookingId}` });
  const sessionOf = async (plate: string) => {
    await settled();
    const res = await tp.api('GET', `parking/sessions?communityId=${communityId}`);
    return res.body.find((s: { plate: string }) => s.plate === plate) as { id: string; status: string; kind: string; overstayMinutes: number };
  };
  const billOf = (sessionId: string) =>
    waitFor(async () => {
      const res = await tp.api('GET', `billing/sessions/${sessionId}/bill`);
      return res.status === 200 ? res.body : undefined;
    }, { message: `bill of session ${sessionId}` });
  const book = async (ms: number) => {
    const startsAt = Date.now();
    const res = await tp.api('POST', 'parking/bookings', { slotId, plate: PLATE, startsAt, endsAt: startsAt + ms }, guestToken);
    expect(res.status).toBe(201);
    return res.body.id as string;
  };

  beforeAll(async () => {
    tp = await startTestPlatform({ env: { PARKING_DEPARTURE_GRACE_MIN: '0', PARKING_BLOCK_AFTER_OVERSTAYS: '1' } });
    communityId = (await tp.createCommunity()).id;
    const mk = async (username: string, role: string) => {
      const res = await tp.api('POST', 'users', { username, password: 'user-pass-123', role, scope: { level: 'community', communityIds: [communityId] } });
      expect(res.status).toBe(201);
      return { id: res.body.id as string, token: await tp.login(username, 'user-pass-123') };
    };
    const owner = await mk('slot-owner', 'owner');
    ownerToken = owner.token;
    ({ id: guestId, token: guestToken } = await mk('guest', 'owner'));
    guestSocket = await tp.socket(guestToken);
    const slot = await tp.api('POST', 'parking/slots', { communityId, code: 'P1', location: 'B1-P1', ownership: 'private', ownerId: owner.id });
    expect(slot.status).toBe(201);
    slotId = slot.body.id;
    expect((await tp.api('POST', `parking/slots/${slotId}/windows`, { weekly: allWeek }, ownerToken)).status).toBe(200);
    // 1 yuan per 30 min after 15 free minutes; overstay: 8 yuan per started 30 min beyond end + grace.
    const tariff = await tp.api('POST', `billing/communities/${communityId}/tariffs`, {
      setBy: 'owners_assembly',
      filingNumber: '粤价备〔2025〕007号',
      effectiveFrom: new Date(Date.now() - 60_000).toISOString(),
      rules: {
        freeMinutes: 15,
        pricing: { mode: 'unit', bands: [{ name: 'all', start: '00:00', end: '00:00', unitMinutes: 30, unitPriceFen: 100 }] },
        overstay: { graceMinutes: 10, unitMinutes: 30, unitPriceFen: 800 },
      },
    });
    expect(tariff.status).toBe(201);
    gate = await tp.provisionDevice(communityId, 'gate');
    client = await tp.connectDevice(gate);
    await client.subscribeAsync(`v1/devices/${gate.id}/commands`, { qos: 1 });
    client.on('message', (_topic, payload) => commands.push(JSON.parse(payload.toString())));
  });
  afterAll(() => tp?.close());

  it('notifies the guest of an overstay, then again when the owner needs the slot, bills the penalty and blocks the plate', async () => {
    const bookingId = await book(2_000);
    const firstNotice = overstayNotice(bookingId);
    expect(await vehicle(PLATE, 'in')).toMatchObject({ cmd: 'open', reason: 'booking' });

    // End + 0 min grace passes with the car inside: the overstay job tells the guest; nobody asked for the slot yet.
    expect(await firstNotice).toMatchObject({ communityId, userId: guestId, plate: PLATE, ownerNeedsSlot: false });

    // Only the slot's owner (or staff for a common slot) may ask for it back.
    expect((await tp.api('POST', `parking/bookings/${bookingId}/reclaim`, undefined, guestToken)).status).toBe(403);
    expect((await tp.api('POST', `parking/bookings/00000000-0000-4000-8000-000000000000/reclaim`, undefined, ownerToken)).status).toBe(404);
    // Already overstaying: the guest is told at once.
    const reclaimNotice = overstayNotice(bookingId);
    const reclaim = await tp.api('POST', `parking/bookings/${bookingId}/reclaim`, undefined, ownerToken);
    expect(reclaim.status).toBe(200);
    expect(reclaim.body).toMatchObject({ bookingId, ownerNeedsSlot: true, overstaying: true, guestNotified: true, alreadyRequested: false });
    expect(await reclaimNotice).toMatchObject({ userId: guestId, ownerNeedsSlot: true });
    // Asking twice notifies nothing new.
    expect((await tp.api('POST', `parking/bookings/${bookingId}/reclaim`, undefined, ownerToken)).body).toMatchObject({ alreadyRequested: true, guestNotified: false });

    // The car is read at the exit: the stay is priced at once and the lane holds until the bill is paid.
    const billCreated = nextEvent<{ sessionId: string; amountFen: number }>(guestSocket, 'billing.bill.created', { filter: (e) => e.amountFen > 0, timeoutMs: 20_000 });
    const held = await vehicle(PLATE, 'out');
    expect(held).toMatchObject({ cmd: 'hold', reason: 'payment_due', amountFen: 800 });
    const session = await sessionOf(PLATE);
    expect(session).toMatchObject({ status: 'closed', kind: 'booking', overstayMinutes: 1 });
    expect((await billCreated).sessionId).toBe(session.id);
    const bill = await billOf(session.id);
    // Regular span entry → end (seconds) is within the 15 free minutes: 0. Overstay: the booking's own
    // grace (0) overrides the tariff's 10 min; a few seconds beyond = 1 started 30-min unit = 800.
    expect(bill).toMatchObject({ id: held.billId, amountFen: 800, overstayFen: 800, sessionKind: 'booking', slotId });
    // Paid at the booth: the held lane opens.
    const before = commands.length;
    expect((await tp.api('POST', `billing/bills/${bill.id}/payments`, { provider: 'cash', amountFen: 800, reference: 'CASH-OVERSTAY-1' })).status).toBe(201);
    await waitFor(() => commands.slice(before).some((c) => c.cmd === 'open' && c.billId === bill.id), { message: 'the lane opens once the bill is paid' });
    expect(commands.slice(before)).toEqual([expect.objectContaining({ cmd: 'open', lane: 'out-1', reason: 'paid', billId: bill.id })]);
    expect(bill.breakdown.lines).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'overstay', units: 1, amountFen: 800 })]));
    expect((await tp.api('GET', 'parking/bookings/mine', undefined, guestToken)).body.find((b: { id: string }) => b.id === bookingId).status).toBe('completed');
    // A finished booking cannot be reclaimed.
    expect((await tp.api('POST', `parking/bookings/${bookingId}/reclaim`, undefined, ownerToken)).status).toBe(409);

    // One overstay with PARKING_BLOCK_AFTER_OVERSTAYS=1: the plate is blocked.
    const blocked = await tp.api('GET', `parking/blocked-plates?communityId=${communityId}`);
    expect(blocked.body).toEqual([expect.objectContaining({ plate: PLATE, reason: '1 overstays' })]);
    expect((await tp.api('GET', `parking/blocked-plates?communityId=${communityId}`, undefined, ownerToken)).status).toBe(403);
  }, 60_000);

  it('holds the blocked plate even with a booking; staff unblock it (audited) and it opens; a reclaim before the end is told at end + grace', async () => {
    const bookingId = await book(6_000);
    // The owner asks for the slot before the booking ends: recorded, nobody told yet.
    const early = await tp.api('POST', `parking/bookings/${bookingId}/reclaim`, undefined, ownerToken);
    expect(early.body).toMatchObject({ ownerNeedsSlot: true, overstaying: false, guestNotified: false });
    expect(await vehicle(PLATE, 'in')).toMatchObject({ cmd: 'hold', reason: 'blocked' });

    expect((await tp.api('POST', 'parking/blocked-plates/unblock', { communityId, plate: PLATE }, ownerToken)).status).toBe(403);
    const unblock = await tp.api('POST', 'parking/blocked-plates/unblock', { communityId, plate: '粤B·12121', note: 'talked to the guest' });
    expect(unblock.status).toBe(200);
    expect(unblock.body).toMatchObject({ plate: PLATE, unblocked: true });
    expect((await tp.api('POST', 'parking/blocked-plates/unblock', { communityId, plate: PLATE })).status).toBe(404);
    const audit = await db().selectFrom('audit_log').selectAll().where('action', '=', 'parking.plate.unblocked').where('subject_id', '=', PLATE).execute();
    expect(audit).toHaveLength(1);
    expect(audit[0].detail).toMatchObject({ communityId, note: 'talked to the guest', reason: '1 overstays' });

    const notice = overstayNotice(bookingId);
    expect(await vehicle(PLATE, 'in')).toMatchObject({ cmd: 'open', reason: 'booking' });
    // At end + grace the job tells the guest that the owner needs the slot.
    expect(await notice).toMatchObject({ userId: guestId, ownerNeedsSlot: true });
  }, 60_000);

  it('an emergency vehicle passes, its decisions are logged and audited, and its session bills 0', async () => {
    const plate = '粤X2345应急';
    expect(await vehicle(plate, 'in')).toMatchObject({ cmd: 'open', reason: 'emergency' });
    expect(await vehicle(plate, 'out')).toMatchObject({ cmd: 'open', reason: 'emergency' });
    const session = await sessionOf(plate);
    expect(session).toMatchObject({ kind: 'emergency', status: 'closed' });

    const events = await db().selectFrom('parking_gate_events').selectAll().where('community_id', '=', communityId).where('plate', '=', plate).orderBy('id').execute();
    expect(events.map((e) => [e.direction, e.cmd, e.reason, e.device_id])).toEqual([
      ['in', 'open', 'emergency', gate.id],
      ['out', 'open', 'emergency', gate.id],
    ]);
    const audit = await db().selectFrom('audit_log').selectAll().where('action', '=', 'parking.gate.emergency').where('subject_id', '=', gate.id).execute();
    expect(audit.filter((a) => (a.detail as { plate?: string }).plate === plate).map((a) => (a.detail as { direction: string }).direction).sort()).toEqual(['in', 'out']);

    const bill = await billOf(session.id);
    expect(bill).toMatchObject({ amountFen: 0, overstayFen: 0, status: 'free', exempt: 'emergency vehicle', sessionKind: 'emergency' });
  }, 60_000);
});
