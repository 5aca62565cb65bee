/**
 * The set-up the escalation faults share (clock jump, Redis lost): a fire device whose
 * tank_level_low alarm escalates from the duty room to maintenance and sends reminders, one alarm
 * raised on it, and the count of each step its events record.
 */
import { AlarmRepository } from '../../apps/platform/src/repositories/alarm.repository';
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { AlarmService } from '../../apps/platform/src/services/alarm.service';
import type { ProvisionedDevice, TestPlatform } from './platform';
import { waitFor } from './wait';

export interface StepCounts {
  notifyTier0: number;
  escalatedTier1: number;
  reminders: number;
}

export async function stepCounts(tp: TestPlatform, alarmId: string): Promise<StepCounts> {
  const events = await tp.platform.app.get(AlarmRepository).events(alarmId);
  const detail = (e: { detail: unknown }) => (typeof e.detail === 'string' ? JSON.parse(e.detail) : e.detail) as { tier?: number; kind?: string };
  return {
    notifyTier0: events.filter((e) => e.action === 'notified' && detail(e).kind === 'notify' && detail(e).tier === 0).length,
    escalatedTier1: events.filter((e) => e.action === 'escalated' && detail(e).tier === 1).length,
    reminders: events.filter((e) => e.action === 'notified' && detail(e).kind === 'reminder').length,
  };
}

/** A new community and fire device with the chain, and an alarm on it once tier 0 has been told. */
export async function raiseEscalatingAlarm(
  tp: TestPlatform,
  { ackWithinS, reminderEveryS }: { ackWithinS: number; reminderEveryS: number },
): Promise<{ communityId: string; device: ProvisionedDevice; alarmId: string }> {
  const community = await tp.createCommunity();
  const device = await tp.provisionDevice(community.id, 'fire', { subtype: 'sprinkler_pressure' });
  const chain = {
    tiers: [
      { name: 'duty_room', roles: ['property_staff'], scopeLevel: 'community', ackWithinS },
      { name: 'maintenance', roles: ['maintenance_staff'], scopeLevel: 'community', ackWithinS: 3600 },
    ],
    reminderEveryS,
  };
  expect((await tp.api('PUT', `/api/v1/alarm-escalation/${community.id}/tank_level_low`, chain)).status).toBe(200);
  const ts = tp.platform.app.get(ClockRepository).now();
  const alarm = await tp.platform.app.get(AlarmService).raise({ communityId: community.id, deviceId: device.id, type: 'tank_level_low', severity: 2, source: 'platform', ts, detail: {} });
  await waitFor(async () => (await stepCounts(tp, alarm.id)).notifyTier0 === 1, { timeoutMs: 60_000, message: 'tier 0 told' });
  return { communityId: community.id, device, alarmId: alarm.id };
}

/** Waits (past the first reminder, generously) until tier 1 has been told and a reminder sent. */
export async function untilEscalatedAndReminded(tp: TestPlatform, alarmId: string, reminderEveryS: number, after: string): Promise<void> {
  await waitFor(async () => ((c) => c.escalatedTier1 >= 1 && c.reminders >= 1)(await stepCounts(tp, alarmId)), {
    timeoutMs: (reminderEveryS + 120) * 1000,
    intervalMs: 500,
    message: `tier 1 escalation and the first reminder after ${after}`,
  });
}
