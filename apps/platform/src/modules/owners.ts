import type { Provider, Type } from '@nestjs/common';
import { UnitVerificationController } from '../controllers/unit.controller';
import { SurveyController } from '../controllers/survey.controller';
import { VoteController } from '../controllers/vote.controller';
import { UnitRepository } from '../repositories/unit.repository';
import { SurveyRepository } from '../repositories/survey.repository';
import { VoteRepository } from '../repositories/vote.repository';
import { UnitService } from '../services/unit.service';
import { SurveyService } from '../services/survey.service';
import { VoteService } from '../services/vote.service';

/** Owners' voice (issue 13): units and their verified owners, votes, satisfaction surveys. Listed here, wired by app.module.ts. */
export const ownersControllers: Type[] = [UnitVerificationController, VoteController, SurveyController];
export const ownersProviders: Provider[] = [UnitRepository, UnitService, VoteRepository, VoteService, SurveyRepository, SurveyService];
