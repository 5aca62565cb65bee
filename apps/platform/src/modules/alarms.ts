import type { Provider, Type } from '@nestjs/common';
import { AlarmController } from '../controllers/alarm.controller';
import { AlarmRepository } from '../repositories/alarm.repository';
import { WebhookRepository } from '../repositories/webhook.repository';
import { AlarmDetectionService } from '../services/alarm-detection.service';
import { AlarmDispatchService } from '../services/alarm-dispatch.service';
import { AlarmSettingsService } from '../services/alarm-settings.service';
import { AlarmService } from '../services/alarm.service';
// Supervision views (street/district officers), registered here with the alarms it summarises.
import { SupervisionController } from '../controllers/supervision.controller';
import { SupervisionSocketRepository } from '../repositories/supervision-socket.repository';
import { SupervisionRepository } from '../repositories/supervision.repository';
import { SupervisionService } from '../services/supervision.service';

/** Alarms: detection rules, lifecycle, dispatch and escalation, notifications (issue: alarms). Listed here, wired by app.module.ts. */
export const alarmsControllers: Type[] = [AlarmController, /* supervision: */ SupervisionController];
export const alarmsProviders: Provider[] = [AlarmRepository, WebhookRepository, AlarmSettingsService, AlarmDispatchService, AlarmService, AlarmDetectionService, /* supervision: */ SupervisionRepository, SupervisionSocketRepository, SupervisionService];
