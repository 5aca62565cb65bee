/**
 * Issue 9, fault table: `kill -9` between an alarm and its maintenance-fund case, and between a
 * gate exit and its bill. The built platform (its own process, `npm run build` first) runs with
 * the test-only hook FAULT_INJECT and kills itself (SIGKILL) right after the alarm's commit
 * (crash-after-alarm-insert) or the session's close (crash-after-gate-exit). Restarted on the same
 * DATA_DIR (PGlite), InfluxDB database and Redis prefix, the start-up sweeps finish the work: the
 * outbox row opens the case, the billing sweep bills the closed, unbilled session; exactly once
 * (rows counted).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { freshInfluxDatabase, freshRedisPrefix } from '../support/databases';
import { recordFault } from '../support/fault-report';
import { ADMIN, startTestPlatform } from '../support/platform';
import { PlatformProcess, type Fleet } from '../support/platform-process';
import { waitFor } from '../support/wait';

jest.setTimeout(300_000);

/** One device on a fresh DATA_DIR, InfluxDB database and Redis prefix, provisioned by an in-process platform. */
async function oneDeviceFleet(kind: 'elevator' | 'gate', name: string): Promise<{ fleet: Fleet; communityId: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), `spp-${name}-`));
  const influx = freshInfluxDatabase();
  const redisPrefix = freshRedisPrefix();
  const tp = await startTestPlatform({ dataDir, influx, redisPrefix });
  try {
    const communityId = (await tp.createCommunity()).id;
    const device = await tp.provisionDevice(communityId, kind, { id: `${name}-${Date.now().toString(36)}` });
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
async function restOf(platform: PlatformProcess, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${platform.httpUrl}/api/v1/${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

describe('fault: kill -9 between an alarm and its fund case (issue 9)', () => {
  let fleet: Fleet;
  let communityId: string;
  let platform: PlatformProcess | undefined;

  beforeAll(async () => {
    ({ fleet, communityId } = await oneDeviceFleet('elevator', 'crash-lift'));
  });
  afterAll(async () => {
    await platform?.stop();
    await fleet?.remove();
  });

  const api = (method: string, path: string, token?: string, body?: unknown) => restOf(platform!, method, path, token, body);

  it('the case is opened exactly once after the restart', async () => {
    platform = await PlatformProcess.create(fleet, { FAULT_INJECT: 'crash-after-alarm-insert' });
    await platform.start();
    const lift = fleet.devices[0];
    const client = await connectAsync(platform.mqttUrl, { clientId: lift.id, username: lift.id, password: lift.secret, reconnectPeriod: 0 });
    client.on('error', () => undefined);
    // A device-reported safety-circuit fault raises a qualifying alarm at once; the process dies after its commit.
    client.publish(`v1/devices/${lift.id}/events`, JSON.stringify({ type: 'safety_circuit_open', active: true }), { qos: 1 }, () => undefined);
    await waitFor(() => !platform!.running, { timeoutMs: 120_000, intervalMs: 200, message: `the platform killed itself after the alarm insert; output: ${platform.log.slice(-2000)}` });
    expect(platform.exitSignal).toBe('SIGKILL');
    client.end(true);

    const killedAt = Date.now();
    delete platform.env.FAULT_INJECT;
    await platform.start();
    const token = (await api('POST', 'auth/login', undefined, ADMIN)).body.accessToken as string;
    const alarms = (await api('GET', `alarms?deviceId=${lift.id}`, token)).body as Array<{ alarmId: string; type: string }>;
    const raised = alarms.filter((a) => a.type === 'safety_circuit_open');
    expect(raised).toHaveLength(1);
    await waitFor(
      async () => {
        const res = await api('GET', `fund/cases?communityId=${communityId}`, token);
        return Array.isArray(res.body) && res.body.length > 0 ? (res.body as Array<{ alarmId: string }>) : null;
      },
      { timeoutMs: 120_000, intervalMs: 500, message: `the fund case opened after the restart; output: ${platform.log.slice(-2000)}` },
    );
    const recoverySeconds = (Date.now() - killedAt) / 1000;
    const after = (await api('GET', `fund/cases?communityId=${communityId}`, token)).body as Array<{ alarmId: string }>;
    expect(after).toHaveLength(1);
    expect(after[0].alarmId).toBe(raised[0].alarmId);

    recordFault({
      fault: 'kill -9 between an alarm and its fund case',
      load: '1 qualifying alarm (FAULT_INJECT=crash-after-alarm-insert)',
      acknowledged: 1,
      stored: after.length,
      lost: Math.max(0, 1 - after.length),
      duplicated: Math.max(0, after.length - 1),
      recoverySeconds,
      notes: 'transactional outbox row relayed by the start-up sweep; recovery includes the platform restart',
    });
  });
});

describe('fault: kill -9 between a gate exit and its bill (issue 9)', () => {
  let fleet: Fleet;
  let communityId: string;
  let platform: PlatformProcess | undefined;

  beforeAll(async () => {
    ({ fleet, communityId } = await oneDeviceFleet('gate', 'crash-gate'));
  });
  afterAll(async () => {
    await platform?.stop();
    await fleet?.remove();
  });

  const api = (method: string, path: string, token?: string, body?: unknown) => restOf(platform!, method, path, token, body);

  it('the bill is issued exactly once after the restart', async () => {
    platform = await PlatformProcess.create(fleet, { FAULT_INJECT: 'crash-after-gate-exit' });
    await platform.start();
    const gate = fleet.devices[0];
    const client = await connectAsync(platform.mqttUrl, { clientId: gate.id, username: gate.id, password: gate.secret, reconnectPeriod: 0 });
    client.on('error', () => undefined);
    // An ambulance (always let through, billed at 0 without a tariff) enters, then leaves; the process dies after the exit closes its session.
    const plate = '京X2345应急';
    const entered = Date.now() - 60_000;
    await client.publishAsync(`v1/devices/${gate.id}/events`, JSON.stringify({ ts: entered, type: 'vehicle', lane: 'L1', direction: 'in', plate }), { qos: 1 });
    client.publish(`v1/devices/${gate.id}/events`, JSON.stringify({ ts: entered + 30_000, type: 'vehicle', lane: 'L1', direction: 'out', plate }), { qos: 1 }, () => undefined);
    await waitFor(() => !platform!.running, { timeoutMs: 120_000, intervalMs: 200, message: `the platform killed itself after the gate exit; output: ${platform.log.slice(-2000)}` });
    expect(platform.exitSignal).toBe('SIGKILL');
    client.end(true);

    const killedAt = Date.now();
    delete platform.env.FAULT_INJECT;
    await platform.start();
    const token = (await api('POST', 'auth/login', undefined, ADMIN)).body.accessToken as string;
    const bills = await waitFor(
      async () => {
        const res = await api('GET', `billing/communities/${communityId}/bills`, token);
        return Array.isArray(res.body) && res.body.length > 0 ? (res.body as Array<{ sessionId: string; amountFen: number }>) : null;
      },
      { timeoutMs: 120_000, intervalMs: 500, message: `the bill issued after the restart; output: ${platform.log.slice(-2000)}` },
    );
    const recoverySeconds = (Date.now() - killedAt) / 1000;
    expect(bills).toHaveLength(1);
    expect(bills[0]).toMatchObject({ amountFen: 0 });
    // The gate device resends the exit it got no PUBACK for: still one session, one bill.
    const again = await connectAsync(platform.mqttUrl, { clientId: gate.id, username: gate.id, password: gate.secret, reconnectPeriod: 0 });
    again.on('error', () => undefined);
    await again.publishAsync(`v1/devices/${gate.id}/events`, JSON.stringify({ ts: entered + 30_000, type: 'vehicle', lane: 'L1', direction: 'out', plate }), { qos: 1 });
    await again.endAsync();
    expect((await api('GET', `billing/sessions/${bills[0].sessionId}/bill`, token)).status).toBe(200);
    const after = (await api('GET', `billing/communities/${communityId}/bills`, token)).body as unknown[];
    expect(after).toHaveLength(1);

    recordFault({
      fault: 'kill -9 between a gate exit and its bill',
      load: '1 vehicle entry and exit (FAULT_INJECT=crash-after-gate-exit)',
      acknowledged: 1,
      stored: after.length,
      lost: Math.max(0, 1 - after.length),
      duplicated: Math.max(0, after.length - 1),
      recoverySeconds,
      notes: 'the closed, unbilled session billed by the billing sweep when its process takes the duty after the restart',
    });
  });
});
