import type { Provider, Type } from '@nestjs/common';
import { BillingController, PublicBillingController } from '../controllers/billing.controller';
import { BillingRepository } from '../repositories/billing.repository';
import { PaymentProviderRepository } from '../repositories/payment.repository';
import { BillingService } from '../services/billing.service';

/** Parking tariffs, billing, payments, the double-entry ledger and revenue split. Listed here, wired by app.module.ts. */
export const billingControllers: Type[] = [BillingController, PublicBillingController];
export const billingProviders: Provider[] = [BillingRepository, PaymentProviderRepository, BillingService];
