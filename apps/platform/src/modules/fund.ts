import type { Provider, Type } from '@nestjs/common';
import { FundAccountController } from '../controllers/fund-account.controller';
import { FundController, FundPublicController } from '../controllers/fund.controller';
import { FundAccountRepository } from '../repositories/fund-account.repository';
import { FundFileRepository, FundRepository } from '../repositories/fund.repository';
import { FundAccountService } from '../services/fund-account.service';
import { FundService } from '../services/fund.service';

/** Emergency maintenance-fund green channel (repair cases, deadlines, cost sharing, disclosure) and the unit accounts of the fund. Listed here, wired by app.module.ts. */
export const fundControllers: Type[] = [FundController, FundPublicController, FundAccountController];
export const fundProviders: Provider[] = [FundRepository, FundFileRepository, FundService, FundAccountRepository, FundAccountService];
