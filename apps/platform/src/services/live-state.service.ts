import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { DeviceKind, DeviceStateEvent } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { stateFromFields, type FieldChanges, type LiveState } from '../domain/live-state';
import type { DeviceProfile } from '../domain/device-profile';
import { MetricsRepository } from '../repositories/metrics.repository';
import { RedisRepository, type LiveFieldsWrite } from '../repositories/redis.repository';
import { WebsocketRepository } from '../repositories/websocket.repository';

const REDIS_FLUSH_MS = 100;
/** Changes kept while Redis is unreachable, per process; beyond it the oldest devices' changes go. */
const MAX_PENDING_DEVICES = 200_000;

interface Pending {
  communityId: string;
  kind: DeviceKind;
  changes: Map<string, [string, number]>;
  lastSeen?: number;
}

interface Merged {
  communityId: string;
  kind: DeviceKind;
  state: LiveState;
  ts: number;
}

/**
 * Each device's latest state. Changed fields are merged into Redis every 100 ms, field by field
 * with the newest message winning (so several ingest processes agree), and the merged state that
 * Redis returns is pushed to dashboards, at most once per device per LIVE_UPDATE_INTERVAL_MS.
 */
@Injectable()
export class LiveStateService implements OnModuleInit {
  private readonly logger = new Logger(LiveStateService.name);
  private pending = new Map<string, Pending>();
  private readonly toPush = new Map<string, Merged>();
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

  /** At shutdown, once no message can arrive any more (IngestService.brokerStopped) and before Redis closes: the last changes are written. */
  async finish(): Promise<void> {
    clearInterval(this.redisTimer);
    clearInterval(this.socketTimer);
    await this.flush();
  }

  /** Records the fields a message set; `ts` is the message's time. */
  update(device: DeviceProfile, ts: number, changes: FieldChanges): void {
    const entry = this.entry(device);
    for (const [path, value] of Object.entries(changes)) {
      const previous = entry.changes.get(path);
      if (!previous || ts >= previous[1]) entry.changes.set(path, [JSON.stringify(value), ts]);
    }
  }

  /** Records that a device was heard from (drives the heartbeat time-out). */
  seen(device: DeviceProfile, at: number): void {
    this.entry(device).lastSeen = at;
  }

  private entry(device: DeviceProfile): Pending {
    let entry = this.pending.get(device.id);
    if (!entry) {
      entry = { communityId: device.communityId, kind: device.kind, changes: new Map() };
      this.pending.set(device.id, entry);
    }
    return entry;
  }

  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const writes: LiveFieldsWrite[] = [...batch].map(([deviceId, p]) => ({ deviceId, changes: p.changes, lastSeen: p.lastSeen }));
    this.metrics.liveStatePending.set(writes.length);
    this.flushing = this.redis
      .mergeLiveFields(writes)
      .then((merged) => {
        for (const [deviceId, stored] of merged) {
          const p = batch.get(deviceId)!;
          if (p.changes.size === 0) continue;
          this.toPush.set(deviceId, { communityId: p.communityId, kind: p.kind, state: stateFromFields(stored.fields), ts: stored.ts ?? 0 });
        }
      })
      .catch((error: Error) => {
        this.logger.warn(`live state not written to Redis, will retry: ${error.message}`);
        this.requeue(batch);
      })
      .finally(() => {
        this.flushing = undefined;
        this.metrics.liveStatePending.set(this.pending.size);
      });
    return this.flushing;
  }

  /** Puts a failed batch back under newer changes, keeping the total bounded. */
  private requeue(batch: Map<string, Pending>): void {
    for (const [deviceId, old] of batch) {
      const newer = this.pending.get(deviceId);
      if (!newer) {
        this.pending.set(deviceId, old);
        continue;
      }
      for (const [path, change] of old.changes) if (!newer.changes.has(path)) newer.changes.set(path, change);
      newer.lastSeen ??= old.lastSeen;
    }
    for (const deviceId of this.pending.keys()) {
      if (this.pending.size <= MAX_PENDING_DEVICES) break;
      this.pending.delete(deviceId);
    }
  }

  private pushToBrowsers(): void {
    const byCommunity = new Map<string, DeviceStateEvent[]>();
    for (const [deviceId, m] of this.toPush) {
      let states = byCommunity.get(m.communityId);
      if (!states) byCommunity.set(m.communityId, (states = []));
      states.push({ deviceId, communityId: m.communityId, kind: m.kind, state: m.state, ts: m.ts });
    }
    this.toPush.clear();
    for (const [communityId, states] of byCommunity) this.websocket.emitDeviceStates(communityId, states);
  }
}
