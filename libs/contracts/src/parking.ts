import { z } from 'zod';

/** Time-shared parking: REST bodies and socket.io events (contract §5 pattern: each event carries communityId). */

const minuteOfDay = z.number().int().min(0).max(1439);
const endMinute = z.number().int().min(1).max(1440);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');
/** ISO 8601 instant or milliseconds since the epoch. */
const instant = z.union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()]).transform((v) => (typeof v === 'number' ? v : Date.parse(v)));

export const createSlotRequestSchema = z
  .object({
    communityId: z.uuid(),
    code: z.string().min(1).max(32),
    location: z.string().min(1).max(256),
    ownership: z.enum(['private', 'common']),
    ownerId: z.uuid().optional(),
    fireLane: z.boolean().default(false),
  })
  .refine((s) => (s.ownership === 'private') === (s.ownerId !== undefined), {
    message: 'a private slot has an owner, a common slot none',
    path: ['ownerId'],
  });
export type CreateSlotRequest = z.infer<typeof createSlotRequestSchema>;

export const updateSlotRequestSchema = z.object({ fireLane: z.boolean().optional(), location: z.string().min(1).max(256).optional() });

export const shareWindowsRequestSchema = z.object({
  weekly: z.array(z.object({ weekday: z.number().int().min(0).max(6), startMinute: minuteOfDay, endMinute })).max(50).default([]),
  dates: z.array(z.object({ date: isoDate, startMinute: minuteOfDay, endMinute })).max(200).default([]),
  exceptions: z.array(z.object({ date: isoDate, startMinute: minuteOfDay.default(0), endMinute: endMinute.default(1440) })).max(200).default([]),
});
export type ShareWindowsRequest = z.infer<typeof shareWindowsRequestSchema>;

export const withdrawRequestSchema = z.object({ from: instant.optional() });

export const availabilityQuerySchema = z.object({
  communityId: z.uuid(),
  from: z.coerce.number().int().nonnegative().or(z.iso.datetime({ offset: true }).transform((v) => Date.parse(v))),
  to: z.coerce.number().int().nonnegative().or(z.iso.datetime({ offset: true }).transform((v) => Date.parse(v))),
});

export const createBookingRequestSchema = z.object({
  slotId: z.uuid(),
  plate: z.string().min(2).max(16),
  startsAt: instant,
  endsAt: instant,
});
export type CreateBookingRequest = z.infer<typeof createBookingRequestSchema>;

/**
 * A resident plate, bound to a unit the owner holds (`unitId` may be left out when they hold one
 * unit in the community). Within the unit's quota it passes the gate at once; beyond it, it is
 * `pending` until property staff approve it. Staff may register for others (`userId`), with or
 * without a unit; theirs are approved.
 */
export const registerVehicleRequestSchema = z.object({ communityId: z.uuid(), plate: z.string().min(2).max(16), userId: z.uuid().optional(), unitId: z.uuid().optional() });
export const vehicleListQuerySchema = z.object({ communityId: z.uuid(), status: z.enum(['approved', 'pending']).optional() });

/** Staff lift the block of a plate (after repeated overstays); audited with the note. */
export const unblockPlateRequestSchema = z.object({ communityId: z.uuid(), plate: z.string().min(2).max(16), note: z.string().max(256).optional() });
export type UnblockPlateRequest = z.infer<typeof unblockPlateRequestSchema>;

export const manualOpenRequestSchema = z.object({
  lane: z.string().min(1).max(64),
  /** The pending decision being resolved, from 'parking.gate.pending'. */
  pendingId: z.string().min(1).max(64).optional(),
  /** The plate as read by the guard, when the camera could not. */
  plate: z.string().max(16).optional(),
  note: z.string().max(256).optional(),
});
export type ManualOpenRequest = z.infer<typeof manualOpenRequestSchema>;

export const gatePendingEventSchema = z.object({
  pendingId: z.string(),
  communityId: z.string(),
  deviceId: z.string(),
  lane: z.string(),
  direction: z.enum(['in', 'out']),
  rawPlate: z.string(),
  plate: z.string(),
  reason: z.string(),
  ts: z.number(),
});
export type GatePendingEvent = z.infer<typeof gatePendingEventSchema>;

export const occupancyEventSchema = z.object({
  communityId: z.string(),
  inside: z.number().int(),
  byKind: z.record(z.string(), z.number().int()),
  commonSlots: z.number().int(),
  freeCommonSlots: z.number().int(),
  fireFreeFlow: z.boolean(),
  ts: z.number(),
});
export type OccupancyEvent = z.infer<typeof occupancyEventSchema>;

export const overstayEventSchema = z.object({
  communityId: z.string(),
  bookingId: z.string(),
  slotId: z.string(),
  plate: z.string(),
  userId: z.string(),
  dueAt: z.number(),
  /** The slot's owner has asked for the slot back (POST /parking/bookings/:id/reclaim); false: recorded and billed, but nobody is waiting. */
  ownerNeedsSlot: z.boolean(),
  ts: z.number(),
});
export type OverstayEvent = z.infer<typeof overstayEventSchema>;

export const bookingCancelledEventSchema = z.object({
  communityId: z.string(),
  bookingId: z.string(),
  userId: z.string(),
  reason: z.string(),
  ts: z.number(),
});
export type BookingCancelledEvent = z.infer<typeof bookingCancelledEventSchema>;

/** Socket.io events of this area, merged into ServerToClientEvents (contract §5: each payload carries communityId). */
export interface ParkingServerEvents {
  'parking.gate.pending': (e: GatePendingEvent) => void;
  'parking.occupancy': (e: OccupancyEvent) => void;
  'parking.overstay': (e: OverstayEvent) => void;
  'parking.booking.cancelled': (e: BookingCancelledEvent) => void;
}

// ---------------------------------------------------------------- responses

const windowsSchema = z.object({
  weekly: z.array(z.object({ weekday: z.number().int(), startMinute: z.number().int(), endMinute: z.number().int() })),
  dates: z.array(z.object({ date: z.string(), startMinute: z.number().int(), endMinute: z.number().int() })),
  exceptions: z.array(z.object({ date: z.string(), startMinute: z.number().int(), endMinute: z.number().int() })),
});
/** A slot; `windows` (its share windows) where the caller may see them. */
export const parkingSlotSchema = z.object({
  id: z.uuid(),
  communityId: z.uuid(),
  code: z.string(),
  location: z.string(),
  ownership: z.enum(['private', 'common']),
  ownerId: z.string().nullable(),
  fireLane: z.boolean(),
  shareable: z.boolean(),
  withdrawnFrom: z.string().nullable(),
  windows: windowsSchema.optional(),
});
export const bookingStatusSchema = z.enum(['booked', 'active', 'completed', 'cancelled', 'no_show']);
export const parkingBookingSchema = z.object({
  id: z.uuid(),
  communityId: z.uuid(),
  slotId: z.uuid(),
  userId: z.string(),
  plate: z.string(),
  vehicleClass: z.enum(['small', 'large']),
  startsAt: z.string(),
  endsAt: z.string(),
  arrivalGraceMin: z.number().int(),
  departureGraceMin: z.number().int(),
  status: bookingStatusSchema,
  lateCancel: z.boolean(),
});
/** GET /api/v1/parking/slots/mine: the caller's slots with their bookings. */
export const mySlotSchema = parkingSlotSchema.extend({ bookings: z.array(parkingBookingSchema) });
/** GET /api/v1/parking/availability: bookable slots with their free intervals (ms since the epoch). */
export const availableSlotSchema = parkingSlotSchema.extend({ freeIntervals: z.array(z.object({ start: z.number(), end: z.number() })) });
export const slotWithdrawalSchema = z.object({ slotId: z.uuid(), withdrawnFrom: z.string(), rule: z.enum(['keep', 'cancel']), cancelledBookings: z.array(z.uuid()) });
export const bookingReclaimSchema = z.object({
  bookingId: z.uuid(),
  slotId: z.uuid(),
  ownerNeedsSlot: z.boolean(),
  alreadyRequested: z.boolean(),
  overstaying: z.boolean(),
  guestNotified: z.boolean(),
  dueAt: z.string(),
});
export const blockedPlateSchema = z.object({ communityId: z.uuid(), plate: z.string(), reason: z.string(), blockedAt: z.string() });
export const plateUnblockedSchema = z.object({ communityId: z.uuid(), plate: z.string(), unblocked: z.boolean() });
export const vehicleSchema = z.object({
  id: z.uuid(),
  communityId: z.uuid(),
  userId: z.string().nullable(),
  unitId: z.string().nullable(),
  plate: z.string(),
  kind: z.string().describe('plate kind (regular, nev_small, …)'),
  status: z.enum(['approved', 'pending']),
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  createdAt: z.string(),
});
export const vehicleRemovedSchema = z.object({ id: z.uuid(), removed: z.boolean() });
export const parkingSessionSchema = z.object({
  id: z.string(),
  plate: z.string(),
  kind: z.enum(['booking', 'resident', 'visitor', 'emergency']),
  status: z.enum(['open', 'closed']),
  bookingId: z.string().nullable(),
  slotId: z.string().nullable(),
  entryAt: z.string(),
  exitAt: z.string().nullable(),
  overstayMinutes: z.number().int().nullable(),
});
export const gateOpenedSchema = z.object({ commandId: z.string(), deviceId: z.string(), lane: z.string(), cmd: z.literal('open') });

/**
 * POST /api/v1/parking/sessions/:id/checkout: pay before driving to the exit (场内预付). The stay
 * ends now and is billed (once); once the bill is paid the car passes the exit lane at once for
 * `paidGraceMin` minutes. `billId` is null when the community has no tariff in force (nothing due).
 */
export const sessionCheckoutSchema = z.object({
  sessionId: z.string(),
  billId: z.string().nullable(),
  amountFen: z.number().int(),
  dueFen: z.number().int(),
  exitAt: z.string(),
  paidGraceMin: z.number().int(),
});
export type SessionCheckout = z.infer<typeof sessionCheckoutSchema>;

const distinct = (values: string[]) => new Set(values).size === values.length;

/**
 * POST /api/v1/parking/lotteries: the lottery (摇号) for newly added slots (seed 004 三(四)2(2)), drawn
 * with a seed announced beforehand so anyone can re-run it (`method`).
 */
export const drawSlotLotteryRequestSchema = z.object({
  communityId: z.uuid(),
  title: z.string().trim().min(1).max(200),
  seed: z.string().trim().min(1).max(200),
  /** Who takes part: each as written on the published list (e.g. the unit, "1栋101"). */
  entrants: z.array(z.string().trim().min(1).max(64)).min(1).max(5000).refine(distinct, 'entrants must differ'),
  /** Codes of the community's slots being let. */
  slots: z.array(z.string().trim().min(1).max(32)).min(1).max(1000).refine(distinct, 'slots must differ'),
  /** The owners' vote that added the slots: a closed vote of this community that adopted an option. */
  decisionVoteId: z.uuid().optional(),
});
export type DrawSlotLotteryRequest = z.infer<typeof drawSlotLotteryRequestSchema>;

export const slotLotterySchema = z.object({
  id: z.uuid(),
  communityId: z.uuid(),
  title: z.string(),
  seed: z.string(),
  method: z.string().describe('how to re-run the draw from the seed, entrants and slots'),
  entrants: z.array(z.string()),
  slots: z.array(z.string()),
  decisionVoteId: z.uuid().nullable(),
  result: z.object({
    ranking: z.array(z.object({ entrant: z.string(), digest: z.string() })),
    assignments: z.array(z.object({ slot: z.string(), entrant: z.string() })),
    waiting: z.array(z.string()),
  }),
  drawnAt: z.string(),
  drawnBy: z.string().nullable(),
});
export type SlotLottery = z.infer<typeof slotLotterySchema>;
