import type { MqttClient } from 'mqtt';
import { publishJson, startTestPlatform, type TestPlatform } from '../support/platform';
import { EventBusRepository } from '../../apps/platform/src/repositories/event-bus.repository';
import { ParkingGateService } from '../../apps/platform/src/services/parking-gate.service';
import { nextEvent, waitFor } from '../support/wait';

const allWeek = [0, 1, 2, 3, 4, 5, 6].map((weekday) => ({ weekday, startMinute: 0, endMinute: 1440 }));

describe('parking: slots, bookings and the gate (PGlite)', () => {
  let tp: TestPlatform;
  let communityId: string;
  let ownerToken: string;
  let guestToken: string;
  let ownerId: string;
  let gate: { id: string; secret: string };
  let client: MqttClient;
  const commands: Array<{ id: string; cmd: string; lane: string; reason: string }> = [];

  beforeAll(async () => {
    tp = await startTestPlatform({ env: { PARKING_EMERGENCY_PLATES: '粤B99999' } });
    const community = await tp.createCommunity({ buildings: [{ name: '1栋', units: [{ number: '101', floorArea: '89.50' }] }] });
    communityId = community.id;
    const mk = async (username: string, role: string) => {
      const res = await tp.api('POST', 'users', { username, password: 'user-pass-123', role, scope: { level: 'community', communityIds: [communityId] } });
      expect(res.status).toBe(201);
      return { id: res.body.id as string, token: await tp.login(username, 'user-pass-123') };
    };
    ({ id: ownerId, token: ownerToken } = await mk('owner1', 'owner'));
    ({ token: guestToken } = await mk('guest1', 'owner'));
    // Resident plates belong to a unit: the owner holds 1栋 101.
    const unitId = (community as unknown as { buildings: Array<{ units: Array<{ id: string }> }> }).buildings[0].units[0].id;
    expect((await tp.api('POST', `units/${unitId}/occupants`, { userId: ownerId })).status).toBe(201);
    gate = await tp.provisionDevice(communityId, 'gate');
    client = await tp.connectDevice(gate);
    await client.subscribeAsync(`v1/devices/${gate.id}/commands`, { qos: 1 });
    client.on('message', (_topic, payload) => commands.push(JSON.parse(payload.toString())));
  });
  afterAll(() => tp?.close());

  const slot = async (code: string, extra: Record<string, unknown> = {}) => {
    const res = await tp.api('POST', 'parking/slots', { communityId, code, location: `B1-${code}`, ownership: 'private', ownerId, ...extra });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };

  /** Publishes a vehicle event and returns the gate command that answers it. */
  const vehicle = async (plate: string, direction: 'in' | 'out', lane = direction === 'in' ? 'in-1' : 'out-1') => {
    const before = commands.length;
    await publishJson(client, `v1/devices/${gate.id}/events`, { type: 'vehicle', lane, direction, plate, confidence: 0.9 });
    await waitFor(() => commands.length > before, { message: `gate command for ${plate}` });
    return commands[before];
  };

  it('refuses fire-lane slots for sharing and booking, in code and in the database', async () => {
    const id = await slot('F1', { fireLane: true });
    expect((await tp.api('POST', `parking/slots/${id}/windows`, { weekly: allWeek }, ownerToken)).status).toBe(409);
    const now = Date.now();
    expect((await tp.api('POST', 'parking/bookings', { slotId: id, plate: '粤B12345', startsAt: now + 60_000, endsAt: now + 3600_000 }, guestToken)).status).toBe(409);
    // A slot with windows cannot be moved onto a fire lane afterwards (composite FK + CHECK).
    const other = await slot('F2');
    expect((await tp.api('POST', `parking/slots/${other}/windows`, { weekly: allWeek }, ownerToken)).status).toBe(200);
    expect((await tp.api('PATCH', `parking/slots/${other}`, { fireLane: true })).status).toBe(409);
    // Only the owner publishes windows of a private slot.
    expect((await tp.api('POST', `parking/slots/${other}/windows`, { weekly: allWeek }, guestToken)).status).toBe(403);
  });

  it('books within windows, refuses outside and overlapping, cancels by the rule', async () => {
    const id = await slot('S1');
    const now = Date.now();
    expect((await tp.api('POST', 'parking/bookings', { slotId: id, plate: '粤B11111', startsAt: now + 60_000, endsAt: now + 3600_000 }, guestToken)).status).toBe(409); // no windows yet
    expect((await tp.api('POST', `parking/slots/${id}/windows`, { weekly: allWeek }, ownerToken)).status).toBe(200);
    const search = await tp.api('GET', `parking/availability?communityId=${communityId}&from=${now + 60_000}&to=${now + 3600_000}`, undefined, guestToken);
    expect(search.status).toBe(200);
    expect(search.body.map((s: { id: string }) => s.id)).toContain(id);
    const b1 = await tp.api('POST', 'parking/bookings', { slotId: id, plate: '粤B11111', startsAt: now + 2 * 3600_000, endsAt: now + 3 * 3600_000 }, guestToken);
    expect(b1.status).toBe(201);
    const overlap = await tp.api('POST', 'parking/bookings', { slotId: id, plate: '粤B22222', startsAt: now + 2.5 * 3600_000, endsAt: now + 4 * 3600_000 }, ownerToken);
    expect(overlap.status).toBe(409);
    expect((await tp.api('POST', 'parking/bookings', { slotId: id, plate: 'nonsense', startsAt: now + 5 * 3600_000, endsAt: now + 6 * 3600_000 }, guestToken)).status).toBe(400);
    expect((await tp.api('POST', `parking/bookings/${b1.body.id}/cancel`, undefined, ownerToken)).status).toBe(403);
    const cancel = await tp.api('POST', `parking/bookings/${b1.body.id}/cancel`, undefined, guestToken);
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ status: 'cancelled', lateCancel: false });
    // The time is free again.
    expect((await tp.api('POST', 'parking/bookings', { slotId: id, plate: '粤B22222', startsAt: now + 2.5 * 3600_000, endsAt: now + 4 * 3600_000 }, ownerToken)).status).toBe(201);
  });

  it('1,000 simultaneous bookings of one slot: exactly one succeeds', async () => {
    const id = await slot('C1');
    await tp.api('POST', `parking/slots/${id}/windows`, { weekly: allWeek }, ownerToken);
    const start = Date.now() + 24 * 3600_000;
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        tp.api('POST', 'parking/bookings', { slotId: id, plate: '粤B33333', startsAt: start + (i % 7) * 60_000, endsAt: start + 3600_000 + (i % 5) * 60_000 }, guestToken),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(999);
  }, 600_000); // PGlite serialises the 1,000 transactions; on a loaded machine that takes minutes, not a failure

  it('a booked car arrives, the gate opens, it leaves, the session closes once and the bus says so', async () => {
    const id = await slot('G1');
    await tp.api('POST', `parking/slots/${id}/windows`, { weekly: allWeek }, ownerToken);
    const now = Date.now();
    const booking = await tp.api('POST', 'parking/bookings', { slotId: id, plate: '粤B·D12345', startsAt: now + 5 * 60_000, endsAt: now + 3600_000 }, guestToken);
    expect(booking.status).toBe(201);
    const bus = tp.platform.app.get(EventBusRepository);
    const closed: Array<{ sessionId: string; communityId: string }> = [];
    bus.on('parking.session.closed', (e) => closed.push(e));

    expect(await vehicle('粤BD12345', 'in')).toMatchObject({ cmd: 'open', lane: 'in-1', reason: 'booking' });
    const gateService = tp.platform.app.get(ParkingGateService);
    await gateService.settled();
    const sessions = await tp.api('GET', `parking/sessions?communityId=${communityId}`);
    expect(sessions.body.find((s: { plate: string }) => s.plate === '粤BD12345')).toMatchObject({ kind: 'booking', status: 'open', bookingId: booking.body.id });

    expect(await vehicle('粤BD12345', 'out')).toMatchObject({ cmd: 'open', reason: 'exit' });
    expect(await vehicle('粤BD12345', 'out')).toMatchObject({ cmd: 'open' }); // duplicate exit event
    await gateService.settled();
    expect(closed.filter((c) => c.communityId === communityId)).toHaveLength(1);
    const after = await tp.api('GET', `parking/sessions?communityId=${communityId}`);
    const mine = after.body.filter((s: { plate: string }) => s.plate === '粤BD12345');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ status: 'closed', overstayMinutes: 0 });
    expect(closed[0].sessionId).toBe(mine[0].id);
    const mineBookings = await tp.api('GET', 'parking/bookings/mine', undefined, guestToken);
    expect(mineBookings.body.find((b: { id: string }) => b.id === booking.body.id).status).toBe('completed');
  });

  it('opens for residents, emergency plates and the whitelist; holds visitors when no common slot is free', async () => {
    expect((await tp.api('POST', 'parking/vehicles', { communityId, plate: '粤B55555' }, ownerToken)).status).toBe(201);
    expect(await vehicle('粤B55555', 'in')).toMatchObject({ cmd: 'open', reason: 'resident' });
    expect(await vehicle('京X2345应急', 'in')).toMatchObject({ cmd: 'open', reason: 'emergency' });
    expect(await vehicle('粤B99999', 'in')).toMatchObject({ cmd: 'open', reason: 'emergency' });
    expect(await vehicle('粤B77777', 'in')).toMatchObject({ cmd: 'hold', reason: 'full' });
    const common = await tp.api('POST', 'parking/slots', { communityId, code: 'V1', location: 'surface', ownership: 'common' });
    expect(common.status).toBe(201);
    expect(await vehicle('粤B77777', 'in')).toMatchObject({ cmd: 'open', reason: 'visitor' });
    expect(await vehicle('粤B88888', 'in')).toMatchObject({ cmd: 'hold', reason: 'full' }); // the one common slot is taken
    await tp.platform.app.get(ParkingGateService).settled();
    const sessions = await tp.api('GET', `parking/sessions?communityId=${communityId}`);
    expect(sessions.body.find((s: { plate: string }) => s.plate === '京X2345应急')).toMatchObject({ kind: 'emergency' });
  });

  it('holds an unreadable plate, tells the dashboard, and a person opens it remotely (scope-checked, audited)', async () => {
    const socket = await tp.socket();
    const pending = nextEvent<{ pendingId: string; deviceId: string; communityId: string }>(socket, 'parking.gate.pending');
    expect(await vehicle('无牌车', 'in')).toMatchObject({ cmd: 'hold', reason: 'unreadable_plate' });
    const event = await pending;
    expect(event).toMatchObject({ deviceId: gate.id, communityId });
    // An owner may not open gates.
    expect((await tp.api('POST', `parking/gates/${gate.id}/open`, { lane: 'in-1', pendingId: event.pendingId }, ownerToken)).status).toBe(403);
    const before = commands.length;
    const res = await tp.api('POST', `parking/gates/${gate.id}/open`, { lane: 'in-1', pendingId: event.pendingId, plate: '粤B66666', note: 'guard read the plate' });
    expect(res.status).toBe(200);
    await waitFor(() => commands.length > before);
    expect(commands[before]).toMatchObject({ cmd: 'open', lane: 'in-1', reason: 'manual' });
    // The same pending decision cannot be resolved twice.
    expect((await tp.api('POST', `parking/gates/${gate.id}/open`, { lane: 'in-1', pendingId: event.pendingId })).status).toBe(404);
    expect((await tp.api('POST', 'parking/gates/no-such-gate/open', { lane: 'in-1' })).status).toBe(404);
  });

  it('a fire alarm switches the gates to free flow until it clears', async () => {
    const bus = tp.platform.app.get(EventBusRepository);
    const alarm = { alarmId: 'fa-1', deviceId: 'smoke-1', communityId, type: 'fire', severity: 1, state: 'raised', ts: Date.now() };
    expect(await vehicle('粤B44444', 'in')).toMatchObject({ cmd: 'hold' });
    bus.emit('alarm.raised', alarm);
    expect(await vehicle('粤B44444', 'in')).toMatchObject({ cmd: 'open', reason: 'fire_free_flow' });
    expect(await vehicle('无牌车', 'in')).toMatchObject({ cmd: 'open', reason: 'fire_free_flow' });
    bus.emit('alarm.cleared', { ...alarm, state: 'cleared' });
    expect(await vehicle('粤B43434', 'in')).toMatchObject({ cmd: 'hold' });
  });
});
