/**
 * The built platform (dist/, `npm run build` first) as a process of its own, for faults that
 * need one: kill -9, a private mount namespace (a small tmpfs under the write-ahead log), its RSS.
 * The devices are provisioned beforehand by an in-process platform on the same DATA_DIR, InfluxDB
 * database and Redis prefix (provisionFleet), which is then closed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freshInfluxDatabase, freshRedisPrefix, type FreshInflux } from './databases';
import { startTestPlatform, testPlatformEnv, type ProvisionedDevice } from './platform';
import { freePort } from './processes';
import { nextEvent, waitFor } from './wait';

const platformMain = resolve(__dirname, '..', '..', 'dist', 'apps', 'platform', 'src', 'main.js');

export interface Fleet {
  dataDir: string;
  influx: FreshInflux;
  redisPrefix: string;
  devices: ProvisionedDevice[];
  /** Drops the InfluxDB database and removes DATA_DIR. */
  remove(): Promise<void>;
}

/** Provisions `count` fire sensors (value readings) on a fresh DATA_DIR, InfluxDB database and Redis prefix. */
export async function provisionFleet(count: number, options: { influx?: FreshInflux; idPrefix: string }): Promise<Fleet> {
  const dataDir = mkdtempSync(join(tmpdir(), 'spp-fault-'));
  const influx = options.influx ?? freshInfluxDatabase();
  const redisPrefix = freshRedisPrefix();
  const tp = await startTestPlatform({ dataDir, influx, redisPrefix });
  const devices: ProvisionedDevice[] = [];
  try {
    const community = await tp.createCommunity();
    for (let i = 0; i < count; i++) {
      devices.push(await tp.provisionDevice(community.id, 'fire', { subtype: 'sprinkler_pressure', id: `${options.idPrefix}-${i}` }));
    }
  } finally {
    await tp.close();
  }
  return {
    dataDir,
    influx,
    redisPrefix,
    devices,
    remove: async () => {
      if (!options.influx) await influx.drop();
      rmSync(dataDir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/**
 * RULE_STATE for tests that compare the two ways of evaluating alarm rules: `SPP_TEST_RULE_STATE=local`
 * runs them on the old per-process path (to show what the shared one fixes); unset, the platform's default.
 */
export function ruleStateUnderTest(): Record<string, string> {
  const mode = process.env.SPP_TEST_RULE_STATE;
  return mode ? { RULE_STATE: mode } : {};
}

export class PlatformProcess {
  private child?: ChildProcess;
  private output = '';
  readonly env: Record<string, string | undefined>;
  httpUrl = '';
  mqttUrl = '';

  private constructor(
    private readonly fleet: Fleet,
    extraEnv: Record<string, string>,
    private readonly ports: { http: number; mqtt: number },
    /** A command the platform runs under, e.g. unshare; gets the node command line appended. */
    private readonly wrapper: string[],
  ) {
    this.env = {
      PATH: process.env.PATH,
      ...testPlatformEnv(fleet.dataDir, fleet.influx, fleet.redisPrefix),
      LOG_LEVEL: 'warn',
      HTTP_PORT: String(ports.http),
      MQTT_PORT: String(ports.mqtt),
      ...extraEnv,
    };
    this.httpUrl = `http://127.0.0.1:${ports.http}`;
    this.mqttUrl = `mqtt://127.0.0.1:${ports.mqtt}`;
  }

  static async create(fleet: Fleet, extraEnv: Record<string, string> = {}, wrapper: string[] = []): Promise<PlatformProcess> {
    if (!existsSync(platformMain)) throw new Error(`${platformMain} is missing: run \`npm run build\` first`);
    return new PlatformProcess(fleet, extraEnv, { http: await freePort(), mqtt: await freePort() }, wrapper);
  }

  /** False once the process has exited (killed itself at a FAULT_INJECT point, kill -9, …). */
  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The signal that ended the last process, if one did. */
  get exitSignal(): NodeJS.Signals | null {
    return this.child?.signalCode ?? null;
  }

  get pid(): number {
    if (!this.child?.pid) throw new Error('the platform process is not running');
    return this.child.pid;
  }

  /** Starts the process (same ports every time) and waits until /health answers. */
  async start(): Promise<void> {
    const [cmd, ...args] = [...this.wrapper, process.execPath, platformMain];
    const child = spawn(cmd, args, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (d: Buffer) => (this.output = (this.output + d.toString()).slice(-20_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`the platform exited with ${child.exitCode}: ${this.output.slice(-3000)}`);
        const res = await fetch(`${this.httpUrl}/health`);
        return res.status === 200 || res.status === 503;
      },
      { timeoutMs: 120_000, intervalMs: 200, message: `the platform process answers /health; output: ${this.output.slice(-2000)}` },
    );
  }

  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = nextEvent(child, 'exit', 30_000);
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = nextEvent(child, 'exit', 30_000);
    child.kill('SIGTERM');
    await exited.catch(() => this.kill9());
  }

  async health(): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.httpUrl}/health`);
    return { status: res.status, body: await res.json() };
  }

  /** Sum of a metric's samples (0 when absent). */
  async metric(name: string): Promise<number> {
    const text = await (await fetch(`${this.httpUrl}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  }

  /** Resident memory of the process now, in bytes (the node process, also under a wrapper that execs). */
  rssBytes(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  }

  get log(): string {
    return this.output;
  }
}
