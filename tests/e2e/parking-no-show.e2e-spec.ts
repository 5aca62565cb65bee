/**
 * No-show release after the arrival grace, on real time with PARKING_ARRIVAL_GRACE_MIN=0 (the
 * grace is whole minutes, 0 allowed): the no-show job is delayed to start + grace. A booking
 * starting a few seconds ahead whose car never comes becomes `no_show`, its overstay job is
 * removed, the release is audited and the slot is searchable and bookable again for that time.
 * A booking whose car entered before the deadline is left alone by the same job.
 */
import { Queue } from 'bullmq';
import type { MqttClient } from 'mqtt';
import { DatabaseRepository } from '../../apps/platform/src/repositories/database.repository';
import { publishJson, startTestPlatform, type TestPlatform } from '../support/platform';
import { testServices } from '../support/test-services';
import { nextEvent, waitFor } from '../support/wait';

const allWeek = [0, 1, 2, 3, 4, 5, 6].map((weekday) => ({ weekday, startMinute: 0, endMinute: 1440 }));

describe('parking no-show release after the arrival grace (PGlite)', () => {
  let tp: TestPlatform;
  let queue: Queue;
  let communityId: string;
  let guestToken: string;
  let otherToken: string;
  let slotId: string;
  let slot2Id: string;

  const db = () => tp.platform.app.get(DatabaseRepository).db;
  const myBooking = async (token: string, id: string) => ((await tp.api('GET', 'parking/bookings/mine', undefined, token)).body as Array<{ id: string; status: string }>).find((b) => b.id === id);
  const jobState = async (jobId: string) => (await queue.getJob(jobId))?.getState();

  beforeAll(async () => {
    tp = await startTestPlatform({ env: { PARKING_ARRIVAL_GRACE_MIN: '0' } });
    queue = new Queue('parking', { connection: { url: testServices().redisUrl }, prefix: `${tp.redisPrefix}:bull` });
    tp.defer(() => queue.close());
    communityId = (await tp.createCommunity()).id;
    const mk = async (username: string) => {
      const res = await tp.api('POST', 'users', { username, password: 'user-pass-123', role: 'owner', scope: { level: 'community', communityIds: [communityId] } });
      expect(res.status).toBe(201);
      return { id: res.body.id as string, token: await tp.login(username, 'user-pass-123') };
    };
    const owner = await mk('ns-owner');
    guestToken = (await mk('ns-guest')).token;
    otherToken = (await mk('ns-other')).token;
    const slot = await tp.api('POST', 'parking/slots', { communityId, code: 'NS1', location: 'B1-NS1', ownership: 'private', ownerId: owner.id });
    expect(slot.status).toBe(201);
    slotId = slot.body.id;
    expect((await tp.api('POST', `parking/slots/${slotId}/windows`, { weekly: allWeek }, owner.token)).status).toBe(200);
    const slot2 = await tp.api('POST', 'parking/slots', { communityId, code: 'NS2', location: 'B1-NS2', ownership: 'private', ownerId: owner.id });
    expect(slot2.status).toBe(201);
    slot2Id = slot2.body.id;
    expect((await tp.api('POST', `parking/slots/${slot2Id}/windows`, { weekly: allWeek }, owner.token)).status).toBe(200);
  }, 60_000);
  afterAll(() => tp?.close());

  it('releases a booking whose car never arrives; the slot is bookable again for that time', async () => {
    const startsAt = Date.now() + 3_000;
    const endsAt = startsAt + 3600_000;
    const created = await tp.api('POST', 'parking/bookings', { slotId, plate: '粤B31313', startsAt, endsAt }, guestToken);
    expect(created.status).toBe(201);
    const bookingId: string = created.body.id;
    expect(created.body).toMatchObject({ status: 'booked', arrivalGraceMin: 0 });

    // While it is booked the slot is taken for that time.
    expect((await tp.api('POST', 'parking/bookings', { slotId, plate: '粤B42424', startsAt, endsAt }, otherToken)).status).toBe(409);
    expect((await tp.api('GET', `parking/availability?communityId=${communityId}&from=${startsAt}&to=${endsAt}`, undefined, otherToken)).body.map((s: { id: string }) => s.id)).not.toContain(slotId);
    expect(await jobState(`noshow-${bookingId}`)).toBe('delayed');
    expect(await jobState(`overstay-${bookingId}`)).toBe('delayed');
    const guestSocket = await tp.socket(guestToken);
    const notice = nextEvent<{ bookingId: string; reason: string }>(guestSocket, 'parking.booking.cancelled', 15_000);

    // start + 0 min grace passes, nobody came: released as a no-show.
    const released = await waitFor(async () => ((await myBooking(guestToken, bookingId))?.status === 'no_show' ? true : undefined), { timeoutMs: 15_000, message: 'no-show release' });
    expect(released).toBe(true);
    // The booking reads as released once the job's transaction commits; BullMQ marks the job
    // completed only after its processor returns, a moment later.
    expect(await waitFor(async () => ((await jobState(`noshow-${bookingId}`)) === 'completed' ? true : undefined), { timeoutMs: 15_000, message: 'no-show job completed' })).toBe(true);
    // The overstay job of a released booking is removed.
    expect(await queue.getJob(`overstay-${bookingId}`)).toBeUndefined();

    // The guest is told, and the release is audited.
    expect(await notice).toMatchObject({ bookingId, reason: 'no_show' });
    const audit = await db().selectFrom('audit_log').selectAll().where('action', '=', 'parking.booking.no_show').where('subject_id', '=', bookingId).execute();
    expect(audit).toHaveLength(1);

    // The slot is found and bookable again for the same time.
    const search = await tp.api('GET', `parking/availability?communityId=${communityId}&from=${startsAt}&to=${endsAt}`, undefined, otherToken);
    expect(search.status).toBe(200);
    expect(search.body.map((s: { id: string }) => s.id)).toContain(slotId);
    const again = await tp.api('POST', 'parking/bookings', { slotId, plate: '粤B42424', startsAt, endsAt }, otherToken);
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ status: 'booked' });
    // A released booking can no longer be cancelled.
    expect((await tp.api('POST', `parking/bookings/${bookingId}/cancel`, undefined, guestToken)).status).toBe(409);
  }, 60_000);

  it('keeps a booking whose car entered before the deadline', async () => {
    const gate = await tp.provisionDevice(communityId, 'gate');
    const client: MqttClient = await tp.connectDevice(gate);
    const commands: Array<{ cmd: string; reason: string }> = [];
    await client.subscribeAsync(`v1/devices/${gate.id}/commands`, { qos: 1 });
    client.on('message', (_topic, payload) => commands.push(JSON.parse(payload.toString())));

    const plate = '粤B53535';
    const startsAt = Date.now() + 3_000;
    const created = await tp.api('POST', 'parking/bookings', { slotId: slot2Id, plate, startsAt, endsAt: startsAt + 3600_000 }, guestToken);
    expect(created.status).toBe(201);
    const bookingId: string = created.body.id;
    await publishJson(client, `v1/devices/${gate.id}/events`, { type: 'vehicle', lane: 'in-1', direction: 'in', plate, confidence: 0.9 });
    await waitFor(() => commands.length > 0, { message: 'gate command' });
    expect(commands[0]).toMatchObject({ cmd: 'open', reason: 'booking' });
    await waitFor(async () => (await myBooking(guestToken, bookingId))?.status === 'active', { message: 'booking active' });

    // The no-show job runs at start + grace and leaves the arrived booking alone.
    await waitFor(async () => (await jobState(`noshow-${bookingId}`)) === 'completed', { timeoutMs: 15_000, message: 'no-show job ran' });
    expect((await myBooking(guestToken, bookingId))?.status).toBe('active');
    expect(await jobState(`overstay-${bookingId}`)).toBe('delayed');
    const audit = await db().selectFrom('audit_log').selectAll().where('action', '=', 'parking.booking.no_show').where('subject_id', '=', bookingId).execute();
    expect(audit).toHaveLength(0);
  }, 60_000);
});
