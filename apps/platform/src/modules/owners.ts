import type { Provider, Type } from '@nestjs/common';
import { UnitVerificationController } from '../controllers/unit.controller';
import { UnitRepository } from '../repositories/unit.repository';
import { UnitService } from '../services/unit.service';

/** Owners' voice (issue 13): units and their verified owners. Listed here, wired by app.module.ts. */
export const ownersControllers: Type[] = [UnitVerificationController];
export const ownersProviders: Provider[] = [UnitRepository, UnitService];
