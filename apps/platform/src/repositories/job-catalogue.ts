import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

/**
 * Every BullMQ job of the platform in one place: its name, queue, data schema (checked when added
 * and when run), default options and job-id builder. JobRepository serves these and nothing else;
 * start-up fails if one has no handler or two (job.repository.spec.ts).
 */

/** Queues, one BullMQ queue each; urgent work (alarms) never waits behind slow work. */
export const queueNames = ['alarms', 'notifications', 'fund', 'parking', 'owners', 'complaints'] as const;
export type QueueName = (typeof queueNames)[number];

export interface JobDefinition<T> {
  name: string;
  queue: QueueName;
  schema: z.ZodType<T>;
  /** Over JobRepository's defaults; a call's own options (delay, priority, jobId) come last. */
  options?: JobsOptions;
  /** A deadline kept in PostgreSQL (workflow_steps): scheduled with schedule(), run at most once per job id, re-created after Redis loses it. */
  durable?: boolean;
}

function job<T>(name: string, queue: QueueName, schema: z.ZodType<T>, options?: JobsOptions): JobDefinition<T> {
  return { name, queue, schema, options };
}

/** A job that is a deadline of the workflow: a workflow_steps row each, so it survives Redis losing it. */
function durableJob<T>(name: string, queue: QueueName, schema: z.ZodType<T>): JobDefinition<T> {
  return { name, queue, schema, durable: true };
}

// ---- alarms (alarm-dispatch.service.ts)
/** atStart: the tier is told as part of the raise (its follow-up was scheduled with it); otherwise an escalation (tier 0: the first notice). */
export const escalateJob = durableJob('alarm.escalate', 'alarms', z.object({ alarmId: z.uuid(), tier: z.number().int().min(0), atStart: z.boolean().optional() }));
export const arrivalJob = durableJob('alarm.arrival-deadline', 'alarms', z.object({ alarmId: z.uuid() }));
export const reminderJob = durableJob('alarm.remind', 'alarms', z.object({ alarmId: z.uuid(), n: z.number().int().min(1) }));
export const webhookJob = job(
  'alarm.webhook',
  'notifications',
  // attempt: the delivery's try (its retries are jobs of their own, see alarm-dispatch.service.ts); the job's own attempts cover reading the alarm.
  // deferrals: how often it was put back to wait for a free call to its endpoint (WebhookLanes).
  z.object({
    webhookId: z.uuid(),
    alarmId: z.uuid(),
    kind: z.enum(['notify', 'escalation', 'reminder']),
    tier: z.number().int(),
    tierName: z.string(),
    attempt: z.number().int().min(1).optional(),
    deferrals: z.number().int().min(1).optional(),
  }),
  { attempts: 6, backoff: { type: 'exponential', delay: 500 } },
);

// ---- maintenance fund (fund.service.ts)
export const fundDeadlineJob = durableJob(
  'fund.deadline',
  'fund',
  z.object({ caseId: z.uuid(), kind: z.enum(['review', 'payment']), phase: z.enum(['remind', 'due']), deadline: z.number() }),
);

// ---- complaints (complaint.service.ts)
/** The deadline of an item at a level; a stale one (item moved on, new deadline) does nothing. */
export const complaintDeadlineJob = durableJob(
  'complaint.deadline',
  'complaints',
  z.object({ complaintId: z.uuid(), level: z.enum(['property', 'residents_committee', 'street', 'district']), deadline: z.number() }),
);

// ---- parking and billing (parking-booking.service.ts, billing.service.ts)
const bookingJob = z.object({ bookingId: z.uuid() });
export const noShowJob = job('parking.booking.no-show', 'parking', bookingJob);
export const overstayJob = job('parking.booking.overstay', 'parking', bookingJob);
/** Prices one closed session; its job id is the session's, so a duplicate close event adds nothing while the first waits. */
export const billSessionJob = job('billing.bill-session', 'parking', z.object({ sessionId: z.uuid() }));

// ---- owners' votes (vote.service.ts)
/** A vote's period ends: tally and publish. Durable, so a vote closes even after Redis lost the job. */
export const voteCloseJob = durableJob('owners.vote.close', 'owners', z.object({ voteId: z.uuid() }));

// ---- satisfaction surveys (survey.service.ts)
/** A survey's half-year ends: tally and close. Durable, so a survey closes even after Redis lost the job. */
export const surveyCloseJob = durableJob('owners.survey.close', 'owners', z.object({ surveyId: z.uuid() }));

/** Job ids: a job scheduled twice is added once, and can be cancelled by its id. */
export const jobIds = {
  escalate: (alarmId: string, tier: number) => `esc-${alarmId}-${tier}`,
  arrival: (alarmId: string) => `arr-${alarmId}`,
  reminder: (alarmId: string, n: number) => `rem-${alarmId}-${n}`,
  /** `suffix` tells a re-armed timer (e.g. waiting for a working day) from the first one. */
  fundDeadline: (d: z.infer<typeof fundDeadlineJob.schema>, suffix = '') => `fund-${d.caseId}-${d.kind}-${d.phase}-${d.deadline}${suffix}`,
  complaintDeadline: (d: z.infer<typeof complaintDeadlineJob.schema>, suffix = '') => `complaint-${d.complaintId}-${d.level}-${d.deadline}${suffix}`,
  noShow: (bookingId: string) => `noshow-${bookingId}`,
  overstay: (bookingId: string) => `overstay-${bookingId}`,
  billSession: (sessionId: string) => `bill-${sessionId}`,
  /** `suffix` tells a re-armed close (the job ran before the period ended) from the first one. */
  voteClose: (voteId: string, suffix = '') => `vote-close-${voteId}${suffix}`,
  surveyClose: (surveyId: string, suffix = '') => `survey-close-${surveyId}${suffix}`,
};

export const jobCatalogue: ReadonlyArray<JobDefinition<unknown>> = [
  escalateJob,
  arrivalJob,
  reminderJob,
  webhookJob,
  fundDeadlineJob,
  complaintDeadlineJob,
  noShowJob,
  overstayJob,
  billSessionJob,
  voteCloseJob,
  surveyCloseJob,
] as ReadonlyArray<JobDefinition<unknown>>;
