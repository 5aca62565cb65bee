/**
 * Issue 9, §1 and three rows of the fault table: "acknowledged" means durable. Each fault is done
 * for real to the built platform (its own process) under QoS 1 load from persistent-session
 * devices, and every acknowledged message (sequence numbers recorded by the devices on PUBACK) is
 * then looked up in InfluxDB: lost and duplicated must both be 0.
 *  - kill -9 of the platform during the load, restart: devices resend what was not acknowledged.
 *  - InfluxDB stopped (20 s here, 60 s in `npm run chaos`), then started: the write-ahead log holds
 *    the backlog (bounded by INGEST_WAL_MAX_BYTES, publishers held back beyond it), RSS bounded,
 *    backlog drained in order.
 *  - disk full under the write-ahead log: the platform runs in a private mount namespace
 *    (`unshare -rm`) with a small tmpfs on DATA_DIR/ingest-wal; the test fills it (through
 *    /proc/<pid>/root), publishers are held back, /health reports it and administrators' sockets
 *    (only theirs) get a `platform.alert`; space is freed, they hear of the recovery, and
 *    everything acknowledged is stored.
 * Needs `npm run build` (the platform runs from dist/).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { platformAlertSchema, type PlatformAlert } from '@app/contracts';
import { byScale, faultScale, recordFault } from '../support/fault-report';
import { OwnInflux } from '../support/own-influx';
import { freePort } from '../support/processes';
import { ADMIN } from '../support/platform';
import { PlatformProcess, provisionFleet, type Fleet } from '../support/platform-process';
import { Qos1Load } from '../support/qos1-load';
import { waitFor } from '../support/wait';

const MiB = 1024 * 1024;
// Each fault runs for tens of seconds (minutes in `npm run chaos`) on a machine that may be busy.
jest.setTimeout(900_000);

describe('fault: kill -9 of the platform during QoS 1 load', () => {
  const devices = byScale(10, 50);
  const rate = byScale(2000, 10_000);
  const secondsBefore = byScale(4, 20);
  const secondsAfter = byScale(4, 20);
  let fleet: Fleet;
  let platform: PlatformProcess;
  let load: Qos1Load | undefined;

  beforeAll(async () => {
    fleet = await provisionFleet(devices, { idPrefix: `kill9-${Date.now().toString(36)}` });
    platform = await PlatformProcess.create(fleet);
    await platform.start();
  });

  afterAll(async () => {
    await load?.close();
    await platform?.stop();
    await fleet?.remove();
  });

  it('stores every acknowledged message exactly once after a restart', async () => {
    load = new Qos1Load(platform.mqttUrl, fleet.devices, rate);
    await load.connected();
    load.start();
    const ackedBefore = await waitFor(() => load!.acknowledged >= (rate * secondsBefore) / 4 && load!.acknowledged, {
      timeoutMs: 60_000 + secondsBefore * 1000,
      message: 'messages acknowledged before the kill',
    });
    await waitFor(() => load!.sent >= rate * secondsBefore, { timeoutMs: 120_000, intervalMs: 100 });
    await platform.kill9();
    const killedAt = Date.now();
    await platform.start();
    // Serving again: a message published after the restart is acknowledged.
    const ackedAtRestart = load.acknowledged;
    await waitFor(() => load!.acknowledged > ackedAtRestart, { timeoutMs: 120_000, message: 'acknowledgements after the restart' });
    const recoverySeconds = (Date.now() - killedAt) / 1000;
    const sentAtRestart = load.sent;
    await waitFor(() => load!.sent >= sentAtRestart + rate * secondsAfter, { timeoutMs: 180_000, intervalMs: 100 });
    await load.stop();

    const result = await load.compare(fleet.influx, 180_000);
    recordFault({
      fault: 'kill -9 of the platform, restart',
      load: `${rate.toLocaleString('en-US')} msg/s QoS 1, ${devices} persistent-session devices`,
      ...result,
      recoverySeconds,
      notes: `${ackedBefore} acknowledged before the kill; PUBACK p50/p99 ${load.latency().p50}/${load.latency().p99} ms`,
    });
    expect(result.acknowledged).toBe(load.sent);
    expect({ lost: result.lost, duplicated: result.duplicated }).toEqual({ lost: 0, duplicated: 0 });
    expect(result.stored).toBe(result.acknowledged);
  });
});

describe('fault: InfluxDB stopped, then started', () => {
  const devices = byScale(10, 50);
  const rate = byScale(1000, 10_000);
  const outageSeconds = byScale(20, 60);
  const baselineSeconds = byScale(10, 30);
  // Small enough that the short outage reaches it: publishers are then held back, not dropped.
  const walMaxBytes = byScale(1 * MiB, 256 * MiB);
  let influx: OwnInflux;
  let fleet: Fleet;
  let platform: PlatformProcess;
  let load: Qos1Load | undefined;

  beforeAll(async () => {
    influx = new OwnInflux(await freePort(), await freePort());
    await influx.start();
    const name = `fault_influx_${Date.now().toString(36)}`;
    fleet = await provisionFleet(devices, { idPrefix: `influxdown-${Date.now().toString(36)}`, influx: { url: `${influx.url}/${name}`, name, drop: async () => undefined } });
    platform = await PlatformProcess.create(fleet, { INGEST_WAL_MAX_BYTES: String(walMaxBytes) });
    await platform.start();
  });

  afterAll(async () => {
    await load?.close();
    await platform?.stop();
    await fleet?.remove();
    await influx?.remove();
  });

  it('loses nothing, holds publishers back at the bound, keeps RSS bounded and drains the backlog in order', async () => {
    load = new Qos1Load(platform.mqttUrl, fleet.devices, rate);
    await load.connected();
    load.start();
    await waitFor(() => load!.acknowledged >= rate, { timeoutMs: 60_000, message: 'load running' });
    // What the same load costs with InfluxDB up: the V8 heap breathes by a hundred MiB or more at
    // 10k msg/s, so the outage is compared with the peak of a window of normal load, not one sample.
    let rssPeak = platform.rssBytes();
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, platform.rssBytes())), 250);
    const baselineFrom = Date.now();
    await waitFor(() => Date.now() - baselineFrom >= baselineSeconds * 1000, { timeoutMs: baselineSeconds * 1000 + 60_000, intervalMs: 250 });
    const rssBefore = rssPeak;
    try {
      await influx.stop();
      const stoppedAt = Date.now();
      let backlogPeak = 0;
      let sawHeldBack = false;
      await waitFor(
        async () => {
          const health = await platform.health();
          backlogPeak = Math.max(backlogPeak, health.body.ingestBacklog?.bytes ?? 0);
          if (health.body.ingestBacklog?.full) sawHeldBack = true;
          return Date.now() - stoppedAt >= outageSeconds * 1000;
        },
        { timeoutMs: outageSeconds * 1000 + 60_000, intervalMs: 500 },
      );
      const health = await platform.health();
      expect(health.status).toBe(503);
      expect(health.body.checks.influx.status).toBe('error');
      expect(health.body.ingestBacklog.points).toBeGreaterThan(0);
      expect(health.body.ingestBacklog.oldestAgeSeconds).toBeGreaterThan(1);
      expect(await platform.metric('spp_ingest_wal_backlog_bytes')).toBeGreaterThan(0);
      expect(backlogPeak).toBeLessThanOrEqual(walMaxBytes);
      if (faultScale() === 'short') expect(sawHeldBack).toBe(true);

      await influx.start();
      const startedAt = Date.now();
      // Drained: under one second of load waits (the load goes on, so some points always wait for their batch).
      await waitFor(async () => (await platform.health()).body.ingestBacklog.points <= rate, { timeoutMs: 300_000, intervalMs: 500, message: 'backlog drained' });
      const recoverySeconds = (Date.now() - startedAt) / 1000;
      await load.stop();
      await waitFor(async () => (await platform.health()).body.ingestBacklog.points === 0, { timeoutMs: 60_000, intervalMs: 500, message: 'last points shipped' });
      const result = await load.compare(fleet.influx, 180_000);
      recordFault({
        fault: `InfluxDB stopped ${outageSeconds} s, then started`,
        load: `${rate.toLocaleString('en-US')} msg/s QoS 1, ${devices} persistent-session devices`,
        ...result,
        recoverySeconds,
        notes: `WAL bound ${walMaxBytes / MiB} MiB, backlog peak ${(backlogPeak / MiB).toFixed(1)} MiB${sawHeldBack ? ' (publishers held back)' : ''}; RSS peak ${Math.round(rssBefore / MiB)} in ${baselineSeconds} s of normal load → peak with InfluxDB down and draining ${Math.round(rssPeak / MiB)} MiB; order kept: ${result.ordered}`,
      });
      expect({ lost: result.lost, duplicated: result.duplicated, ordered: result.ordered }).toEqual({ lost: 0, duplicated: 0, ordered: true });
      expect(result.stored).toBe(result.acknowledged);
      // Memory does not follow the backlog (on disk, 94 MiB at its peak in the full-length run): the
      // outage and the drain cost at most 100 MiB above what the same load costs with InfluxDB up.
      expect(rssPeak - rssBefore).toBeLessThan(100 * MiB);
    } finally {
      clearInterval(sampler);
    }
  });
});

describe('fault: disk full under the write-ahead log', () => {
  const devices = 10;
  const rate = byScale(500, 5000);
  const fullSeconds = byScale(5, 30);
  // Room for two 8 MiB log segments and the backlog of the load.
  const tmpfsMiB = byScale(24, 64);
  let fleet: Fleet;
  let platform: PlatformProcess;
  let load: Qos1Load | undefined;
  let walDir: string;
  const sockets: Socket[] = [];

  const login = async (username: string, password: string): Promise<string> => {
    const res = await fetch(`${platform.httpUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { accessToken: string }).accessToken;
  };
  /** A socket.io client of the platform process that records the platform alerts it gets. */
  const alertsOf = async (token: string): Promise<PlatformAlert[]> => {
    const socket = io(platform.httpUrl, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    sockets.push(socket);
    const alerts: PlatformAlert[] = [];
    socket.on('platform.alert', (alert: unknown) => alerts.push(platformAlertSchema.parse(alert)));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return alerts;
  };

  beforeAll(async () => {
    fleet = await provisionFleet(devices, { idPrefix: `diskfull-${Date.now().toString(36)}` });
    walDir = join(fleet.dataDir, 'ingest-wal');
    rmSync(walDir, { recursive: true, force: true });
    mkdirSync(walDir);
    // A private mount namespace (unshare, no root needed) where DATA_DIR/ingest-wal is a small
    // tmpfs; the platform execs inside it.
    platform = await PlatformProcess.create(fleet, {}, ['unshare', '-rm', 'sh', '-c', `mount -t tmpfs -o size=${tmpfsMiB}m tmpfs '${walDir}' && exec "$0" "$@"`]);
    await platform.start();
  });

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await load?.close();
    await platform?.stop();
    await fleet?.remove();
  });

  it('holds publishers back and alarms while the disk is full, stores everything once space returns', async () => {
    // An administrator and, in the fleet's community, property staff: only the former hears of the platform's disk.
    const adminToken = await login(ADMIN.username, ADMIN.password);
    const staff = { username: `diskfull.staff.${Date.now().toString(36)}`, password: 'staff-pass-123' };
    const created = await fetch(`${platform.httpUrl}/api/v1/users`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ ...staff, role: 'property_staff', scope: { level: 'community', communityIds: [fleet.devices[0].communityId] } }),
    });
    expect(created.status).toBe(201);
    const adminAlerts = await alertsOf(adminToken);
    const staffAlerts = await alertsOf(await login(staff.username, staff.password));

    load = new Qos1Load(platform.mqttUrl, fleet.devices, rate);
    await load.connected();
    load.start();
    await waitFor(() => load!.acknowledged >= rate, { timeoutMs: 60_000, message: 'load running' });

    // Fill the tmpfs as the platform sees it.
    const filler = `/proc/${platform.pid}/root${walDir}/filler`;
    const chunk = Buffer.alloc(256 * 1024);
    try {
      for (;;) writeFileSync(filler, chunk, { flag: 'a' });
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    await waitFor(async () => (await platform.metric('spp_ingest_wal_write_error')) === 1, { timeoutMs: 30_000, message: 'the log reports it cannot write' });
    const health = await platform.health();
    expect(health.status).toBe(503);
    expect(health.body.checks.ingestWal).toMatchObject({ status: 'error', error: expect.stringContaining('ENOSPC') });
    await waitFor(() => adminAlerts.length > 0, { timeoutMs: 30_000, message: 'the administrator alerted' });
    expect(adminAlerts).toEqual([{ kind: 'ingest_wal_unwritable', error: expect.stringContaining('ENOSPC'), at: expect.any(Number) }]);
    // Held back: no acknowledgement while the disk stays full.
    const ackedWhenFull = load.acknowledged;
    const fullSince = Date.now();
    await waitFor(() => Date.now() - fullSince >= fullSeconds * 1000, { timeoutMs: fullSeconds * 1000 + 10_000, intervalMs: 250 });
    expect(load.acknowledged).toBe(ackedWhenFull);
    expect(load.inFlight).toBeGreaterThan(0);

    rmSync(filler);
    const freedAt = Date.now();
    await waitFor(async () => (await platform.health()).body.checks.ingestWal.status === 'ok', { timeoutMs: 30_000, message: 'the log writable again' });
    await waitFor(() => load!.acknowledged > ackedWhenFull, { timeoutMs: 30_000, message: 'acknowledgements again' });
    await waitFor(() => adminAlerts.length > 1, { timeoutMs: 30_000, message: 'the administrator told of the recovery' });
    // Once each: the failed retries while the disk stayed full alert nobody again.
    expect(adminAlerts.map((a) => a.kind)).toEqual(['ingest_wal_unwritable', 'ingest_wal_recovered']);
    expect(staffAlerts).toEqual([]);
    const recoverySeconds = (Date.now() - freedAt) / 1000;
    await load.stop();
    const result = await load.compare(fleet.influx, 120_000);
    const failures = await platform.metric('spp_ingest_wal_write_failures_total');
    recordFault({
      fault: `disk full under the write-ahead log for ${fullSeconds} s (${tmpfsMiB} MiB tmpfs)`,
      load: `${rate.toLocaleString('en-US')} msg/s QoS 1, ${devices} persistent-session devices`,
      ...result,
      recoverySeconds,
      notes: `${failures} failed group commits retried; no acknowledgement while full`,
    });
    expect({ lost: result.lost, duplicated: result.duplicated }).toEqual({ lost: 0, duplicated: 0 });
    expect(result.stored).toBe(result.acknowledged);

    // No corruption: a kill -9 and a restart read the log back without dropping a record.
    await platform.kill9();
    await platform.start();
    expect(platform.log).not.toContain('after the last valid record dropped');
  });
});
