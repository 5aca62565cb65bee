import type { Provider, Type } from '@nestjs/common';
import { UnitVerificationController } from '../controllers/unit.controller';
import { VoteController } from '../controllers/vote.controller';
import { UnitRepository } from '../repositories/unit.repository';
import { VoteRepository } from '../repositories/vote.repository';
import { UnitService } from '../services/unit.service';
import { VoteService } from '../services/vote.service';

/** Owners' voice (issue 13): units and their verified owners, votes. Listed here, wired by app.module.ts. */
export const ownersControllers: Type[] = [UnitVerificationController, VoteController];
export const ownersProviders: Provider[] = [UnitRepository, UnitService, VoteRepository, VoteService];
