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
