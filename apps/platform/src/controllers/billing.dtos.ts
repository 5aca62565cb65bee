import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { billingSettingsSchema, createTariffRequestSchema, monthQuerySchema, optionalMonthQuerySchema, recordPaymentRequestSchema, refundRequestSchema } from '@app/contracts';

export class CreateTariffDto extends createZodDto(createTariffRequestSchema) {}
export class BillingSettingsDto extends createZodDto(billingSettingsSchema) {}
export class RecordPaymentDto extends createZodDto(recordPaymentRequestSchema) {}
export class RefundDto extends createZodDto(refundRequestSchema) {}
export class MonthQueryDto extends createZodDto(monthQuerySchema) {}
export class OptionalMonthQueryDto extends createZodDto(optionalMonthQuerySchema) {}
export class BillingIdParamDto extends createZodDto(z.object({ id: z.uuid() })) {}
