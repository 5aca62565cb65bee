import { Injectable, Logger } from '@nestjs/common';
import { InfluxDB } from 'influx';
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

/**
 * Telemetry store. Points reach it from the ingestion write-ahead log (IngestShipperService), one
 * batch at a time: writeBatch() throws when InfluxDB is unreachable, so the batch stays in the log
 * and is tried again.
 */
@Injectable()
export class InfluxRepository {
  private readonly logger = new Logger(InfluxRepository.name);
  private readonly client: InfluxDB;
  private readonly database: string;
  /** The /write endpoint and its Authorization header: batches are posted as line protocol built here. */
  private readonly writeUrl: string;
  private readonly writeHeaders: Record<string, string>;
  private unreachableSince?: number;

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
    const write = new URL('write', url);
    write.username = '';
    write.password = '';
    write.search = new URLSearchParams({ db: this.database, precision: 'n' }).toString();
    this.writeUrl = write.toString();
    this.writeHeaders = { 'content-type': 'text/plain; charset=utf-8' };
    if (url.username) {
      const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      this.writeHeaders.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    }
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

  /**
   * Writes one batch. Resolves once InfluxDB stored it, or refused it as malformed (a 400 would be
   * refused forever: those points are dropped and counted). Throws when InfluxDB is unreachable.
   */
  async writeBatch(lines: Buffer, points: number): Promise<void> {
    const started = process.hrtime.bigint();
    try {
      const res = await fetch(this.writeUrl, { method: 'POST', headers: this.writeHeaders, body: lines, signal: AbortSignal.timeout(WRITE_TIMEOUT_MS) });
      if (!res.ok) throw new InfluxWriteError(res.status, await res.text());
      this.metrics.influxWriteSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      this.metrics.influxPointsWritten.inc(points);
      if (this.unreachableSince !== undefined) {
        this.logger.log(`InfluxDB reachable again after ${Math.round((Date.now() - this.unreachableSince) / 1000)} s`);
        this.unreachableSince = undefined;
      }
    } catch (error) {
      if (!isPermanentWriteError(error)) {
        this.metrics.influxWriteFailures.inc();
        if (this.unreachableSince === undefined) {
          this.unreachableSince = Date.now();
          this.logger.warn(`InfluxDB write failed, the points stay in the write-ahead log: ${(error as Error).message}`);
        }
        throw error;
      }
      // On a "partial write" InfluxDB stored the other points and says how many it dropped.
      const dropped = Number(/dropped=(\d+)/.exec((error as Error).message)?.[1] ?? points);
      this.metrics.influxPointsDropped.inc(dropped);
      this.metrics.influxPointsWritten.inc(points - dropped);
      this.logger.error(`InfluxDB refused ${dropped} of ${points} points: ${(error as Error).message}`);
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
}

const WRITE_TIMEOUT_MS = 30_000;

class InfluxWriteError extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`InfluxDB answered ${status}: ${body.slice(0, 500)}`);
  }
}

function isPermanentWriteError(error: unknown): boolean {
  return error instanceof InfluxWriteError && error.status === 400;
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
