import type { PlateInfo } from './plates';

/**
 * Parking rules: the gate decision, booking cancellation, and overstay. Pure; times in ms.
 */

export interface BookingWindow {
  id: string;
  slotId: string;
  plate: string;
  startsAt: number;
  endsAt: number;
  arrivalGraceMin: number;
  departureGraceMin: number;
  status: 'booked' | 'active';
}

export type SessionKind = 'booking' | 'resident' | 'visitor' | 'emergency';

export interface GateInput {
  direction: 'in' | 'out';
  plate: PlateInfo;
  now: number;
  /** An active fire alarm in the estate: every barrier opens. */
  fireFreeFlow: boolean;
  /** The plate is on the configurable emergency whitelist (e.g. ambulances with ordinary plates). */
  whitelisted: boolean;
  blocked: boolean;
  resident: boolean;
  /** Bookings of this plate (booked or active). */
  bookings: BookingWindow[];
  /** Free common (visitor) slots right now. */
  freeCommonSlots: number;
  /** Minutes before a booking's start that its car may already enter. */
  earlyArrivalMin: number;
}

export interface GateDecision {
  cmd: 'open' | 'hold';
  reason: string;
  /** What the session is, when the car goes in. */
  kind?: SessionKind;
  bookingId?: string;
  slotId?: string;
  /** A person must decide (unknown plate). */
  toPerson?: boolean;
}

/** The booking that lets this car in now: started or about to start, within the arrival grace. */
export function bookingForEntry(bookings: BookingWindow[], now: number, earlyArrivalMin: number): BookingWindow | undefined {
  return bookings.find((b) =>
    b.status === 'active'
      ? now < b.endsAt
      : now >= b.startsAt - earlyArrivalMin * 60_000 && now <= b.startsAt + b.arrivalGraceMin * 60_000,
  );
}

export function decideGate(i: GateInput): GateDecision {
  const emergency = i.plate.kind === 'emergency' || i.plate.priority || i.whitelisted;
  if (i.fireFreeFlow) return { cmd: 'open', reason: 'fire_free_flow', kind: emergency ? 'emergency' : 'visitor' };
  if (emergency) return { cmd: 'open', reason: 'emergency', kind: 'emergency' };
  if (i.plate.kind === 'unknown') return { cmd: 'hold', reason: 'unreadable_plate', toPerson: true };
  if (i.direction === 'out') return { cmd: 'open', reason: 'exit' };
  if (i.blocked) return { cmd: 'hold', reason: 'blocked' };
  const booking = bookingForEntry(i.bookings, i.now, i.earlyArrivalMin);
  if (booking) return { cmd: 'open', reason: 'booking', kind: 'booking', bookingId: booking.id, slotId: booking.slotId };
  if (i.resident) return { cmd: 'open', reason: 'resident', kind: 'resident' };
  if (i.freeCommonSlots > 0) return { cmd: 'open', reason: 'visitor', kind: 'visitor' };
  return { cmd: 'hold', reason: 'full' };
}

export type CancelOutcome = { ok: true; late: boolean } | { ok: false; reason: string };

/** Cancelling is free until `freeUntilMin` minutes before the start, late after, refused once started. */
export function cancellation(startsAt: number, now: number, freeUntilMin: number): CancelOutcome {
  if (now >= startsAt) return { ok: false, reason: 'the booking has already started' };
  return { ok: true, late: now > startsAt - freeUntilMin * 60_000 };
}

/** Minutes a car stayed past its booking's end plus departure grace (0 if it left in time). */
export function overstayMinutes(endsAt: number, departureGraceMin: number, exitAt: number): number {
  const over = exitAt - (endsAt + departureGraceMin * 60_000);
  return over > 0 ? Math.ceil(over / 60_000) : 0;
}

/** A plate is blocked once its overstays reach the limit (0 = never). */
export function shouldBlock(overstays: number, limit: number): boolean {
  return limit > 0 && overstays >= limit;
}

/** Two half-open periods overlap. */
export function overlaps(a: { start: number; end: number }, b: { start: number; end: number }): boolean {
  return a.start < b.end && b.start < a.end;
}
