import type { Provider, Type } from '@nestjs/common';
import { StatisticsController } from '../controllers/statistics.controller';
import { StatisticsRepository } from '../repositories/statistics.repository';
import { StatisticsService } from '../services/statistics.service';

/** Service statistics and property-company scorecards (issue: service statistics). Listed here, wired by app.module.ts. */
export const statisticsControllers: Type[] = [StatisticsController];
export const statisticsProviders: Provider[] = [StatisticsRepository, StatisticsService];
