import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { fleetDeviceType } from '../device-sim/src/fleet/mix';
import { heapGrowthPerUnit, tallyHeapSnapshot, type HeapTally } from './heap-summary';
import { freePort, latencySummary, machineInfo, processUsage, platformMain, repoRoot, resultsDir, simMain, waitFor } from './support';

/**
 * A property company's scale on one platform process (issue 10, part 1), measured:
 *   1. cold start: the bulk import of --devices devices with the CLI, before the platform serves;
 *   2. connections held: fleets of --step devices added one after another (device-sim fleet,
 *      each from source addresses of its own), with the platform's RSS, CPU and open files per
 *      step, until every device is connected or the platform stops taking more;
 *   3. restart storm: kill -9, start again at once, every device reconnecting with back-off and
 *      jitter; time until all are connected again, and API latency (list communities, log in)
 *      meanwhile. With --profile the restarted platform runs under --cpu-prof.
 * Writes bench/results/fleet-latest.{json,md}. Raise `ulimit -n` before (scripts/bench.sh does).
 */

interface Options {
  devices: number;
  step: number;
  hold: number;
  interval: number;
  keepalive: number;
  connectRate: number;
  perCommunity: number;
  stall: number;
  stormTimeout: number;
  database: 'pglite' | 'postgres';
  postgresUrl: string;
  redisUrl: string;
  influxUrl: string;
  profile: boolean;
  heapSnapshots: boolean;
  out: string;
}

const ADMIN_PASSWORD = 'bench-admin-password';
const JWT_SECRET = 'fleet-bench-jwt-secret-'.padEnd(48, 'x');

function log(message: string): void {
  console.error(`[fleet-bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}


function openFiles(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

function openFileLimitOf(pid: number | 'self'): number {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  return Number(line?.split(/\s{2,}/)[1]);
}

/** Kernel TCP counters that tell a too-short accept queue (SYNs and connections dropped). */
function listenOverflows(): { overflows: number; drops: number } {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  const i = lines.findIndex((l) => l.startsWith('TcpExt:'));
  const names = lines[i].split(/\s+/);
  const values = lines[i + 1].split(/\s+/);
  const get = (n: string) => Number(values[names.indexOf(n)]);
  return { overflows: get('ListenOverflows'), drops: get('ListenDrops') };
}

const mib = (bytes: number) => Math.round(bytes / 2 ** 20);

/** The platform as its own process, restartable on the same ports and data. */
class PlatformProcess {
  child?: ChildProcess;
  readonly httpUrl: string;
  readonly mqttUrl: string;
  private readonly env: Record<string, string | undefined>;

  constructor(
    readonly dataDir: string,
    httpPort: number,
    mqttPort: number,
    o: Options,
    readonly influxDb: string,
  ) {
    this.httpUrl = `http://127.0.0.1:${httpPort}`;
    this.mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
    this.env = {
      PATH: process.env.PATH,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      MQTT_PORT: String(mqttPort),
      MQTT_WS_PORT: '0',
      DATA_DIR: dataDir,
      REDIS_URL: o.redisUrl.replace(/\/\d*$/, '') + '/9',
      REDIS_PREFIX: `fleetbench${Date.now()}`,
      INFLUX_URL: `${o.influxUrl.replace(/\/$/, '')}/${influxDb}`,
      ADMIN_PASSWORD,
      JWT_SECRET,
      LOG_LEVEL: 'warn',
      // The fleet comes from a handful of loopback addresses: the per-address cap must not count.
      MQTT_MAX_CONNECTIONS_PER_ADDRESS: '1000000',
      ...(o.database === 'postgres' ? { DATABASE_URL: `${o.postgresUrl.replace(/\/[^/]*$/, '')}/${influxDb}` } : {}),
    };
  }

  get environment(): Record<string, string | undefined> {
    return this.env;
  }

  get pid(): number {
    return this.child!.pid!;
  }

  async start(nodeArgs: string[] = []): Promise<number> {
    const started = Date.now();
    this.child = spawn(process.execPath, [...nodeArgs, platformMain], { env: this.env, stdio: ['ignore', 'inherit', 'inherit'] });
    const child = this.child;
    process.on('exit', () => child.exitCode === null && child.kill('SIGKILL'));
    await waitFor('the platform /health', 300_000, async () => ((await fetch(`${this.httpUrl}/health`)).ok ? true : undefined));
    return Date.now() - started;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Runs a CLI command of the platform with its environment; resolves with the last JSON object it printed. */
function cli(platform: PlatformProcess, args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist', 'apps', 'platform', 'src', 'cli.js'), ...args], { env: platform.environment, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const line = d.toString().trim().split('\n').pop();
      if (line?.startsWith('batch ')) log(`  import ${line}`);
    });
    child.on('exit', (code) => {
      const start = out.lastIndexOf('\n{');
      const json = out.slice(start === -1 ? out.indexOf('{') : start + 1);
      try {
        const parsed = JSON.parse(json) as Record<string, unknown>;
        if (code === 0 || code === 2) resolve(parsed);
        else reject(new Error(`cli ${args.join(' ')} exited with ${code}: ${err.slice(-500)}`));
      } catch {
        reject(new Error(`cli ${args.join(' ')} exited with ${code}: ${err.slice(-500)}`));
      }
    });
  });
}

/** Has the platform (started with --heapsnapshot-signal=SIGURG) write a heap snapshot; tallies it and deletes the file. */
async function heapSnapshot(platform: PlatformProcess, dir: string): Promise<HeapTally> {
  mkdirSync(dir, { recursive: true });
  const known = new Set(readdirSync(dir));
  process.kill(platform.pid, 'SIGURG');
  const file = await waitFor('a heap snapshot file', 120_000, async () => readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !known.has(f)));
  // The snapshot is written on the main thread: once /health answers again, the file is complete.
  await waitFor('the platform after its heap snapshot', 300_000, async () => ((await fetch(`${platform.httpUrl}/health`).catch(() => undefined))?.ok ? true : undefined));
  const path = join(dir, file);
  const tally = tallyHeapSnapshot(path);
  rmSync(path);
  return tally;
}

interface Progress {
  elapsedS: number;
  devices: number;
  connected: number;
  connecting: number;
  waiting: number;
  connects: number;
  acked: number;
  ackedPerSec: number;
  publishedPerSec: number;
  errors: Record<string, number>;
  pubackMs: { p50: number | null; p99: number | null };
  generator: { processes: number; rssMiB: number; cpuCores: number };
}

/** One `device-sim fleet` process and its latest progress line. */
class Fleet {
  latest?: Progress;
  readonly history: Array<{ at: number; p: Progress }> = [];
  private readonly child: ChildProcess;

  constructor(
    readonly devices: number,
    credentials: string,
    mqttUrl: string,
    sourceAddresses: string,
    o: Options,
  ) {
    const args = ['--mqtt', mqttUrl, '--credentials', credentials, '--json', 'fleet', '--devices', String(devices), '--interval', String(o.interval), '--keepalive', String(o.keepalive), '--connect-rate', String(o.connectRate), '--source-addresses', sourceAddresses];
    this.child = spawn(process.execPath, [simMain, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buffer = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const m = JSON.parse(line) as { type: string } & Progress;
          if (m.type === 'progress') {
            this.latest = m;
            this.history.push({ at: Date.now(), p: m });
            if (this.history.length > 3600) this.history.shift();
          }
        } catch {
          /* not JSON */
        }
      }
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
      setTimeout(() => this.child.kill('SIGKILL'), 30_000).unref();
    });
  }
}

function sumFleets(fleets: Fleet[]) {
  const s = { devices: 0, connected: 0, connecting: 0, waiting: 0, ackedPerSec: 0, rssMiB: 0, cpuCores: 0, p99: 0, errors: {} as Record<string, number> };
  for (const f of fleets) {
    const p = f.latest;
    s.devices += f.devices;
    if (!p) continue;
    s.connected += p.connected;
    s.connecting += p.connecting;
    s.waiting += p.waiting;
    s.ackedPerSec += p.ackedPerSec;
    s.rssMiB += p.generator.rssMiB;
    s.cpuCores += p.generator.cpuCores;
    s.p99 = Math.max(s.p99, p.pubackMs.p99 ?? 0);
    for (const [k, n] of Object.entries(p.errors)) s.errors[k] = (s.errors[k] ?? 0) + n;
  }
  return s;
}

/** Sends one request every `everyMs` and records how long each took (or that it failed). */
class Prober {
  readonly samples: Array<{ at: number; ms: number; ok: boolean }> = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly name: string,
    private readonly request: () => Promise<Response>,
    private readonly everyMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      const at = Date.now();
      this.request().then(
        (res) => {
          void res.arrayBuffer().catch(() => undefined);
          this.samples.push({ at, ms: Date.now() - at, ok: res.ok });
        },
        () => this.samples.push({ at, ms: Date.now() - at, ok: false }),
      );
    }, this.everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  between(from: number, to: number) {
    const inRange = this.samples.filter((s) => s.at >= from && s.at <= to);
    const ok = inRange.filter((s) => s.ok);
    return { name: this.name, requests: inRange.length, failed: inRange.length - ok.length, ...latencySummary(ok.map((s) => s.ms)) };
  }
}

/** What a profile frame belongs to: a package, the platform's own code, Node's internals, or V8. */
function moduleOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : `(native) ${functionName}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[url.startsWith('node:internal') ? 1 : 0]}`;
  const own = /\/dist\/(.*)$/.exec(url);
  return own ? own[1].replace(/\.js$/, '') : url;
}

/**
 * Self time of a V8 .cpuprofile between two wall-clock times, by module and by function (main
 * thread only: the device-secret hash runs on the libuv pool and does not show here).
 */
function profileSummary(file: string, processStartedAt: number, from: number, to: number) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
    startTime: number;
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let t = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    t += dt;
    // The profile clock starts with the process, which started just after `processStartedAt`.
    const at = processStartedAt + t;
    if (at < from || at > to) return;
    total += dt;
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') {
      idle += dt;
      return;
    }
    const mod = moduleOf(frame.url, frame.functionName);
    byModule.set(mod, (byModule.get(mod) ?? 0) + dt);
    const key = `${frame.functionName || '(anonymous)'} ${frame.url ? `${mod}:${frame.lineNumber + 1}` : ''}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + dt);
  });
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, ms]) => ({ name, selfMs: Math.round(ms), share: Number((ms / total).toFixed(3)) }));
  return { windowMs: Math.round(total), idleShare: Number((idle / Math.max(1, total)).toFixed(3)), byModule: top(byModule, 12), byFunction: top(byFunction, 15) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A child process (open-file limit of its own) holding plain TCP connections that never send CONNECT. */
const RAW_CONNECTIONS = `
const net = require('node:net');
const [port, count, net3] = process.argv.slice(1).map(Number);
const sockets = [];
const errors = {};
let settled = 0;
for (let i = 0; i < count; i++) {
  const s = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.' + (net3 + Math.floor(i / 5000)) + '.' + (2 + (i % 250)) });
  let done = false;
  const settle = () => { if (!done) { done = true; if (++settled === count) report(); } };
  s.on('connect', settle);
  s.on('error', (e) => { errors[e.code || 'error'] = (errors[e.code || 'error'] || 0) + 1; settle(); });
  s.on('close', settle);
  sockets.push(s);
}
function report() { setTimeout(() => process.stdout.write(JSON.stringify({ open: sockets.filter((s) => !s.destroyed && s.readyState === 'open').length, errors }) + '\\n'), 5000); }
process.stdin.on('end', () => process.exit(0)).resume();
`;

/**
 * Fills the platform's open files: `count` extra connections that send nothing (aedes drops
 * them after its 30 s CONNECT time-out). Reports how many the platform took, what the clients
 * saw beyond, and whether /health and a new device connection still work meanwhile.
 */
async function probeOpenFileCeiling(platform: PlatformProcess, count: number): Promise<Record<string, unknown>> {
  const port = Number(new URL(platform.mqttUrl).port);
  const before = openFiles(platform.pid);
  // Each child holds at most 9,000 sockets: it has an open-file limit of its own.
  const children = Array.from({ length: Math.ceil(count / 9000) }, (_, i) =>
    spawn(process.execPath, ['-e', RAW_CONNECTIONS, String(port), String(Math.min(9000, count - i * 9000)), String(200 + i * 2)], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  const reports = await Promise.all(
    children.map(
      (child) =>
        new Promise<{ open: number; errors: Record<string, number> }>((resolve, reject) => {
          let out = '';
          child.stdout!.on('data', (d: Buffer) => {
            out += d.toString();
            if (out.includes('\n')) resolve(JSON.parse(out) as { open: number; errors: Record<string, number> });
          });
          child.on('exit', (code) => reject(new Error(`raw connection probe exited with ${code}`)));
          setTimeout(() => reject(new Error('raw connection probe took more than 90 s')), 90_000);
        }),
    ),
  ).catch((error: unknown) => {
    for (const child of children) child.kill('SIGKILL');
    throw error;
  });
  const report = { open: reports.reduce((n, r) => n + r.open, 0), errors: {} as Record<string, number> };
  for (const r of reports) for (const [k, n] of Object.entries(r.errors)) report.errors[k] = (report.errors[k] ?? 0) + n;
  const atPeak = openFiles(platform.pid);
  const health = await fetch(`${platform.httpUrl}/health`, { signal: AbortSignal.timeout(5000) }).then(
    (r) => `HTTP ${r.status}`,
    (e: Error) => `failed: ${(e.cause as { code?: string } | undefined)?.code ?? e.message}`,
  );
  for (const child of children) child.stdin!.end();
  await Promise.all(children.map((child) => (child.exitCode !== null ? undefined : new Promise((r) => child.once('exit', r)))));
  return { extraConnections: count, platformOpenFilesBefore: before, platformOpenFilesAtPeak: atPeak, openFileLimit: openFileLimitOf(platform.pid), heldOpen: report.open, clientErrors: report.errors, healthAtPeak: health };
}

async function main(): Promise<void> {
  const o = new Command('fleet-bench')
    .option('--devices <n>', 'devices to provision and connect', (v) => Number(v), 50_000)
    .option('--step <n>', 'devices added per step (one device-sim fleet process each)', (v) => Number(v), 10_000)
    .option('--hold <s>', 'seconds of steady state measured after each step', (v) => Number(v), 30)
    .option('--interval <s>', 'seconds between two readings of a device', (v) => Number(v), 30)
    .option('--keepalive <s>', 'MQTT keep-alive', (v) => Number(v), 60)
    .option('--connect-rate <n>', 'first connections per second of each step', (v) => Number(v), 200)
    .option('--per-community <n>', 'devices per community', (v) => Number(v), 500)
    .option('--stall <s>', 'a step that gains no connection for this long is stopped (at the open-file limit, or the platform is behind)', (v) => Number(v), 300)
    .option('--storm-timeout <s>', 'give up waiting for the fleet to reconnect after this long', (v) => Number(v), 1200)
    .option('--database <engine>', 'pglite or postgres', 'pglite')
    .option('--postgres-url <url>', 'PostgreSQL server (a database of its own is created)', 'postgres://postgres@127.0.0.1:5432/postgres')
    .option('--redis-url <url>', 'Redis', 'redis://127.0.0.1:6379')
    .option('--influx-url <url>', 'InfluxDB base URL', 'http://127.0.0.1:8086')
    .option('--profile', 'run the restarted platform under --cpu-prof and summarise the profile', false)
    .option('--heap-snapshots', 'take a heap snapshot of the platform when idle and after each step, and say what a connected device costs', false)
    .option('--out <dir>', 'results folder', resultsDir)
    .parse()
    .opts<Options>();

  const limit = openFileLimitOf('self');
  log(`open-file limit ${limit} (a platform process holds at most about that many connections; raise it with ulimit -n)`);
  const work = mkdtempSync(join(tmpdir(), 'spp-fleet-bench-'));
  const dbName = `fleet_bench_${Date.now()}`;
  if (o.database === 'postgres') {
    const { Client } = await import('pg');
    const c = new Client({ connectionString: o.postgresUrl });
    await c.connect();
    await c.query(`CREATE DATABASE "${dbName}"`);
    await c.end();
  }
  const platform = new PlatformProcess(join(work, 'data'), await freePort(), await freePort(), o, dbName);
  const fleets: Fleet[] = [];
  const result: Record<string, unknown> = {
    benchmark: 'fleet',
    at: new Date().toISOString(),
    machine: { ...machineInfo(), openFileLimit: limit, somaxconn: Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8')), ephemeralPorts: readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().replace(/\s+/, '–') },
    setup: { devices: o.devices, step: o.step, intervalS: o.interval, keepaliveS: o.keepalive, connectRatePerStep: o.connectRate, database: o.database, broker: 'embedded aedes', qos: 1 },
  };
  try {
    // 1. Cold start: communities over REST, then the whole fleet with the CLI's bulk import.
    log('first start (migrations), communities');
    await platform.start();
    const token = ((await (await fetch(`${platform.httpUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) })).json()) as { accessToken: string }).accessToken;
    const communities: string[] = [];
    for (let c = 0; c < Math.ceil(o.devices / o.perCommunity); c++) {
      const res = await fetch(`${platform.httpUrl}/api/v1/communities`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ name: `压测物业 第${c + 1}小区`, district: '浦东新区', street: ['花木街道', '塘桥街道', '潍坊新村街道'][c % 3] }),
      });
      communities.push(((await res.json()) as { id: string }).id);
    }
    if (o.database === 'pglite') await platform.stop(); // PGlite is one process's: the CLI needs it to itself
    const csv = join(work, 'fleet.csv');
    const lines = ['id,communityId,kind,subtype,name,location'];
    for (let i = 0; i < o.devices; i++) {
      const t = fleetDeviceType(i);
      lines.push(`fleet-${String(i + 1).padStart(6, '0')},${communities[Math.floor(i / o.perCommunity)]},${t.kind},${t.subtype ?? ''},${t.subtype ?? t.kind} ${i + 1},${Math.floor((i % o.perCommunity) / 50) + 1}号楼`);
    }
    writeFileSync(csv, lines.join('\n') + '\n');
    log(`importing ${o.devices} devices with the CLI (${o.database})`);
    const importStarted = Date.now();
    const imported = await cli(platform, ['devices', 'import', csv, '--out', join(work, 'fleet.secrets.json')]);
    const importS = (Date.now() - importStarted) / 1000;
    result.provisioning = {
      via: 'npm run cli -- devices import (CSV), one transaction per 1,000 rows',
      devices: o.devices,
      created: imported.created,
      rejected: (imported.rejected as unknown[]).length,
      importMs: imported.elapsedMs,
      wallS: Math.round(importS),
      perDeviceMs: Number(((imported.elapsedMs as number) / o.devices).toFixed(2)),
    };
    log(`imported ${imported.created} in ${importS.toFixed(0)} s`);
    const secrets = JSON.parse(readFileSync(join(work, 'fleet.secrets.json'), 'utf8')) as { devices: Array<{ id: string; secret: string; kind: string; subtype: string | null }> };
    const all = secrets.devices.map((d) => ({ id: d.id, secret: d.secret, kind: d.kind, subtype: d.subtype }));

    const heapDir = join(work, 'heap');
    if (o.heapSnapshots) {
      // Stopped and started again with the signal that writes a snapshot (also on PostgreSQL).
      // SIGURG, not SIGUSR2: NestJS's shutdown hooks stop the platform on SIGUSR2.
      await platform.stop();
      await platform.start(['--heapsnapshot-signal=SIGURG', `--diagnostic-dir=${heapDir}`]);
    } else if (o.database === 'pglite') {
      const ms = await platform.start();
      log(`platform started in ${ms} ms`);
    }
    await sleep(5000);
    const idle = processUsage(platform.pid);
    const heapAtIdle = o.heapSnapshots ? await heapSnapshot(platform, heapDir) : undefined;
    result.machineLoadAverage1mAtStart = Number(loadavg()[0].toFixed(1));
    result.idle = { rssMiB: mib(idle.rssBytes), openFiles: openFiles(platform.pid), openFileLimit: openFileLimitOf(platform.pid) };

    // 2. Connections held, step by step.
    const steps: Array<Record<string, unknown>> = [];
    let target = 0;
    for (let k = 0; target < all.length; k++) {
      const slice = all.slice(target, target + o.step);
      target += slice.length;
      const file = join(work, `fleet-step-${k + 1}.json`);
      writeFileSync(file, JSON.stringify({ purpose: 'fleet', createdAt: new Date().toISOString(), devices: slice }));
      // Five source addresses per step of its own: 127.0.<k+1>.2 … .6
      const sources = `127.0.${k + 1}.2-127.0.${k + 1}.${1 + Math.max(1, Math.ceil(slice.length / 2000))}`;
      log(`step ${k + 1}: +${slice.length} devices (target ${target}) from ${sources}`);
      const before = processUsage(platform.pid);
      const t0 = Date.now();
      fleets.push(new Fleet(slice.length, file, platform.mqttUrl, sources, o));
      let best = 0;
      let bestAt = Date.now();
      let reachedAt: number | undefined;
      while (Date.now() - bestAt < o.stall * 1000) {
        await sleep(1000);
        const s = sumFleets(fleets);
        if (s.connected > best) {
          best = s.connected;
          bestAt = Date.now();
        }
        if (Date.now() % 10_000 < 1000) log(`  connected ${s.connected}/${target} (connecting ${s.connecting}, waiting ${s.waiting}); platform ${mib(processUsage(platform.pid).rssBytes)} MiB, ${openFiles(platform.pid)} files; errors ${JSON.stringify(s.errors)}`);
        if (s.connected >= target) {
          reachedAt = Date.now();
          break;
        }
      }
      const connectS = ((reachedAt ?? bestAt) - t0) / 1000;
      const holdStart = processUsage(platform.pid);
      const holdT0 = Date.now();
      await sleep(o.hold * 1000);
      const after = processUsage(platform.pid);
      const s = sumFleets(fleets);
      const step = {
        step: k + 1,
        target,
        connected: s.connected,
        allConnected: reachedAt !== undefined,
        connectS: Math.round(connectS),
        platformRssMiB: mib(after.rssBytes),
        rssMiBPer10k: s.connected > 0 ? Math.round(((after.rssBytes - idle.rssBytes) / 2 ** 20) * (10_000 / s.connected)) : null,
        platformCpuCoresConnecting: Number(((holdStart.cpuSeconds - before.cpuSeconds) / Math.max(1, (holdT0 - t0) / 1000)).toFixed(2)),
        platformCpuCoresSteady: Number(((after.cpuSeconds - holdStart.cpuSeconds) / o.hold).toFixed(2)),
        platformOpenFiles: openFiles(platform.pid),
        atOpenFileLimit: openFiles(platform.pid) >= openFileLimitOf(platform.pid) - 200,
        ackedPerSec: s.ackedPerSec,
        pubackP99Ms: s.p99,
        generator: { rssMiB: s.rssMiB, cpuCores: Number(s.cpuCores.toFixed(2)) },
        errors: s.errors,
      };
      if (heapAtIdle && s.connected > 0) {
        const growth = heapGrowthPerUnit(heapAtIdle, await heapSnapshot(platform, heapDir), s.connected);
        (step as Record<string, unknown>).heapPerDevice = growth;
        log(`  heap per connected device: ${growth.totalBytesPerUnit} bytes; ${growth.top.slice(0, 8).map((r) => `${r.what} ${r.bytesPerUnit}`).join(', ')}`);
      }
      steps.push(step);
      log(`step ${k + 1}: ${JSON.stringify(step)}`);
      if (!reachedAt) {
        log(step.atOpenFileLimit ? `the platform is at its open-file limit with ${s.connected} connections; stopping the steps` : `no progress for ${o.stall} s with ${s.connected} connected (the platform is behind, not at a limit); stopping the steps`);
        break;
      }
    }
    result.steps = steps;

    // 2b. The open-file ceiling: fill what is left, and a little more, with bare connections.
    const spare = openFileLimitOf(platform.pid) - openFiles(platform.pid);
    log(`open-file ceiling: ${spare} files left; opening ${spare + 500} bare connections`);
    result.ceiling = await probeOpenFileCeiling(platform, spare + 500).catch((error: Error) => ({ error: error.message }));
    log(`ceiling: ${JSON.stringify(result.ceiling)}`);
    await waitFor('the fleet to be whole again after the ceiling probe', 600_000, async () => (sumFleets(fleets).connected >= Number(steps[steps.length - 1].connected) ? true : undefined)).catch(() => undefined);

    // 3. Restart storm.
    const held = sumFleets(fleets).connected;
    const communitiesProbe = new Prober('GET /api/v1/communities', () => fetch(`${platform.httpUrl}/api/v1/communities`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) }), 100);
    const loginProbe = new Prober('POST /api/v1/auth/login', () => fetch(`${platform.httpUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }), signal: AbortSignal.timeout(30_000) }), 2000);
    communitiesProbe.start();
    loginProbe.start();
    const netBefore = listenOverflows();
    await sleep(5000);
    log(`restart storm: kill -9 with ${held} devices connected, start again at once`);
    const killedAt = Date.now();
    await platform.stop('SIGKILL');
    const profileDir = join(work, 'profile');
    const spawnedAt = Date.now();
    const startMs = await platform.start(o.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
    const upAt = Date.now();
    log(`platform answers /health after ${startMs} ms`);
    let peakRss = 0;
    let allBackAt: number | undefined;
    const timeline: Array<{ s: number; connected: number; rssMiB: number }> = [];
    const cpuAtStart = processUsage(platform.pid).cpuSeconds;
    while (Date.now() - killedAt < o.stormTimeout * 1000) {
      await sleep(1000);
      const s = sumFleets(fleets);
      const u = processUsage(platform.pid);
      peakRss = Math.max(peakRss, u.rssBytes);
      const since = Math.round((Date.now() - killedAt) / 1000);
      if (since % 5 === 0) timeline.push({ s: since, connected: s.connected, rssMiB: mib(u.rssBytes) });
      if (since % 10 === 0) log(`  +${since} s: connected ${s.connected}/${held} (connecting ${s.connecting}, waiting ${s.waiting}); errors ${JSON.stringify(s.errors)}`);
      if (s.connected >= held) {
        allBackAt = Date.now();
        break;
      }
    }
    const stormEnd = allBackAt ?? Date.now();
    const cpuDuring = (processUsage(platform.pid).cpuSeconds - cpuAtStart) / ((stormEnd - upAt) / 1000);
    await sleep(5000);
    communitiesProbe.stop();
    loginProbe.stop();
    const netAfter = listenOverflows();
    const s = sumFleets(fleets);
    result.storm = {
      held,
      machineLoadAverage1m: Number(loadavg()[0].toFixed(1)),
      allReconnectedAfterKillS: allBackAt ? Math.round((allBackAt - killedAt) / 1000) : null,
      allReconnectedAfterStartS: allBackAt ? Math.round((allBackAt - upAt) / 1000) : null,
      platformStartMs: startMs,
      connectedAtTimeout: allBackAt ? null : s.connected,
      platformPeakRssMiB: mib(peakRss),
      platformCpuCores: Number(cpuDuring.toFixed(2)),
      api: [communitiesProbe.between(upAt, stormEnd), loginProbe.between(upAt, stormEnd)],
      apiBeforeKill: communitiesProbe.between(killedAt - 5000, killedAt),
      kernel: { listenOverflows: netAfter.overflows - netBefore.overflows, listenDrops: netAfter.drops - netBefore.drops },
      generatorErrors: s.errors,
      timeline,
    };
    log(`storm: ${JSON.stringify({ ...(result.storm as object), timeline: undefined })}`);
    await Promise.all(fleets.splice(0).map((f) => f.stop()));
    await platform.stop();
    if (o.profile) {
      const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
      if (file) result.profile = profileSummary(join(profileDir, file), spawnedAt, upAt, stormEnd);
    }
  } finally {
    await Promise.all(fleets.map((f) => f.stop()));
    await platform.stop('SIGKILL');
    await fetch(`${o.influxUrl}/query?q=${encodeURIComponent(`DROP DATABASE "${dbName}"`)}`, { method: 'POST' }).catch(() => undefined);
    if (o.database === 'postgres') {
      const { Client } = await import('pg');
      const c = new Client({ connectionString: o.postgresUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => undefined);
      await c.end();
    }
    rmSync(work, { recursive: true, force: true });
  }
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, 'fleet-latest.json'), JSON.stringify(result, null, 2) + '\n');
  const md = markdown(result);
  writeFileSync(join(o.out, 'fleet-latest.md'), md);
  console.log(md);
}

function markdown(r: Record<string, any>): string {
  const out = [
    `# Fleet benchmark (${r.at})`,
    '',
    `${r.machine.cpus} cores (${r.machine.cpuModel}), ${r.machine.memoryGiB} GiB; open-file limit ${r.machine.openFileLimit}, somaxconn ${r.machine.somaxconn}, ephemeral ports ${r.machine.ephemeralPorts}. ` +
      `Embedded aedes broker, ${r.setup.database}; device-sim fleet, platform, Redis and InfluxDB on the same machine. Each device: a reading every ${r.setup.intervalS} s at QoS 1, keep-alive ${r.setup.keepaliveS} s.`,
    '',
    '## Cold start: bulk import',
    '',
    r.provisioning
      ? `${r.provisioning.created} of ${r.provisioning.devices} devices created by \`${r.provisioning.via}\` in ${r.provisioning.wallS} s (${r.provisioning.perDeviceMs} ms a device, almost all of it the device-secret hash).`
      : 'not run',
    '',
    '## Connections held by one platform process',
    '',
    `Idle after start: ${r.idle?.rssMiB} MiB RSS, ${r.idle?.openFiles} open files of ${r.idle?.openFileLimit}; machine load average ${r.machineLoadAverage1mAtStart} (other work shares these 2 cores: every figure below is slower than on an idle machine).`,
    '',
    '| step | connected / target | time to connect | platform RSS | RSS per 10,000 | CPU connecting / steady | open files | acked/s | PUBACK p99 | generator | errors |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...((r.steps ?? []) as any[]).map(
      (s) =>
        `| ${s.step} | ${s.connected} / ${s.target}${s.allConnected ? '' : s.atOpenFileLimit ? ' (open-file limit)' : ' (stuck: no progress)'} | ${s.connectS} s | ${s.platformRssMiB} MiB | ${s.rssMiBPer10k ?? '-'} MiB | ${s.platformCpuCoresConnecting} / ${s.platformCpuCoresSteady} cores | ${s.platformOpenFiles} | ${s.ackedPerSec} | ${s.pubackP99Ms} ms | ${s.generator.rssMiB} MiB, ${s.generator.cpuCores} cores | ${JSON.stringify(s.errors)} |`,
    ),
    '',
    '## Open-file ceiling',
    '',
    r.ceiling && !r.ceiling.error
      ? `With the fleet connected, ${r.ceiling.extraConnections} more TCP connections that send nothing: the platform went from ${r.ceiling.platformOpenFilesBefore} to ${r.ceiling.platformOpenFilesAtPeak} open files (limit ${r.ceiling.openFileLimit}); ${r.ceiling.heldOpen} stayed open 5 s later; the clients saw ${JSON.stringify(r.ceiling.clientErrors)}; GET /health at that moment: ${r.ceiling.healthAtPeak}.`
      : `not measured${r.ceiling?.error ? `: ${r.ceiling.error}` : ''}`,
    '',
    '## Restart storm (kill -9, start at once)',
    '',
  ];
  const st = r.storm;
  if (st) {
    out.push(
      `| figure | value |`,
      `|---|---|`,
      `| devices connected before the kill | ${st.held} |`,
      `| machine load average (1 min; other work on the same 2 cores) | ${st.machineLoadAverage1m} |`,
      `| platform start to /health | ${st.platformStartMs} ms |`,
      `| all reconnected, from the kill | ${st.allReconnectedAfterKillS ?? `not within the time-out (${st.connectedAtTimeout} connected)`} s |`,
      `| platform CPU while they reconnect | ${st.platformCpuCores} cores |`,
      `| platform peak RSS | ${st.platformPeakRssMiB} MiB |`,
      ...st.api.map((a: any) => `| ${a.name} during the storm | p50 ${a.p50} ms, p99 ${a.p99} ms, max ${a.max} ms; ${a.requests} requests, ${a.failed} failed |`),
      `| GET /api/v1/communities before the kill | p50 ${st.apiBeforeKill.p50} ms, p99 ${st.apiBeforeKill.p99} ms |`,
      `| kernel listen-queue overflows / drops | ${st.kernel.listenOverflows} / ${st.kernel.listenDrops} |`,
      `| generator errors (cumulative, by kind) | ${JSON.stringify(st.generatorErrors)} |`,
      '',
      `Connected over time (s after the kill: devices): ${st.timeline.map((t: any) => `${t.s}: ${t.connected}`).join(', ')}`,
      '',
    );
  }
  if (r.profile) {
    out.push(
      `## Profile of the restarted platform while the fleet reconnects (main thread, ${r.profile.windowMs} ms, ${Math.round(r.profile.idleShare * 100)} % idle)`,
      '',
      'The device-secret hash runs on the libuv thread pool and is not in this profile: the main thread waits for it.',
      '',
      '| module | self ms | share |',
      '|---|---|---|',
    );
    for (const t of r.profile.byModule) out.push(`| \`${t.name}\` | ${t.selfMs} | ${Math.round(t.share * 1000) / 10} % |`);
    out.push('', '| function | self ms | share |', '|---|---|---|');
    for (const t of r.profile.byFunction) out.push(`| \`${t.name}\` | ${t.selfMs} | ${Math.round(t.share * 1000) / 10} % |`);
    out.push('');
  }
  return out.join('\n');
}

main().catch((error: Error) => {
  console.error(`[fleet-bench] ${error.stack ?? error.message}`);
  process.exit(1);
});
