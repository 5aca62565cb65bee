import type { Provider, Type } from '@nestjs/common';
import { FundController, FundPublicController } from '../controllers/fund.controller';
import { FundFileRepository, FundRepository } from '../repositories/fund.repository';
import { FundService } from '../services/fund.service';

/** Emergency maintenance-fund green channel: repair cases, deadlines, cost sharing, disclosure. Listed here, wired by app.module.ts. */
export const fundControllers: Type[] = [FundController, FundPublicController];
export const fundProviders: Provider[] = [FundRepository, FundFileRepository, FundService];
