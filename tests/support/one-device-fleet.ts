import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { freshInfluxDatabase, freshRedisPrefix } from './databases';
import { ADMIN, startTestPlatform, type ProvisionedDevice, type TestPlatform } from './platform';
import { PlatformProcess, type Fleet } from './platform-process';
import { waitFor } from './wait';

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

/** REST against a platform process (JSON in and out). */
export async function restOf(platform: PlatformProcess, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${platform.httpUrl}/api/v1/${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

export interface CrashAt {
  kind: 'elevator' | 'gate';
  name: string;
  /** The FAULT_INJECT point the platform kills itself at. */
  point: string;
  /** Leads the platform to the point, given the device's MQTT client. */
  trigger: (client: MqttClient, device: ProvisionedDevice) => Promise<void> | void;
  setup?: (tp: TestPlatform, communityId: string) => Promise<void>;
  /** More environment for both runs of the platform. */
  env?: Record<string, string>;
  /** Where the fleet's and the platform's clean-ups go (run by the test file's afterEach). */
  cleanups: Array<() => Promise<void>>;
}

/**
 * The built platform with FAULT_INJECT=`point` on a one-device fleet, led to the point by
 * `trigger`, killed there (SIGKILL), then started again on the same data without the hook.
 */
export async function crashAtThenRestart({ kind, name, point, trigger, setup, env = {}, cleanups }: CrashAt) {
  const { fleet, communityId } = await oneDeviceFleet(kind, name, setup);
  cleanups.push(() => fleet.remove());
  const platform = await PlatformProcess.create(fleet, { ...env, FAULT_INJECT: point });
  cleanups.push(() => platform.stop());
  await platform.start();
  const device = fleet.devices[0];
  const client = await connectAsync(platform.mqttUrl, { clientId: device.id, username: device.id, password: device.secret, reconnectPeriod: 0 });
  client.on('error', () => undefined);
  await trigger(client, device);
  await waitFor(() => !platform.running, { timeoutMs: 120_000, intervalMs: 200, message: `the platform killed itself at ${point}; output: ${platform.log.slice(-2000)}` });
  expect(platform.exitSignal).toBe('SIGKILL');
  client.end(true);

  const killedAt = Date.now();
  delete platform.env.FAULT_INJECT;
  await platform.start();
  const api = (method: string, path: string, token?: string, body?: unknown) => restOf(platform, method, path, token, body);
  const token = (await api('POST', 'auth/login', undefined, ADMIN)).body.accessToken as string;
  return { platform, communityId, device, killedAt, token, api };
}
