import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';

export interface StoredLiveState {
  state: Record<string, unknown> | null;
  ts: number | null;
  online: boolean;
  statusTs: number | null;
  lastSeen: number | null;
}

export interface LiveStateWrite {
  deviceId: string;
  state?: Record<string, unknown>;
  ts?: number;
  lastSeen?: number;
}

export interface DeadLetter {
  ts: number;
  deviceId: string | null;
  topic: string;
  reason: string;
  detail?: string;
  payloadPrefix: string;
}

/** Live device state, presence and dead letters in Redis. Every key carries REDIS_PREFIX. */
@Injectable()
export class RedisRepository implements OnApplicationShutdown {
  readonly client: Redis;
  private readonly prefix: string;

  constructor(@InjectConfig() private readonly config: PlatformConfig) {
    this.prefix = config.redis.prefix;
    this.client = new Redis(config.redis.url, { maxRetriesPerRequest: null, lazyConnect: false });
    // Errors surface through /health and failing commands; without a listener ioredis would log each retry.
    this.client.on('error', () => undefined);
  }

  /** A separate connection, e.g. for BullMQ or blocking calls. */
  duplicate(): Redis {
    const connection = this.client.duplicate();
    connection.on('error', () => undefined);
    return connection;
  }

  key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  /** Writes many devices' latest state in one round trip. */
  async writeLiveStates(writes: LiveStateWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const pipeline = this.client.pipeline();
    for (const w of writes) {
      const fields: Record<string, string> = {};
      if (w.state) fields.state = JSON.stringify(w.state);
      if (w.ts !== undefined) fields.ts = String(w.ts);
      if (w.lastSeen !== undefined) fields.lastSeen = String(w.lastSeen);
      pipeline.hset(this.key('device', w.deviceId), fields);
      if (w.lastSeen !== undefined) pipeline.zadd(this.key('last-seen'), w.lastSeen, w.deviceId);
    }
    await pipeline.exec();
  }

  async setOnline(deviceId: string, online: boolean, ts: number): Promise<void> {
    await this.client.hset(this.key('device', deviceId), { online: online ? '1' : '0', statusTs: String(ts) });
  }

  async readLiveStates(deviceIds: string[]): Promise<Map<string, StoredLiveState>> {
    const result = new Map<string, StoredLiveState>();
    if (deviceIds.length === 0) return result;
    const pipeline = this.client.pipeline();
    for (const id of deviceIds) pipeline.hgetall(this.key('device', id));
    const replies = (await pipeline.exec()) ?? [];
    deviceIds.forEach((id, i) => {
      const [err, hash] = replies[i] ?? [];
      if (err) throw err;
      const h = (hash ?? {}) as Record<string, string>;
      result.set(id, {
        state: h.state ? (JSON.parse(h.state) as Record<string, unknown>) : null,
        ts: h.ts ? Number(h.ts) : null,
        online: h.online === '1',
        statusTs: h.statusTs ? Number(h.statusTs) : null,
        lastSeen: h.lastSeen ? Number(h.lastSeen) : null,
      });
    });
    return result;
  }

  /** Devices whose last message is older than `before` (ms since epoch). */
  async devicesSilentSince(before: number, limit = 1000): Promise<string[]> {
    return this.client.zrangebyscore(this.key('last-seen'), '-inf', before, 'LIMIT', 0, limit);
  }

  async forgetLastSeen(deviceIds: string[]): Promise<void> {
    if (deviceIds.length > 0) await this.client.zrem(this.key('last-seen'), ...deviceIds);
  }

  async pushDeadLetters(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const pipeline = this.client.pipeline();
    pipeline.lpush(this.key('dead-letters'), ...letters.map((l) => JSON.stringify(l)));
    pipeline.ltrim(this.key('dead-letters'), 0, this.config.ingest.deadLetterCap - 1);
    for (const l of letters) pipeline.hincrby(this.key('rejects'), l.reason, 1);
    await pipeline.exec();
  }

  async readDeadLetters(limit: number): Promise<DeadLetter[]> {
    const raw = await this.client.lrange(this.key('dead-letters'), 0, limit - 1);
    return raw.map((r) => JSON.parse(r) as DeadLetter);
  }

  async rejectCounts(): Promise<Record<string, number>> {
    const h = await this.client.hgetall(this.key('rejects'));
    return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Number(v)]));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
