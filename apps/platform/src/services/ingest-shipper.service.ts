import { Injectable, Logger } from '@nestjs/common';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { InfluxRepository } from '../repositories/influx.repository';
import { IngestWalRepository, type WalCursor } from '../repositories/ingest-wal.repository';

const MIN_RETRY_MS = 250;
const MAX_RETRY_MS = 5000;

/**
 * Replays the ingestion write-ahead log into InfluxDB, in order, one batch at a time, and releases
 * what InfluxDB stored. A point keeps the timestamp it was logged with, so a batch written twice
 * (a retry after a time-out, the replay after a crash) overwrites itself instead of doubling.
 * Batches: INFLUX_BATCH_SIZE points, or what waits after INFLUX_FLUSH_MS.
 */
@Injectable()
export class IngestShipperService {
  private readonly logger = new Logger(IngestShipperService.name);
  private cursor: WalCursor = { segment: 0, offset: 0 };
  private running = false;
  private stopped = false;
  private wakeTimer?: NodeJS.Timeout;
  private retryMs = 0;
  private idle?: Promise<void>;

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly wal: IngestWalRepository,
    private readonly influx: InfluxRepository,
  ) {}

  /** Starts shipping from the oldest record of the log (after a restart: replays all of it). */
  start(): void {
    this.cursor = this.wal.start();
    this.wal.onCommitted(() => this.schedule());
    this.schedule(0);
  }

  private schedule(delayMs?: number): void {
    if (this.stopped || this.running || this.wakeTimer) return;
    const full = this.wal.backlog().points >= this.config.influx.batchSize;
    const delay = delayMs ?? (full ? 0 : this.config.influx.flushMs);
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.idle = this.ship();
    }, delay);
  }

  private async ship(): Promise<void> {
    this.running = true;
    let retryIn: number | undefined;
    try {
      for (;;) {
        if (this.stopped) return;
        const batch = await this.wal.read(this.cursor, this.config.influx.batchSize);
        if (!batch) return;
        this.wal.noteOldest(batch.firstAppendedAt);
        try {
          await this.influx.writeBatch(batch.body, batch.points);
        } catch {
          this.retryMs = Math.min(MAX_RETRY_MS, Math.max(MIN_RETRY_MS, this.retryMs * 2));
          retryIn = this.retryMs;
          return;
        }
        this.retryMs = 0;
        this.cursor = batch.next;
        await this.wal.release(this.cursor, batch.points);
        // A partial batch: wait for more rather than write many small ones.
        if (batch.points < this.config.influx.batchSize && this.wal.backlog().points < this.config.influx.batchSize) return;
      }
    } catch (error) {
      this.logger.error(`shipping the ingest WAL failed: ${(error as Error).message}`);
      retryIn = MAX_RETRY_MS;
    } finally {
      this.running = false;
      if (retryIn !== undefined) this.schedule(retryIn);
      else if (this.wal.backlog().points > 0) this.schedule();
    }
  }

  /** Ships what is in the log (for a graceful stop), giving up after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.wal.backlog().points > 0 && Date.now() < deadline && !this.stopped) {
      if (!this.running) {
        clearTimeout(this.wakeTimer);
        this.wakeTimer = undefined;
        this.idle = this.ship();
      }
      await this.idle;
      if (this.retryMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(this.retryMs, Math.max(0, deadline - Date.now()))));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.wakeTimer);
    await this.idle;
  }
}
