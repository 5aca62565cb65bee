import { Injectable } from '@nestjs/common';
import { sql, type Insertable, type Selectable } from 'kysely';
import type { Availability } from '../domain/parking-availability';
import { DatabaseRepository } from './database.repository';
import type { BookingStatus, ParkingBookingTable, ParkingExitHoldTable, ParkingSessionTable, ParkingSlotTable } from './parking.schema';

export type SlotRow = Selectable<ParkingSlotTable>;
export type BookingRow = Selectable<ParkingBookingTable>;
export type SessionRow = Selectable<ParkingSessionTable>;
export type ExitHoldRow = Selectable<ParkingExitHoldTable>;

/** PostgreSQL's exclusion_violation: another live booking of the slot overlaps. */
export function isExclusionViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '23P01';
}
/** check_violation (e.g. a fire-lane slot). */
export function isCheckViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '23514';
}

/** The parking tables (migrations/0004-parking.ts). */
@Injectable()
export class ParkingRepository {
  constructor(private readonly database: DatabaseRepository) {}

  private get db() {
    return this.database.db;
  }

  // ---- slots and windows
  insertSlot(values: Insertable<ParkingSlotTable>): Promise<SlotRow> {
    return this.db.insertInto('parking_slots').values(values).returningAll().executeTakeFirstOrThrow();
  }

  findSlot(id: string): Promise<SlotRow | undefined> {
    return this.db.selectFrom('parking_slots').selectAll().where('id', '=', id).executeTakeFirst();
  }

  updateSlot(id: string, values: Partial<Pick<SlotRow, 'fire_lane' | 'shareable' | 'location' | 'withdrawn_from'>>): Promise<SlotRow | undefined> {
    return this.db.updateTable('parking_slots').set(values).where('id', '=', id).returningAll().executeTakeFirst();
  }

  slotsOf(filter: { communityId?: string; ownerId?: string }): Promise<SlotRow[]> {
    let q = this.db.selectFrom('parking_slots').selectAll();
    if (filter.communityId) q = q.where('community_id', '=', filter.communityId);
    if (filter.ownerId) q = q.where('owner_id', '=', filter.ownerId);
    return q.orderBy('code').execute();
  }

  async replaceWindows(slotId: string, a: Omit<Availability, 'withdrawnFrom'>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('parking_share_windows').where('slot_id', '=', slotId).execute();
      const rows = [
        ...a.weekly.map((w) => ({ slot_id: slotId, kind: 'weekly' as const, weekday: w.weekday, on_date: null, start_minute: w.startMinute, end_minute: w.endMinute })),
        ...a.dates.map((d) => ({ slot_id: slotId, kind: 'date' as const, weekday: null, on_date: d.date, start_minute: d.startMinute, end_minute: d.endMinute })),
        ...a.exceptions.map((d) => ({ slot_id: slotId, kind: 'exception' as const, weekday: null, on_date: d.date, start_minute: d.startMinute, end_minute: d.endMinute })),
      ];
      if (rows.length > 0) await trx.insertInto('parking_share_windows').values(rows).execute();
    });
  }

  /** Availability of each slot (windows and withdrawal). */
  async availability(slots: SlotRow[]): Promise<Map<string, Availability>> {
    const result = new Map<string, Availability>();
    for (const s of slots) result.set(s.id, { weekly: [], dates: [], exceptions: [], withdrawnFrom: s.withdrawn_from ? new Date(s.withdrawn_from).getTime() : null });
    if (slots.length === 0) return result;
    const rows = await this.db
      .selectFrom('parking_share_windows')
      .select(['slot_id', 'kind', 'weekday', sql<string | null>`to_char(on_date, 'YYYY-MM-DD')`.as('on_date'), 'start_minute', 'end_minute'])
      .where(
        'slot_id',
        'in',
        slots.map((s) => s.id),
      )
      .execute();
    for (const r of rows) {
      const a = result.get(r.slot_id)!;
      if (r.kind === 'weekly') a.weekly.push({ weekday: r.weekday!, startMinute: r.start_minute, endMinute: r.end_minute });
      else (r.kind === 'date' ? a.dates : a.exceptions).push({ date: r.on_date!, startMinute: r.start_minute, endMinute: r.end_minute });
    }
    return result;
  }

  // ---- bookings
  /**
   * Inserts a booking. The exclusion constraint is the guarantee; taking the slot's row lock
   * first only queues concurrent requests for one slot, because concurrent inserts that
   * conflict on an exclusion constraint can otherwise wait on each other until PostgreSQL's
   * deadlock detector (1 s) aborts one of them.
   */
  insertBooking(values: Insertable<ParkingBookingTable>): Promise<BookingRow> {
    return this.db.transaction().execute(async (trx) => {
      await trx.selectFrom('parking_slots').select('id').where('id', '=', values.slot_id).forUpdate().execute();
      return trx.insertInto('parking_bookings').values(values).returningAll().executeTakeFirstOrThrow();
    });
  }

  findBooking(id: string): Promise<BookingRow | undefined> {
    return this.db.selectFrom('parking_bookings').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Moves a booking from one status to another; undefined when it was not in `from` (someone else moved it). */
  transitionBooking(id: string, from: BookingStatus[], values: Partial<Pick<BookingRow, 'status' | 'late_cancel' | 'cancelled_at' | 'cancel_reason' | 'overstay_notified_at'>>): Promise<BookingRow | undefined> {
    return this.db
      .updateTable('parking_bookings')
      .set(values)
      .where('id', '=', id)
      .where('status', 'in', from)
      .returningAll()
      .executeTakeFirst();
  }

  bookingsOfUser(userId: string): Promise<BookingRow[]> {
    return this.db.selectFrom('parking_bookings').selectAll().where('user_id', '=', userId).orderBy('starts_at', 'desc').limit(200).execute();
  }

  bookingsOfSlots(slotIds: string[], from?: Date): Promise<BookingRow[]> {
    if (slotIds.length === 0) return Promise.resolve([]);
    let q = this.db.selectFrom('parking_bookings').selectAll().where('slot_id', 'in', slotIds);
    if (from) q = q.where('blocked_until', '>', from);
    return q.orderBy('starts_at').limit(500).execute();
  }

  /** Live bookings overlapping [from, to) of the given slots. */
  async busySlotIds(slotIds: string[], from: Date, to: Date): Promise<Set<string>> {
    if (slotIds.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('parking_bookings')
      .select('slot_id')
      .where('slot_id', 'in', slotIds)
      .where('status', 'in', ['booked', 'active'])
      .where(sql<boolean>`period && tstzrange(${from}, ${to}, '[)')`)
      .execute();
    return new Set(rows.map((r) => r.slot_id));
  }

  /** Live bookings (booked or active) that end after `after`, for the gate cache. */
  liveBookings(after: Date): Promise<BookingRow[]> {
    return this.db.selectFrom('parking_bookings').selectAll().where('status', 'in', ['booked', 'active']).where('blocked_until', '>', after).execute();
  }

  liveBookingsFrom(slotId: string, from: Date): Promise<BookingRow[]> {
    return this.db.selectFrom('parking_bookings').selectAll().where('slot_id', '=', slotId).where('status', '=', 'booked').where('starts_at', '>=', from).execute();
  }

  // ---- vehicles, block list
  /**
   * Registers a resident plate. With a unit, the unit's row is locked while its approved plates
   * are counted, so two registrations at once cannot both take the last place of the quota:
   * within `quota` the plate is approved, beyond it pending. `approvedBy` (staff) approves it
   * whatever the count. A plate already registered in the community is returned as it is
   * (`created: false`) and left alone.
   */
  registerVehicle(v: { communityId: string; userId: string; plate: string; vehicleClass: 'small' | 'large'; unitId: string | null; quota: number; approvedBy: string | null }) {
    return this.db.transaction().execute(async (tx) => {
      const existing = await tx.selectFrom('parking_vehicles').selectAll().where('community_id', '=', v.communityId).where('plate', '=', v.plate).executeTakeFirst();
      if (existing) return { vehicle: existing, created: false };
      let status: 'approved' | 'pending' = 'approved';
      if (v.unitId && !v.approvedBy) {
        await tx.selectFrom('units').select('id').where('id', '=', v.unitId).forUpdate().executeTakeFirst();
        const { n } = await tx
          .selectFrom('parking_vehicles')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('unit_id', '=', v.unitId)
          .where('status', '=', 'approved')
          .executeTakeFirstOrThrow();
        if (Number(n) >= v.quota) status = 'pending';
      }
      const vehicle = await tx
        .insertInto('parking_vehicles')
        .values({
          community_id: v.communityId,
          user_id: v.userId,
          plate: v.plate,
          vehicle_class: v.vehicleClass,
          unit_id: v.unitId,
          status,
          decided_by: status === 'approved' ? v.approvedBy : null,
          decided_at: status === 'approved' && v.approvedBy ? new Date() : null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { vehicle, created: true };
    });
  }

  findVehicle(id: string) {
    return this.db.selectFrom('parking_vehicles').selectAll().where('id', '=', id).executeTakeFirst();
  }

  vehiclesOf(filter: { communityId: string; status?: 'approved' | 'pending' } | { userId: string }) {
    let query = this.db.selectFrom('parking_vehicles').selectAll().orderBy('created_at');
    if ('userId' in filter) query = query.where('user_id', '=', filter.userId);
    else {
      query = query.where('community_id', '=', filter.communityId);
      if (filter.status) query = query.where('status', '=', filter.status);
    }
    return query.execute();
  }

  approveVehicle(id: string, by: string, at: Date) {
    return this.db.updateTable('parking_vehicles').set({ status: 'approved', decided_by: by, decided_at: at }).where('id', '=', id).where('status', '=', 'pending').returningAll().executeTakeFirst();
  }

  deleteVehicle(id: string) {
    return this.db.deleteFrom('parking_vehicles').where('id', '=', id).returningAll().executeTakeFirst();
  }

  /** Plates that pass the gate as residents: approved ones only. */
  vehicles() {
    return this.db.selectFrom('parking_vehicles').select(['community_id', 'plate', 'user_id']).where('status', '=', 'approved').execute();
  }

  blockedPlates() {
    return this.db.selectFrom('parking_blocked_plates').select(['community_id', 'plate']).execute();
  }

  async block(communityId: string, plate: string, reason: string): Promise<void> {
    await this.db.insertInto('parking_blocked_plates').values({ community_id: communityId, plate, reason }).onConflict((oc) => oc.doNothing()).execute();
  }

  async unblock(communityId: string, plate: string): Promise<void> {
    await this.db.deleteFrom('parking_blocked_plates').where('community_id', '=', communityId).where('plate', '=', plate).execute();
  }

  blockedPlatesOf(communityId: string) {
    return this.db.selectFrom('parking_blocked_plates').selectAll().where('community_id', '=', communityId).orderBy('blocked_at', 'desc').execute();
  }

  /** Lifts a block; the removed row, or undefined when the plate was not blocked. */
  removeBlock(communityId: string, plate: string) {
    return this.db.deleteFrom('parking_blocked_plates').where('community_id', '=', communityId).where('plate', '=', plate).returningAll().executeTakeFirst();
  }

  commonSlotCounts() {
    return this.db
      .selectFrom('parking_slots')
      .select(['community_id', sql<string>`count(*)`.as('n')])
      .where('ownership', '=', 'common')
      .where('fire_lane', '=', false)
      .groupBy('community_id')
      .execute();
  }

  // ---- sessions
  /** Opens a session; undefined when this plate already has one open (duplicate entry event). */
  openSession(values: Insertable<ParkingSessionTable>): Promise<SessionRow | undefined> {
    return this.db
      .insertInto('parking_sessions')
      .values(values)
      .onConflict((oc) => oc.columns(['community_id', 'plate']).where('status', '=', 'open').doNothing())
      .returningAll()
      .executeTakeFirst();
  }

  /** Closes the open session of a plate; undefined when none is open (a duplicate exit event). Idempotent. */
  closeSession(communityId: string, plate: string, exit: { at: Date; lane: string | null; deviceId: string | null }): Promise<SessionRow | undefined> {
    return this.db
      .updateTable('parking_sessions')
      .set({ status: 'closed', exit_at: exit.at, exit_lane: exit.lane, exit_device_id: exit.deviceId })
      .where('community_id', '=', communityId)
      .where('plate', '=', plate)
      .where('status', '=', 'open')
      .returningAll()
      .executeTakeFirst();
  }

  async setOverstay(sessionId: string, minutes: number): Promise<void> {
    await this.db.updateTable('parking_sessions').set({ overstay_minutes: minutes }).where('id', '=', sessionId).execute();
  }

  openSessions() {
    return this.db.selectFrom('parking_sessions').select(['id', 'community_id', 'plate', 'kind', 'booking_id', 'slot_id']).where('status', '=', 'open').execute();
  }

  sessions(communityId: string, limit: number) {
    return this.db.selectFrom('parking_sessions').selectAll().where('community_id', '=', communityId).orderBy('entry_at', 'desc').limit(limit).execute();
  }

  findSession(id: string) {
    return this.db.selectFrom('parking_sessions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  // ---- overstays
  async recordOverstayDue(booking: BookingRow, dueAt: Date): Promise<boolean> {
    const row = await this.db
      .insertInto('parking_overstays')
      .values({ community_id: booking.community_id, booking_id: booking.id, plate: booking.plate, due_at: dueAt })
      .onConflict((oc) => oc.column('booking_id').doNothing())
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  }

  async finishOverstay(bookingId: string, sessionId: string, exitAt: Date, minutes: number): Promise<void> {
    await this.db
      .insertInto('parking_overstays')
      .values({ community_id: sql`(select community_id from parking_bookings where id = ${bookingId})`, booking_id: bookingId, plate: sql`(select plate from parking_bookings where id = ${bookingId})`, due_at: exitAt, session_id: sessionId, exit_at: exitAt, minutes })
      .onConflict((oc) => oc.column('booking_id').doUpdateSet({ session_id: sessionId, exit_at: exitAt, minutes }))
      .execute();
  }

  async overstayCount(communityId: string, plate: string): Promise<number> {
    const row = await this.db
      .selectFrom('parking_overstays')
      .select(sql<string>`count(*)`.as('n'))
      .where('community_id', '=', communityId)
      .where('plate', '=', plate)
      .where('minutes', '>', 0)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async recordGateEvent(values: { at: Date; community_id: string; device_id: string; lane: string; direction: string; raw_plate: string; plate: string; plate_kind: string; cmd: string; reason: string; actor_id: string | null }): Promise<void> {
    await this.db.insertInto('parking_gate_events').values(values).execute();
  }

  /** The latest stay of a booking (its car entered on it). */
  sessionOfBooking(bookingId: string): Promise<SessionRow | undefined> {
    return this.db.selectFrom('parking_sessions').selectAll().where('booking_id', '=', bookingId).orderBy('entry_at', 'desc').limit(1).executeTakeFirst();
  }

  // ---- exit lanes held for payment (migrations/0023-exit-holds.ts)
  /** The plate's latest stay when it has ended since `since` (a car read again at the exit after its session closed). */
  latestClosedSession(communityId: string, plate: string, since: Date): Promise<SessionRow | undefined> {
    return this.db
      .selectFrom('parking_sessions')
      .selectAll()
      .where('community_id', '=', communityId)
      .where('plate', '=', plate)
      .orderBy('entry_at', 'desc')
      .limit(1)
      .executeTakeFirst()
      .then((s) => (s && s.status === 'closed' && s.exit_at && new Date(s.exit_at).getTime() >= since.getTime() ? s : undefined));
  }

  /**
   * Records the hold of a bill's lane, once per bill: a second read of the plate while still
   * waiting moves the hold to the lane that read it last (where the 'open' will go).
   */
  async holdExit(values: Omit<Insertable<ParkingExitHoldTable>, 'released_at' | 'released_by' | 'release_command_id'>): Promise<void> {
    await this.db
      .insertInto('parking_exit_holds')
      .values(values)
      .onConflict((oc) => oc.column('bill_id').doUpdateSet({ device_id: values.device_id, lane: values.lane }).where('parking_exit_holds.released_at', 'is', null))
      .execute();
  }

  exitHold(billId: string): Promise<ExitHoldRow | undefined> {
    return this.db.selectFrom('parking_exit_holds').selectAll().where('bill_id', '=', billId).executeTakeFirst();
  }

  /**
   * Claims the held lanes whose bill is now paid in full (one bill, or all of them for the sweep):
   * each row is released once, whatever the number of processes, notifications or sweeps.
   */
  claimPaidHolds(at: Date, billId?: string): Promise<ExitHoldRow[]> {
    let q = this.db
      .updateTable('parking_exit_holds as h')
      .from('parking_bills as b')
      .set({ released_at: at, released_by: 'paid', release_command_id: sql<string>`gen_random_uuid()::text` })
      .whereRef('b.id', '=', 'h.bill_id')
      .where('h.released_at', 'is', null)
      .where(sql<boolean>`b.amount_fen > 0 AND b.paid_fen - b.refunded_fen >= b.amount_fen`);
    if (billId) q = q.where('h.bill_id', '=', billId);
    return q.returningAll('h').execute();
  }

  /** Staff let the plate out by hand, or a fire opened every lane: its waiting holds are released (without a second 'open' later). */
  releaseHolds(communityId: string, by: 'manual' | 'fire', at: Date, plate?: string): Promise<ExitHoldRow[]> {
    let q = this.db
      .updateTable('parking_exit_holds')
      .set({ released_at: at, released_by: by, release_command_id: sql<string>`gen_random_uuid()::text` })
      .where('community_id', '=', communityId)
      .where('released_at', 'is', null);
    if (plate !== undefined) q = q.where('plate', '=', plate);
    return q.returningAll().execute();
  }

  /** The 'open' of a claimed hold could not be sent: back to waiting, for the next sweep. */
  async unclaimHold(billId: string, commandId: string): Promise<void> {
    await this.db.updateTable('parking_exit_holds').set({ released_at: null, released_by: null, release_command_id: null }).where('bill_id', '=', billId).where('release_command_id', '=', commandId).execute();
  }
}
