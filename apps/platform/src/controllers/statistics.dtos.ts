import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { isValidCreditCode } from '../domain/service-statistics';

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

export class StatisticsQueryDto extends createZodDto(statisticsQuerySchema) {}
export class CreatePropertyCompanyDto extends createZodDto(createPropertyCompanySchema) {}
export class AssignCommunitiesDto extends createZodDto(assignCommunitiesSchema) {}
