import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { onlinePaymentOrderSchema, paymentNotificationAckSchema, paymentReconciliationQuerySchema, paymentReconciliationSchema } from '@app/contracts';

export class OnlinePaymentBillParamDto extends createZodDto(z.object({ id: z.uuid() })) {}
export class OnlinePaymentOrderDto extends createZodDto(onlinePaymentOrderSchema) {}
export class PaymentNotificationAckDto extends createZodDto(paymentNotificationAckSchema) {}
export class PaymentReconciliationQueryDto extends createZodDto(paymentReconciliationQuerySchema) {}
export class PaymentReconciliationDto extends createZodDto(paymentReconciliationSchema) {}
