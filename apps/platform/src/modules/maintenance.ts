import type { Provider, Type } from '@nestjs/common';
import { MaintenanceController } from '../controllers/maintenance.controller';
import { MaintenanceRepository } from '../repositories/maintenance.repository';
import { MaintenanceService } from '../services/maintenance.service';

/** Maintenance plans and inspections (issue 12 §4, migration 0013); the board shows their records. Listed here, wired by app.module.ts. */
export const maintenanceControllers: Type[] = [MaintenanceController];
export const maintenanceProviders: Provider[] = [MaintenanceRepository, MaintenanceService];
