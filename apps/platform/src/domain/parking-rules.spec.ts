import { bookingForEntry, cancellation, decideGate, overstayMinutes, shouldBlock, type BookingWindow, type GateInput } from './parking-rules';
import { parsePlate } from './plates';

const now = Date.parse('2025-06-02T09:00:00+08:00');
const min = 60_000;
const booking = (over: Partial<BookingWindow> = {}): BookingWindow => ({
  id: 'b1',
  slotId: 's1',
  plate: '粤B12345',
  startsAt: now,
  endsAt: now + 120 * min,
  arrivalGraceMin: 15,
  departureGraceMin: 10,
  status: 'booked',
  ...over,
});
const input = (over: Partial<GateInput> = {}): GateInput => ({
  direction: 'in',
  plate: parsePlate('粤B12345'),
  now,
  fireFreeFlow: false,
  whitelisted: false,
  blocked: false,
  resident: false,
  bookings: [],
  freeCommonSlots: 0,
  earlyArrivalMin: 15,
  ...over,
});

describe('gate decision', () => {
  it('opens for a booking starting now', () => {
    expect(decideGate(input({ bookings: [booking()] }))).toMatchObject({ cmd: 'open', reason: 'booking', kind: 'booking', bookingId: 'b1', slotId: 's1' });
  });
  it('opens within the early-arrival and arrival grace, not outside', () => {
    expect(bookingForEntry([booking()], now - 15 * min, 15)).toBeDefined();
    expect(bookingForEntry([booking()], now - 16 * min, 15)).toBeUndefined();
    expect(bookingForEntry([booking()], now + 15 * min, 15)).toBeDefined();
    expect(bookingForEntry([booking()], now + 16 * min, 15)).toBeUndefined();
  });
  it('lets an active booking re-enter until its end', () => {
    expect(bookingForEntry([booking({ status: 'active' })], now + 100 * min, 15)).toBeDefined();
    expect(bookingForEntry([booking({ status: 'active' })], now + 121 * min, 15)).toBeUndefined();
  });
  it('holds a booked car that comes far too early when nothing else applies', () => {
    expect(decideGate(input({ bookings: [booking()], now: now - 60 * min }))).toMatchObject({ cmd: 'hold', reason: 'full' });
  });
  it('opens for a resident', () => {
    expect(decideGate(input({ resident: true }))).toMatchObject({ cmd: 'open', reason: 'resident', kind: 'resident' });
  });
  it('opens for a visitor only when a common slot is free', () => {
    expect(decideGate(input({ freeCommonSlots: 1 }))).toMatchObject({ cmd: 'open', reason: 'visitor', kind: 'visitor' });
    expect(decideGate(input({ freeCommonSlots: 0 }))).toMatchObject({ cmd: 'hold', reason: 'full' });
  });
  it('opens for emergency plates and whitelisted plates, even when blocked or full', () => {
    expect(decideGate(input({ plate: parsePlate('京X2345应急'), blocked: true }))).toMatchObject({ cmd: 'open', reason: 'emergency', kind: 'emergency' });
    expect(decideGate(input({ plate: parsePlate('京A1234警') }))).toMatchObject({ cmd: 'open', reason: 'emergency' });
    expect(decideGate(input({ whitelisted: true }))).toMatchObject({ cmd: 'open', reason: 'emergency', kind: 'emergency' });
  });
  it('holds an unknown plate and routes it to a person', () => {
    expect(decideGate(input({ plate: parsePlate('无牌车'), resident: true, freeCommonSlots: 5 }))).toMatchObject({ cmd: 'hold', reason: 'unreadable_plate', toPerson: true });
    expect(decideGate(input({ plate: parsePlate(''), direction: 'out' }))).toMatchObject({ cmd: 'hold', toPerson: true });
  });
  it('holds a blocked plate (repeat overstayer), even with a booking', () => {
    expect(decideGate(input({ blocked: true, bookings: [booking()], resident: true }))).toMatchObject({ cmd: 'hold', reason: 'blocked' });
  });
  it('opens everything during a fire alarm (free flow), unknown plates included', () => {
    expect(decideGate(input({ fireFreeFlow: true, plate: parsePlate('无牌车') }))).toMatchObject({ cmd: 'open', reason: 'fire_free_flow' });
    expect(decideGate(input({ fireFreeFlow: true, blocked: true }))).toMatchObject({ cmd: 'open', reason: 'fire_free_flow' });
  });
  it('opens readable exits', () => {
    expect(decideGate(input({ direction: 'out', blocked: true }))).toMatchObject({ cmd: 'open', reason: 'exit' });
  });
});

describe('cancellation', () => {
  const start = now + 120 * min;
  it('is free until N minutes before the start', () => expect(cancellation(start, start - 61 * min, 60)).toEqual({ ok: true, late: false }));
  it('is late inside the N minutes', () => expect(cancellation(start, start - 30 * min, 60)).toEqual({ ok: true, late: true }));
  it('is refused once started', () => expect(cancellation(start, start, 60)).toMatchObject({ ok: false }));
});

describe('overstay', () => {
  const end = now;
  it('counts nothing within the departure grace', () => expect(overstayMinutes(end, 10, end + 10 * min)).toBe(0));
  it('counts whole minutes beyond it, rounding up', () => expect(overstayMinutes(end, 10, end + 10 * min + 1)).toBe(1));
  it('blocks after the limit, never with limit 0', () => {
    expect(shouldBlock(2, 3)).toBe(false);
    expect(shouldBlock(3, 3)).toBe(true);
    expect(shouldBlock(10, 0)).toBe(false);
  });
});
