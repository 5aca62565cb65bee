import type { Provider, Type } from '@nestjs/common';
import { SupervisionController } from '../controllers/supervision.controller';
import { SupervisionSocketRepository } from '../repositories/supervision-socket.repository';
import { SupervisionRepository } from '../repositories/supervision.repository';
import { SupervisionService } from '../services/supervision.service';

/** Supervision views for street and district officers: summaries of alarms, devices and fund cases. Listed here, wired by app.module.ts. */
export const supervisionControllers: Type[] = [SupervisionController];
export const supervisionProviders: Provider[] = [SupervisionRepository, SupervisionSocketRepository, SupervisionService];
