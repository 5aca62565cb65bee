import { Injectable } from '@nestjs/common';
import { LeaseRepository } from './lease.repository';
import { RedisRepository } from './redis.repository';

/** How long a broker process counts as alive after its last renewal, and how often it renews. */
export const BROKER_ALIVE_TTL_MS = 15_000;
const BROKER_ALIVE_RENEW_MS = 5_000;

/** Forgets a device's connection only if this process still holds it. KEYS: hash. ARGV: deviceId, holder. */
const FORGET_LUA = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
`;

type RedisWithForget = RedisRepository['client'] & {
  forgetConnection(key: string, deviceId: string, holder: string): Promise<number>;
};

/**
 * Which broker process of an embedded-broker cluster (MQTT_CLUSTER=redis) holds each device's
 * connection, so the presence sweep, run by one process, does not mark offline a silent device
 * connected to another. A process killed without a goodbye stops renewing its liveness key, and its
 * devices stop counting as connected after BROKER_ALIVE_TTL_MS.
 */
@Injectable()
export class ClusterConnectionsRepository {
  private readonly client: RedisWithForget;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisRepository,
    private readonly leases: LeaseRepository,
  ) {
    this.client = redis.client as RedisWithForget;
    this.client.defineCommand('forgetConnection', { numberOfKeys: 1, lua: FORGET_LUA });
  }

  /** Announces this broker process alive now and every BROKER_ALIVE_RENEW_MS until stop(). */
  async start(): Promise<void> {
    const renew = () => this.client.set(this.redis.keys.brokerAlive(this.leases.holderId), '1', 'PX', BROKER_ALIVE_TTL_MS);
    await renew();
    this.timer = setInterval(() => void renew().catch(() => undefined), BROKER_ALIVE_RENEW_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.client.del(this.redis.keys.brokerAlive(this.leases.holderId));
  }

  async connected(deviceId: string): Promise<void> {
    await this.client.hset(this.redis.keys.mqttConnections(), deviceId, this.leases.holderId);
  }

  async disconnected(deviceId: string): Promise<void> {
    await this.client.forgetConnection(this.redis.keys.mqttConnections(), deviceId, this.leases.holderId);
  }

  /**
   * Those of `deviceIds` connected to a live broker process of the cluster. Entries left by dead
   * processes are removed on the way.
   */
  async connectedAnywhere(deviceIds: string[]): Promise<Set<string>> {
    if (deviceIds.length === 0) return new Set();
    const key = this.redis.keys.mqttConnections();
    const holders = await this.client.hmget(key, ...deviceIds);
    const distinct = [...new Set(holders.filter((h): h is string => h !== null))];
    const alive = new Set<string>();
    for (const holder of distinct) if ((await this.client.exists(this.redis.keys.brokerAlive(holder))) === 1) alive.add(holder);
    const connected = new Set<string>();
    for (const [i, holder] of holders.entries()) {
      if (holder === null) continue;
      if (alive.has(holder)) connected.add(deviceIds[i]);
      else await this.client.forgetConnection(key, deviceIds[i], holder);
    }
    return connected;
  }
}
