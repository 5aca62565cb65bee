/**
 * Issue 9, fault table: the platform is killed (SIGKILL) right after an alarm is committed and
 * before its maintenance-fund case is opened; after the restart the case is opened, exactly once.
 * The kill comes from the test-only hook FAULT_INJECT=crash-after-alarm-insert
 * (repositories/fault.repository.ts) in a platform child process run from the sources. Today's
 * code opens the case from an in-process bus event and never opens it after such a crash; the
 * transactional outbox row written with the alarm is relayed after the restart.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { freshInfluxDatabase, freshRedisPrefix } from '../support/databases';
import { recordFault } from '../support/fault-report';
import { ADMIN, elevatorReading, publishJson, testPlatformEnv } from '../support/platform';
import { freePort, waitForExit } from '../support/processes';
import { repoRoot } from '../support/test-services';
import { waitFor } from '../support/wait';

interface Child {
  process: ChildProcess;
  http: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe('fault: kill -9 between an alarm and its fund case (issue 9)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'spp-crash-'));
  const influx = freshInfluxDatabase();
  const redisPrefix = freshRedisPrefix();
  const children: Child[] = [];
  let ports: { http: number; mqtt: number; ws: number };

  /** The platform from its sources (ts-node, no build needed), on this test's PGlite, Redis prefix and ports. */
  const startChild = async (extra: Record<string, string>): Promise<Child> => {
    const env = {
      ...testPlatformEnv(dataDir, influx, redisPrefix),
      HTTP_PORT: String(ports.http),
      MQTT_PORT: String(ports.mqtt),
      MQTT_WS_PORT: String(ports.ws),
      PATH: process.env.PATH,
      TS_NODE_PROJECT: join(repoRoot, 'tsconfig.json'),
      ...extra,
    };
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', join(repoRoot, 'apps/platform/src/main.ts')], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const c = { process: child, http: `http://127.0.0.1:${ports.http}`, exit };
    children.push(c);
    await waitFor(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`platform exited during start (${child.exitCode ?? child.signalCode})`);
        return fetch(`${c.http}/health`).then((r) => r.status === 200, () => false);
      },
      { timeoutMs: 300_000, intervalMs: 500, message: 'platform child healthy' },
    );
    return c;
  };

  const api = async (c: Child, method: string, path: string, body?: unknown, token?: string) => {
    const res = await fetch(`${c.http}/api/v1/${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const login = async (c: Child) => (await api(c, 'POST', 'auth/login', ADMIN)).body.accessToken as string;

  beforeAll(async () => {
    ports = { http: await freePort(), mqtt: await freePort(), ws: await freePort() };
  });
  afterAll(async () => {
    for (const c of children) {
      if (c.process.exitCode === null && c.process.signalCode === null) {
        c.process.kill('SIGTERM');
        if (!(await waitForExit(c.process.pid!, 30_000))) c.process.kill('SIGKILL');
      }
    }
    await influx.drop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the case is opened exactly once after the restart', async () => {
    const first = await startChild({ FAULT_INJECT: 'crash-after-alarm-insert' });
    let token = await login(first);
    const community = (await api(first, 'POST', 'communities', { name: 'Crash estate', district: 'Xuhui', street: 'Tianping' }, token)).body;
    const lift = (await api(first, 'POST', 'devices', { communityId: community.id, kind: 'elevator', name: 'Lift 1' }, token)).body;
    expect(lift.secret).toBeDefined();
    expect((await api(first, 'PUT', `alarm-settings/devices/${lift.id}`, { thresholds: { trappedHoldS: 1 } }, token)).status).toBe(200);

    const client: MqttClient = await connectAsync(`mqtt://127.0.0.1:${ports.mqtt}`, { clientId: lift.id, username: lift.id, password: lift.secret, reconnectPeriod: 0 });
    client.on('error', () => undefined);
    // Passengers in a car stopped between floors: trapped_not_level after the hold; the process dies right after the alarm's commit.
    const trapped = elevatorReading({ occupied: true, atLevel: false, door: 'closed', direction: 'stop' });
    await publishJson(client, `v1/devices/${lift.id}/telemetry`, trapped);
    await waitFor(
      async () => {
        if (first.process.signalCode !== null) return true;
        await publishJson(client, `v1/devices/${lift.id}/telemetry`, trapped).catch(() => undefined);
        return first.process.signalCode !== null;
      },
      { timeoutMs: 120_000, intervalMs: 1000, message: 'the platform killed itself after the alarm insert' },
    );
    expect((await first.exit).signal).toBe('SIGKILL');
    client.end(true);

    const killedAt = Date.now();
    const second = await startChild({});
    token = await login(second);
    const alarms = (await api(second, 'GET', `alarms?deviceId=${lift.id}`, undefined, token)).body as Array<{ alarmId: string; type: string }>;
    expect(alarms.filter((a) => a.type === 'trapped_not_level')).toHaveLength(1);
    const alarmId = alarms.find((a) => a.type === 'trapped_not_level')!.alarmId;
    const cases = await waitFor(
      async () => {
        const list = (await api(second, 'GET', `fund/cases?communityId=${community.id}`, undefined, token)).body as Array<{ alarmId: string }>;
        return list.length > 0 ? list : null;
      },
      { timeoutMs: 120_000, intervalMs: 500, message: 'the fund case opened after the restart' },
    );
    const recoverySeconds = (Date.now() - killedAt) / 1000;
    expect(cases).toHaveLength(1);
    expect(cases[0].alarmId).toBe(alarmId);
    // The worker's periodic sweep (10 s) finds nothing more to relay: still one case.
    await waitFor(async () => (await api(second, 'GET', `fund/cases?communityId=${community.id}`, undefined, token)).body.length === 1, { timeoutMs: 30_000 });

    recordFault({
      fault: 'kill -9 between an alarm and its fund case',
      load: '1 trapped-passenger alarm (FAULT_INJECT=crash-after-alarm-insert)',
      acknowledged: 1,
      stored: cases.length,
      lost: Math.max(0, 1 - cases.length),
      duplicated: Math.max(0, cases.length - 1),
      recoverySeconds,
      notes: 'transactional outbox row relayed after the restart; recovery includes the platform start from sources',
    });
  }, 900_000);
});
