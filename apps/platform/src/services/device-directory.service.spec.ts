import type { ClockRepository } from '../repositories/clock.repository';
import type { CryptoRepository } from '../repositories/crypto.repository';
import type { DeviceRepository, DeviceRow } from '../repositories/device.repository';
import type { EventBusRepository } from '../repositories/event-bus.repository';
import type { RedisRepository } from '../repositories/redis.repository';
import { DeviceDirectoryService } from './device-directory.service';

const row = (id: string) => ({ id, community_id: 'c1', kind: 'elevator', subtype: null, disabled: false, secret_hash: `hash-${id}` }) as unknown as DeviceRow;

describe('device directory lookups in a reconnect storm', () => {
  let now: number;
  let queries: string[][];
  let failNext: boolean;
  let directory: DeviceDirectoryService;

  beforeEach(() => {
    now = 1_000_000;
    queries = [];
    failNext = false;
    const devices = {
      findByIds: jest.fn(async (ids: readonly string[]) => {
        queries.push([...ids]);
        if (failNext) throw new Error('database unavailable');
        return ids.filter((id) => !id.startsWith('unknown')).map(row);
      }),
    } as unknown as DeviceRepository;
    const clock = { now: () => now } as unknown as ClockRepository;
    directory = new DeviceDirectoryService(devices, {} as RedisRepository, {} as CryptoRepository, clock, { emit: () => undefined } as unknown as EventBusRepository);
  });

  it('reads the profiles asked for at once with one query, not one each', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => `lift-${i}`);
    const profiles = await Promise.all([...ids, 'unknown-1'].map((id) => directory.get(id)));
    expect(queries).toHaveLength(1);
    expect(profiles.slice(0, 300).map((p) => p?.id)).toEqual(ids);
    expect(profiles[300]).toBeNull();
    // Cached now: no further query.
    await directory.get('lift-7');
    expect(queries).toHaveLength(1);
  });

  it('splits a storm larger than a batch into batches of 1,000', async () => {
    await Promise.all(Array.from({ length: 2500 }, (_, i) => directory.get(`gate-${i}`)));
    expect(queries.map((q) => q.length)).toEqual([1000, 1000, 500]);
  });

  it('fails every waiter of a failed batch, and serves a profile it knew once the database is down', async () => {
    await directory.get('lift-1');
    now += 61_000; // the profile expired
    failNext = true;
    const [known, unknownToUs] = await Promise.allSettled([directory.get('lift-1'), directory.get('lift-2')]);
    expect(known).toEqual({ status: 'fulfilled', value: expect.objectContaining({ id: 'lift-1' }) });
    expect(unknownToUs).toEqual({ status: 'rejected', reason: new Error('database unavailable') });
  });
});
