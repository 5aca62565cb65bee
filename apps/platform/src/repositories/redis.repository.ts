import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';

export interface StoredLiveState {
  /** Flat state fields ("floor", "flags.fire", …), see domain/live-state.ts. */
  fields: Record<string, unknown>;
  ts: number | null;
  online: boolean;
  statusTs: number | null;
  lastSeen: number | null;
}

export interface LiveFieldsWrite {
  deviceId: string;
  /** path → [JSON value, ts of the message that set it] */
  changes: Map<string, [string, number]>;
  lastSeen?: number;
}

/**
 * Merges state fields into a device's hash, per field newest-wins by message time, so platform
 * processes that each see a share of a device's messages agree. Returns the whole hash.
 * KEYS: device hash, last-seen sorted set. ARGV: lastSeen|'', deviceId, then path, json, ts triples.
 */
const MERGE_FIELDS_LUA = `
local key = KEYS[1]
if ARGV[1] ~= '' then
  redis.call('HSET', key, 'lastSeen', ARGV[1])
  redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
end
local stored = redis.call('HGET', key, 'ts')
local newest, newestText = tonumber(stored or '0'), stored
for i = 3, #ARGV, 3 do
  local current = redis.call('HGET', key, 't:' .. ARGV[i])
  local ts = tonumber(ARGV[i + 2])
  if (not current) or ts >= tonumber(current) then
    redis.call('HSET', key, 'v:' .. ARGV[i], ARGV[i + 1], 't:' .. ARGV[i], ARGV[i + 2])
    if ts > newest then newest, newestText = ts, ARGV[i + 2] end
  end
end
if newestText then redis.call('HSET', key, 'ts', newestText) end
return redis.call('HGETALL', key)
`;

type RedisWithMerge = Redis & {
  mergeDeviceFields(deviceKey: string, lastSeenKey: string, ...args: string[]): Promise<string[]>;
};

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
  private subscriber?: Redis;
  private readonly listeners = new Map<string, Array<(message: string) => void>>();

  constructor(@InjectConfig() private readonly config: PlatformConfig) {
    this.prefix = config.redis.prefix;
    this.client = new Redis(config.redis.url, { maxRetriesPerRequest: null, lazyConnect: false });
    // Errors surface through /health and failing commands; without a listener ioredis would log each retry.
    this.client.on('error', () => undefined);
    this.client.defineCommand('mergeDeviceFields', { numberOfKeys: 2, lua: MERGE_FIELDS_LUA });
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

  /** Merges many devices' changed fields in one round trip; returns each device's merged hash. */
  async mergeLiveFields(writes: LiveFieldsWrite[]): Promise<Map<string, StoredLiveState>> {
    const merged = new Map<string, StoredLiveState>();
    if (writes.length === 0) return merged;
    const pipeline = this.client.pipeline() as unknown as RedisWithMerge & { exec(): Promise<Array<[Error | null, unknown]>> };
    for (const w of writes) {
      const args: string[] = [w.lastSeen === undefined ? '' : String(w.lastSeen), w.deviceId];
      for (const [path, [json, ts]] of w.changes) args.push(path, json, String(ts));
      void pipeline.mergeDeviceFields(this.key('device', w.deviceId), this.key('last-seen'), ...args);
    }
    const replies = (await pipeline.exec()) ?? [];
    writes.forEach((w, i) => {
      const [error, reply] = replies[i] ?? [];
      if (error) throw error;
      merged.set(w.deviceId, parseDeviceHash(pairsToObject(reply as string[])));
    });
    return merged;
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
      result.set(id, parseDeviceHash((hash ?? {}) as Record<string, string>));
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

  /** One device's alarm rule state as stored (a process taking the device's connection reads it). */
  async readRuleState(deviceId: string): Promise<string | null> {
    return this.client.hget(this.key('alarm-rule-state'), deviceId);
  }

  /** Writes one device's alarm rule state at once ('{}' removes it). */
  async writeRuleState(deviceId: string, json: string): Promise<void> {
    if (json === '{}') await this.client.hdel(this.key('alarm-rule-state'), deviceId);
    else await this.client.hset(this.key('alarm-rule-state'), deviceId, json);
  }

  /** Tells every platform process something changed (pub/sub, channel under REDIS_PREFIX). */
  async notify(channel: string, message: string): Promise<void> {
    await this.client.publish(this.key('notice', channel), message);
  }

  /** Calls `handler` with each message any process sends to `channel` (one subscriber connection for all channels). */
  async listen(channel: string, handler: (message: string) => void): Promise<void> {
    const key = this.key('notice', channel);
    if (!this.subscriber) {
      this.subscriber = this.duplicate();
      this.subscriber.on('message', (from: string, message: string) => {
        for (const h of this.listeners.get(from) ?? []) h(message);
      });
    }
    const handlers = this.listeners.get(key);
    if (handlers) handlers.push(handler);
    else {
      this.listeners.set(key, [handler]);
      await this.subscriber.subscribe(key);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.subscriber?.disconnect();
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

function pairsToObject(pairs: string[]): Record<string, string> {
  const hash: Record<string, string> = {};
  for (let i = 0; i < pairs.length; i += 2) hash[pairs[i]] = pairs[i + 1];
  return hash;
}

function parseDeviceHash(h: Record<string, string>): StoredLiveState {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(h)) if (name.startsWith('v:')) fields[name.slice(2)] = JSON.parse(value);
  return {
    fields,
    ts: h.ts ? Number(h.ts) : null,
    online: h.online === '1',
    statusTs: h.statusTs ? Number(h.statusTs) : null,
    lastSeen: h.lastSeen ? Number(h.lastSeen) : null,
  };
}
