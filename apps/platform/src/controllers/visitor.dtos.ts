import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import {
  availabilityQuerySchema,
  createBookingRequestSchema,
  visitorAdmissionRequestSchema,
  visitorAdmissionSchema,
  visitorBillSchema,
  visitorBookingSchema,
  visitorCodeRequestSchema,
  visitorCodeSentSchema,
  visitorCommunitySchema,
  visitorSessionSchema,
  visitorSignInRequestSchema,
  visitorSlotSchema,
} from '@app/contracts';

export class VisitorCodeRequestDto extends createZodDto(visitorCodeRequestSchema) {}
export class VisitorCodeSentDto extends createZodDto(visitorCodeSentSchema) {}
export class VisitorSignInDto extends createZodDto(visitorSignInRequestSchema) {}
export class VisitorSessionDto extends createZodDto(visitorSessionSchema) {}
export class VisitorCommunityDto extends createZodDto(visitorCommunitySchema) {}
export class VisitorAvailabilityQueryDto extends createZodDto(availabilityQuerySchema) {}
export class VisitorSlotDto extends createZodDto(visitorSlotSchema) {}
export class VisitorBookingRequestDto extends createZodDto(createBookingRequestSchema) {}
export class VisitorBookingDto extends createZodDto(visitorBookingSchema) {}
export class VisitorBillDto extends createZodDto(visitorBillSchema) {}
export class VisitorIdParamDto extends createZodDto(z.object({ id: z.uuid() })) {}
export class VisitorAdmissionRequestDto extends createZodDto(visitorAdmissionRequestSchema) {}
export class VisitorAdmissionDto extends createZodDto(visitorAdmissionSchema) {}
