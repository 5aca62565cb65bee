import { z } from 'zod';

/**
 * Owners' joint decisions (业主共同决定, issue 13 §2). The decision rules a vote may pick; each is
 * defined (thresholds and source) in apps/platform/src/domain/owner-vote.ts.
 */
export const voteRuleIds = ['civil_code_278_majority', 'civil_code_278_special', 'seed_004_added_slots'] as const;
export const voteRuleSchema = z.enum(voteRuleIds).describe(
  'civil_code_278_majority: 民法典 art. 278 items 1–4, 9 (participation ≥ 2/3 of area and headcount, approval > 1/2 of the participants by both); ' +
    'civil_code_278_special: art. 278 items 5–8 (approval ≥ 3/4); seed_004_added_slots: adding parking slots (approval ≥ 3/4)',
);
export type VoteRule = z.infer<typeof voteRuleSchema>;

/** POST /api/v1/votes: the owners' committee, or the property company with the committee's consent. */
export const openVoteRequestSchema = z
  .object({
    communityId: z.uuid(),
    question: z.string().trim().min(1).max(500),
    options: z.array(z.string().trim().min(1).max(100)).min(2).max(10),
    rule: voteRuleSchema,
    /** Defaults to now. */
    opensAt: z.iso.datetime({ offset: true }).optional(),
    closesAt: z.iso.datetime({ offset: true }),
    /** The owners' committee's consent (its resolution or letter) when the property company opens the vote. */
    committeeConsent: z.string().trim().min(1).max(500).optional(),
  })
  .refine((v) => new Set(v.options).size === v.options.length, { message: 'options must differ', path: ['options'] });
export type OpenVoteRequest = z.infer<typeof openVoteRequestSchema>;

/** POST /api/v1/votes/:id/ballots: without `unitId`, for every unit the caller represents in the community. */
export const castBallotRequestSchema = z.object({ option: z.number().int().min(0), unitId: z.uuid().optional() });
export type CastBallotRequest = z.infer<typeof castBallotRequestSchema>;

export const castBallotResponseSchema = z.object({ voteId: z.uuid(), option: z.number().int(), unitIds: z.array(z.uuid()), castAt: z.string() });

const tallySchema = z.object({ area: z.string().describe('square metres, exact decimal string'), headcount: z.number().int() });

export const voteResultSchema = z.object({
  rule: voteRuleSchema,
  ruleSource: z.string(),
  total: tallySchema,
  participating: tallySchema,
  perOption: z.array(tallySchema.extend({ option: z.string() })),
  participationMet: z.boolean(),
  /** Index of the adopted option, null when none met the rule. */
  adopted: z.number().int().nullable(),
  adoptedOption: z.string().nullable(),
});
export type VoteResult = z.infer<typeof voteResultSchema>;

/**
 * The street's review of a vote's decision (seed 002 五 职责分工: 街道办事处…对业主大会、业主委员会做出的决定进行审核):
 * upheld, or ordered corrected with the reason.
 */
export const voteReviewOutcomeSchema = z.enum(['upheld', 'ordered_corrected']);
export const reviewVoteRequestSchema = z.object({ outcome: voteReviewOutcomeSchema, reason: z.string().trim().min(1).max(2000) });
export type ReviewVoteRequest = z.infer<typeof reviewVoteRequestSchema>;
export const voteReviewSchema = z.object({ id: z.uuid(), voteId: z.uuid(), outcome: voteReviewOutcomeSchema, reason: z.string(), reviewedAt: z.string(), reviewedBy: z.string().nullable() });
export type VoteReview = z.infer<typeof voteReviewSchema>;

export const voteSchema = z.object({
  id: z.uuid(),
  communityId: z.uuid(),
  question: z.string(),
  options: z.array(z.string()),
  rule: voteRuleSchema,
  ruleSource: z.string(),
  opensAt: z.string(),
  closesAt: z.string(),
  status: z.enum(['open', 'closed']),
  openerRole: z.string(),
  committeeConsent: z.string().nullable(),
  /** Units that have voted so far (how many options got which is told only when the vote closes). */
  ballots: z.number().int(),
  closedAt: z.string().nullable(),
  result: voteResultSchema.nullable(),
  /** The street's reviews of the decision, oldest first (the last one stands). */
  reviews: z.array(voteReviewSchema),
  /** The caller's units in this vote: represented, and whether each has voted. */
  myUnits: z.array(z.object({ unitId: z.uuid(), voted: z.boolean() })),
});
export type Vote = z.infer<typeof voteSchema>;

export const voteListQuerySchema = z.object({ communityId: z.uuid() });

/** A closed vote on the public board (公示栏). */
export const boardVoteSchema = voteSchema.pick({ id: true, question: true, options: true, rule: true, ruleSource: true, opensAt: true, closesAt: true, closedAt: true, reviews: true }).extend({ result: voteResultSchema });
