/**
 * Booking rules of time-shared parking (domain rules §4.4) in the service, with every repository
 * mocked (tests/support/new-test-service.ts): who may book and cancel what, and when.
 */
import { BadRequestException, ConflictException, ForbiddenException } from '@nestjs/common';
import { newTestService } from '../../../../tests/support/new-test-service';
import type { PlatformConfig } from '../config/config';
import { PLATFORM_CONFIG } from '../config/config.provider';
import { ClockRepository } from '../repositories/clock.repository';
import { JobRepository } from '../repositories/job.repository';
import { ParkingRepository, type BookingRow, type SlotRow } from '../repositories/parking.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';
import { ParkingBookingService } from './parking-booking.service';

const NOW = Date.parse('2026-05-04T02:00:00Z'); // a Monday, 10:00 in Shanghai
const HOUR = 3600_000;
const guest: AuthUser = { id: 'u-guest', username: 'guest', role: 'owner', scope: { level: 'community', communityIds: ['c1'] } };
const neighbour: AuthUser = { ...guest, id: 'u-neighbour', username: 'neighbour' };
const staff: AuthUser = { id: 'u-staff', username: 'staff', role: 'property_staff', scope: { level: 'community', communityIds: ['c1'] } };

const parking = { cancelFreeMinutes: 30, withdrawRule: 'cancel', arrivalGraceMin: 15, departureGraceMin: 10 } as PlatformConfig['parking'];
const config = { timeZone: 'Asia/Shanghai', parking } as PlatformConfig;

const commonSlot: SlotRow = {
  id: 's1',
  community_id: 'c1',
  code: 'B1-001',
  location: 'B1',
  ownership: 'common',
  owner_id: null,
  fire_lane: false,
  shareable: true,
  withdrawn_from: null,
  created_at: new Date(NOW),
};

function bookingRow(overrides: Partial<BookingRow> = {}): BookingRow {
  return {
    id: 'b1',
    community_id: 'c1',
    slot_id: 's1',
    slot_fire_lane: false,
    user_id: guest.id,
    plate: '京A12345',
    vehicle_class: 'small',
    starts_at: new Date(NOW + 2 * HOUR),
    ends_at: new Date(NOW + 4 * HOUR),
    arrival_grace_min: 15,
    departure_grace_min: 10,
    blocked_until: new Date(NOW + 4 * HOUR + 10 * 60_000),
    period: '',
    status: 'booked',
    late_cancel: false,
    cancelled_at: null,
    cancel_reason: null,
    overstay_notified_at: null,
    created_at: new Date(NOW - HOUR),
    ...overrides,
  };
}

function setUp({ slot = commonSlot, booking = bookingRow() }: { slot?: SlotRow; booking?: BookingRow } = {}) {
  const t = newTestService(ParkingBookingService, new Map([[PLATFORM_CONFIG, config]]));
  t.mock(ClockRepository).now.mockReturnValue(NOW);
  t.mock(AccessService).requireInScope.mockResolvedValue({ id: 'c1' } as never);
  t.mock(ParkingRepository).findSlot.mockResolvedValue(slot);
  t.mock(ParkingRepository).availability.mockResolvedValue(new Map([[slot.id, { weekly: [], dates: [], exceptions: [], withdrawnFrom: null }]]) as never);
  t.mock(ParkingRepository).findBooking.mockResolvedValue(booking);
  t.mock(ParkingRepository).insertBooking.mockImplementation(async (row) => bookingRow({ ...row, id: 'b-new' } as Partial<BookingRow>));
  t.mock(ParkingRepository).transitionBooking.mockImplementation(async (id, _from, change) => bookingRow({ id, ...change } as Partial<BookingRow>));
  return t;
}

const request = (overrides: Partial<{ startsAt: number; endsAt: number; plate: string }> = {}) => ({ slotId: 's1', startsAt: NOW + 2 * HOUR, endsAt: NOW + 4 * HOUR, plate: '京A12345', ...overrides });

describe('ParkingBookingService: booking', () => {
  it('books a shared slot and schedules the no-show and overstay checks at the end of each grace', async () => {
    const { sut, mock } = setUp();

    const booking = await sut.book(guest, request());

    expect(booking).toMatchObject({ id: 'b-new', status: 'booked', plate: '京A12345' });
    expect(mock(ParkingRepository).insertBooking).toHaveBeenCalledWith(expect.objectContaining({ blocked_until: new Date(NOW + 4 * HOUR + 10 * 60_000) }));
    const jobs = mock(JobRepository).add.mock.calls.map(([, , options]) => options);
    expect(jobs).toEqual([
      { jobId: 'noshow-b-new', delay: 2 * HOUR + 15 * 60_000 },
      { jobId: 'overstay-b-new', delay: 4 * HOUR + 10 * 60_000 },
    ]);
  });

  it('a slot on a fire lane can never be booked', async () => {
    const { sut, mock } = setUp({ slot: { ...commonSlot, fire_lane: true } });

    await expect(sut.book(guest, request())).rejects.toThrow(/fire lane/);
    expect(mock(ParkingRepository).insertBooking).not.toHaveBeenCalled();
  });

  it('a booking cannot start in the past (a minute of clock skew is allowed)', async () => {
    const { sut } = setUp();

    await expect(sut.book(guest, request({ startsAt: NOW - 2 * 60_000 }))).rejects.toThrow(BadRequestException);
    await expect(sut.book(guest, request({ startsAt: NOW - 30_000 }))).resolves.toMatchObject({ status: 'booked' });
  });

  it('a booking lasts at most 7 days and must end after it starts', async () => {
    const { sut } = setUp();

    await expect(sut.book(guest, request({ endsAt: NOW + 2 * HOUR + 7 * 24 * HOUR + 1 }))).rejects.toThrow(/at most 7 days/);
    await expect(sut.book(guest, request({ endsAt: NOW + 2 * HOUR }))).rejects.toThrow(/end must come after the start/);
  });

  it('a common slot withdrawn before the booking ends cannot be booked', async () => {
    const { sut, mock } = setUp();
    mock(ParkingRepository).availability.mockResolvedValue(new Map([['s1', { weekly: [], dates: [], exceptions: [], withdrawnFrom: NOW + 3 * HOUR }]]) as never);

    await expect(sut.book(guest, request())).rejects.toThrow(/not shared for the whole of this time/);
  });

  it('a plate that is not a valid GA 36 plate is refused', async () => {
    const { sut } = setUp();

    await expect(sut.book(guest, request({ plate: 'NOPLATE' }))).rejects.toThrow(BadRequestException);
  });

  it('an overlapping booking refused by the database is a conflict', async () => {
    const { sut, mock } = setUp();
    mock(ParkingRepository).insertBooking.mockRejectedValue(Object.assign(new Error('exclusion'), { code: '23P01' }));

    await expect(sut.book(guest, request())).rejects.toThrow(/already booked for part of this time/);
    expect(mock(JobRepository).add).not.toHaveBeenCalled();
  });
});

describe('ParkingBookingService: cancelling', () => {
  it('free until the cancellation window before the start', async () => {
    const { sut, mock } = setUp({ booking: bookingRow({ starts_at: new Date(NOW + 31 * 60_000) }) });

    await sut.cancel(guest, 'b1');

    expect(mock(ParkingRepository).transitionBooking).toHaveBeenCalledWith('b1', ['booked'], expect.objectContaining({ status: 'cancelled', late_cancel: false, cancel_reason: 'guest' }));
    expect(mock(JobRepository).cancel).toHaveBeenCalledWith('parking', 'noshow-b1');
    expect(mock(JobRepository).cancel).toHaveBeenCalledWith('parking', 'overstay-b1');
  });

  it('inside the window the cancellation is late', async () => {
    const { sut, mock } = setUp({ booking: bookingRow({ starts_at: new Date(NOW + 29 * 60_000) }) });

    await sut.cancel(guest, 'b1');

    expect(mock(ParkingRepository).transitionBooking).toHaveBeenCalledWith('b1', ['booked'], expect.objectContaining({ late_cancel: true }));
  });

  it('a booking that has started cannot be cancelled', async () => {
    const { sut, mock } = setUp({ booking: bookingRow({ starts_at: new Date(NOW - 60_000) }) });

    await expect(sut.cancel(guest, 'b1')).rejects.toThrow(/already started/);
    expect(mock(ParkingRepository).transitionBooking).not.toHaveBeenCalled();
  });

  it('only the guest or property staff may cancel', async () => {
    await expect(setUp().sut.cancel(neighbour, 'b1')).rejects.toThrow(ForbiddenException);
    await expect(setUp().sut.cancel(staff, 'b1')).resolves.toMatchObject({ status: 'cancelled' });
  });

  it('a booking no longer booked (no-show, cancelled) cannot be cancelled', async () => {
    const { sut } = setUp({ booking: bookingRow({ status: 'no_show' }) });

    await expect(sut.cancel(guest, 'b1')).rejects.toThrow(ConflictException);
  });
});

describe('ParkingBookingService: jobs', () => {
  it('a no-show releases the slot and drops the overstay check', async () => {
    const { sut, mock } = setUp();

    await sut.releaseNoShow('b1');

    expect(mock(ParkingRepository).transitionBooking).toHaveBeenCalledWith('b1', ['booked'], { status: 'no_show' });
    expect(mock(JobRepository).cancel).toHaveBeenCalledWith('parking', 'overstay-b1');
  });

  it('a guest who arrived meanwhile is not released', async () => {
    const { sut, mock } = setUp();
    mock(ParkingRepository).transitionBooking.mockResolvedValue(undefined);

    await sut.releaseNoShow('b1');

    expect(mock(JobRepository).cancel).not.toHaveBeenCalled();
  });
});
