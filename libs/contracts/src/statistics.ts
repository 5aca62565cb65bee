import { z } from 'zod';

/** Service statistics and property-company scorecards: the REST inputs. */

const MAX_SPAN_MS = 366 * 86_400_000;

export const statisticsQuerySchema = z
  .object({
    from: z.iso.datetime({ offset: true }).describe('period start (inclusive), ISO 8601'),
    to: z.iso.datetime({ offset: true }).describe('period end (exclusive), ISO 8601'),
    format: z.enum(['json', 'csv', 'xlsx']).default('json'),
  })
  .refine((q) => Date.parse(q.to) > Date.parse(q.from), { message: 'to must be after from', path: ['to'] })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) <= MAX_SPAN_MS, { message: 'the period may span at most 366 days', path: ['to'] });
export type StatisticsQuery = z.infer<typeof statisticsQuerySchema>;

const CREDIT_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** 统一社会信用代码 (GB 32100-2015): 18 characters, the last a check character over the first 17. */
export function isValidCreditCode(code: string): boolean {
  if (!/^[0-9A-HJ-NPQRTUWXY]{18}$/.test(code)) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += CREDIT_CHARS.indexOf(code[i]) * CREDIT_WEIGHTS[i];
  const check = (31 - (sum % 31)) % 31;
  return CREDIT_CHARS[check] === code[17];
}

export const createPropertyCompanySchema = z.object({
  name: z.string().trim().min(1).max(128),
  creditCode: z
    .string()
    .trim()
    .toUpperCase()
    .refine(isValidCreditCode, { message: 'not a valid 统一社会信用代码 (18 characters with a correct check character)' }),
});
export type CreatePropertyCompany = z.infer<typeof createPropertyCompanySchema>;

export const assignCommunitiesSchema = z.object({ communityIds: z.array(z.uuid()).min(1).max(500) });

/** The REST responses (figures computed by the platform's domain/service-statistics). */
export const propertyCompanySchema = z.object({ id: z.uuid(), name: z.string(), creditCode: z.string(), createdAt: z.string() });
export const propertyCompanyAssignmentSchema = propertyCompanySchema.extend({ communityIds: z.array(z.uuid()) });

const share = z.number().nullable();
const durationFigureSchema = z.object({
  due: z.number().int().describe('alarms with such a deadline that are due (deadline passed, or done)'),
  done: z.number().int(),
  withinDeadline: z.number().int(),
  share: share.describe('withinDeadline / due, or null when nothing was due'),
  medianS: z.number().nullable(),
  p90S: z.number().nullable(),
});
const minutesFigureSchema = z.object({ done: z.number().int(), meanMinutes: z.number().nullable(), medianMinutes: z.number().nullable(), p90Minutes: z.number().nullable() });
export const serviceFiguresSchema = z.object({
  alarms: z.number().int(),
  acknowledgement: durationFigureSchema,
  arrival: durationFigureSchema,
  elevatorFaults: z.object({
    elevators: z.number().int(),
    faults: z.number().int(),
    faultsPerElevatorPer30Days: z.number().nullable(),
    perElevator: z.array(z.object({ deviceId: z.string(), faults: z.number().int() })),
  }),
  offline: z.object({ devices: z.number().int(), offlineHours: z.number(), offlineShare: share, perDevice: z.array(z.object({ deviceId: z.string(), offlineHours: z.number() })) }),
  repairDeadlines: z.object({ due: z.number().int(), met: z.number().int(), share }),
  sharedParking: z.object({ slots: z.number().int(), publishedHours: z.number(), bookedHours: z.number(), utilisation: share }),
  complaints: z
    .object({
      count: z.number().int().describe('complaints and repair requests filed in the period'),
      open: z.number().int(),
      overdue: z.number().int().describe('still open and past their deadline now'),
      response: minutesFigureSchema.describe('filing → first answer (respond or resolve)'),
      resolution: minutesFigureSchema.describe('filing → resolution'),
      settledByCompany: z.object({ due: z.number().int(), met: z.number().int(), share }).describe('一般问题不出社区: resolved by the property company within its deadline, never escalated nor reopened, of those due'),
      satisfaction: z.object({ rated: z.number().int(), average: z.number().nullable().describe('1–5') }),
      repeat: z.object({ count: z.number().int(), share }).describe('filed again by the same person in the same category within 30 days'),
      reopened: z.number().int(),
    })
    .describe('接诉即办 (issue 12 §3)'),
});

/** GET /api/v1/statistics/communities/:id */
export const communityStatisticsSchema = z.object({
  community: z.object({ id: z.uuid(), name: z.string(), district: z.string(), street: z.string() }),
  from: z.string(),
  to: z.string(),
  figures: serviceFiguresSchema,
});

export const scoreFigureSchema = z.enum(['acknowledgement', 'arrival', 'elevatorFaults', 'deviceOnline', 'repairDeadlines', 'sharedParking', 'complaintsSettled', 'complaintSatisfaction']);
const score = z.number().nullable();
/** Each figure normalised to 0–100 (null without data). */
const scoresSchema = z.object({ acknowledgement: score, arrival: score, elevatorFaults: score, deviceOnline: score, repairDeadlines: score, sharedParking: score, complaintsSettled: score, complaintSatisfaction: score });

/** GET /api/v1/statistics/companies?format=json: ranked scorecards (csv/xlsx: the same rows as a file). */
export const companyScorecardsSchema = z.object({
  from: z.string(),
  to: z.string(),
  weights: z.array(z.object({ figure: scoreFigureSchema, weight: z.number(), normalisation: z.string() })).readonly(),
  scorecards: z.array(
    z.object({
      rank: z.number().int(),
      company: z.object({ id: z.uuid(), name: z.string(), creditCode: z.string(), communities: z.number().int(), communityIds: z.array(z.uuid()) }),
      score: z.number().nullable().describe('0–100, null when no figure has data'),
      scores: scoresSchema,
      figures: serviceFiguresSchema,
    }),
  ),
});
export type CompanyScorecards = z.infer<typeof companyScorecardsSchema>;
