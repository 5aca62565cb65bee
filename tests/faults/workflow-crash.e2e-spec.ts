/**
 * Issue 9, fault table: `kill -9` between an alarm and its maintenance-fund case, and between a
 * gate exit and its bill. The built platform (its own process, `npm run build` first) runs with
 * the test-only hook FAULT_INJECT and kills itself (SIGKILL) right after the alarm's commit
 * (crash-after-alarm-insert) or the session's close (crash-after-gate-exit). Restarted on the same
 * DATA_DIR (PGlite), InfluxDB database and Redis prefix, the start-up sweeps finish the work: the
 * outbox row opens the case, the billing sweep bills the closed, unbilled session; exactly once
 * (rows counted).
 */
import { connectAsync } from 'mqtt';
import { recordFault } from '../support/fault-report';
import { crashAtThenRestart, type CrashAt } from '../support/one-device-fleet';
import { waitFor } from '../support/wait';
import { fileHalfHourYuanTariff } from '../support/tariffs';

jest.setTimeout(300_000);

/** What each test started, stopped and removed after it (the platform before its data). */
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The crash every row shares, its clean-ups run after the test. */
const crashAt = (kind: CrashAt['kind'], name: string, point: string, trigger: CrashAt['trigger'], setup?: CrashAt['setup']) =>
  crashAtThenRestart({ kind, name, point, trigger, setup, cleanups });

/** The fault-table row of a step that must happen exactly once and happened `count` times. */
function recordOnce({ count, ...row }: { fault: string; load: string; count: number; recoverySeconds: number; notes: string }): void {
  recordFault({ ...row, acknowledged: 1, stored: count, lost: Math.max(0, 1 - count), duplicated: Math.max(0, count - 1) });
}

describe('fault: kill -9 between an alarm and its fund case (issue 9)', () => {
  it('the case is opened exactly once after the restart', async () => {
    // A device-reported safety-circuit fault raises a qualifying alarm at once; the process dies after its commit.
    const { platform, communityId, device: lift, killedAt, token, api } = await crashAt('elevator', 'crash-lift', 'crash-after-alarm-insert', (client, device) => {
      client.publish(`v1/devices/${device.id}/events`, JSON.stringify({ type: 'safety_circuit_open', active: true }), { qos: 1 }, () => undefined);
    });
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
    // Its history and the start of its escalation committed with it: the alarm says it was raised, and tier 0 is told.
    const alarm = await waitFor(
      async () => {
        const view = (await api('GET', `alarms/${raised[0].alarmId}`, token)).body as { history: Array<{ action: string }> };
        return view.history.some((h) => h.action === 'notified') ? view : null;
      },
      { timeoutMs: 60_000, intervalMs: 500, message: `the alarm's escalation started after the restart; output: ${platform.log.slice(-2000)}` },
    );
    expect(alarm.history.filter((h) => h.action === 'raised')).toHaveLength(1);

    recordOnce({
      fault: 'kill -9 between an alarm and its fund case',
      load: '1 qualifying alarm (FAULT_INJECT=crash-after-alarm-insert)',
      count: after.length,
      recoverySeconds,
      notes: 'transactional outbox rows (fund case, escalation start) relayed by the sweeps; recovery includes the platform restart',
    });
  });
});

describe('fault: kill -9 between a gate exit and its bill (issue 9)', () => {
  it('the bill is issued exactly once after the restart', async () => {
    // An ambulance (always let through, billed at 0 without a tariff) enters, then leaves; the process dies after the exit closes its session.
    const plate = '京X2345应急';
    const entered = Date.now() - 60_000;
    const { platform, communityId, device: gate, killedAt, token, api } = await crashAt('gate', 'crash-gate', 'crash-after-gate-exit', async (client, device) => {
      await client.publishAsync(`v1/devices/${device.id}/events`, JSON.stringify({ ts: entered, type: 'vehicle', lane: 'L1', direction: 'in', plate }), { qos: 1 });
      client.publish(`v1/devices/${device.id}/events`, JSON.stringify({ ts: entered + 30_000, type: 'vehicle', lane: 'L1', direction: 'out', plate }), { qos: 1 }, () => undefined);
    });
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

    recordOnce({
      fault: 'kill -9 between a gate exit and its bill',
      load: '1 vehicle entry and exit (FAULT_INJECT=crash-after-gate-exit)',
      count: after.length,
      recoverySeconds,
      notes: 'the closed, unbilled session billed by the billing sweep when its process takes the duty after the restart',
    });
  });
});

describe('fault: kill -9 between a paying visitor\'s exit read and its bill (issue 13 §7, pay before leaving)', () => {
  it('after the restart the bill is issued once and the exit read again holds the lane for that bill', async () => {
    const plate = '粤B31415';
    const entered = Date.now() - 60_000;
    const exit = { ts: entered + 30_000, type: 'vehicle', lane: 'L1', direction: 'out', plate };
    // A visitor (one common slot; 1 yuan per started 30 min, no free minutes) enters, is read at the exit, and the process dies after closing the stay, before pricing it or answering the lane.
    const { platform, communityId, device: gate, token, api } = await crashAt(
      'gate',
      'crash-pay',
      'crash-after-gate-exit',
      async (client, device) => {
        await client.publishAsync(`v1/devices/${device.id}/events`, JSON.stringify({ ts: entered, type: 'vehicle', lane: 'L0', direction: 'in', plate }), { qos: 1 });
        client.publish(`v1/devices/${device.id}/events`, JSON.stringify(exit), { qos: 1 }, () => undefined);
      },
      async (tp, communityId) => {
        expect((await tp.api('POST', 'parking/slots', { communityId, code: 'V1', location: 'surface', ownership: 'common' })).status).toBe(201);
        await fileHalfHourYuanTariff(tp, communityId, '粤价备〔2025〕031号', { sinceMs: 120_000 });
      },
    );
    // The gate reads the car again (or resends the exit it got no PUBACK for): priced now or by the sweep, once; the lane holds for that bill.
    const again = await connectAsync(platform.mqttUrl, { clientId: gate.id, username: gate.id, password: gate.secret, reconnectPeriod: 0 });
    again.on('error', () => undefined);
    const commands: Array<{ cmd: string; reason: string; billId?: string; amountFen?: number }> = [];
    await again.subscribeAsync(`v1/devices/${gate.id}/commands`, { qos: 1 });
    again.on('message', (_t, payload) => commands.push(JSON.parse(payload.toString())));
    await again.publishAsync(`v1/devices/${gate.id}/events`, JSON.stringify(exit), { qos: 1 });
    await waitFor(() => commands.find((c) => c.reason === 'payment_due'), { timeoutMs: 60_000, message: `the lane held after the restart; output: ${platform.log.slice(-2000)}` });
    await again.publishAsync(`v1/devices/${gate.id}/events`, JSON.stringify(exit), { qos: 1 });
    await waitFor(() => commands.filter((c) => c.reason === 'payment_due').length >= 2, { timeoutMs: 60_000, message: 'the second read answered' });
    await again.endAsync();
    const bills = (await api('GET', `billing/communities/${communityId}/bills`, token)).body as Array<{ id: string; amountFen: number; status: string }>;
    expect(bills).toHaveLength(1);
    expect(bills[0]).toMatchObject({ amountFen: 100, status: 'unpaid' });
    expect(commands.filter((c) => c.reason === 'payment_due').map((c) => [c.cmd, c.billId, c.amountFen])).toEqual([
      ['hold', bills[0].id, 100],
      ['hold', bills[0].id, 100],
    ]);
  });
});
