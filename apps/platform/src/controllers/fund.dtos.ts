import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import {
  createFundCaseRequestSchema,
  fundCaseDetailSchema,
  fundCaseListQuerySchema,
  fundCaseSummarySchema,
  fundCityProfileSchema,
  fundCommunitySettingsRequestSchema,
  fundCommunitySettingsSchema,
  fundDisclosureSchema,
  fundEvidenceUploadSchema,
  fundTransitionRequestSchema,
  type FundTransitionRequest,
  holidayCalendarRequestSchema,
  holidayCalendarSchema,
} from '@app/contracts';

export class CreateFundCaseDto extends createZodDto(createFundCaseRequestSchema) {}
/** A discriminated union (one shape per action): validated by the union, typed loosely here because a class cannot extend a union. */
export class FundTransitionDto extends createZodDto(fundTransitionRequestSchema as unknown as z.ZodType<{ action: FundTransitionRequest['action'] }>) {}
export class FundCaseListQueryDto extends createZodDto(fundCaseListQuerySchema) {}
export class HolidayCalendarDto extends createZodDto(holidayCalendarRequestSchema) {}
export class FundCommunitySettingsDto extends createZodDto(fundCommunitySettingsRequestSchema) {}
export class YearParamDto extends createZodDto(z.object({ year: z.coerce.number().int().min(2000).max(2100) })) {}
export class EvidenceParamDto extends createZodDto(z.object({ id: z.uuid(), evidenceId: z.uuid() })) {}
export class FundCaseSummaryDto extends createZodDto(fundCaseSummarySchema) {}
export class FundCaseDetailDto extends createZodDto(fundCaseDetailSchema) {}
export class FundEvidenceUploadDto extends createZodDto(fundEvidenceUploadSchema) {}
export class FundCityProfileDto extends createZodDto(fundCityProfileSchema) {}
export class HolidayCalendarResponseDto extends createZodDto(holidayCalendarSchema) {}
export class FundCommunitySettingsResponseDto extends createZodDto(fundCommunitySettingsSchema) {}
export class FundDisclosureDto extends createZodDto(fundDisclosureSchema) {}
