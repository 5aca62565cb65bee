import type { Provider, Type } from '@nestjs/common';
import { CreditController, PublicCreditController } from '../controllers/credit.controller';
import { CreditRepository } from '../repositories/credit.repository';
import { CreditSourcesService } from '../services/credit-sources.service';
import { CreditService } from '../services/credit.service';

/** Credit grade and red/black list (信用评价, 红黑榜; issue 13 §5, migration 0016). Listed here, wired by app.module.ts. */
export const creditControllers: Type[] = [CreditController, PublicCreditController];
export const creditProviders: Provider[] = [CreditRepository, CreditSourcesService, CreditService];
