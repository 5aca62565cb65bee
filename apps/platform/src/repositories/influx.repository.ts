import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InfluxDB, type IPoint } from 'influx';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { MetricsRepository } from './metrics.repository';
import { historySelects, influxSchemas, rollupPolicies, rollupSelects } from './influx.schema';

export type Measurement = 'elevator' | 'fire' | 'gate';

export interface HistoryQuery {
  measurement: Measurement;
  deviceId: string;
  from: Date;
  to: Date;
  every?: string;
  limit: number;
}

const MAX_CONCURRENT_WRITES = 2;
const MAX_RETRY_DELAY_MS = 30_000;

/**
 * Telemetry store. Points are buffered and written in batches (by size and by time), at most two
 * requests in flight. When InfluxDB is unreachable the points stay in a bounded buffer and are
 * retried with back-off; only beyond INFLUX_MAX_PENDING are the oldest dropped, and counted.
 */
@Injectable()
export class InfluxRepository implements OnApplicationShutdown {
  private readonly logger = new Logger(InfluxRepository.name);
  private readonly client: InfluxDB;
  private readonly database: string;
  private buffer: IPoint[] = [];
  private inFlight = 0;
  private retryDelayMs = 0;
  private retryTimer?: NodeJS.Timeout;
  private flushTimer?: NodeJS.Timeout;
  private unreachableSince?: number;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly capacityWaiters: Array<{ below: number; resolve: () => void }> = [];

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly metrics: MetricsRepository,
  ) {
    this.database = config.influx.database;
    const url = new URL(config.influx.url);
    this.client = new InfluxDB({
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      protocol: url.protocol === 'https:' ? 'https' : 'http',
      username: decodeURIComponent(url.username) || undefined,
      password: decodeURIComponent(url.password) || undefined,
      database: this.database,
      schema: influxSchemas.map((s) => ({ ...s, database: this.database })),
    });
  }

  /** Creates the database, the raw retention policy, the rollup policies and their continuous queries. */
  async prepare(): Promise<void> {
    const names = await this.client.getDatabaseNames();
    if (!names.includes(this.database)) await this.client.createDatabase(this.database);
    const existing = new Set((await this.client.showRetentionPolicies(this.database)).map((p) => p.name));
    const raw = { duration: this.config.influx.rawRetention, replication: 1, isDefault: true, database: this.database };
    if (existing.has('raw')) await this.client.alterRetentionPolicy('raw', raw);
    else await this.client.createRetentionPolicy('raw', raw);
    for (const rp of rollupPolicies) {
      if (!existing.has(rp.name)) {
        await this.client.createRetentionPolicy(rp.name, { duration: rp.duration, replication: 1, database: this.database });
      }
    }
    const cqs = new Set((await this.client.showContinousQueries(this.database)).map((q) => q.name));
    for (const measurement of Object.keys(rollupSelects) as Measurement[]) {
      const [minute, hour] = rollupPolicies;
      const name1m = `${measurement}_1m`;
      const name1h = `${measurement}_1h`;
      if (!cqs.has(name1m)) {
        await this.client.createContinuousQuery(
          name1m,
          `SELECT ${rollupSelects[measurement].fromRaw} INTO "${this.database}"."${minute.name}"."${measurement}" FROM "${this.database}"."raw"."${measurement}" GROUP BY time(${minute.every}), *`,
          this.database,
        );
      }
      if (!cqs.has(name1h)) {
        await this.client.createContinuousQuery(
          name1h,
          `SELECT ${rollupSelects[measurement].fromRollup} INTO "${this.database}"."${hour.name}"."${measurement}" FROM "${this.database}"."${minute.name}"."${measurement}" GROUP BY time(${hour.every}), *`,
          this.database,
        );
      }
    }
  }

  async ping(): Promise<void> {
    const [host] = await this.client.ping(2000);
    if (!host?.online) throw new Error('InfluxDB did not answer /ping');
  }

  get pending(): number {
    return this.buffer.length;
  }

  /** Queues points for the next batch. Never blocks the caller and never throws. */
  enqueue(points: IPoint[]): void {
    for (const p of points) this.buffer.push(p);
    const overflow = this.buffer.length - this.config.influx.maxPending;
    if (overflow > 0) {
      this.buffer.splice(0, overflow);
      this.metrics.influxPointsDropped.inc(overflow);
      this.logger.error(`InfluxDB buffer full: dropped the ${overflow} oldest points`);
    }
    this.metrics.influxPointsPending.set(this.buffer.length);
    if (this.buffer.length >= this.config.influx.batchSize) this.drain();
    else this.flushTimer ??= setTimeout(() => this.drain(), this.config.influx.flushMs);
  }

  /** Resolves once every queued point has been written (or rejects after timeoutMs). */
  async flush(timeoutMs = 30_000): Promise<void> {
    this.drain(true);
    if (this.buffer.length === 0 && this.inFlight === 0) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`InfluxDB flush timed out with ${this.buffer.length} points pending`)), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private drain(force = false): void {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    if (this.retryTimer && !force) return;
    const batchSize = this.config.influx.batchSize;
    while (this.inFlight < MAX_CONCURRENT_WRITES && this.buffer.length > 0) {
      if (!force && this.buffer.length < batchSize && this.inFlight > 0) break;
      const batch = this.buffer.splice(0, batchSize);
      void this.write(batch);
    }
    if (this.buffer.length > 0 && !this.flushTimer && !this.retryTimer) {
      this.flushTimer = setTimeout(() => this.drain(), this.config.influx.flushMs);
    }
    this.notifyIfIdle();
  }

  private async write(batch: IPoint[]): Promise<void> {
    this.inFlight++;
    const started = process.hrtime.bigint();
    try {
      await this.client.writePoints(batch, { precision: 'n', database: this.database });
      this.metrics.influxWriteSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      this.metrics.influxPointsWritten.inc(batch.length);
      if (this.unreachableSince !== undefined) {
        this.logger.log(`InfluxDB reachable again after ${Math.round((Date.now() - this.unreachableSince) / 1000)} s`);
        this.unreachableSince = undefined;
      }
      this.retryDelayMs = 0;
    } catch (error) {
      if (isPermanentWriteError(error)) {
        // A batch InfluxDB refuses as malformed would be refused forever: do not retry it. On a
        // "partial write" it stored the other points and says how many it dropped.
        const dropped = Number(/dropped=(\d+)/.exec((error as Error).message)?.[1] ?? batch.length);
        this.metrics.influxPointsDropped.inc(dropped);
        this.metrics.influxPointsWritten.inc(batch.length - dropped);
        this.logger.error(`InfluxDB refused ${dropped} of ${batch.length} points: ${(error as Error).message}`);
      } else {
        this.buffer.unshift(...batch);
        this.metrics.influxWriteFailures.inc();
        if (this.unreachableSince === undefined) {
          this.unreachableSince = Date.now();
          this.logger.warn(`InfluxDB write failed, keeping points and retrying: ${(error as Error).message}`);
        }
        this.retryDelayMs = Math.min(MAX_RETRY_DELAY_MS, Math.max(250, this.retryDelayMs * 2));
        this.retryTimer ??= setTimeout(() => {
          this.retryTimer = undefined;
          this.drain();
        }, this.retryDelayMs);
      }
    } finally {
      this.inFlight--;
      this.metrics.influxPointsPending.set(this.buffer.length);
      if (!this.retryTimer && (this.buffer.length >= this.config.influx.batchSize || this.idleWaiters.length > 0)) {
        this.drain(this.idleWaiters.length > 0);
      }
      this.notifyIfIdle();
    }
  }

  /** Resolves once fewer than `below` points are pending: the ingestion path's back-pressure. */
  whenPendingBelow(below: number): Promise<void> | undefined {
    if (this.buffer.length < below) return undefined;
    return new Promise((resolve) => this.capacityWaiters.push({ below, resolve }));
  }

  private notifyIfIdle(): void {
    for (let i = this.capacityWaiters.length - 1; i >= 0; i--) {
      if (this.buffer.length < this.capacityWaiters[i].below) this.capacityWaiters.splice(i, 1)[0].resolve();
    }
    if (this.buffer.length === 0 && this.inFlight === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /** Readings of one device over a range, aggregated per `every` when given, from the finest store that still holds the range. */
  async history(q: HistoryQuery): Promise<Array<Record<string, unknown>>> {
    const where = `"device_id" = ${quoteString(q.deviceId)} AND time >= ${q.from.getTime()}ms AND time <= ${q.to.getTime()}ms`;
    let query: string;
    if (!q.every) {
      query = `SELECT * FROM "${this.database}"."raw"."${q.measurement}" WHERE ${where} ORDER BY time DESC LIMIT ${q.limit}`;
    } else {
      const source = this.sourceFor(q.from, q.every);
      const select = source === 'raw' ? historySelects[q.measurement] : rollupSelects[q.measurement].fromRollup;
      query = `SELECT ${select} FROM "${this.database}"."${source}"."${q.measurement}" WHERE ${where} GROUP BY time(${q.every}) fill(none) ORDER BY time DESC LIMIT ${q.limit}`;
    }
    const rows = await this.client.query<Record<string, unknown>>(query, { precision: 'ms' });
    return rows.map((row) => {
      const { time, ...fields } = row as Record<string, unknown> & { time: Date };
      return { time: new Date(time.getTime()).toISOString(), ...fields };
    }).reverse();
  }

  /** Raw data is kept for INFLUX_RAW_RETENTION; older ranges come from the rollups. */
  private sourceFor(from: Date, every: string): string {
    const rawKeptMs = durationMs(this.config.influx.rawRetention);
    if (Date.now() - from.getTime() < rawKeptMs) return 'raw';
    return durationMs(every) >= 3_600_000 ? 'rollup_1h' : 'rollup_1m';
  }

  /** Count of stored points of a measurement, for tests and the benchmark. */
  async countPoints(measurement: Measurement, field: string, deviceIdPattern?: string): Promise<number> {
    const where = deviceIdPattern ? ` WHERE "device_id" =~ /${deviceIdPattern}/` : '';
    const rows = await this.client.query<{ count: number }>(
      `SELECT count("${field}") AS "count" FROM "${this.database}"."raw"."${measurement}"${where}`,
    );
    return rows.reduce((sum, r) => sum + Number(r.count ?? 0), 0);
  }

  async onApplicationShutdown(): Promise<void> {
    try {
      await this.flush(10_000);
    } catch (error) {
      this.logger.error(`${(error as Error).message}; these points are lost`);
    }
    clearTimeout(this.retryTimer);
    clearTimeout(this.flushTimer);
  }
}

function isPermanentWriteError(error: unknown): boolean {
  const status = (error as { res?: { statusCode?: number } }).res?.statusCode;
  return status === 400;
}

function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const unitMs: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
export function durationMs(duration: string): number {
  const match = /^(\d+)([smhdw])$/.exec(duration);
  if (!match) throw new Error(`not a duration: ${duration}`);
  return Number(match[1]) * unitMs[match[2]];
}
