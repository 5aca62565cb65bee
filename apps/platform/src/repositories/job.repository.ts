import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DelayedError, type Job, type JobsOptions, Queue, UnrecoverableError, Worker } from 'bullmq';
import type Redis from 'ioredis';
import { InjectConfig } from '../config/config.provider';
import { hasRole, type PlatformConfig } from '../config/config';
import { ClockRepository } from './clock.repository';
import { type JobDefinition, jobCatalogue, type QueueName, queueNames } from './job-catalogue';
import { RedisRepository } from './redis.repository';
import { WorkflowStepRepository } from './workflow-step.repository';

const definitions = new Map<string, JobDefinition<unknown>>();
for (const definition of jobCatalogue) {
  if (definitions.has(definition.name)) throw new Error(`job ${definition.name} is defined twice`);
  definitions.set(definition.name, definition);
}

/**
 * What a handler returns to put its job back for later instead of finishing it: the same job
 * waits in Redis (a delayed job, not an attempt), with `data` as its new data. Used where a
 * process must not hold work in memory (a crash would lose it) nor hold a worker while it waits.
 */
export interface Deferral<T> {
  deferMs: number;
  data: T;
}

type Handler<T> = (data: T, job: Job) => Promise<void | Deferral<T>>;

/** How often worker processes compare the pending deadlines in PostgreSQL with the jobs in Redis. */
const STEP_SWEEP_INTERVAL_MS = 60_000;
const STEP_SWEEP_PAGE = 500;

/**
 * BullMQ behind one class: typed jobs in, handlers out. Workers run only in processes with the
 * `worker` role; any process may add or cancel jobs. Start-up fails if a job of the catalogue
 * (job-catalogue.ts) has no handler, so a job can never sit in a queue that nothing serves.
 */
@Injectable()
export class JobRepository implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobRepository.name);
  private readonly queues = new Map<QueueName, Queue>();
  private readonly workers: Worker[] = [];
  private readonly handlers = new Map<string, Handler<unknown>>();
  /** BullMQ never closes a connection it was handed, so this class closes them. */
  private readonly connections: Redis[] = [];
  /** Jobs of durable steps on their way to Redis (not awaited by schedule(): Redis may be down). */
  private readonly adding = new Set<Promise<unknown>>();
  private sweepTimer?: NodeJS.Timeout;
  private sweeping?: Promise<number>;

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly redis: RedisRepository,
    private readonly steps: WorkflowStepRepository,
    private readonly clock: ClockRepository,
  ) {}

  /** Registers the handler of a job (call from a service's constructor or onModuleInit). */
  handle<T>(definition: JobDefinition<T>, handler: Handler<T>): void {
    if (definitions.get(definition.name) !== definition) throw new Error(`job ${definition.name} is not in the job catalogue`);
    if (this.handlers.has(definition.name)) throw new Error(`job ${definition.name} has two handlers`);
    this.handlers.set(definition.name, handler as Handler<unknown>);
  }

  async add<T>(definition: JobDefinition<T>, data: T, options: JobsOptions = {}): Promise<void> {
    const parsed = definition.schema.parse(data);
    await this.queue(definition.queue).add(definition.name, parsed, {
      removeOnComplete: 1000,
      removeOnFail: 5000,
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      ...definition.options,
      ...options,
    });
  }

  /**
   * Schedules a durable step (a deadline): recorded in PostgreSQL first, under its deterministic
   * job id, then handed to BullMQ. If Redis is down or loses the job,
   * the sweep re-creates it from the row; scheduling the same job id twice is one step.
   */
  async schedule<T>(definition: JobDefinition<T>, data: T, options: { jobId: string; dueAt: number; priority?: number }): Promise<void> {
    if (!definition.durable) throw new Error(`job ${definition.name} is not durable`);
    const parsed = definition.schema.parse(data);
    await this.steps.record({ jobId: options.jobId, name: definition.name, data: parsed, dueAt: new Date(options.dueAt), priority: options.priority });
    const queued = this.enqueueStep(definition, parsed, options.jobId, options.dueAt, options.priority);
    // Redis up: the job is in its queue when this returns. Redis down: ioredis would hold the
    // command until it is back, so the caller goes on and the row waits for the sweep.
    if (this.redis.client.status === 'ready') await queued;
  }

  /** Cancels durable steps: marked cancelled in PostgreSQL (their jobs then do nothing if they run), and removed from BullMQ. */
  async cancelSteps(queue: QueueName, jobIds: string[]): Promise<void> {
    await this.steps.finish(jobIds, 'cancelled', new Date(this.clock.now()));
    await Promise.all(jobIds.map((id) => this.cancel(queue, id).catch(() => false)));
  }

  private enqueueStep(definition: JobDefinition<unknown>, data: unknown, jobId: string, dueAt: number, priority?: number | null): Promise<unknown> {
    const work = this.add(definition, data, { jobId, delay: Math.max(0, dueAt - this.clock.now()), ...(priority ? { priority } : {}) })
      .catch((error: Error) => this.logger.warn(`step ${jobId} not queued yet (${error.message}); the sweep will queue it`))
      .finally(() => this.adding.delete(work));
    this.adding.add(work);
    return work;
  }

  /**
   * Re-creates the BullMQ job of every pending step that Redis no longer has (same job id, so a
   * job still there is left alone); a step whose job completed without being marked (PostgreSQL
   * was away at that moment) is marked done. Returns how many jobs were re-created.
   */
  sweepSteps(): Promise<number> {
    this.sweeping ??= this.sweepOnce().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async sweepOnce(): Promise<number> {
    let recreated = 0;
    let after = '';
    for (;;) {
      const page = await this.steps.pending(STEP_SWEEP_PAGE, after);
      if (page.length === 0) break;
      after = page[page.length - 1].job_id;
      for (const step of page) {
        const definition = definitions.get(step.name);
        if (!definition) continue;
        const state = await this.queue(definition.queue).getJobState(step.job_id);
        if (state === 'completed') await this.steps.finish([step.job_id], 'done', new Date(this.clock.now()));
        if (state !== 'unknown') continue;
        await this.add(definition, step.data, { jobId: step.job_id, delay: Math.max(0, step.due_at.getTime() - this.clock.now()), ...(step.priority ? { priority: step.priority } : {}) });
        recreated++;
      }
    }
    if (recreated > 0) this.logger.warn(`sweep re-created ${recreated} job(s) of pending deadlines that Redis had lost`);
    return recreated;
  }

  /** Removes a delayed or waiting job by its id; false when it already ran or never existed. */
  async cancel(queue: QueueName, jobId: string): Promise<boolean> {
    const job = await this.queue(queue).getJob(jobId);
    if (!job) return false;
    try {
      await job.remove();
      return true;
    } catch {
      return false; // running now, or locked by a worker
    }
  }

  async counts(): Promise<Record<QueueName, Record<string, number>>> {
    const result = {} as Record<QueueName, Record<string, number>>;
    for (const name of queueNames) result[name] = await this.queue(name).getJobCounts('waiting', 'delayed', 'active', 'failed');
    return result;
  }

  private queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection(), prefix: this.redis.keys.bullPrefix() });
      queue.on('error', (error) => this.logger.warn(`queue ${name}: ${error.message}`));
      this.queues.set(name, queue);
    }
    return queue;
  }

  private connection(): Redis {
    const connection = this.redis.duplicate();
    this.connections.push(connection);
    return connection;
  }

  onApplicationBootstrap(): void {
    const missing = [...definitions.keys()].filter((name) => !this.handlers.has(name));
    if (missing.length > 0) throw new Error(`jobs without a handler: ${missing.join(', ')}`);
    if (!hasRole(this.config, 'worker')) return;
    this.startStepSweeps();
    for (const queueName of queueNames) {
      if (![...definitions.values()].some((d) => d.queue === queueName)) continue;
      const worker = new Worker(queueName, (job, token) => this.run(job, token), {
        connection: this.connection(),
        prefix: this.redis.keys.bullPrefix(),
        concurrency: this.concurrency(queueName),
      });
      worker.on('failed', (job, error) => this.logger.warn(`job ${job?.name} (${job?.id}) failed: ${error.message}`));
      worker.on('error', (error) => this.logger.warn(`worker ${queueName}: ${error.message}`));
      this.workers.push(worker);
    }
  }

  /** Webhook calls mostly wait on other servers: enough of them that a few slow endpoints cannot take every worker. */
  private concurrency(queueName: QueueName): number {
    if (queueName === 'alarms') return 20;
    if (queueName === 'notifications') return this.config.notifications.webhookWorkers;
    return 5;
  }

  /** At start, every minute, and each time Redis comes back (it may have come back empty). */
  private startStepSweeps(): void {
    const sweep = () => void this.sweepSteps().catch((error: Error) => this.logger.warn(`deadline sweep failed: ${error.message}`));
    sweep();
    this.sweepTimer = setInterval(sweep, STEP_SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
    let lost = false;
    this.redis.client.on('close', () => (lost = true));
    this.redis.client.on('ready', () => {
      if (!lost) return;
      lost = false;
      sweep();
    });
  }

  private async run(job: Job, token: string | undefined): Promise<void> {
    const definition = definitions.get(job.name);
    const handler = this.handlers.get(job.name);
    if (!definition || !handler) throw new UnrecoverableError(`no handler for job ${job.name}`);
    const parsed = definition.schema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`job ${job.name} has invalid data: ${parsed.error.message}`);
    if (!definition.durable || !job.id) {
      const deferral = await handler(parsed.data, job);
      if (!deferral) return;
      // BullMQ's documented way to delay the running job: move it, then tell the worker so.
      await job.updateData(definition.schema.parse(deferral.data));
      await job.moveToDelayed(Date.now() + deferral.deferMs, token);
      throw new DelayedError();
    }
    // A durable step runs once: a job re-created by the sweep, or left over after a cancel, finds it finished.
    const step = await this.steps.find(job.id);
    if (step?.done_at) return;
    await handler(parsed.data, job);
    // Not marked (PostgreSQL away): the job still completes, and the sweep marks the step done from it.
    await this.steps.finish([job.id], 'done', new Date(this.clock.now())).catch((error: Error) => this.logger.warn(`step ${job.id} ran but is not marked done yet: ${error.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await Promise.allSettled([...this.adding]);
    await this.sweeping?.catch(() => undefined);
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    for (const connection of this.connections) connection.disconnect();
  }
}
