import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshInfluxDatabase, freshRedisPrefix } from './databases';
import { startTestPlatform, type TestPlatform } from './platform';
import type { Fleet } from './platform-process';

/** One device on a fresh DATA_DIR, InfluxDB database and Redis prefix, provisioned by an in-process platform. */
export async function oneDeviceFleet(kind: 'elevator' | 'gate', name: string, setup?: (tp: TestPlatform, communityId: string) => Promise<void>): Promise<{ fleet: Fleet; communityId: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), `spp-${name}-`));
  const influx = freshInfluxDatabase();
  const redisPrefix = freshRedisPrefix();
  const tp = await startTestPlatform({ dataDir, influx, redisPrefix });
  try {
    const communityId = (await tp.createCommunity()).id;
    const device = await tp.provisionDevice(communityId, kind, { id: `${name}-${Date.now().toString(36)}` });
    await setup?.(tp, communityId);
    const fleet: Fleet = {
      dataDir,
      influx,
      redisPrefix,
      devices: [device],
      remove: async () => {
        await influx.drop();
        rmSync(dataDir, { recursive: true, force: true, maxRetries: 3 });
      },
    };
    return { fleet, communityId };
  } finally {
    await tp.close();
  }
}
