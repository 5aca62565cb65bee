import type { Provider, Type } from '@nestjs/common';
import { BillingController, PublicBillingController } from '../controllers/billing.controller';
import { BillingRepository } from '../repositories/billing.repository';
import { PaymentProviderRepository } from '../repositories/payment.repository';
import { BillingService } from '../services/billing.service';
// Disclosure board (公示栏, migration 0007): registered here because it reuses billing's public disclosure.
import { BoardController, PublicBoardController } from '../controllers/board.controller';
import { BoardRepository } from '../repositories/board.repository';
import { BoardService } from '../services/board.service';

/** Parking tariffs, billing, payments, the double-entry ledger and revenue split. Listed here, wired by app.module.ts. */
export const billingControllers: Type[] = [
  BillingController,
  PublicBillingController,
  // disclosure board (公示栏)
  BoardController,
  PublicBoardController,
];
export const billingProviders: Provider[] = [
  BillingRepository,
  PaymentProviderRepository,
  BillingService,
  // disclosure board (公示栏)
  BoardRepository,
  BoardService,
];
