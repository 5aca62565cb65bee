import type { Provider, Type } from '@nestjs/common';

/** Alarms: detection rules, lifecycle, dispatch and escalation, notifications (issue: alarms). Listed here, wired by app.module.ts. */
export const alarmsControllers: Type[] = [];
export const alarmsProviders: Provider[] = [];
