/**
 * Issue 9, fault table: Redis flushed, and separately restarted empty, while an alarm escalation
 * and its reminders, and a fund deadline, are pending. PostgreSQL (workflow_steps) holds every
 * deadline; the sweep re-creates the BullMQ jobs Redis lost under the same job ids, and each step
 * runs once: no escalation, reminder or deadline lost or doubled. Live state comes back with the
 * next message. Today's code keeps these timers only in Redis and loses them.
 */
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { DatabaseRepository } from '../../apps/platform/src/repositories/database.repository';
import { JobRepository } from '../../apps/platform/src/repositories/job.repository';
import { fundDeadlineJob } from '../../apps/platform/src/repositories/job-catalogue';
import { raiseEscalatingAlarm, stepCounts, untilEscalatedAndReminded, type StepCounts } from '../support/escalation-alarm';
import { byScale, recordFault } from '../support/fault-report';
import { publishJson, startTestPlatform, type TestPlatform } from '../support/platform';
import { PrivateRedis } from '../support/private-services';
import { testServices } from '../support/test-services';
import { waitFor } from '../support/wait';

const ackWithinS = byScale(12, 60);
const reminderEveryS = byScale(18, 90);

/** Pending steps of an alarm in PostgreSQL. */
async function pendingSteps(tp: TestPlatform, alarmId: string): Promise<string[]> {
  const rows = await tp.platform.app.get(DatabaseRepository).db.selectFrom('workflow_steps').select('job_id').where('done_at', 'is', null).where('job_id', 'like', `%${alarmId}%`).execute();
  return rows.map((r) => r.job_id).sort();
}

/** Waits for tier 1 and the first reminder, then checks that each step ran exactly once. */
async function expectEachStepOnce(tp: TestPlatform, alarmId: string): Promise<StepCounts> {
  await untilEscalatedAndReminded(tp, alarmId, reminderEveryS, 'the fault');
  // The second reminder is scheduled by the first: pending, not run twice.
  await waitFor(async () => (await pendingSteps(tp, alarmId)).includes(`rem-${alarmId}-2`), { timeoutMs: 60_000, message: 'second reminder pending' });
  const c = await stepCounts(tp, alarmId);
  expect(c).toEqual({ notifyTier0: 1, escalatedTier1: 1, reminders: 1 });
  return c;
}

describe('fault: Redis loses the queued deadlines (issue 9)', () => {
  let tp: TestPlatform | undefined;
  afterEach(async () => {
    await tp?.close();
    tp = undefined;
  });

  it('Redis flushed during an open escalation and a fund deadline: the sweep re-creates every job once, nothing lost or doubled', async () => {
    tp = await startTestPlatform();
    const { alarmId } = await raiseEscalatingAlarm(tp, { ackWithinS, reminderEveryS });
    expect(await pendingSteps(tp, alarmId)).toEqual([`esc-${alarmId}-1`, `rem-${alarmId}-1`].sort());

    // A fund deemed-approval deadline pending in ten minutes (its case need not exist: the handler checks PostgreSQL).
    const jobs = tp.platform.app.get(JobRepository);
    const caseId = randomUUID();
    const deadline = Date.now() + 600_000;
    const fundJobId = `fund-${caseId}-review-due-${deadline}`;
    await jobs.schedule(fundDeadlineJob, { caseId, kind: 'review', phase: 'due', deadline }, { jobId: fundJobId, dueAt: deadline });
    const redis = new Redis(testServices().redisUrl);
    tp.defer(() => redis.disconnect());
    const fundJobKey = `${tp.redisPrefix}:bull:fund:${fundJobId}`;
    await waitFor(async () => (await redis.exists(fundJobKey)) === 1, { message: 'fund deadline job in Redis' });

    // The flush: every key of this platform gone (its prefix; the run's Redis is shared).
    const faultAt = Date.now();
    let deleted = 0;
    for (let cursor = '0'; ; ) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${tp.redisPrefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) deleted += await redis.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
    expect(deleted).toBeGreaterThan(0);
    expect(await redis.exists(fundJobKey)).toBe(0);

    // The sweep (also run every minute and when Redis comes back): three jobs back, a second sweep adds none.
    expect(await jobs.sweepSteps()).toBeGreaterThanOrEqual(3);
    expect(await jobs.sweepSteps()).toBe(0);
    expect(await redis.exists(fundJobKey)).toBe(1);

    const c = await expectEachStepOnce(tp, alarmId);
    recordFault({
      fault: 'Redis flushed (open escalation, reminder, fund deadline)',
      load: `1 alarm, tier 1 due after ${ackWithinS} s, reminder every ${reminderEveryS} s, 1 fund deadline`,
      acknowledged: 3,
      stored: c.escalatedTier1 + c.reminders + (await redis.exists(fundJobKey)),
      lost: 3 - (c.escalatedTier1 + c.reminders + (await redis.exists(fundJobKey))),
      duplicated: Math.max(0, c.escalatedTier1 - 1) + Math.max(0, c.reminders - 1) + Math.max(0, c.notifyTier0 - 1),
      recoverySeconds: 0,
      notes: `jobs re-created by the sweep ${((Date.now() - faultAt) / 1000).toFixed(0)} s after the flush ran each once`,
    });
  }, 600_000);

  it('Redis restarted empty during an open escalation: the platform reconnects, re-creates the jobs itself, and live state returns with the next message', async () => {
    const privateRedis = await PrivateRedis.start();
    try {
      tp = await startTestPlatform({ env: { REDIS_URL: privateRedis.url } });
      const { device, alarmId } = await raiseEscalatingAlarm(tp, { ackWithinS, reminderEveryS });

      await privateRedis.stop();
      const stoppedAt = Date.now();
      await privateRedis.start();
      // Nobody calls the sweep: the platform runs it when its Redis connection is ready again.
      const probe = new Redis(privateRedis.url);
      tp.defer(() => probe.disconnect());
      await waitFor(async () => (await probe.exists(`${tp!.redisPrefix}:bull:alarms:esc-${alarmId}-1`)) === 1, { timeoutMs: 120_000, intervalMs: 250, message: 'escalation job re-created after the restart' });
      const recoverySeconds = (Date.now() - stoppedAt) / 1000;

      const client = await tp.connectDevice(device);
      await waitFor(
        async () => {
          await publishJson(client, `v1/devices/${device.id}/telemetry`, { value: 321 });
          return (await tp!.api('GET', `/api/v1/devices/${device.id}/live`)).body?.state?.value === 321;
        },
        { timeoutMs: 120_000, intervalMs: 1000, message: 'live state rebuilt from the next message' },
      );

      const c = await expectEachStepOnce(tp, alarmId);
      recordFault({
        fault: 'Redis restarted empty (open escalation, reminder)',
        load: `1 alarm, tier 1 due after ${ackWithinS} s, reminder every ${reminderEveryS} s`,
        acknowledged: 2,
        stored: c.escalatedTier1 + c.reminders,
        lost: 2 - (c.escalatedTier1 + c.reminders),
        duplicated: Math.max(0, c.escalatedTier1 - 1) + Math.max(0, c.reminders - 1) + Math.max(0, c.notifyTier0 - 1),
        recoverySeconds,
        notes: 'jobs re-created by the platform on reconnect; live state from the next message',
      });
    } finally {
      await tp?.close();
      tp = undefined;
      await privateRedis.remove();
    }
  }, 600_000);
});
