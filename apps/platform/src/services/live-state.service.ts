import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { DeviceKind } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import type { LiveState } from '../domain/live-state';
import { MetricsRepository } from '../repositories/metrics.repository';
import { RedisRepository, type LiveStateWrite } from '../repositories/redis.repository';
import { WebsocketRepository } from '../repositories/websocket.repository';
import type { DeviceProfile } from './device-directory.service';

const REDIS_FLUSH_MS = 100;

interface Entry {
  communityId: string;
  kind: DeviceKind;
  state: LiveState;
  ts: number;
}

/**
 * Keeps each device's latest state: in memory for merging, in Redis for every process and the
 * REST API (written in batches every 100 ms), and pushed to dashboards, coalesced per device so a
 * busy device sends at most one update per LIVE_UPDATE_INTERVAL_MS.
 */
@Injectable()
export class LiveStateService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(LiveStateService.name);
  private readonly entries = new Map<string, Entry>();
  private readonly dirtyState = new Set<string>();
  private readonly seenAt = new Map<string, number>();
  private readonly unsentToBrowsers = new Set<string>();
  private redisTimer?: NodeJS.Timeout;
  private socketTimer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly redis: RedisRepository,
    private readonly websocket: WebsocketRepository,
    private readonly metrics: MetricsRepository,
  ) {}

  onModuleInit(): void {
    this.redisTimer = setInterval(() => void this.flush(), REDIS_FLUSH_MS);
    this.socketTimer = setInterval(() => this.pushToBrowsers(), this.config.ingest.liveUpdateIntervalMs);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.redisTimer);
    clearInterval(this.socketTimer);
    await this.flush();
  }

  /** Applies a change to a device's state; `ts` is the reading's time. Older readings (backfill) do not overwrite newer state. */
  update(device: DeviceProfile, ts: number, change: (state: LiveState) => LiveState): void {
    let entry = this.entries.get(device.id);
    if (!entry) {
      entry = { communityId: device.communityId, kind: device.kind, state: {}, ts: 0 };
      this.entries.set(device.id, entry);
    }
    if (ts < entry.ts) return;
    entry.state = change(entry.state);
    entry.ts = ts;
    this.dirtyState.add(device.id);
    this.unsentToBrowsers.add(device.id);
  }

  /** Records that a device was heard from (drives the heartbeat time-out). */
  seen(deviceId: string, at: number): void {
    this.seenAt.set(deviceId, at);
  }

  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.dirtyState.size === 0 && this.seenAt.size === 0) return;
    const writes: LiveStateWrite[] = [];
    for (const id of this.dirtyState) {
      const e = this.entries.get(id)!;
      writes.push({ deviceId: id, state: e.state, ts: e.ts, lastSeen: this.seenAt.get(id) });
      this.seenAt.delete(id);
    }
    for (const [id, at] of this.seenAt) writes.push({ deviceId: id, lastSeen: at });
    this.dirtyState.clear();
    this.seenAt.clear();
    this.metrics.liveStatePending.set(writes.length);
    this.flushing = this.redis
      .writeLiveStates(writes)
      .catch((error: Error) => {
        // Live state is a cache of the newest reading: the next reading rewrites it, so log and go on.
        this.logger.warn(`live state not written to Redis: ${error.message}`);
      })
      .finally(() => {
        this.flushing = undefined;
        this.metrics.liveStatePending.set(0);
      });
    return this.flushing;
  }

  private pushToBrowsers(): void {
    if (this.unsentToBrowsers.size === 0) return;
    for (const id of this.unsentToBrowsers) {
      const e = this.entries.get(id);
      if (!e) continue;
      this.websocket.emitToCommunity(e.communityId, 'device.state', {
        deviceId: id,
        communityId: e.communityId,
        kind: e.kind,
        state: e.state,
        ts: e.ts,
      });
    }
    this.unsentToBrowsers.clear();
  }
}
