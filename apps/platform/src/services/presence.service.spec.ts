import type { PlatformConfig } from '../config/config';
import type { ClusterConnectionsRepository } from '../repositories/cluster-connections.repository';
import type { ClockRepository } from '../repositories/clock.repository';
import type { EventBusRepository } from '../repositories/event-bus.repository';
import type { RedisRepository } from '../repositories/redis.repository';
import type { WebsocketRepository } from '../repositories/websocket.repository';
import type { DeviceDirectoryService } from './device-directory.service';
import type { SingletonDutyService } from './singleton-duty.service';
import { PresenceService } from './presence.service';

describe('heartbeat sweep after a restart', () => {
  const heartbeatTimeoutMs = 90_000;
  let now: number;
  let silentSinceCalls: number;
  let service: PresenceService;
  let dutyTimer: NodeJS.Timeout | undefined;

  beforeEach(() => {
    jest.useFakeTimers();
    now = 1_000_000;
    silentSinceCalls = 0;
    const config = { roles: new Set(['api', 'ingest', 'worker']), mqtt: { heartbeatTimeoutMs } } as unknown as PlatformConfig;
    const redis = {
      devicesSilentSince: jest.fn(async () => {
        silentSinceCalls += 1;
        return [] as string[];
      }),
      forgetLastSeen: jest.fn(async () => undefined),
    } as unknown as RedisRepository;
    const clock = { now: () => now } as unknown as ClockRepository;
    // This process holds the sweep's lease: the duty runs at its interval.
    const duties = { register: ({ everyMs, run }: { everyMs: number; run: () => Promise<void> }) => (dutyTimer = setInterval(() => void run(), everyMs)) } as unknown as SingletonDutyService;
    service = new PresenceService(config, redis, {} as WebsocketRepository, {} as DeviceDirectoryService, clock, {} as EventBusRepository, duties, {} as ClusterConnectionsRepository);
    service.onModuleInit();
  });

  afterEach(() => {
    service.onApplicationShutdown();
    clearInterval(dutyTimer);
    jest.useRealTimers();
  });

  it('gives every device one heartbeat period to reconnect before any counts as silent', async () => {
    now += heartbeatTimeoutMs - 10_000;
    await jest.advanceTimersByTimeAsync(heartbeatTimeoutMs - 10_000);
    expect(silentSinceCalls).toBe(0);

    now += 20_000;
    await jest.advanceTimersByTimeAsync(20_000);
    expect(silentSinceCalls).toBeGreaterThan(0);
  });
});
