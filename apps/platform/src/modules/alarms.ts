import type { Provider, Type } from '@nestjs/common';
import { AlarmController } from '../controllers/alarm.controller';
import { AlarmRepository } from '../repositories/alarm.repository';
import { WebhookRepository } from '../repositories/webhook.repository';
import { AlarmDetectionService } from '../services/alarm-detection.service';
import { AlarmDispatchService } from '../services/alarm-dispatch.service';
import { AlarmSettingsService } from '../services/alarm-settings.service';
import { AlarmService } from '../services/alarm.service';

/** Alarms: detection rules, lifecycle, dispatch and escalation, notifications (issue: alarms). Listed here, wired by app.module.ts. */
export const alarmsControllers: Type[] = [AlarmController];
export const alarmsProviders: Provider[] = [AlarmRepository, WebhookRepository, AlarmSettingsService, AlarmDispatchService, AlarmService, AlarmDetectionService];
