/**
 * Issue 9, fault table: the wall clock steps (NTP) by +5 min and by −5 min while an alarm
 * escalation and its reminders are pending. The step is done through the platform's time source
 * (ClockRepository.now(), the hook tests use to move time), while ClockRepository.monotonic() and
 * the timers keep going: each escalation step and reminder runs exactly once (none lost, none
 * doubled, also after a deadline sweep at the jump), and no negative duration reaches the alarm's
 * response time, its events or the statistics.
 */
import { AlarmRepository } from '../../apps/platform/src/repositories/alarm.repository';
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { JobRepository } from '../../apps/platform/src/repositories/job.repository';
import { raiseEscalatingAlarm, stepCounts, untilEscalatedAndReminded } from '../support/escalation-alarm';
import { byScale, recordFault } from '../support/fault-report';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const ackWithinS = byScale(8, 60);
const reminderEveryS = byScale(14, 90);
const STEP_MS = 5 * 60_000;
// Waits for real escalation deadlines on a machine that may be busy.
jest.setTimeout(400_000);

/** Every number under a key naming a duration (…S, …Ms, medianS, p90S) in a JSON body. */
function durations(value: unknown, key = ''): number[] {
  if (typeof value === 'number') return /(S|Ms)$/.test(key) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap((v) => durations(v, key));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => durations(v, k));
  return [];
}

describe('fault: clock jump (NTP step) of ±5 min (issue 9)', () => {
  let tp: TestPlatform | undefined;
  afterEach(async () => {
    await tp?.close();
    tp = undefined;
  });

  it.each([
    ['forward', STEP_MS],
    ['back', -STEP_MS],
  ])('clock stepped %s 5 min: each escalation step and reminder once, no negative durations', async (_direction, stepMs) => {
    tp = await startTestPlatform();
    const { communityId, alarmId } = await raiseEscalatingAlarm(tp, { ackWithinS, reminderEveryS });
    const clock = tp.platform.app.get(ClockRepository);

    // The step: now() jumps, monotonic() does not.
    const monotonicBefore = clock.monotonic();
    const wallBefore = clock.now();
    clock.now = () => Date.now() + stepMs;
    expect(Math.abs(clock.now() - wallBefore - stepMs)).toBeLessThan(60_000);
    expect(clock.monotonic()).toBeGreaterThanOrEqual(monotonicBefore);
    const steppedAt = Date.now();
    // A deadline sweep right after the jump re-creates nothing (every job is still queued).
    expect(await tp.platform.app.get(JobRepository).sweepSteps()).toBe(0);

    await untilEscalatedAndReminded(tp, alarmId, reminderEveryS, 'the step');
    const recoverySeconds = (Date.now() - steppedAt) / 1000;
    expect(await stepCounts(tp, alarmId)).toEqual({ notifyTier0: 1, escalatedTier1: 1, reminders: 1 });

    // Acknowledged after the step: the response time is never negative, in the alarm, its events and the statistics.
    const acked = await tp.api('POST', `/api/v1/alarms/${alarmId}/acknowledge`, {});
    expect(acked.status).toBe(200);
    expect(acked.body.responseS).toBeGreaterThanOrEqual(0);
    const events = await tp.platform.app.get(AlarmRepository).events(alarmId);
    const ackEvent = events.find((e) => e.action === 'acknowledged')!;
    expect((typeof ackEvent.detail === 'string' ? JSON.parse(ackEvent.detail) : ackEvent.detail).responseMs).toBeGreaterThanOrEqual(0);
    const period = new URLSearchParams({ from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date(Date.now() + 86_400_000).toISOString() });
    const stats = await tp.api('GET', `/api/v1/statistics/communities/${communityId}?${period}`);
    expect(stats.status).toBe(200);
    const figures = durations(stats.body);
    expect(figures.filter((d) => d < 0)).toEqual([]);
    // Still once each after the acknowledgement stopped the chain.
    const final = await stepCounts(tp, alarmId);
    expect(final).toEqual({ notifyTier0: 1, escalatedTier1: 1, reminders: 1 });
    const ran = final.escalatedTier1 + final.reminders;

    recordFault({
      fault: `clock stepped ${stepMs > 0 ? '+' : '−'}5 min (NTP) during an open escalation`,
      load: `1 alarm, 2-tier chain (ack within ${ackWithinS} s), reminders every ${reminderEveryS} s`,
      acknowledged: 2,
      stored: ran,
      lost: Math.max(0, 2 - ran),
      duplicated: Math.max(0, ran - 2),
      recoverySeconds,
      notes: 'escalation and reminder once each; response time and statistics durations ≥ 0',
    });
  });
});
