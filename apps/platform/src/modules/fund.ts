import type { Provider, Type } from '@nestjs/common';
import { FundController, FundPublicController } from '../controllers/fund.controller';
import { FundFileRepository, FundRepository } from '../repositories/fund.repository';
import { FundService } from '../services/fund.service';
// Service statistics and property-company scorecards (issue: service statistics), registered here by brief.
import { StatisticsController } from '../controllers/statistics.controller';
import { StatisticsRepository } from '../repositories/statistics.repository';
import { StatisticsService } from '../services/statistics.service';

/** Emergency maintenance-fund green channel: repair cases, deadlines, cost sharing, disclosure. Listed here, wired by app.module.ts. */
export const fundControllers: Type[] = [FundController, FundPublicController, /* service statistics: */ StatisticsController];
export const fundProviders: Provider[] = [FundRepository, FundFileRepository, FundService, /* service statistics: */ StatisticsRepository, StatisticsService];
