import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Injectable } from '@nestjs/common';
import { RedisRepository } from './redis.repository';

/**
 * Redis key layout of leases (for the shared key-layout file): `<REDIS_PREFIX>:lease:<duty>` holds
 * the holder's id, with the lease's time-to-live.
 */
export const leaseKey = (redis: RedisRepository, duty: string): string => redis.keys.lease(duty);

/** Takes the lease if free or renews it if ours. KEYS: lease. ARGV: holder, ttl ms. Returns 1 when held. */
const ACQUIRE_LUA = `
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`;

/** Gives the lease up only if ours. KEYS: lease. ARGV: holder. */
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

type RedisWithLease = RedisRepository['client'] & {
  acquireLease(key: string, holder: string, ttlMs: string): Promise<number>;
  releaseLease(key: string, holder: string): Promise<number>;
};

/**
 * Named leases in Redis, one holder across every platform process sharing REDIS_PREFIX: taken and
 * renewed atomically (a holder that stops renewing loses it after its time-to-live), released only
 * by its holder.
 */
@Injectable()
export class LeaseRepository {
  /** This process, as lease holder (host, pid and a random part: pids repeat across containers). */
  readonly holderId = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly client: RedisWithLease;

  constructor(private readonly redis: RedisRepository) {
    this.client = redis.client as RedisWithLease;
    this.client.defineCommand('acquireLease', { numberOfKeys: 1, lua: ACQUIRE_LUA });
    this.client.defineCommand('releaseLease', { numberOfKeys: 1, lua: RELEASE_LUA });
  }

  /** Takes or renews `duty`'s lease for `ttlMs`; true when this process holds it. */
  async acquire(duty: string, ttlMs: number): Promise<boolean> {
    return (await this.client.acquireLease(leaseKey(this.redis, duty), this.holderId, String(ttlMs))) === 1;
  }

  async release(duty: string): Promise<void> {
    await this.client.releaseLease(leaseKey(this.redis, duty), this.holderId);
  }

  /** The current holder of `duty`'s lease, if any. */
  async holder(duty: string): Promise<string | null> {
    return this.redis.client.get(leaseKey(this.redis, duty));
  }
}
