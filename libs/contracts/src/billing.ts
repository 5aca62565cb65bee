import { z } from 'zod';

/**
 * Parking tariffs, bills, payments and statements. Money is integer fen (1 yuan = 100 fen)
 * everywhere: numbers in JSON (exact up to 2^53), BigInt inside the pricing engine, bigint in the
 * database. Ratios (multipliers, discounts) are decimal strings, never floats.
 */

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'time of day HH:MM (business time zone)');
const fen = z.number().int().min(0).max(100_000_000_00).describe('integer fen (1 yuan = 100 fen)');
const ratio = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,4})?$/, 'decimal ratio with up to 4 decimals, as a string (e.g. "0.5", "2")')
  .describe('exact decimal ratio as a string');

/** Who set the tariff (§4.2): the owners' assembly, negotiation before an assembly exists, or the price authority. */
export const tariffSetBySchema = z.enum(['owners_assembly', 'owners_negotiation', 'government_guidance', 'government_set']);
export type TariffSetBy = z.infer<typeof tariffSetBySchema>;

export const vehicleKinds = ['booking', 'resident', 'visitor', 'emergency'] as const;
export const sessionKindSchema = z.enum(vehicleKinds);
export type SessionKind = z.infer<typeof sessionKindSchema>;

/** A time band of the day (day / night) with its own billing unit and price per unit. start == end: the whole day. */
export const tariffBandSchema = z.object({
  name: z.string().min(1).max(32),
  start: hhmm,
  end: hhmm,
  unitMinutes: z.number().int().min(1).max(1440),
  unitPriceFen: fen,
});
export type TariffBand = z.infer<typeof tariffBandSchema>;

/** A duration tier: a stay of up to `upToMinutes` (inclusive) costs `amountFen` in total. */
export const tariffTierSchema = z.object({ upToMinutes: z.number().int().min(1).max(1440), amountFen: fen });
export type TariffTier = z.infer<typeof tariffTierSchema>;

const unitPricingSchema = z
  .object({
    mode: z.literal('unit'),
    bands: z.array(tariffBandSchema).min(1).max(6),
  })
  .refine((p) => bandsPartitionDay(p.bands), { message: 'bands must cover the 24 hours exactly once, without overlap', path: ['bands'] });

const tieredPricingSchema = z
  .object({
    mode: z.literal('tiered'),
    /** Ascending; a stay longer than the last tier is cut into blocks of the last tier's length, each charged by the tiers again. */
    tiers: z.array(tariffTierSchema).min(1).max(20),
  })
  .refine((p) => p.tiers.every((t, i) => i === 0 || (t.upToMinutes > p.tiers[i - 1].upToMinutes && t.amountFen >= p.tiers[i - 1].amountFen)), {
    message: 'tiers must be strictly ascending in minutes and non-decreasing in amount',
    path: ['tiers'],
  });

export const tariffRulesSchema = z.object({
  /** Free minutes at the start of every stay. */
  freeMinutes: z.number().int().min(0).max(1440).default(0),
  /** waiveIfUnder: free if the stay is within freeMinutes, otherwise billed from arrival; deduct: freeMinutes are always deducted. */
  freeMode: z.enum(['waiveIfUnder', 'deduct']).default('waiveIfUnder'),
  pricing: z.discriminatedUnion('mode', [unitPricingSchema, tieredPricingSchema]),
  /** Cap on the (pre-multiplier) charge: per calendar day (business time zone), per rolling 24 h from entry, or per entry (the whole stay). */
  cap: z.object({ amountFen: fen, window: z.enum(['calendarDay', 'rolling24h', 'perEntry']) }).optional(),
  /** Vehicle class → multiplier, e.g. { "large": "2" }; classes not listed pay "1". */
  vehicleClassMultipliers: z.record(z.string().min(1).max(32), ratio).default({}),
  /** New-energy vehicles: multiplier on the amount (e.g. "0.5" = half price) and extra free minutes. */
  newEnergy: z.object({ multiplier: ratio.default('1'), extraFreeMinutes: z.number().int().min(0).max(1440).default(0) }).optional(),
  /** Rounding of the final amount after multipliers: to fen, jiao or yuan. */
  rounding: z.object({ toFen: z.union([z.literal(1), z.literal(10), z.literal(100)]).default(1), mode: z.enum(['halfUp', 'up', 'down']).default('halfUp') }).default({ toFen: 1, mode: 'halfUp' }),
  /** Configurable exemptions; emergency vehicles are always exempt whatever this says (§4.5). */
  exemptions: z
    .object({
      sessionKinds: z.array(sessionKindSchema).default([]),
      vehicleClasses: z.array(z.string().min(1).max(32)).default([]),
      plates: z.array(z.string().min(1).max(16)).default([]),
    })
    .default({ sessionKinds: [], vehicleClasses: [], plates: [] }),
  /** Overstay beyond a booking's end + grace: billed per started unit at the penalty price, on top of the stay. */
  overstay: z
    .object({ graceMinutes: z.number().int().min(0).max(1440).default(15), unitMinutes: z.number().int().min(1).max(1440), unitPriceFen: fen })
    .optional(),
});
export type TariffRules = z.infer<typeof tariffRulesSchema>;
export type TariffRulesInput = z.input<typeof tariffRulesSchema>;

export const createTariffRequestSchema = z.object({
  setBy: tariffSetBySchema,
  /** 备案号: the filing number with the price authority. */
  filingNumber: z.string().min(1).max(64),
  /** Resolution of the owners' assembly or the guidance document, if any. */
  decisionRef: z.string().max(256).optional(),
  /** The owners' vote (业主共同决定) that set the tariff: a closed vote of this community that adopted an option. */
  decisionVoteId: z.uuid().optional(),
  effectiveFrom: z.iso.datetime({ offset: true }),
  rules: tariffRulesSchema,
});
export type CreateTariffRequest = z.infer<typeof createTariffRequestSchema>;

/** As stored (a text column): one of tariffSetBySchema's values. */
const storedSetBy = z.string().describe(`one of ${tariffSetBySchema.options.join(', ')}`);

export const tariffResponseSchema = z.object({
  id: z.uuid(),
  communityId: z.uuid(),
  version: z.number().int(),
  setBy: storedSetBy,
  filingNumber: z.string(),
  decisionRef: z.string().nullable(),
  decisionVoteId: z.uuid().nullable(),
  effectiveFrom: z.string(),
  rules: tariffRulesSchema,
  createdAt: z.string(),
});
export type TariffResponse = z.infer<typeof tariffResponseSchema>;

/** Revenue split of a community, in basis points of a private slot's bill; the owner gets the rest. */
export const billingSettingsSchema = z
  .object({
    commissionBp: z.number().int().min(0).max(10000).describe('property company commission, basis points'),
    platformFeeBp: z.number().int().min(0).max(10000).describe('platform fee, basis points'),
  })
  .refine((s) => s.commissionBp + s.platformFeeBp <= 10000, { message: 'commission and platform fee exceed 100 %', path: ['platformFeeBp'] });
export type BillingSettings = z.infer<typeof billingSettingsSchema>;

export const paymentProviderNameSchema = z.string().regex(/^[a-z][a-z0-9_-]{1,31}$/);

export const recordPaymentRequestSchema = z.object({
  provider: paymentProviderNameSchema.default('cash'),
  amountFen: fen.refine((n) => n > 0, 'must be positive'),
  /** Receipt number or gateway reference; the same reference is never recorded twice. */
  reference: z.string().min(1).max(64).optional(),
});
export type RecordPaymentRequest = z.infer<typeof recordPaymentRequestSchema>;

export const refundRequestSchema = z.object({
  amountFen: fen.refine((n) => n > 0, 'must be positive'),
  reason: z.string().min(1).max(256),
  reference: z.string().min(1).max(64).optional(),
});
export type RefundRequest = z.infer<typeof refundRequestSchema>;

export const monthQuerySchema = z.object({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'month as YYYY-MM') });
export const optionalMonthQuerySchema = z.object({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'month as YYYY-MM').optional() });

export const billStatusSchema = z.enum(['unpaid', 'partially_paid', 'paid', 'free', 'refunded']);

/** socket.io billing.bill.created */
export const billCreatedEventSchema = z.object({
  billId: z.uuid(),
  sessionId: z.uuid(),
  communityId: z.uuid(),
  amountFen: z.number().int(),
  status: billStatusSchema,
  tariffVersion: z.number().int().nullable(),
  /** The owner whose slot earned it and the guest who booked the stay: they hear of it too. */
  slotOwnerId: z.uuid().nullable(),
  guestId: z.uuid().nullable(),
  ts: z.number(),
});
export type BillCreatedEvent = z.infer<typeof billCreatedEventSchema>;

/** Socket.io events of this area, merged into ServerToClientEvents (contract §5: each payload carries communityId). */
export interface BillingServerEvents {
  'billing.bill.created': (e: BillCreatedEvent) => void;
}

function minutesOf(t: string): number {
  const [h, m] = t.split(':').map(Number);
  return h * 60 + m;
}

/** Whether the bands cover each minute of the day exactly once. */
export function bandsPartitionDay(bands: ReadonlyArray<{ start: string; end: string }>): boolean {
  const cover = new Uint8Array(1440);
  for (const b of bands) {
    const s = minutesOf(b.start);
    const e = minutesOf(b.end);
    const len = e > s ? e - s : e === s ? 1440 : 1440 - s + e;
    for (let i = 0; i < len; i++) cover[(s + i) % 1440]++;
  }
  return cover.every((c) => c === 1);
}

// ---------------------------------------------------------------- responses

const amountFen = z.number().int().describe('amount in fen (分)');

export const billingSettingsResponseSchema = z.object({ communityId: z.uuid(), commissionBp: z.number().int(), platformFeeBp: z.number().int(), isDefault: z.boolean() });

export const billResponseSchema = z.object({
  id: z.uuid(),
  communityId: z.uuid(),
  sessionId: z.uuid(),
  slotId: z.string().nullable(),
  slotOwnerId: z.string().nullable(),
  tariffId: z.string().nullable(),
  tariffVersion: z.number().int().nullable(),
  plate: z.string(),
  vehicleClass: z.string(),
  sessionKind: z.string(),
  entryAt: z.string(),
  exitAt: z.string(),
  amountFen,
  overstayFen: amountFen,
  split: z.object({ ownerFen: amountFen, commissionFen: amountFen, platformFeeFen: amountFen, commonIncomeFen: amountFen }),
  paidFen: amountFen,
  refundedFen: amountFen,
  status: billStatusSchema,
  exempt: z.string().nullable().describe('why the stay is free (e.g. emergency vehicle), null when charged'),
  breakdown: z.unknown().describe('how the amount was computed (tariff bands and tiers applied)'),
  createdAt: z.string(),
});
/** One bill with its payments and refunds. */
/** A payment or refund booked on a bill; transactionId is the online provider's own number (交易单号), null for cash and refunds. */
export const billPaymentSchema = z.object({ id: z.string(), kind: z.enum(['payment', 'refund']), provider: z.string(), reference: z.string(), transactionId: z.string().nullable(), amountFen, reason: z.string().nullable(), createdAt: z.string() });

export const billDetailResponseSchema = billResponseSchema.extend({
  payments: z.array(billPaymentSchema),
});

/** GET /api/v1/billing/bills/mine: the bills of the stays the caller booked (theirs to pay), with the booking and the payments as receipts. */
export const ownBillSchema = billResponseSchema.pick({ id: true, communityId: true, sessionId: true, plate: true, entryAt: true, exitAt: true, amountFen: true, paidFen: true, refundedFen: true, status: true }).extend({
  bookingId: z.uuid(),
  payments: z.array(billPaymentSchema),
});

export const ledgerResponseSchema = z.object({
  communityId: z.uuid(),
  accounts: z.array(
    z.object({ key: z.string(), kind: z.enum(['asset', 'liability', 'revenue']), name: z.string(), ownerId: z.string().nullable(), debitFen: amountFen, creditFen: amountFen, balanceFen: amountFen }),
  ),
  totalDebitFen: amountFen,
  totalCreditFen: amountFen,
  balanced: z.boolean(),
  unbalancedEntries: z.array(z.string()),
});

const monthTotalsShape = {
  bills: z.number().int(),
  revenueFen: amountFen,
  overstayFen: amountFen,
  ownerEarningsFen: amountFen,
  commissionFen: amountFen,
  platformFeeFen: amountFen,
  commonIncomeFen: amountFen,
  collectedFen: amountFen,
  refundedFen: amountFen,
  outstandingFen: amountFen,
};
export const communityStatementSchema = z.object({ communityId: z.uuid(), communityName: z.string(), month: z.string(), timeZone: z.string(), ...monthTotalsShape });
export const ownerEarningsSchema = z.object({
  ownerId: z.uuid(),
  month: z.string(),
  timeZone: z.string(),
  ...monthTotalsShape,
  items: z.array(
    z.object({ billId: z.uuid(), communityId: z.uuid(), slotId: z.string().nullable(), exitAt: z.string(), amountFen, commissionFen: amountFen, platformFeeFen: amountFen, ownerFen: amountFen, status: billStatusSchema }),
  ),
});

/** GET /api/v1/public/communities/:id/parking-disclosure (公示): no personal data. */
export const parkingDisclosureSchema = z.object({
  community: z.object({ id: z.uuid(), name: z.string(), district: z.string(), street: z.string() }),
  month: z.string(),
  timeZone: z.string(),
  revenueFen: amountFen,
  commonIncomeFen: amountFen,
  ownerEarningsFen: amountFen,
  commissionFen: amountFen,
  platformFeeFen: amountFen,
  collectedFen: amountFen,
  refundedFen: amountFen,
  bills: z.number().int(),
  currentTariff: z
    .object({ version: z.number().int(), setBy: storedSetBy, filingNumber: z.string(), decisionRef: z.string().nullable(), decisionVoteId: z.uuid().nullable(), effectiveFrom: z.string(), rules: tariffRulesSchema })
    .nullable(),
  tariffHistory: z.array(z.object({ version: z.number().int(), setBy: storedSetBy, filingNumber: z.string(), effectiveFrom: z.string() })),
});

/** Issue 13 §7: an online payment order (WeChat Pay Native, Alipay precreate); the payer scans codeUrl as a QR code. */
export const onlinePaymentOrderSchema = z.object({
  billId: z.uuid(),
  provider: z.string(),
  outTradeNo: z.string(),
  amountFen: z.number().int().positive(),
  codeUrl: z.string(),
});

/** What a WeChat Pay notification is answered with when it is taken (booked, or already booked); Alipay takes the plain text `success`. */
export const paymentNotificationAckSchema = z.object({ code: z.literal('SUCCESS') });

export const paymentReconciliationQuerySchema = z.object({ date: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'date as YYYY-MM-DD') });

/** The provider's daily statement against the platform's payments and refunds of that day (Beijing time). */
export const paymentReconciliationSchema = z.object({
  provider: z.string(),
  date: z.string(),
  matched: z.number().int(),
  mismatches: z.array(
    z.object({
      problem: z.enum(['missing_on_platform', 'missing_at_provider', 'amount_differs']),
      kind: z.enum(['payment', 'refund']),
      ref: z.string(),
      platformFen: z.number().int().nullable(),
      providerFen: z.number().int().nullable(),
    }),
  ),
});
