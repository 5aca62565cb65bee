import { z } from 'zod';

/**
 * Owners' satisfaction surveys (满意度测评, issue 13 §3; seed 001_187fc5f9dc35b825.txt 四(三) "每半年 …
 * 征询1次业主对物业服务的满意度"): one survey per community and half-year, one answer per unit, a
 * 1–5 score per service area. The default questions live in apps/platform/src/domain/satisfaction-survey.ts.
 */
export const surveyAreaIds = ['customer_service', 'cleaning', 'greening', 'security', 'equipment', 'parking'] as const;
export const surveyAreaSchema = z.enum(surveyAreaIds).describe('客服 customer_service, 保洁 cleaning, 绿化 greening, 秩序维护/安保 security, 设备维护 equipment, 停车 parking');
export type SurveyArea = z.infer<typeof surveyAreaSchema>;

/** A half-year: "2026H1" (January–June) or "2026H2" (July–December). */
export const surveyPeriodSchema = z.string().regex(/^(20\d{2})H[12]$/, 'a half-year like 2026H2');

/** POST /api/v1/surveys: the property company or the owners' committee; `areas` defaults to every service area. */
export const openSurveyRequestSchema = z.object({
  communityId: z.uuid(),
  period: surveyPeriodSchema,
  areas: z
    .array(surveyAreaSchema)
    .min(1)
    .refine((a) => new Set(a).size === a.length, 'areas must differ')
    .optional(),
});
export type OpenSurveyRequest = z.infer<typeof openSurveyRequestSchema>;

/** POST /api/v1/surveys/:id/answers: scores 1 (very dissatisfied) to 5 (very satisfied); an area may be left out; without `unitId`, for every unit the caller represents. */
export const answerSurveyRequestSchema = z.object({
  unitId: z.uuid().optional(),
  scores: z.partialRecord(surveyAreaSchema, z.number().int().min(1).max(5)).refine((s) => Object.keys(s).length > 0, 'score at least one area'),
  comments: z.partialRecord(surveyAreaSchema, z.string().trim().max(500)).optional(),
});
export type AnswerSurveyRequest = z.infer<typeof answerSurveyRequestSchema>;

export const answerSurveyResponseSchema = z.object({ surveyId: z.uuid(), unitIds: z.array(z.uuid()), answeredAt: z.string() });

const areaResultSchema = z.object({
  area: surveyAreaSchema,
  answers: z.number().int(),
  /** Sum of the 1–5 scores (kept so periods and communities combine exactly). */
  sum: z.number().int(),
  /** Scores of 4 or 5 (满意, 非常满意). */
  satisfied: z.number().int(),
  mean: z.number().nullable().describe('mean 1–5, two decimals, half up'),
  satisfiedRate: z.number().nullable().describe('percent of scores 4 or 5, one decimal'),
});

export const surveyResultSchema = z.object({
  /** Units of the community when the survey closed. */
  units: z.number().int(),
  answeredUnits: z.number().int(),
  responseRate: z.number().nullable().describe('percent of units that answered, one decimal'),
  mean: z.number().nullable().describe('mean of every score given, 1–5'),
  score: z.number().nullable().describe('mean mapped to 0–100 (1 → 0, 5 → 100), two decimals: what the credit grade uses'),
  satisfiedRate: z.number().nullable(),
  areas: z.array(areaResultSchema),
});
export type SurveyResult = z.infer<typeof surveyResultSchema>;

export const surveySchema = z.object({
  id: z.uuid(),
  communityId: z.uuid(),
  companyId: z.uuid(),
  period: z.string(),
  questions: z.array(z.object({ area: surveyAreaSchema, zh: z.string(), en: z.string() })),
  status: z.enum(['open', 'closed']),
  openerRole: z.string(),
  openedAt: z.string(),
  answers: z.number().int().describe('units that have answered so far'),
  closedAt: z.string().nullable(),
  result: surveyResultSchema.nullable(),
  /** The caller's units in this survey (the ones they represent) and whether each has answered. */
  myUnits: z.array(z.object({ unitId: z.uuid(), answered: z.boolean() })),
});
export type Survey = z.infer<typeof surveySchema>;

/** GET /api/v1/surveys/:id/comments: the owners' comments per area, without the unit or the owner (for those who read results). */
export const surveyCommentsSchema = z.array(z.object({ area: surveyAreaSchema, text: z.string(), answeredAt: z.string() }));

export const surveyListQuerySchema = z.object({ communityId: z.uuid() });

/** GET /api/v1/surveys/results: the closed surveys of one community, or of one company's communities in the caller's scope, per half-year. */
export const surveyResultsQuerySchema = z
  .object({ communityId: z.uuid().optional(), companyId: z.uuid().optional() })
  .refine((q) => (q.communityId === undefined) !== (q.companyId === undefined), 'give communityId or companyId');

export const surveyResultsSchema = z.object({
  communityId: z.uuid().nullable(),
  companyId: z.uuid().nullable(),
  periods: z.array(surveyResultSchema.extend({ period: z.string(), surveys: z.number().int() })),
});
