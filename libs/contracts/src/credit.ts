import { z } from 'zod';

/**
 * Credit grade of property companies and the red/black list (信用评价, 红黑榜; seed
 * 004_592cdd860f3d4a71.txt 五(三)): the REST inputs and answers. Rules: apps/platform/src/domain/credit-grade.ts.
 */

export const creditComponentSchema = z.enum(['service', 'complaints', 'spotChecks', 'streetOpinions', 'survey']);
export const creditAssessmentKindSchema = z.enum(['spot_check', 'street_opinion', 'survey']).describe('spot_check: 双随机 inspection; street_opinion: 乡镇(街道办事处)意见; survey: a satisfaction survey result');
export const creditYearSchema = z.coerce.number().int().min(2000).max(2100);

/** POST /api/v1/credit/assessments: a street or district officer records a result for a community in scope. */
export const creditAssessmentRequestSchema = z.object({
  communityId: z.uuid(),
  kind: creditAssessmentKindSchema,
  assessedOn: z.iso.date().refine((d) => d >= '2000-01-01', { message: 'assessedOn must be in 2000 or later' }).describe('the day of the check or opinion, YYYY-MM-DD; its year is the grading year'),
  score: z.number().min(0).max(100),
  note: z.string().trim().max(2000).optional(),
});
export type CreditAssessmentRequest = z.infer<typeof creditAssessmentRequestSchema>;

export const creditAssessmentSchema = z.object({
  id: z.uuid(),
  kind: creditAssessmentKindSchema,
  communityId: z.uuid(),
  companyId: z.uuid().describe('the company serving the community when it was recorded'),
  year: z.number().int(),
  assessedOn: z.string(),
  score: z.number(),
  note: z.string().nullable(),
  recorderRole: z.string(),
  recordedAt: z.string(),
});

export const creditAssessmentQuerySchema = z.object({ year: creditYearSchema.optional().describe('default: the current year'), communityId: z.uuid().optional() });

export const creditRedListRuleSchema = z.object({
  minScore: z.number().min(0).max(100).describe('lowest score on the red list'),
  topN: z.number().int().min(0).max(1000).describe('at most this many a year (ties at the cut-off all go on)'),
});

/** POST /api/v1/credit/weight-sets: a new version; grades made from then on use it. */
export const creditWeightSetRequestSchema = z.object({
  weights: z.record(creditComponentSchema, z.number().min(0).max(100)).refine((w) => Object.values(w).some((x) => x > 0), { message: 'at least one weight must be above 0' }),
  redList: creditRedListRuleSchema,
  note: z.string().trim().max(500).optional(),
});
export type CreditWeightSetRequest = z.infer<typeof creditWeightSetRequestSchema>;

export const creditWeightSetSchema = z.object({
  version: z.number().int(),
  weights: z.record(creditComponentSchema, z.number()),
  redList: creditRedListRuleSchema,
  note: z.string().nullable(),
  createdAt: z.string(),
});

export const creditBreakdownLineSchema = z.object({
  component: creditComponentSchema,
  score: z.number().nullable(),
  weight: z.number(),
  effectiveWeight: z.number().describe('the weight scaled over the components with a score (0 when left out)'),
  points: z.number().describe('what this component adds to the total'),
  basis: z.number().int().describe('records it stands on'),
  note: z.string(),
});

const creditCompanySchema = z.object({ id: z.uuid(), name: z.string(), creditCode: z.string() });

export const creditGradeSchema = z.object({
  company: creditCompanySchema,
  year: z.number().int(),
  score: z.number().nullable().describe('null: no component had data, not graded'),
  weightVersion: z.number().int(),
  breakdown: z.array(creditBreakdownLineSchema),
  communityIds: z.array(z.uuid()).describe('the communities it was graded on that lie in the caller’s scope (the grade stands on all the company’s communities)'),
  belowThreshold: z.boolean().describe('below 90 (004 五(三))'),
  blackListed: z.boolean().describe('below 90 this year and the year before (004 五(三))'),
  actions: z.array(z.object({ kind: z.enum(['interview', 'risk_notice']), score: z.number(), recordedAt: z.string() })),
  gradedAt: z.string(),
});
export type CreditGrade = z.infer<typeof creditGradeSchema>;

export const creditRunSchema = z.object({ year: z.number().int(), weightVersion: z.number().int(), grades: z.array(creditGradeSchema) });

const creditListEntrySchema = z.object({
  rank: z.number().int(),
  company: creditCompanySchema,
  score: z.number(),
  previousScore: z.number().nullable().describe('the year before (black list: also below 90)'),
  weightVersion: z.number().int(),
  breakdown: z.array(creditBreakdownLineSchema),
});

/** GET /api/v1/public/credit/lists/:year: the published red and black lists, no login. */
export const creditListsSchema = z.object({
  year: z.number().int(),
  redListRule: creditRedListRuleSchema.nullable().describe('from the weight set of the year’s grades; null when nothing was graded'),
  threshold: z.number().describe('90: below it an interview and a risk notice; two years running the black list'),
  red: z.array(creditListEntrySchema),
  black: z.array(creditListEntrySchema),
});
export type CreditLists = z.infer<typeof creditListsSchema>;
