/**
 * Which broker process holds each device's connection (issue 10 §2, the presence sweep of an
 * embedded-broker cluster): three "processes" (each its own Redis connection and holder id) on one
 * REDIS_PREFIX. A device counts as connected while the process holding it is alive; a process that
 * stopped cleanly, or never renews (killed), no longer holds its devices, and its stale entries go.
 */
import type { PlatformConfig } from '../../apps/platform/src/config/config';
import { ClusterConnectionsRepository } from '../../apps/platform/src/repositories/cluster-connections.repository';
import { LeaseRepository } from '../../apps/platform/src/repositories/lease.repository';
import { RedisRepository } from '../../apps/platform/src/repositories/redis.repository';
import { freshRedisPrefix } from '../support/databases';
import { testServices } from '../support/test-services';

describe('ClusterConnectionsRepository', () => {
  const config = { redis: { url: testServices().redisUrl, prefix: freshRedisPrefix() }, ingest: { deadLetterCap: 10 } } as PlatformConfig;
  const redis = [new RedisRepository(config), new RedisRepository(config), new RedisRepository(config)];
  const [a, b, killed] = redis.map((r) => new ClusterConnectionsRepository(r, new LeaseRepository(r)));

  afterAll(async () => {
    await a.stop();
    await Promise.all(redis.map((r) => r.onApplicationShutdown()));
  });

  it('knows the devices connected to live processes only', async () => {
    await a.start();
    await b.start();
    await a.connected('d1');
    await b.connected('d2');
    await killed.connected('d3'); // a process that never renews its liveness: as if killed with kill -9
    expect(await a.connectedAnywhere(['d1', 'd2', 'd3', 'd4'])).toEqual(new Set(['d1', 'd2']));
    expect(await redis[0].client.hexists(redis[0].keys.mqttConnections(), 'd3')).toBe(0); // stale entry removed

    // d1 moves to b; a's late disconnect must not forget b's connection
    await b.connected('d1');
    await a.disconnected('d1');
    expect(await a.connectedAnywhere(['d1'])).toEqual(new Set(['d1']));

    await b.disconnected('d2');
    expect(await a.connectedAnywhere(['d2'])).toEqual(new Set());

    // b stops (shutdown): its devices no longer count at once
    await b.stop();
    expect(await a.connectedAnywhere(['d1'])).toEqual(new Set());
    expect(await a.connectedAnywhere([])).toEqual(new Set());
  });
});
