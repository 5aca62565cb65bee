import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { type Job, type JobsOptions, Queue, UnrecoverableError, Worker } from 'bullmq';
import type Redis from 'ioredis';
import { InjectConfig } from '../config/config.provider';
import { hasRole, type PlatformConfig } from '../config/config';
import { type JobDefinition, jobCatalogue, type QueueName, queueNames } from './job-catalogue';
import { RedisRepository } from './redis.repository';

const definitions = new Map<string, JobDefinition<unknown>>();
for (const definition of jobCatalogue) {
  if (definitions.has(definition.name)) throw new Error(`job ${definition.name} is defined twice`);
  definitions.set(definition.name, definition);
}

type Handler<T> = (data: T, job: Job) => Promise<void>;

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

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly redis: RedisRepository,
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
    for (const queueName of queueNames) {
      if (![...definitions.values()].some((d) => d.queue === queueName)) continue;
      const worker = new Worker(queueName, (job) => this.run(job), {
        connection: this.connection(),
        prefix: this.redis.keys.bullPrefix(),
        concurrency: queueName === 'alarms' ? 20 : 5,
      });
      worker.on('failed', (job, error) => this.logger.warn(`job ${job?.name} (${job?.id}) failed: ${error.message}`));
      worker.on('error', (error) => this.logger.warn(`worker ${queueName}: ${error.message}`));
      this.workers.push(worker);
    }
  }

  private async run(job: Job): Promise<void> {
    const definition = definitions.get(job.name);
    const handler = this.handlers.get(job.name);
    if (!definition || !handler) throw new UnrecoverableError(`no handler for job ${job.name}`);
    const parsed = definition.schema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`job ${job.name} has invalid data: ${parsed.error.message}`);
    await handler(parsed.data, job);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    for (const connection of this.connections) connection.disconnect();
  }
}
