/**
 * Several processes as one platform (issue 10 §2): three built platform processes with their
 * embedded brokers clustered through Redis (MQTT_CLUSTER=redis) on one PostgreSQL server, behind a
 * test-owned HAProxy for MQTT (TCP) and HTTP. Devices connect through HAProxy; the process holding
 * the singleton duties is killed with kill -9 under QoS 1 load. Needs `npm run build`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { connect as mqttConnect, type MqttClient } from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import { freshInfluxDatabase, freshPostgresDatabase, freshRedisPrefix, type FreshInflux, type FreshPostgres } from '../support/databases';
import { recordFault } from '../support/fault-report';
import { freePort } from '../support/processes';
import { ADMIN, elevatorReading, influxRows, testPlatformEnv } from '../support/platform';
import { repoRoot, testServices } from '../support/test-services';
import { nextEvent, waitFor } from '../support/wait';

const MAIN = join(repoRoot, 'dist', 'apps', 'platform', 'src', 'main.js');
const HAPROXY = '/usr/sbin/haproxy';
const PROCESSES = 3;
const DEVICES = 24;
const PUBLISH_EVERY_MS = 200;
const HEARTBEAT_TIMEOUT_S = 10;

interface PlatformProcess {
  name: string;
  child: ChildProcess;
  httpPort: number;
  mqttPort: number;
  log: string;
}

describe('cluster: three processes and HAProxy as one platform', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spp-cluster-'));
  const redis = new Redis(testServices().redisUrl, { maxRetriesPerRequest: null });
  const processes: PlatformProcess[] = [];
  const clients: MqttClient[] = [];
  const sockets: Socket[] = [];
  let haproxy: ChildProcess | undefined;
  let postgres: FreshPostgres;
  let influx: FreshInflux;
  let prefix: string;
  let lb: { http: string; mqtt: string };
  let token = '';

  const api = async (base: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}/api/v1/${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const direct = (p: PlatformProcess) => `http://127.0.0.1:${p.httpPort}`;

  /** Starts process `index` (again, on the same ports and DATA_DIR, when it ran before). */
  async function startProcess(index: number): Promise<PlatformProcess> {
    const name = `p${index}`;
    const [httpPort, mqttPort] = processes[index] ? [processes[index].httpPort, processes[index].mqttPort] : [await freePort(), await freePort()];
    const log = join(dir, `${name}.log`);
    const fd = openSync(log, 'a');
    const env = {
      ...process.env,
      ...testPlatformEnv(join(dir, name), influx, prefix),
      LOG_LEVEL: 'log',
      DATABASE_URL: postgres.url,
      MQTT_CLUSTER: 'redis',
      HTTP_PORT: String(httpPort),
      MQTT_PORT: String(mqttPort),
      MQTT_WS_PORT: '0',
      // Short, so the heartbeat sweep (held by one process) runs during the test.
      HEARTBEAT_TIMEOUT_S: String(HEARTBEAT_TIMEOUT_S),
      // Every process of a cluster hashes device secrets with the same key (each has its own DATA_DIR).
      DEVICE_SECRET_KEY: 'cluster-test-device-secret-key-0123456789',
    };
    const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', fd, fd], cwd: repoRoot });
    closeSync(fd);
    const p = { name, child, httpPort, mqttPort, log };
    processes[index] = p;
    // A process that exits while starting fails the test at once, with the end of its log.
    const exited = new Promise<never>((_, reject) => child.once('exit', () => reject(new Error(`${name} exited: ${readFileSync(log, 'utf8').slice(-3000)}`))));
    exited.catch(() => undefined);
    await Promise.race([
      exited,
      waitFor(async () => (await fetch(`${direct(p)}/health`)).status === 200, { timeoutMs: 120_000, intervalMs: 250, message: `${name} healthy` }),
    ]);
    return p;
  }

  function startHaproxy(httpPort: number, mqttPort: number): ChildProcess {
    const servers = (port: (p: PlatformProcess) => number) =>
      processes.map((p) => `  server ${p.name} 127.0.0.1:${port(p)} check inter 300 fall 2 rise 2`).join('\n');
    const config = join(dir, 'haproxy.cfg');
    writeFileSync(
      config,
      `global
  maxconn 2000
defaults
  timeout connect 2s
  timeout client 5m
  timeout server 5m
  timeout tunnel 1h
  retries 3
  option redispatch
frontend mqtt
  mode tcp
  bind 127.0.0.1:${mqttPort}
  default_backend platform_mqtt
backend platform_mqtt
  mode tcp
  balance roundrobin
${servers((p) => p.mqttPort)}
frontend http
  mode http
  bind 127.0.0.1:${httpPort}
  default_backend platform_http
backend platform_http
  mode http
  balance roundrobin
${servers((p) => p.httpPort)}
`,
    );
    const fd = openSync(join(dir, 'haproxy.log'), 'a');
    const child = spawn(HAPROXY, ['-db', '-f', config], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    return child;
  }

  /** The process holding a lease, from its holder id (host-pid-random). */
  async function leaseHolder(duty: string): Promise<PlatformProcess | undefined> {
    const holder = await redis.get(`${prefix}:lease:${duty}`);
    const pid = Number(holder?.split('-').at(-2));
    return processes.find((p) => p.child.pid === pid && p.child.exitCode === null && p.child.signalCode === null);
  }

  const adminSocket = (base: string) =>
    new Promise<Socket>((resolve, reject) => {
      const socket = io(base, { auth: { token }, transports: ['websocket'], reconnection: true, forceNew: true });
      sockets.push(socket);
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    });

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} missing: run npm run build first`);
    [postgres, influx, prefix] = [await freshPostgresDatabase(), freshInfluxDatabase(), freshRedisPrefix()];
    await startProcess(0); // migrations and the administrator first, then the others
    await Promise.all([startProcess(1), startProcess(2)]);
    expect(processes).toHaveLength(PROCESSES);
    const [httpPort, mqttPort] = [await freePort(), await freePort()];
    haproxy = startHaproxy(httpPort, mqttPort);
    lb = { http: `http://127.0.0.1:${httpPort}`, mqtt: `mqtt://127.0.0.1:${mqttPort}` };
    await waitFor(async () => (await fetch(`${lb.http}/health`)).status === 200, { timeoutMs: 30_000, message: 'HAProxy forwards HTTP' });
    const login = await api(lb.http, 'POST', 'auth/login', ADMIN);
    token = login.body.accessToken;
  }, 300_000);

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    haproxy?.kill('SIGTERM');
    for (const p of processes) p.child.kill('SIGTERM');
    await Promise.all(processes.map((p) => (p.child.exitCode === null && p.child.signalCode === null ? new Promise((r) => p.child.once('exit', r)) : undefined)));
    await redis.quit();
    await Promise.all([postgres?.drop(), influx?.drop()]);
    for (const p of processes) console.log(`${p.name}:\n${readFileSync(p.log, 'utf8').split('\n').filter((l) => /WARN|ERROR/.test(l)).slice(-30).join('\n')}`);
    // SIGTERM shuts a process down cleanly: no crash (exit code 1) on the way out.
    const crashed = processes.filter((p) => p.child.exitCode !== null && p.child.exitCode !== 0).map((p) => `${p.name}: exit ${p.child.exitCode}`);
    rmSync(dir, { recursive: true, force: true });
    expect(crashed).toEqual([]);
  }, 120_000);

  it('shares devices, commands, alarms, dashboards and singleton duties; survives kill -9 of one process', async () => {
    // Every singleton duty is held by exactly one process.
    const duties = ['presence-sweep', 'billing-sweep', 'influx-prepare'];
    for (const duty of duties) await waitFor(() => leaseHolder(duty), { timeoutMs: 30_000, message: `${duty} held` });

    const communities: Array<{ id: string }> = [];
    for (const name of ['Cluster A', 'Cluster B']) {
      const res = await api(lb.http, 'POST', 'communities', { name, district: 'Xuhui', street: 'Tianping' });
      expect(res.status).toBe(201);
      communities.push(res.body as { id: string });
    }
    const provision = async (communityId: string, kind: string, extra: Record<string, unknown> = {}) => {
      const res = await api(lb.http, 'POST', 'devices', { communityId, kind, name: `${kind} ${Math.random().toString(36).slice(2, 6)}`, ...extra });
      expect(res.status).toBe(201);
      return res.body as { id: string; secret: string; communityId: string };
    };
    const lifts: Array<{ id: string; secret: string; communityId: string }> = [];
    for (let i = 0; i < DEVICES; i++) lifts.push(await provision(communities[i % 2].id, 'elevator'));
    const gate = await provision(communities[1].id, 'gate');

    // Dashboards on each process directly and through HAProxy, connected before the devices.
    const dashboards = await Promise.all([...processes.map((p) => adminSocket(direct(p))), adminSocket(lb.http)]);
    const seenOnline = dashboards.map((socket) => {
      const seen = new Set<string>();
      socket.on('device.status', (e: { deviceId: string; online: boolean }) => e.online && seen.add(e.deviceId));
      return seen;
    });

    const connect = async (device: { id: string; secret: string }, url: string, reconnectPeriod: number) => {
      const client = mqttConnect(url, { clientId: device.id, username: device.id, password: device.secret, protocolVersion: 4, reconnectPeriod, connectTimeout: 30_000 });
      clients.push(client);
      await nextEvent(client, 'connect', 90_000);
      return client;
    };
    const liftClients: MqttClient[] = [];
    for (const d of lifts) liftClients.push(await connect(d, lb.mqtt, 500));
    const perProcess = await Promise.all(processes.map(async (p) => Number(/^spp_mqtt_connected_clients (\d+)/m.exec(await (await fetch(`${direct(p)}/metrics`)).text())?.[1] ?? 0)));
    expect(perProcess.filter((n) => n > 0).length).toBe(PROCESSES); // HAProxy spread them

    for (const [i, seen] of seenOnline.entries()) {
      await waitFor(() => lifts.every((d) => seen.has(d.id)), { timeoutMs: 30_000, message: `dashboard ${i} sees every device of both communities online` });
    }

    // A gate command sent through one process reaches the gate connected to another.
    const sweeper = await leaseHolder('presence-sweep');
    const [gateHome, commandVia] = processes.filter((p) => p !== sweeper);
    const gateClient = await connect(gate, `mqtt://127.0.0.1:${gateHome.mqttPort}`, 0);
    await gateClient.subscribeAsync(`v1/devices/${gate.id}/commands`, { qos: 1 });
    const command = nextEvent<string>(gateClient, 'message', 30_000);
    const open = await api(direct(sweeper ?? commandVia), 'POST', `parking/gates/${gate.id}/open`, { lane: 'in-1' });
    expect(open.status).toBeLessThan(300);
    expect(await command).toContain(`v1/devices/${gate.id}/commands`);

    // The heartbeat sweep runs in one process but knows the connections of all: the gate, silent
    // for longer than HEARTBEAT_TIMEOUT_S but connected to another process, stays online; a silent
    // device connected nowhere (the witness that the sweep ran) goes offline.
    const witness = await provision(communities[1].id, 'elevator');
    const gateOffline: unknown[] = [];
    for (const socket of dashboards) socket.on('device.status', (e: { deviceId: string; online: boolean }) => e.deviceId === gate.id && !e.online && gateOffline.push(e));
    const witnessOffline = nextEvent(dashboards[PROCESSES], 'device.status', { timeoutMs: 60_000, filter: (e: { deviceId: string; online: boolean }) => e.deviceId === witness.id && !e.online });
    const longAgo = Date.now() - 2 * HEARTBEAT_TIMEOUT_S * 1000;
    await redis.zadd(`${prefix}:last-seen`, longAgo, gate.id, longAgo, witness.id);
    await witnessOffline;
    await waitFor(async () => (await redis.zscore(`${prefix}:last-seen`, witness.id)) === null, { timeoutMs: 30_000, message: 'witness forgotten by the sweep' });
    expect(await redis.zscore(`${prefix}:last-seen`, gate.id)).not.toBeNull();
    expect(await redis.hget(`${prefix}:device:${gate.id}`, 'online')).toBe('1');
    expect(gateOffline).toEqual([]);

    // An alarm raised once, not once per process.
    await liftClients[0].publishAsync(`v1/devices/${lifts[0].id}/events`, JSON.stringify({ type: 'trapped_not_level', active: true }), { qos: 1 });
    const alarmOf = async (deviceId: string) => (await api(lb.http, 'GET', `alarms?deviceId=${deviceId}`)).body as Array<{ alarmId: string; type: string }>;
    const [alarm] = await waitFor(async () => ((await alarmOf(lifts[0].id)).length > 0 ? alarmOf(lifts[0].id) : undefined), { timeoutMs: 30_000, message: 'alarm raised' });

    // QoS 1 load: every device publishes readings with unique times; acknowledged ones are counted.
    const acked = new Map<string, Set<number>>(lifts.map((d) => [d.id, new Set<number>()]));
    const inFlight: Array<Promise<unknown>> = [];
    let publishing = true;
    let seq = 0;
    const base = Date.now() - 60_000;
    const loops = lifts.map(async (d, i) => {
      while (publishing) {
        const ts = base + seq++;
        inFlight.push(
          liftClients[i]
            .publishAsync(`v1/devices/${d.id}/telemetry`, JSON.stringify({ ...elevatorReading({ floor: i }), ts }), { qos: 1 })
            .then(() => acked.get(d.id)!.add(ts), () => undefined),
        );
        await new Promise((r) => setTimeout(r, PUBLISH_EVERY_MS));
      }
    });
    const ackedCount = () => [...acked.values()].reduce((n, s) => n + s.size, 0);
    await waitFor(() => ackedCount() >= DEVICES * 10, { timeoutMs: 60_000, message: 'load running' });

    // kill -9 of the process holding the presence sweep (and likely other duties).
    const victim = (await leaseHolder('presence-sweep'))!;
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    await new Promise((r) => victim.child.once('exit', r));
    for (const duty of duties) {
      const holder = await waitFor(() => leaseHolder(duty), { timeoutMs: 30_000, message: `${duty} handed over` });
      expect(holder).not.toBe(victim);
    }
    const handoverS = (Date.now() - killedAt) / 1000;

    // Devices that were on the victim reconnect (through HAProxy) to the others and go on publishing.
    await waitFor(() => liftClients.every((c) => c.connected), { timeoutMs: 120_000, message: 'every device connected again' });
    const ackedAfter = ackedCount();
    await waitFor(() => ackedCount() >= ackedAfter + DEVICES * 5, { timeoutMs: 60_000, message: 'load goes on after the kill' });
    publishing = false;
    await Promise.all(loops);
    await Promise.race([Promise.allSettled(inFlight), new Promise((r) => setTimeout(r, 30_000).unref())]);

    // The alarm was raised once, not by each process.
    const alarms = await alarmOf(lifts[0].id);
    expect(alarms.filter((a) => a.type === alarm.type)).toHaveLength(1);
    const detail = await api(lb.http, 'GET', `alarms/${alarm.alarmId}`);
    expect(detail.body).toMatchObject({ count: 1 }); // a second raise would be a repeat: count 2 or more

    // Dashboards on the survivors still see every community: a device reports offline.
    const survivors = dashboards.filter((_, i) => processes[i] !== victim);
    for (const community of communities) {
      const lift = lifts.find((d) => d.communityId === community.id)!;
      const events = survivors.map((s) => nextEvent<{ deviceId: string; online: boolean }>(s, 'device.status', { timeoutMs: 30_000, filter: (e) => e.deviceId === lift.id && !e.online }));
      await liftClients[lifts.indexOf(lift)].endAsync();
      await Promise.all(events);
    }

    // The killed process is restarted (as a supervisor would) and rejoins; then every acknowledged
    // reading is stored in InfluxDB, whichever process acknowledged it.
    await startProcess(processes.indexOf(victim));
    const influxRoot = new URL(influx.url).origin;
    const expected = ackedCount();
    let missing: string[] = [];
    await waitFor(
      async () => {
        const rows = await influxRows(influxRoot, influx.name, `SELECT "floor", "device_id" FROM "elevator" WHERE time >= ${base}ms`);
        const stored = new Set(rows.map((r) => `${r.device_id}@${r.time}`));
        missing = [...acked].flatMap(([id, times]) => [...times].filter((t) => !stored.has(`${id}@${t}`)).map((t) => `${id}@${t}`));
        return missing.length === 0;
      },
      { timeoutMs: 60_000, intervalMs: 500, message: 'acknowledged readings stored' },
    ).catch(() => undefined);
    console.log(`cluster: ${expected} readings acknowledged, ${missing.length} missing, duties handed over in ${handoverS.toFixed(1)} s`);
    recordFault({
      fault: `kill -9 of one of ${PROCESSES} clustered platform processes`,
      load: `${DEVICES} devices, QoS 1, one reading each per ${PUBLISH_EVERY_MS} ms, through HAProxy`,
      acknowledged: expected,
      stored: expected - missing.length,
      lost: missing.length,
      duplicated: 0,
      recoverySeconds: handoverS,
      notes: 'recovery = singleton duties handed over',
    });
    expect(missing).toEqual([]);
  }, 600_000);
});
