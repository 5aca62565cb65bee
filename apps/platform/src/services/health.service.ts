import { Injectable } from '@nestjs/common';
import { DatabaseRepository } from '../repositories/database.repository';
import { InfluxRepository } from '../repositories/influx.repository';
import { IngestWalRepository } from '../repositories/ingest-wal.repository';
import { JobRepository } from '../repositories/job.repository';
import { MetricsRepository } from '../repositories/metrics.repository';
import { RedisRepository } from '../repositories/redis.repository';
import { BrokerRegistryService } from './broker-registry.service';
import { BrokerService } from './broker.service';

type Check = { status: 'ok' } | { status: 'error'; error: string } | { status: 'not_used' };

const withTimeout = async (probe: () => Promise<void>, ms = 2000): Promise<Check> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
    return { status: 'ok' };
  } catch (error) {
    return { status: 'error', error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
};

@Injectable()
export class HealthService {
  constructor(
    private readonly database: DatabaseRepository,
    private readonly redis: RedisRepository,
    private readonly influx: InfluxRepository,
    private readonly wal: IngestWalRepository,
    private readonly broker: BrokerService,
    private readonly brokerRegistry: BrokerRegistryService,
    private readonly metrics: MetricsRepository,
    private readonly jobs: JobRepository,
  ) {}

  async check() {
    const [database, redis, influx] = await Promise.all([
      withTimeout(() => this.database.ping()),
      withTimeout(() => this.redis.ping()),
      withTimeout(() => this.influx.ping()),
    ]);
    const brokerUp = this.broker.healthy();
    const mqtt: Check = brokerUp === undefined ? { status: 'not_used' } : brokerUp ? { status: 'ok' } : { status: 'error', error: 'not connected' };
    // Whether the external broker's devices agree with the registry (MQTT_BROKER_AUTH). Only an
    // unreachable or unusable registry API is an error: a device waiting for a secret rotation
    // should not take every process out of its load balancer.
    const brokerRegistry = this.brokerRegistry.health();
    // The write-ahead log: an error (an alarm for administrators) while it cannot be written (disk
    // full) or is full; publishers are held back, nothing is dropped.
    const backlog = this.wal.backlog();
    const ingestWal: Check = backlog.writeError
      ? { status: 'error', error: `cannot write the ingestion log (${backlog.writeError}): publishers are held back` }
      : backlog.full
        ? { status: 'error', error: 'the ingestion log reached INGEST_WAL_MAX_BYTES: publishers are held back until InfluxDB catches up' }
        : { status: 'ok' };
    const checks = { database, redis, influx, mqtt, brokerRegistry, ingestWal };
    const status = Object.values(checks).some((c) => c.status === 'error') ? 'error' : 'ok';
    const { writeError: _writeError, ...ingestBacklog } = backlog;
    return { status, checks, influxPointsPending: backlog.points, ingestBacklog };
  }

  async prometheus(): Promise<{ contentType: string; body: string }> {
    try {
      for (const [queue, counts] of Object.entries(await this.jobs.counts())) {
        for (const [state, n] of Object.entries(counts)) this.metrics.queueJobs.set({ queue, state }, n);
      }
    } catch {
      // Redis unreachable: /health says so; the metrics still answer.
    }
    this.metrics.embeddedDatabaseMemory.set(this.database.embeddedMemoryBytes());
    return { contentType: this.metrics.registry.contentType, body: await this.metrics.registry.metrics() };
  }
}
