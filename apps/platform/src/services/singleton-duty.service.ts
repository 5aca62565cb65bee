import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { LeaseRepository } from '../repositories/lease.repository';
import { MetricsRepository } from '../repositories/metrics.repository';

/** A duty that must run in one process of the cluster at a time. */
export interface SingletonDuty {
  /** The lease's name, unique across the platform. */
  name: string;
  /** How often `run` is called while this process holds the lease (first call when it takes it). */
  everyMs: number;
  /** Wait this long after taking the lease before the first call (default 0: at once), e.g. when every process already ran it at its start. */
  firstRunAfterMs?: number;
  run(): Promise<void> | void;
}

/** A lease not renewed for this long passes to another process. */
export const LEASE_TTL_MS = 5000;
/** How often leases are renewed (or tried for); well inside LEASE_TTL_MS so a slow tick does not lose one. */
export const LEASE_RENEW_MS = 1000;

interface DutyState {
  duty: SingletonDuty;
  held: boolean;
  running: boolean;
  nextRunAt: number;
}

/**
 * Runs each registered duty in exactly one process of those sharing REDIS_PREFIX: the holder of
 * the duty's lease in Redis. The holder renews it every LEASE_RENEW_MS; a process that dies (or
 * loses Redis) stops renewing, and another one takes the duty over within LEASE_TTL_MS.
 * Duties must tolerate a rare overlap (a holder frozen longer than the lease): they are sweeps
 * that write idempotently.
 */
@Injectable()
export class SingletonDutyService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SingletonDutyService.name);
  private readonly duties = new Map<string, DutyState>();
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  /** Duty runs under way, awaited at shutdown. */
  private readonly runs = new Set<Promise<void>>();

  constructor(
    private readonly leases: LeaseRepository,
    private readonly metrics: MetricsRepository,
  ) {}

  register(duty: SingletonDuty): void {
    if (this.duties.has(duty.name)) throw new Error(`singleton duty ${duty.name} registered twice`);
    this.duties.set(duty.name, { duty, held: false, running: false, nextRunAt: 0 });
    this.metrics.singletonDutiesHeld.set({ duty: duty.name }, 0);
    if (this.timer) void this.tick();
  }

  /** Whether this process holds `name`'s lease now. */
  holds(name: string): boolean {
    return this.duties.get(name)?.held ?? false;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), LEASE_RENEW_MS);
    this.timer.unref();
    void this.tick();
  }

  /** Before any repository closes (a sweep still running would find its database or Redis gone). */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    await Promise.allSettled([...this.runs]);
    // Handing over at once, not after the time-to-live.
    await Promise.all(
      [...this.duties.values()].filter((s) => s.held).map((s) => this.leases.release(s.duty.name).catch(() => undefined)),
    );
  }

  private tick(): Promise<void> {
    this.ticking ??= this.renewAndRun().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async renewAndRun(): Promise<void> {
    for (const state of this.duties.values()) {
      let held: boolean;
      try {
        held = await this.leases.acquire(state.duty.name, LEASE_TTL_MS);
      } catch (error) {
        held = false; // Redis unreachable: another process may hold the lease once ours expires
        this.logger.warn(`lease ${state.duty.name} not renewed: ${(error as Error).message}`);
      }
      if (held !== state.held) {
        this.logger.log(`${held ? 'took' : 'lost'} singleton duty ${state.duty.name}`);
        this.metrics.singletonDutiesHeld.set({ duty: state.duty.name }, held ? 1 : 0);
        state.held = held;
        state.nextRunAt = held ? Date.now() + (state.duty.firstRunAfterMs ?? 0) : 0;
      }
      if (held && !state.running && Date.now() >= state.nextRunAt) this.run(state);
    }
  }

  private run(state: DutyState): void {
    state.running = true;
    state.nextRunAt = Date.now() + state.duty.everyMs;
    const run = Promise.resolve()
      .then(() => state.duty.run())
      .catch((error: Error) => this.logger.warn(`singleton duty ${state.duty.name} failed: ${error.message}`))
      .finally(() => {
        state.running = false;
        this.runs.delete(run);
      });
    this.runs.add(run);
  }
}
