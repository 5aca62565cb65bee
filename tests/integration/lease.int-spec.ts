/**
 * Singleton duties across processes (issue 10 §2): two "processes" (each its own Redis connection
 * and LeaseRepository) on one REDIS_PREFIX. One holds a lease at a time; a holder that stops
 * renewing loses it after its time-to-live, and a release hands it over at once.
 */
import type { PlatformConfig } from '../../apps/platform/src/config/config';
import { LeaseRepository } from '../../apps/platform/src/repositories/lease.repository';
import { RedisRepository } from '../../apps/platform/src/repositories/redis.repository';
import { freshRedisPrefix } from '../support/databases';
import { testServices } from '../support/test-services';
import { waitFor } from '../support/wait';

describe('LeaseRepository', () => {
  const config = { redis: { url: testServices().redisUrl, prefix: freshRedisPrefix() }, ingest: { deadLetterCap: 10 } } as PlatformConfig;
  const redisA = new RedisRepository(config);
  const redisB = new RedisRepository(config);
  const a = new LeaseRepository(redisA);
  const b = new LeaseRepository(redisB);

  afterAll(async () => {
    await Promise.all([redisA.onApplicationShutdown(), redisB.onApplicationShutdown()]);
  });

  it('has one holder, renewed by it, taken over when it stops renewing or releases', async () => {
    expect(await a.acquire('sweep', 1000)).toBe(true);
    expect(await b.acquire('sweep', 1000)).toBe(false);
    expect(await a.acquire('sweep', 1000)).toBe(true); // renewal
    expect(await a.holder('sweep')).toBe(a.holderId);

    // a stops renewing (as a process killed with kill -9 does): b takes over after the time-to-live
    await waitFor(() => b.acquire('sweep', 60_000), { timeoutMs: 10_000, message: 'b takes the expired lease' });
    expect(await a.acquire('sweep', 1000)).toBe(false);
    await a.release('sweep'); // not a's: nothing happens
    expect(await a.holder('sweep')).toBe(b.holderId);

    await b.release('sweep');
    expect(await a.acquire('sweep', 1000)).toBe(true);
    expect(await b.acquire('other', 1000)).toBe(true); // leases are independent
  });
});
