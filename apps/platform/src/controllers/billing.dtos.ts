import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import {
  billDetailResponseSchema,
  billingSettingsResponseSchema,
  billingSettingsSchema,
  billResponseSchema,
  communityStatementSchema,
  createTariffRequestSchema,
  ledgerResponseSchema,
  monthQuerySchema,
  optionalMonthQuerySchema,
  ownBillSchema,
  ownerEarningsSchema,
  parkingDisclosureSchema,
  recordPaymentRequestSchema,
  refundRequestSchema,
  tariffResponseSchema,
} from '@app/contracts';

export class CreateTariffDto extends createZodDto(createTariffRequestSchema) {}
export class BillingSettingsDto extends createZodDto(billingSettingsSchema) {}
export class RecordPaymentDto extends createZodDto(recordPaymentRequestSchema) {}
export class RefundDto extends createZodDto(refundRequestSchema) {}
export class MonthQueryDto extends createZodDto(monthQuerySchema) {}
export class OptionalMonthQueryDto extends createZodDto(optionalMonthQuerySchema) {}
export class BillingIdParamDto extends createZodDto(z.object({ id: z.uuid() })) {}
export class TariffDto extends createZodDto(tariffResponseSchema) {}
export class BillingSettingsResponseDto extends createZodDto(billingSettingsResponseSchema) {}
export class BillDto extends createZodDto(billResponseSchema) {}
export class BillDetailDto extends createZodDto(billDetailResponseSchema) {}
export class OwnBillDto extends createZodDto(ownBillSchema) {}
export class LedgerDto extends createZodDto(ledgerResponseSchema) {}
export class CommunityStatementDto extends createZodDto(communityStatementSchema) {}
export class OwnerEarningsDto extends createZodDto(ownerEarningsSchema) {}
export class ParkingDisclosureDto extends createZodDto(parkingDisclosureSchema) {}
