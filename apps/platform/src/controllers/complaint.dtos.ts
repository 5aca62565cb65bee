import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import {
  complaintActionRequestSchema,
  complaintDetailSchema,
  complaintFundCaseRequestSchema,
  complaintLinkAlarmRequestSchema,
  complaintInboxItemSchema,
  complaintListQuerySchema,
  complaintPhotoSchema,
  complaintSettingsRequestSchema,
  complaintSettingsSchema,
  complaintStatisticsSchema,
  complaintSummarySchema,
  createComplaintRequestSchema,
  type ComplaintActionRequest,
} from '@app/contracts';

export class CreateComplaintDto extends createZodDto(createComplaintRequestSchema) {}
/** A discriminated union (one shape per action): validated by the union, typed loosely here because a class cannot extend a union. */
export class ComplaintActionDto extends createZodDto(complaintActionRequestSchema as unknown as z.ZodType<{ action: ComplaintActionRequest['action'] }>) {}
export class ComplaintListQueryDto extends createZodDto(complaintListQuerySchema) {}
export class ComplaintSettingsDto extends createZodDto(complaintSettingsRequestSchema) {}
export class ComplaintStatisticsQueryDto extends createZodDto(z.object({ communityId: z.uuid().optional(), days: z.coerce.number().int().min(1).max(3660).default(365) })) {}
export class ComplaintInboxQueryDto extends createZodDto(z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) })) {}
export class PhotoParamDto extends createZodDto(z.object({ id: z.uuid(), photoId: z.uuid() })) {}
export class ComplaintSummaryDto extends createZodDto(complaintSummarySchema) {}
export class ComplaintDetailDto extends createZodDto(complaintDetailSchema) {}
export class ComplaintPhotoDto extends createZodDto(complaintPhotoSchema) {}
export class ComplaintSettingsResponseDto extends createZodDto(complaintSettingsSchema) {}
export class ComplaintStatisticsDto extends createZodDto(complaintStatisticsSchema) {}
export class ComplaintInboxItemDto extends createZodDto(complaintInboxItemSchema) {}
export class ComplaintFundCaseDto extends createZodDto(complaintFundCaseRequestSchema) {}
export class ComplaintLinkAlarmDto extends createZodDto(complaintLinkAlarmRequestSchema) {}
export class ComplaintFundCaseResponseDto extends createZodDto(z.object({ complaint: complaintDetailSchema, fundCaseId: z.uuid() })) {}
