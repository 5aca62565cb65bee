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
