import { BadRequestException, ConflictException, ForbiddenException, Injectable, Logger } from '@nestjs/common';
import type { CreateBookingRequest, CreateSlotRequest, ShareWindowsRequest } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { availableIntervals, isAvailable, type Availability } from '../domain/parking-availability';
import { can, Permission } from '../domain/permissions';
import { cancellation } from '../domain/parking-rules';
import { parsePlate } from '../domain/plates';
import { AuditRepository } from '../repositories/audit.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { RedisRepository } from '../repositories/redis.repository';
import { jobIds, noShowJob, overstayJob } from '../repositories/job-catalogue';
import { JobRepository } from '../repositories/job.repository';
import { isExclusionViolation, isCheckViolation, ParkingRepository, type BookingRow, type SlotRow } from '../repositories/parking.repository';
import { WebsocketRepository } from '../repositories/websocket.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';
import { ParkingGateService } from './parking-gate.service';

const MAX_BOOKING_MS = 7 * 24 * 3600_000;

export function slotDto(s: SlotRow, availability?: Availability) {
  return {
    id: s.id,
    communityId: s.community_id,
    code: s.code,
    location: s.location,
    ownership: s.ownership,
    ownerId: s.owner_id,
    fireLane: s.fire_lane,
    shareable: s.shareable,
    withdrawnFrom: s.withdrawn_from ? new Date(s.withdrawn_from).toISOString() : null,
    ...(availability ? { windows: { weekly: availability.weekly, dates: availability.dates, exceptions: availability.exceptions } } : {}),
  };
}

export function bookingDto(b: BookingRow) {
  return {
    id: b.id,
    communityId: b.community_id,
    slotId: b.slot_id,
    userId: b.user_id,
    plate: b.plate,
    vehicleClass: b.vehicle_class,
    startsAt: new Date(b.starts_at).toISOString(),
    endsAt: new Date(b.ends_at).toISOString(),
    arrivalGraceMin: b.arrival_grace_min,
    departureGraceMin: b.departure_grace_min,
    status: b.status,
    lateCancel: b.late_cancel,
  };
}

/**
 * Slots, share windows and bookings (domain rules §4.4). No two live bookings of a slot overlap:
 * the database refuses it (exclusion constraint), whatever the concurrency; 23P01 becomes 409.
 */
@Injectable()
export class ParkingBookingService {
  private readonly logger = new Logger(ParkingBookingService.name);

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly repo: ParkingRepository,
    private readonly access: AccessService,
    private readonly audit: AuditRepository,
    private readonly clock: ClockRepository,
    private readonly jobs: JobRepository,
    private readonly ws: WebsocketRepository,
    private readonly gate: ParkingGateService,
    private readonly redis: RedisRepository,
  ) {
    this.jobs.handle(noShowJob, ({ bookingId }) => this.releaseNoShow(bookingId));
    this.jobs.handle(overstayJob, ({ bookingId }) => this.checkOverstay(bookingId));
  }

  // ---- slots
  async createSlot(user: AuthUser, dto: CreateSlotRequest) {
    await this.access.requireInScope(user, dto.communityId);
    try {
      const slot = await this.repo.insertSlot({
        community_id: dto.communityId,
        code: dto.code,
        location: dto.location,
        ownership: dto.ownership,
        owner_id: dto.ownerId ?? null,
        fire_lane: dto.fireLane,
        shareable: !dto.fireLane,
      });
      await this.audit.record({ actorId: user.id, action: 'parking.slot.created', subjectType: 'parking_slot', subjectId: slot.id, detail: { code: slot.code, fireLane: slot.fire_lane } });
      await this.gate.refresh();
      return slotDto(slot);
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw new ConflictException(`slot ${dto.code} exists`);
      if ((error as { code?: string }).code === '23503') throw new BadRequestException('owner does not exist');
      throw error;
    }
  }

  /** Marks a slot as on a fire lane (or not). Refused while it has windows or live bookings. */
  async updateSlot(user: AuthUser, id: string, dto: { fireLane?: boolean; location?: string }) {
    const slot = await this.slotFor(user, id);
    try {
      const updated = await this.repo.updateSlot(id, {
        ...(dto.location ? { location: dto.location } : {}),
        ...(dto.fireLane === undefined ? {} : { fire_lane: dto.fireLane, shareable: !dto.fireLane }),
      });
      await this.audit.record({ actorId: user.id, action: 'parking.slot.updated', subjectType: 'parking_slot', subjectId: slot.id, detail: dto });
      await this.gate.refresh();
      return slotDto(updated!);
    } catch (error) {
      if (isCheckViolation(error) || (error as { code?: string }).code === '23503') {
        throw new ConflictException('a slot with share windows or bookings cannot be put on a fire lane; withdraw them first');
      }
      throw error;
    }
  }

  async listSlots(user: AuthUser, communityId: string) {
    await this.access.requireInScope(user, communityId);
    const slots = await this.repo.slotsOf({ communityId });
    const availability = await this.repo.availability(slots);
    return slots.map((s) => slotDto(s, availability.get(s.id)));
  }

  async mySlots(user: AuthUser) {
    const slots = await this.repo.slotsOf({ ownerId: user.id });
    const availability = await this.repo.availability(slots);
    const bookings = await this.repo.bookingsOfSlots(
      slots.map((s) => s.id),
      new Date(this.clock.now() - 24 * 3600_000),
    );
    return slots.map((s) => ({ ...slotDto(s, availability.get(s.id)), bookings: bookings.filter((b) => b.slot_id === s.id).map(bookingDto) }));
  }

  /** The slot's owner (private) or staff (common) publishes its weekly windows, dates and exceptions. */
  async setWindows(user: AuthUser, slotId: string, dto: ShareWindowsRequest) {
    const slot = await this.slotFor(user, slotId);
    this.requireSlotManager(user, slot);
    if (slot.fire_lane) throw new ConflictException('a slot on a fire lane can never be shared');
    try {
      await this.repo.replaceWindows(slotId, dto);
    } catch (error) {
      if (isCheckViolation(error)) throw new ConflictException('a slot on a fire lane can never be shared');
      throw error;
    }
    // Publishing again lifts an earlier withdrawal.
    if (slot.withdrawn_from) await this.repo.updateSlot(slotId, { withdrawn_from: null });
    await this.audit.record({ actorId: user.id, action: 'parking.windows.set', subjectType: 'parking_slot', subjectId: slotId, detail: { weekly: dto.weekly.length, dates: dto.dates.length, exceptions: dto.exceptions.length } });
    const fresh = (await this.repo.findSlot(slotId))!;
    return slotDto(fresh, (await this.repo.availability([fresh])).get(slotId));
  }

  /** Withdraws availability from `from` (default now). Existing bookings stay or are cancelled with notice (PARKING_WITHDRAW_RULE). */
  async withdraw(user: AuthUser, slotId: string, from?: number) {
    const slot = await this.slotFor(user, slotId);
    this.requireSlotManager(user, slot);
    const at = new Date(Math.max(from ?? this.clock.now(), this.clock.now()));
    await this.repo.updateSlot(slotId, { withdrawn_from: at });
    const cancelled: string[] = [];
    if (this.config.parking.withdrawRule === 'cancel') {
      for (const b of await this.repo.liveBookingsFrom(slotId, at)) {
        const row = await this.repo.transitionBooking(b.id, ['booked'], { status: 'cancelled', cancelled_at: new Date(this.clock.now()), cancel_reason: 'withdrawn_by_owner' });
        if (!row) continue;
        cancelled.push(row.id);
        await this.afterRelease(row, 'withdrawn_by_owner');
      }
    }
    await this.audit.record({ actorId: user.id, action: 'parking.windows.withdrawn', subjectType: 'parking_slot', subjectId: slotId, detail: { from: at.toISOString(), rule: this.config.parking.withdrawRule, cancelled } });
    return { slotId, withdrawnFrom: at.toISOString(), rule: this.config.parking.withdrawRule, cancelledBookings: cancelled };
  }

  // ---- search and booking
  async search(user: AuthUser, communityId: string, from: number, to: number) {
    await this.access.requireInScope(user, communityId);
    this.checkRange(from, to);
    const slots = (await this.repo.slotsOf({ communityId })).filter((s) => s.shareable && !s.fire_lane);
    const availability = await this.repo.availability(slots);
    const busy = await this.repo.busySlotIds(
      slots.map((s) => s.id),
      new Date(from),
      new Date(to + this.config.parking.departureGraceMin * 60_000),
    );
    return slots
      .filter((s) => !busy.has(s.id) && this.slotAvailable(s, availability.get(s.id)!, from, to))
      .map((s) => ({ ...slotDto(s), freeIntervals: availableIntervals(availability.get(s.id)!, from, to, this.config.timeZone) }));
  }

  async book(user: AuthUser, dto: CreateBookingRequest) {
    const { startsAt, endsAt } = dto;
    this.checkRange(startsAt, endsAt);
    const now = this.clock.now();
    if (startsAt < now - 60_000) throw new BadRequestException('a booking cannot start in the past');
    const found = await this.repo.findSlot(dto.slotId);
    await this.access.requireInScope(user, found?.community_id, `slot ${dto.slotId}`);
    const slot = found!;
    if (slot.fire_lane || !slot.shareable) throw new ConflictException('this slot is on a fire lane and can never be booked');
    const availability = (await this.repo.availability([slot])).get(slot.id)!;
    if (!this.slotAvailable(slot, availability, startsAt, endsAt)) throw new ConflictException('the slot is not shared for the whole of this time');
    const plate = parsePlate(dto.plate);
    if (plate.kind === 'unknown') throw new BadRequestException({ message: 'plate is not a valid GA 36 plate', errors: [{ path: ['plate'], message: 'invalid plate' }] });
    const { arrivalGraceMin, departureGraceMin } = this.config.parking;
    let row: BookingRow;
    try {
      row = await this.repo.insertBooking({
        community_id: slot.community_id,
        slot_id: slot.id,
        user_id: user.id,
        plate: plate.plate,
        vehicle_class: plate.vehicleClass,
        starts_at: new Date(startsAt),
        ends_at: new Date(endsAt),
        arrival_grace_min: arrivalGraceMin,
        departure_grace_min: departureGraceMin,
        blocked_until: new Date(endsAt + departureGraceMin * 60_000),
      });
    } catch (error) {
      if (isExclusionViolation(error)) throw new ConflictException('the slot is already booked for part of this time');
      if (isCheckViolation(error)) throw new ConflictException('this slot is on a fire lane and can never be booked');
      throw error;
    }
    this.gate.bookingChanged(row);
    await this.jobs.add(noShowJob, { bookingId: row.id }, { jobId: jobIds.noShow(row.id), delay: Math.max(0, startsAt + arrivalGraceMin * 60_000 - now) });
    await this.jobs.add(overstayJob, { bookingId: row.id }, { jobId: jobIds.overstay(row.id), delay: Math.max(0, endsAt + departureGraceMin * 60_000 - now) });
    await this.audit.record({ actorId: user.id, action: 'parking.booking.created', subjectType: 'parking_booking', subjectId: row.id, detail: { slotId: slot.id, plate: row.plate } });
    return bookingDto(row);
  }

  async myBookings(user: AuthUser) {
    return (await this.repo.bookingsOfUser(user.id)).map(bookingDto);
  }

  async cancel(user: AuthUser, bookingId: string) {
    const found = await this.repo.findBooking(bookingId);
    await this.access.requireInScope(user, found?.community_id, `booking ${bookingId}`);
    const booking = found!;
    if (booking.user_id !== user.id && !can(user, Permission.ParkingBookingManage)) throw new ForbiddenException('only the guest or property staff may cancel a booking');
    if (booking.status !== 'booked') throw new ConflictException(`booking is ${booking.status}`);
    const outcome = cancellation(new Date(booking.starts_at).getTime(), this.clock.now(), this.config.parking.cancelFreeMinutes);
    if (!outcome.ok) throw new ConflictException(outcome.reason);
    const row = await this.repo.transitionBooking(bookingId, ['booked'], { status: 'cancelled', late_cancel: outcome.late, cancelled_at: new Date(this.clock.now()), cancel_reason: 'guest' });
    if (!row) throw new ConflictException('booking changed meanwhile');
    await this.afterRelease(row, 'guest');
    await this.audit.record({ actorId: user.id, action: 'parking.booking.cancelled', subjectType: 'parking_booking', subjectId: row.id, detail: { late: outcome.late } });
    return bookingDto(row);
  }

  // ---- jobs
  async releaseNoShow(bookingId: string): Promise<void> {
    const row = await this.repo.transitionBooking(bookingId, ['booked'], { status: 'no_show' });
    if (!row) return; // arrived, cancelled or already released
    this.gate.bookingChanged(row);
    await this.jobs.cancel(overstayJob.queue, jobIds.overstay(bookingId));
    await this.audit.record({ actorId: null, action: 'parking.booking.no_show', subjectType: 'parking_booking', subjectId: bookingId, detail: {} });
    // The guest learns that the slot was released, like any other cancellation.
    this.ws.emitToCommunity(row.community_id, 'parking.booking.cancelled', {
      communityId: row.community_id,
      bookingId: row.id,
      userId: row.user_id,
      reason: 'no_show',
      ts: this.clock.now(),
    });
  }

  /**
   * The slot's owner (property staff for a common slot) needs the slot back. The flag is kept
   * with the booking (in Redis, until a week after its end). A guest already past end + grace is
   * told at once; otherwise the overstay job tells them at end + grace if the car is still there.
   */
  async reclaim(user: AuthUser, bookingId: string) {
    const found = await this.repo.findBooking(bookingId);
    await this.access.requireInScope(user, found?.community_id, `booking ${bookingId}`);
    const booking = found!;
    const slot = await this.slotFor(user, booking.slot_id);
    this.requireSlotManager(user, slot);
    if (booking.status !== 'booked' && booking.status !== 'active') throw new ConflictException(`booking is ${booking.status}`);
    const now = this.clock.now();
    const dueAt = new Date(booking.blocked_until).getTime();
    const ttl = Math.max(86_400, Math.ceil((dueAt - now) / 1000) + 7 * 86_400);
    const first = await this.redis.markSlotReclaimed(bookingId, JSON.stringify({ by: user.id, at: now }), ttl);
    const overstaying = booking.status === 'active' && now >= dueAt;
    let guestNotified = false;
    if (first && overstaying) {
      await this.repo.recordOverstayDue(booking, new Date(dueAt));
      await this.notifyOverstay(booking, true);
      guestNotified = true;
    }
    if (first) await this.audit.record({ actorId: user.id, action: 'parking.booking.reclaimed', subjectType: 'parking_booking', subjectId: bookingId, detail: { slotId: booking.slot_id, plate: booking.plate, overstaying } });
    return { bookingId, slotId: booking.slot_id, ownerNeedsSlot: true, alreadyRequested: !first, overstaying, guestNotified, dueAt: new Date(dueAt).toISOString() };
  }

  /**
   * At end + departure grace: a car still inside overstays; it is recorded (billed at the penalty
   * rate at exit) and the guest is told, whether or not the owner asked for the slot back (the
   * notice says which: `ownerNeedsSlot`).
   */
  async checkOverstay(bookingId: string): Promise<void> {
    const booking = await this.repo.findBooking(bookingId);
    if (!booking || booking.status !== 'active') return;
    const dueAt = new Date(booking.blocked_until);
    if (!(await this.repo.recordOverstayDue(booking, dueAt))) return;
    const ownerNeedsSlot = await this.redis.isSlotReclaimed(bookingId);
    await this.notifyOverstay(booking, ownerNeedsSlot);
  }

  private async notifyOverstay(booking: BookingRow, ownerNeedsSlot: boolean): Promise<void> {
    await this.repo.transitionBooking(booking.id, ['active'], { overstay_notified_at: new Date(this.clock.now()) });
    this.ws.emitToCommunity(booking.community_id, 'parking.overstay', {
      communityId: booking.community_id,
      bookingId: booking.id,
      slotId: booking.slot_id,
      plate: booking.plate,
      userId: booking.user_id,
      dueAt: new Date(booking.blocked_until).getTime(),
      ownerNeedsSlot,
      ts: this.clock.now(),
    });
    await this.audit.record({ actorId: null, action: 'parking.booking.overstay', subjectType: 'parking_booking', subjectId: booking.id, detail: { plate: booking.plate, ownerNeedsSlot } });
  }

  private async afterRelease(row: BookingRow, reason: string): Promise<void> {
    this.gate.bookingChanged(row);
    await this.jobs.cancel(noShowJob.queue, jobIds.noShow(row.id));
    await this.jobs.cancel(overstayJob.queue, jobIds.overstay(row.id));
    this.ws.emitToCommunity(row.community_id, 'parking.booking.cancelled', { communityId: row.community_id, bookingId: row.id, userId: row.user_id, reason, ts: this.clock.now() });
  }

  private slotAvailable(slot: SlotRow, availability: Availability, from: number, to: number): boolean {
    if (slot.ownership === 'common') {
      const withdrawn = availability.withdrawnFrom;
      return withdrawn == null || to <= withdrawn;
    }
    return isAvailable(availability, from, to, this.config.timeZone);
  }

  private checkRange(from: number, to: number): void {
    if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) throw new BadRequestException('the end must come after the start');
    if (to - from > MAX_BOOKING_MS) throw new BadRequestException('at most 7 days at a time');
  }

  private async slotFor(user: AuthUser, slotId: string): Promise<SlotRow> {
    const slot = await this.repo.findSlot(slotId);
    await this.access.requireInScope(user, slot?.community_id, `slot ${slotId}`);
    return slot!;
  }

  private requireSlotManager(user: AuthUser, slot: SlotRow): void {
    if (slot.ownership === 'private' ? slot.owner_id === user.id : can(user, Permission.ParkingSlotManage)) return;
    throw new ForbiddenException(slot.ownership === 'private' ? "only the slot's owner may share it" : 'only property staff manage common slots');
  }
}
