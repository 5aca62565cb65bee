import type { Provider, Type } from '@nestjs/common';
import { BillingController, PublicBillingController } from '../controllers/billing.controller';
import { OnlinePaymentController, PaymentNotificationController } from '../controllers/online-payment.controller';
import { AlipayRepository } from '../repositories/alipay.repository';
import { BillingRepository } from '../repositories/billing.repository';
import { OnlinePaymentRepository } from '../repositories/online-payment.repository';
import { PaymentProviderRepository } from '../repositories/payment.repository';
import { WechatPayRepository } from '../repositories/wechat-pay.repository';
import { BillingService } from '../services/billing.service';
import { OnlinePaymentService } from '../services/online-payment.service';

/** Parking tariffs, billing, payments, the double-entry ledger and revenue split. Listed here, wired by app.module.ts. */
export const billingControllers: Type[] = [BillingController, PublicBillingController, OnlinePaymentController, PaymentNotificationController];
export const billingProviders: Provider[] = [BillingRepository, PaymentProviderRepository, BillingService, OnlinePaymentRepository, WechatPayRepository, AlipayRepository, OnlinePaymentService];
