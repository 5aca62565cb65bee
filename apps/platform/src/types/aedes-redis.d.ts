// mqemitter-redis and aedes-persistence-redis ship no types; only what the embedded broker uses
// (aedes takes both as `any`).
declare module 'mqemitter-redis' {
  import type { Redis } from 'ioredis';
  /** An mqemitter over Redis pub/sub whose channels all start with `pubSubPrefix`. */
  export class MQEmitterRedisPrefix {
    constructor(pubSubPrefix: string, options: { pubConn: Redis; subConn: Redis });
  }
}

declare module 'aedes-persistence-redis' {
  import type { Redis } from 'ioredis';
  export default function aedesPersistenceRedis(options: { conn: Redis }): { destroy(cb: () => void): void };
}
