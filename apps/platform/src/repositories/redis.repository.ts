import { once } from 'node:events';
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { type NoticeChannel, type RedisKeys, redisKeys } from './redis-keys';

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

/**
 * RULE_STATE=shared: an input (reading, event, presence) of a device waits in the device's inbox,
 * ordered by its ts, and the device in the held set scored by its earliest waiting ts, until any
 * process drains it (below). Refused as stale when older than the newest input already evaluated.
 * KEYS: inbox zset, held zset, ts hash. ARGV: deviceId, ts, member. Returns 1, or 0 when stale.
 */
const HOLD_RULE_INPUT_LUA = `
local newest = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
local ts = tonumber(ARGV[2])
if ts < newest then return 0 end
redis.call('ZADD', KEYS[1], ts, ARGV[3])
local held = redis.call('ZSCORE', KEYS[2], ARGV[1])
if (not held) or ts < tonumber(held) then redis.call('ZADD', KEYS[2], ts, ARGV[1]) end
return 1
`;

/**
 * RULE_STATE=shared: a consistent snapshot of a device for a drain: state version, state JSON,
 * newest evaluated ts, and the waiting inputs up to the cut-off, oldest first.
 * KEYS: state hash, version hash, ts hash, inbox zset. ARGV: deviceId, cut-off ts, limit.
 */
const READ_RULE_INBOX_LUA = `
local id = ARGV[1]
local inputs = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
return {redis.call('HGET', KEYS[2], id) or '0', redis.call('HGET', KEYS[1], id) or '', redis.call('HGET', KEYS[3], id) or '0', inputs}
`;

/**
 * RULE_STATE=shared: commits a drain if the state's version is still the one read (compare-and-set):
 * writes the state, the newest evaluated ts, removes the inputs evaluated from the inbox, updates
 * the held set (earliest input still waiting) and the due set (next deadline), and puts the
 * raises/clears the drain calls for in the rule outbox, so a process killed before executing them
 * leaves them to be replayed.
 * KEYS: state hash, version hash, ts hash, inbox zset, held zset, due zset, outbox hash, outbox due zset.
 * ARGV: deviceId, expected version, state JSON ('' = unchanged, '{}' = idle), newest ts, next deadline,
 * replay-after ts, op count n, n pairs of op id and op JSON, then members...
 * Returns the new version, or -1 on a conflict.
 */
const COMMIT_RULE_INBOX_LUA = `
local id = ARGV[1]
local version = tonumber(redis.call('HGET', KEYS[2], id) or '0')
if version ~= tonumber(ARGV[2]) then return -1 end
if ARGV[3] ~= '' then
  if ARGV[3] == '{}' then redis.call('HDEL', KEYS[1], id) else redis.call('HSET', KEYS[1], id, ARGV[3]) end
end
local ops = tonumber(ARGV[7])
local members = 8 + 2 * ops
if #ARGV >= members or ARGV[3] ~= '' or ops > 0 then version = redis.call('HINCRBY', KEYS[2], id, 1) end
local newest = tonumber(redis.call('HGET', KEYS[3], id) or '0')
if tonumber(ARGV[4]) > newest then redis.call('HSET', KEYS[3], id, ARGV[4]) end
for i = members, #ARGV do redis.call('ZREM', KEYS[4], ARGV[i]) end
local first = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
if first[2] then redis.call('ZADD', KEYS[5], first[2], id) else redis.call('ZREM', KEYS[5], id) end
local deadline = tonumber(ARGV[5])
if deadline > 0 then redis.call('ZADD', KEYS[6], deadline, id) else redis.call('ZREM', KEYS[6], id) end
for i = 8, members - 1, 2 do
  redis.call('HSET', KEYS[7], ARGV[i], ARGV[i + 1])
  redis.call('ZADD', KEYS[8], ARGV[6], ARGV[i])
end
return version
`;

/**
 * RULE_STATE=shared: claims outbox ops whose replay time has come, for one process: each claimed
 * op's replay time moves to the lease's end, so no other process takes it meanwhile (it comes back
 * if this process dies too). KEYS: outbox hash, outbox due zset. ARGV: now, lease end, limit.
 * Returns op id, op JSON pairs.
 */
const CLAIM_RULE_OUTBOX_LUA = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local claimed = {}
for _, op in ipairs(ids) do
  local json = redis.call('HGET', KEYS[1], op)
  if json then
    redis.call('ZADD', KEYS[2], ARGV[2], op)
    table.insert(claimed, op)
    table.insert(claimed, json)
  else
    redis.call('ZREM', KEYS[2], op)
  end
end
return claimed
`;

type RedisWithRuleInbox = Redis & {
  holdRuleInput(inbox: string, held: string, ts: string, deviceId: string, inputTs: string, member: string): Promise<number>;
  readRuleInbox(state: string, version: string, ts: string, inbox: string, deviceId: string, cutoff: string, limit: string): Promise<[string, string, string, string[]]>;
  commitRuleInbox(state: string, version: string, ts: string, inbox: string, held: string, due: string, outbox: string, outboxDue: string, ...args: string[]): Promise<number>;
  claimRuleOutbox(outbox: string, outboxDue: string, now: string, leaseEnd: string, limit: string): Promise<string[]>;
};

/** RULE_STATE=shared: a device's rule state and the inputs waiting to be evaluated, read at once. */
export interface RuleInboxSnapshot {
  version: number;
  /** Stored state JSON, '' when none. */
  json: string;
  /** Device ts of the newest input evaluated. */
  newestTs: number;
  /** Waiting inputs up to the cut-off, oldest first, as held (holdRuleInput's `member`). */
  inputs: string[];
}

export interface RuleInboxCommit {
  deviceId: string;
  /** The version the snapshot was read at. */
  version: number;
  /** The new state; undefined when unchanged, '{}' when idle. */
  json?: string;
  newestTs: number;
  nextDeadline: number;
  /** The inputs evaluated (or skipped as late): removed from the inbox. */
  inputs: string[];
  /** Raises/clears to put in the rule outbox (id, JSON), replayable by any process from `replayAt`. */
  ops: Array<[id: string, json: string]>;
  replayAt: number;
}

export interface DeadLetter {
  ts: number;
  deviceId: string | null;
  topic: string;
  reason: string;
  detail?: string;
  payloadPrefix: string;
}

/**
 * Redis behind one class: each use is a named method; the key layout is in redis-keys.ts.
 * Services never reach the raw client (architecture.spec.ts checks it).
 */
@Injectable()
export class RedisRepository implements OnApplicationShutdown {
  readonly client: Redis;
  readonly keys: RedisKeys;
  private subscriber?: Redis;
  private readonly listeners = new Map<string, Array<(message: string) => void>>();

  constructor(@InjectConfig() private readonly config: PlatformConfig) {
    this.keys = redisKeys(config.redis.prefix);
    this.client = new Redis(config.redis.url, { maxRetriesPerRequest: null, lazyConnect: false });
    // Errors surface through /health and failing commands; without a listener ioredis would log each retry.
    this.client.on('error', () => undefined);
    this.client.defineCommand('mergeDeviceFields', { numberOfKeys: 2, lua: MERGE_FIELDS_LUA });
    this.client.defineCommand('holdRuleInput', { numberOfKeys: 3, lua: HOLD_RULE_INPUT_LUA });
    this.client.defineCommand('readRuleInbox', { numberOfKeys: 4, lua: READ_RULE_INBOX_LUA });
    this.client.defineCommand('commitRuleInbox', { numberOfKeys: 8, lua: COMMIT_RULE_INBOX_LUA });
    this.client.defineCommand('claimRuleOutbox', { numberOfKeys: 2, lua: CLAIM_RULE_OUTBOX_LUA });
  }

  /** A separate connection, e.g. for BullMQ or blocking calls. */
  duplicate(): Redis {
    const connection = this.client.duplicate();
    connection.on('error', () => undefined);
    return connection;
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
      void pipeline.mergeDeviceFields(this.keys.device(w.deviceId), this.keys.lastSeen(), ...args);
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
    await this.client.hset(this.keys.device(deviceId), { online: online ? '1' : '0', statusTs: String(ts) });
  }

  async readLiveStates(deviceIds: string[]): Promise<Map<string, StoredLiveState>> {
    const result = new Map<string, StoredLiveState>();
    if (deviceIds.length === 0) return result;
    const pipeline = this.client.pipeline();
    for (const id of deviceIds) pipeline.hgetall(this.keys.device(id));
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
    return this.client.zrangebyscore(this.keys.lastSeen(), '-inf', before, 'LIMIT', 0, limit);
  }

  async forgetLastSeen(deviceIds: string[]): Promise<void> {
    if (deviceIds.length > 0) await this.client.zrem(this.keys.lastSeen(), ...deviceIds);
  }

  async pushDeadLetters(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const pipeline = this.client.pipeline();
    pipeline.lpush(this.keys.deadLetters(), ...letters.map((l) => JSON.stringify(l)));
    pipeline.ltrim(this.keys.deadLetters(), 0, this.config.ingest.deadLetterCap - 1);
    for (const l of letters) pipeline.hincrby(this.keys.rejects(), l.reason, 1);
    await pipeline.exec();
  }

  async readDeadLetters(limit: number): Promise<DeadLetter[]> {
    const raw = await this.client.lrange(this.keys.deadLetters(), 0, limit - 1);
    return raw.map((r) => JSON.parse(r) as DeadLetter);
  }

  async rejectCounts(): Promise<Record<string, number>> {
    const h = await this.client.hgetall(this.keys.rejects());
    return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Number(v)]));
  }

  /** One device's alarm rule state as stored (a process taking the device's connection reads it). */
  async readRuleState(deviceId: string): Promise<string | null> {
    return this.client.hget(this.keys.alarmRuleState(), deviceId);
  }

  /** Writes one device's alarm rule state at once ('{}' removes it). */
  async writeRuleState(deviceId: string, json: string): Promise<void> {
    if (json === '{}') await this.client.hdel(this.keys.alarmRuleState(), deviceId);
    else await this.client.hset(this.keys.alarmRuleState(), deviceId, json);
  }

  /**
   * RULE_STATE=shared: puts an input in the device's inbox (one round trip). `member` must be
   * unique (it carries a nonce). False when the input is older than the newest one evaluated.
   */
  async holdRuleInput(deviceId: string, ts: number, member: string): Promise<boolean> {
    const k = this.keys;
    return (await (this.client as RedisWithRuleInbox).holdRuleInput(k.alarmRuleInbox(deviceId), k.alarmRuleHeld(), k.alarmRuleTs(), deviceId, String(ts), member)) === 1;
  }

  /** RULE_STATE=shared: the device's state, version, newest evaluated ts and waiting inputs up to `cutoff`, in one snapshot. */
  async readRuleInbox(deviceId: string, cutoff: number, limit: number): Promise<RuleInboxSnapshot> {
    const k = this.keys;
    const [version, json, newestTs, inputs] = await (this.client as RedisWithRuleInbox).readRuleInbox(
      k.alarmRuleState(),
      k.alarmRuleVersion(),
      k.alarmRuleTs(),
      k.alarmRuleInbox(deviceId),
      deviceId,
      String(cutoff),
      String(limit),
    );
    return { version: Number(version), json, newestTs: Number(newestTs), inputs };
  }

  /**
   * RULE_STATE=shared: writes a drain's outcome if the device's state is still at `version`
   * (compare-and-set); returns the new version, or null when another process committed first.
   */
  async commitRuleInbox(c: RuleInboxCommit): Promise<number | null> {
    const k = this.keys;
    const version = await (this.client as RedisWithRuleInbox).commitRuleInbox(
      k.alarmRuleState(),
      k.alarmRuleVersion(),
      k.alarmRuleTs(),
      k.alarmRuleInbox(c.deviceId),
      k.alarmRuleHeld(),
      k.alarmRuleDue(),
      k.alarmRuleOutbox(),
      k.alarmRuleOutboxDue(),
      c.deviceId,
      String(c.version),
      c.json ?? '',
      String(c.newestTs),
      String(c.nextDeadline),
      String(c.replayAt),
      String(c.ops.length),
      ...c.ops.flat(),
      ...c.inputs,
    );
    return version === -1 ? null : version;
  }

  /** RULE_STATE=shared: takes up to `limit` outbox ops due for replay at `now`, none of them again for any process before `leaseEnd`. */
  async claimRuleOutbox(now: number, leaseEnd: number, limit: number): Promise<Array<[id: string, json: string]>> {
    const k = this.keys;
    const pairs = await (this.client as RedisWithRuleInbox).claimRuleOutbox(k.alarmRuleOutbox(), k.alarmRuleOutboxDue(), String(now), String(leaseEnd), String(limit));
    const ops: Array<[string, string]> = [];
    for (let i = 0; i < pairs.length; i += 2) ops.push([pairs[i], pairs[i + 1]]);
    return ops;
  }

  /** RULE_STATE=shared: outbox ops executed (or given up): removed. */
  async removeRuleOutbox(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.client.multi().hdel(this.keys.alarmRuleOutbox(), ...ids).zrem(this.keys.alarmRuleOutboxDue(), ...ids).exec();
  }

  /** RULE_STATE=shared: devices with inputs waiting since `before` or earlier (any process may drain them). */
  async heldRuleDevices(before: number, limit: number): Promise<string[]> {
    return this.client.zrangebyscore(this.keys.alarmRuleHeld(), '-inf', before, 'LIMIT', 0, limit);
  }

  /** RULE_STATE=shared: devices whose next rule deadline is at or before `now` (any process may fire them). */
  async dueRuleDevices(now: number, limit: number): Promise<string[]> {
    return this.client.zrangebyscore(this.keys.alarmRuleDue(), '-inf', now, 'LIMIT', 0, limit);
  }

  /** RULE_STATE=shared: a device is gone: nothing of it is due or waiting any more. */
  async forgetRuleDevice(deviceId: string): Promise<void> {
    await this.client.multi().zrem(this.keys.alarmRuleDue(), deviceId).zrem(this.keys.alarmRuleHeld(), deviceId).del(this.keys.alarmRuleInbox(deviceId)).exec();
  }

  /** Tells every platform process (this one included) something changed (pub/sub, channel under REDIS_PREFIX). */
  async notify(channel: NoticeChannel, message: string): Promise<void> {
    await this.client.publish(this.keys.notice(channel), message);
  }

  /** Calls `handler` with each message any process sends to `channel` (one subscriber connection for all channels). */
  async listen(channel: NoticeChannel, handler: (message: string) => void): Promise<void> {
    const key = this.keys.notice(channel);
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
      // ioredis writes SUBSCRIBE at once on a connection that is connected but not yet ready (its
      // client-info handshake is still running), and its ready check then fails in subscriber mode.
      if (this.subscriber.status !== 'ready') await once(this.subscriber, 'ready');
      await this.subscriber.subscribe(key);
    }
  }

  /** The stored alarm rule state of every device (deviceId → JSON). */
  async readAlarmRuleStates(): Promise<Record<string, string>> {
    return this.client.hgetall(this.keys.alarmRuleState());
  }

  /** Writes devices' alarm rule state in one round trip; `null` removes a device's entry. */
  async writeAlarmRuleStates(states: Array<[deviceId: string, json: string | null]>): Promise<void> {
    const pipeline = this.client.pipeline();
    for (const [deviceId, json] of states) {
      if (json === null) pipeline.hdel(this.keys.alarmRuleState(), deviceId);
      else pipeline.hset(this.keys.alarmRuleState(), deviceId, json);
    }
    await pipeline.exec();
  }

  /**
   * Counts one notification of a device in a sliding window and returns how many fell in the
   * window (`member` must be unique). The key expires once the window has passed.
   */
  async countInNotifyWindow(deviceId: string, member: string, now: number, windowMs: number): Promise<number> {
    const key = this.keys.alarmNotifyWindow(deviceId);
    const replies = (await this.client
      .multi()
      .zremrangebyscore(key, '-inf', now - windowMs)
      .zadd(key, now, member)
      .zcard(key)
      .pexpire(key, windowMs)
      .exec()) as Array<[Error | null, unknown]>;
    return Number(replies[2][1]);
  }

  /** Active fire alarms (alarmId → communityId), so gates stay in free flow across restarts. */
  async activeFireAlarms(): Promise<Record<string, string>> {
    return this.client.hgetall(this.keys.parkingFireAlarms());
  }

  async setFireAlarm(alarmId: string, communityId: string, active: boolean): Promise<void> {
    if (active) await this.client.hset(this.keys.parkingFireAlarms(), alarmId, communityId);
    else await this.client.hdel(this.keys.parkingFireAlarms(), alarmId);
  }

  /** Keeps a gate decision waiting for a person (JSON) for `ttlS` seconds. */
  async savePendingGateDecision(pendingId: string, json: string, ttlS: number): Promise<void> {
    await this.client.set(this.keys.parkingPending(pendingId), json, 'EX', ttlS);
  }

  /** Takes a pending gate decision once: the second caller gets null. */
  async takePendingGateDecision(pendingId: string): Promise<string | null> {
    return this.client.getdel(this.keys.parkingPending(pendingId));
  }

  /** Marks a booking's slot as wanted back by its owner; false if it already was. */
  async markSlotReclaimed(bookingId: string, json: string, ttlS: number): Promise<boolean> {
    return (await this.client.set(this.keys.parkingReclaim(bookingId), json, 'EX', ttlS, 'NX')) === 'OK';
  }

  async isSlotReclaimed(bookingId: string): Promise<boolean> {
    return (await this.client.exists(this.keys.parkingReclaim(bookingId))) === 1;
  }

  /** The `online` flag of each device's live state, in the order given. */
  async onlineFlags(deviceIds: string[]): Promise<boolean[]> {
    if (deviceIds.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const id of deviceIds) pipeline.hget(this.keys.device(id), 'online');
    const replies = (await pipeline.exec()) ?? [];
    return deviceIds.map((_, i) => {
      const [error, value] = replies[i] ?? [];
      if (error) throw error;
      return value === '1';
    });
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
