import { z } from 'zod';

/** Emergency maintenance-fund green channel (维修资金应急使用): REST bodies and socket events. */

export const fundCategorySchema = z.enum(['elevator', 'fire_facility', 'roof_wall_leak', 'facade_falling', 'secondary_water_pump', 'drainage']);
export type FundCategoryName = z.infer<typeof fundCategorySchema>;

/** Money in fen: an integer (JSON number up to 2^53 − 1) or a digit string. */
export const fenSchema = z
  .union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().regex(/^\d{1,17}$/)])
  .describe('amount in fen (分), integer');

export const chargeScopeSchema = z.discriminatedUnion('level', [
  z.object({ level: z.literal('estate') }),
  z.object({ level: z.literal('building'), buildingIds: z.array(z.uuid()).min(1).max(500) }),
  z.object({ level: z.literal('units'), unitIds: z.array(z.uuid()).min(1).max(5000) }),
]);

export const createFundCaseRequestSchema = z.object({
  communityId: z.uuid(),
  category: fundCategorySchema,
  title: z.string().min(1).max(200),
  description: z.string().max(4000).optional(),
  deviceId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
  buildingId: z.uuid().optional(),
});
export type CreateFundCaseRequest = z.infer<typeof createFundCaseRequestSchema>;

export const fundTransitionRequestSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('propose'),
    repairPlan: z.string().min(1).max(4000),
    contractor: z.string().min(1).max(200),
    budgetFen: fenSchema,
    chargeScope: chargeScopeSchema,
  }),
  z.object({ action: z.literal('publish_notice'), duringWorks: z.boolean().optional() }),
  z.object({ action: z.literal('confirm'), note: z.string().max(2000).optional() }),
  z.object({ action: z.literal('approve'), note: z.string().max(2000).optional() }),
  z.object({ action: z.literal('reject'), reason: z.string().min(1).max(2000) }),
  z.object({ action: z.literal('pay'), amountFen: fenSchema.optional(), reference: z.string().max(200).optional() }),
  z.object({ action: z.literal('accept'), actualCostFen: fenSchema, note: z.string().max(2000).optional() }),
  z.object({ action: z.literal('disclose') }),
  z.object({ action: z.literal('withdraw'), reason: z.string().max(2000).optional() }),
]);
export type FundTransitionRequest = z.infer<typeof fundTransitionRequestSchema>;

export const fundCaseListQuerySchema = z.object({
  communityId: z.uuid().optional(),
  state: z.string().max(32).optional(),
});

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD');
/** An administrator's holiday calendar for one year: days off (法定节假日) and make-up working days (调休). */
export const holidayCalendarRequestSchema = z.object({
  holidays: z.array(isoDate).max(366).default([]),
  workdays: z.array(isoDate).max(366).default([]),
});
export type HolidayCalendarRequest = z.infer<typeof holidayCalendarRequestSchema>;

export const fundCommunitySettingsRequestSchema = z.object({
  profile: z.string().min(1).max(32),
  hasPropertyCompany: z.boolean().default(true),
  hasOwnersCommittee: z.boolean().default(false),
});
export type FundCommunitySettingsRequest = z.infer<typeof fundCommunitySettingsRequestSchema>;

/** Socket event: a case was opened or changed state, or a deadline reminder / escalation happened. */
export const fundCaseUpdatedEventSchema = z.object({
  caseId: z.uuid(),
  communityId: z.uuid(),
  state: z.string(),
  /** What happened: opened, a transition action, evidence_added, reminder, escalated, deem_approve. */
  action: z.string(),
  ts: z.number(),
});
export type FundCaseUpdatedEvent = z.infer<typeof fundCaseUpdatedEventSchema>;

/** Socket.io events of this area, merged into ServerToClientEvents (contract §5: each payload carries communityId). */
export interface FundServerEvents {
  'fund.case.updated': (event: FundCaseUpdatedEvent) => void;
}

// ---------------------------------------------------------------- responses

const amountFen = z.number().int().describe('amount in fen (分)');
const chargeScopeResponseSchema = z.union([
  z.object({ level: z.literal('estate') }),
  z.object({ level: z.literal('building'), buildingIds: z.array(z.uuid()) }),
  z.object({ level: z.literal('units'), unitIds: z.array(z.uuid()) }),
]);

/** A case as listed (GET /api/v1/fund/cases). */
export const fundCaseSummarySchema = z.object({
  id: z.uuid(),
  communityId: z.uuid(),
  category: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  source: z.string().describe('alarm, manual or complaint'),
  alarmId: z.string().nullable(),
  complaintId: z.uuid().nullable().describe('the complaint this emergency repair was opened from (source complaint)'),
  alarmType: z.string().nullable(),
  deviceId: z.string().nullable(),
  buildingId: z.string().nullable(),
  state: z.string(),
  profile: z.string(),
  repairPlan: z.string().nullable(),
  contractor: z.string().nullable(),
  budgetFen: amountFen.nullable(),
  chargeScope: chargeScopeResponseSchema.nullable(),
  paidFen: amountFen.nullable(),
  actualCostFen: amountFen.nullable(),
  noticeEndsAt: z.string().nullable(),
  noticeDuringWorks: z.boolean(),
  reviewDeadline: z.string().nullable(),
  paymentDeadline: z.string().nullable(),
  escalatedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  disclosedAt: z.string().nullable(),
  /** The deadline of the step the case waits on (notice end, review, payment), counted in working days on the server's holiday calendar. */
  deadline: z
    .object({
      kind: z.enum(['notice', 'review', 'payment']),
      at: z.string(),
      workingDaysLeft: z.number().int().nullable().describe('working days after today up to the deadline; 0 on its last day, null once passed'),
    })
    .nullable(),
  /** What the caller's role could do next (role and state only; the notice period and amounts are checked on the action). */
  availableActions: z.array(z.string()),
});

/** A case with its timeline, evidence, payments and per-unit shares. */
export const fundCaseDetailSchema = fundCaseSummarySchema.extend({
  timeline: z.array(
    z.object({
      at: z.string(),
      action: z.string(),
      fromState: z.string().nullable(),
      toState: z.string().nullable(),
      actorId: z.string().nullable(),
      actorRole: z.string().nullable(),
      detail: z.record(z.string(), z.unknown()),
    }),
  ),
  evidence: z.array(
    z.object({
      id: z.string(),
      kind: z.enum(['alarm', 'telemetry', 'upload', 'complaint']).describe('complaint: the complaint the case was opened from (detail: complaintId, category, location, text)'),
      alarmId: z.string().nullable(),
      fileName: z.string().nullable(),
      contentType: z.string().nullable(),
      sizeBytes: z.number().int().nullable(),
      sha256: z.string().nullable(),
      detail: z.record(z.string(), z.unknown()),
      createdAt: z.string(),
    }),
  ),
  payments: z.array(z.object({ amountFen, stage: z.string(), reference: z.string().nullable(), paidAt: z.string() })),
  shares: z.array(z.object({ unitId: z.uuid(), building: z.string(), unit: z.string(), floorArea: z.string(), shareFen: amountFen })),
});

/** POST /api/v1/fund/cases/:id/evidence */
export const fundEvidenceUploadSchema = z.object({
  id: z.string(),
  fileName: z.string().nullable(),
  contentType: z.string().nullable(),
  sizeBytes: z.number().int().nullable(),
  sha256: z.string().nullable(),
  createdAt: z.string(),
});

/** GET /api/v1/fund/profiles: the city profiles a community may select. */
export const fundCityProfileSchema = z.object({
  id: z.string(),
  name: z.object({ zh: z.string(), en: z.string() }),
  noticeWorkingDays: z.number().int().describe('public notice (公示) period, working days'),
  noticeDuringWorksAllowed: z.boolean(),
  reviewWorkingDays: z.number().int(),
  deemedApprovalOnTimeout: z.boolean(),
  firstPaymentPercent: z.number(),
  paymentWorkingDays: z.number().int().nullable(),
  reminderLeadMs: z.number().int(),
  source: z.string(),
});

export const holidayCalendarSchema = z.object({ year: z.number().int(), holidays: z.array(z.string()), workdays: z.array(z.string()) });

export const fundCommunitySettingsSchema = z.object({
  communityId: z.uuid(),
  profile: z.string(),
  hasPropertyCompany: z.boolean(),
  hasOwnersCommittee: z.boolean(),
  profileDetail: fundCityProfileSchema,
});

/** GET /api/v1/public/communities/:id/fund-cases: disclosed cases, no personal data. */
export const fundDisclosureSchema = z.object({
  community: z.object({ id: z.uuid(), name: z.string(), district: z.string(), street: z.string() }),
  cases: z.array(
    z.object({
      id: z.uuid(),
      title: z.string(),
      category: z.string(),
      contractor: z.string().nullable(),
      repairPlan: z.string().nullable(),
      budgetFen: amountFen.nullable(),
      totalFen: amountFen,
      totalYuan: z.string(),
      disclosedAt: z.string().nullable(),
      shares: z.array(z.object({ building: z.string(), unit: z.string(), floorArea: z.string(), shareFen: amountFen, shareYuan: z.string() })),
      timeline: z.array(z.object({ at: z.string(), action: z.string(), fromState: z.string().nullable(), toState: z.string().nullable(), actorRole: z.string().nullable() })),
    }),
  ),
});
