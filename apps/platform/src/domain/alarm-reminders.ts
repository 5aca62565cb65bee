/**
 * How often an unresolved alarm is repeated to its current tier (pure). The chain asks for an
 * interval; the operator's bounds win: never closer than ALARM_REMINDER_MIN_INTERVAL_S (at least
 * 60 s, so a chain cannot turn the platform into a pager flood or a webhook hammer) and at most
 * ALARM_REMINDERS_PER_ALARM reminders per alarm (issue 8 item 6).
 */
export interface ReminderBounds {
  minIntervalS: number;
  perAlarm: number;
}

/** Seconds to wait before reminder `n` (1-based), or undefined when no reminder `n` is due at all. */
export function reminderDelayS(everyS: number | undefined, n: number, bounds: ReminderBounds): number | undefined {
  if (!everyS || n > bounds.perAlarm) return undefined;
  return Math.max(everyS, bounds.minIntervalS);
}
