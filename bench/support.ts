import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

/** What the benchmarks share: the built entry points, ports, waiting, percentiles, a platform process of their own. */
export const repoRoot = resolve(__dirname, '..', '..');
export const platformMain = join(repoRoot, 'dist', 'apps', 'platform', 'src', 'main.js');
export const simMain = join(repoRoot, 'dist', 'device-sim', 'src', 'main.js');
export const resultsDir = join(repoRoot, 'bench', 'results');

/** Where bench/cpu-profile.preload.ts writes the platform's CPU profile. */
export const cpuProfilePath = (pid: number) => join(tmpdir(), `spp-platform-${pid}.cpuprofile`);

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => res(port));
    });
  });
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Nearest-rank percentiles of latency samples in milliseconds, rounded to 0.01 ms. */
export function latencySummary(ms: number[]): { samples: number; p50: number; p99: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p: number) => (s.length === 0 ? NaN : Number(s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))].toFixed(2)));
  return { samples: s.length, p50: at(50), p99: at(99), max: at(100) };
}

/** CPU seconds (user+system, all threads) and resident memory of a process, from /proc. */
export function processUsage(pid: number): { cpuSeconds: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100, rssBytes: Number(fields[21]) * 4096 };
}

export function machineInfo() {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30) };
}

export interface BenchPlatform {
  process: ChildProcess;
  httpUrl: string;
  mqttUrl: string;
  adminPassword: string;
  dataDir: string;
  influxDb: string;
  /** Stops the platform and removes its databases and files. */
  close(): Promise<void>;
}

/**
 * Starts the built platform as its own process (embedded broker, PGlite) on free ports, with an
 * InfluxDB database, a Redis database and prefix, and a DATA_DIR of its own; resolves once
 * /health answers. `extraEnv` adds or replaces variables (e.g. an external broker); `nodeArgs`
 * go to node before the entry point (e.g. the CPU-profile preload).
 */
export async function startBenchPlatform(
  name: string,
  stores: { redisUrl: string; influxUrl: string },
  extraEnv: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<BenchPlatform> {
  const [httpPort, mqttPort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), `spp-${name}-`));
  const influxDb = `${name.replace(/\W/g, '_')}_${Date.now()}`;
  const influxBase = stores.influxUrl.replace(/\/$/, '');
  const adminPassword = 'bench-admin-password';
  const env = {
    PATH: process.env.PATH,
    HTTP_PORT: String(httpPort),
    MQTT_PORT: String(mqttPort),
    MQTT_WS_PORT: '0',
    DATA_DIR: dataDir,
    REDIS_URL: stores.redisUrl.replace(/\/\d*$/, '') + '/9',
    REDIS_PREFIX: `${name}${Date.now()}`,
    INFLUX_URL: `${influxBase}/${influxDb}`,
    ADMIN_PASSWORD: adminPassword,
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  console.error(`[${name}] starting the platform (HTTP ${httpPort}, MQTT ${mqttPort}, InfluxDB database ${influxDb})`);
  const child = spawn(process.execPath, [...nodeArgs, platformMain], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  const kill = () => child.exitCode === null && child.kill('SIGTERM');
  process.on('exit', kill);
  const platform: BenchPlatform = {
    process: child,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    adminPassword,
    dataDir,
    influxDb,
    close: async () => {
      kill();
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
      await fetch(`${influxBase}/query?q=${encodeURIComponent(`DROP DATABASE "${influxDb}"`)}`, { method: 'POST' }).catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor('the platform /health', 120_000, async () => ((await fetch(`${platform.httpUrl}/health`)).ok ? true : undefined));
  } catch (error) {
    await platform.close();
    throw error;
  }
  return platform;
}

/** The simulator's summary of a load run (its last `"type":"summary"` line with --json). */
export interface LoadSummary {
  sent: number;
  acked: number;
  errors: number;
  durationMs: number;
  ratePerSec: number;
  latencyMs: { p50: number; p99: number; max?: number };
}

/** Runs the built simulator with `args`; resolves with what it printed, showing its progress lines as they come. */
export function runSim(args: string[]): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [simMain, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let shown = 0;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      for (const line of lines.slice(shown, -1)) if (line.includes('"type":"progress"')) process.stderr.write(`  ${summariseProgress(line)}\n`);
      shown = lines.length - 1;
    });
    child.on('exit', (code) => (code === 0 ? res(out) : rej(new Error(`simulator exited with ${code}`))));
  });
}

function summariseProgress(line: string): string {
  try {
    const p = JSON.parse(line) as Record<string, unknown>;
    return `sim: ${JSON.stringify({ achieved: p.achieved ?? p.ratePerSec, acked: p.acked, errors: p.errors })}`;
  } catch {
    return line;
  }
}

/** The summary of a load run from the simulator's output. */
export function loadSummary(output: string): LoadSummary {
  const line = output.split('\n').reverse().find((l) => l.includes('"type":"summary"'));
  if (!line) throw new Error('the simulator printed no summary');
  return JSON.parse(line) as LoadSummary;
}
