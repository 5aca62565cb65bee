import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { latestServicesFile, tmpStateDir, type TestRunRecord } from './test-services';

/** Helpers shared by global-setup, global-teardown and the tests' own services: starting, checking and stopping processes, stale runs. */

const READY_TIMEOUT_MS = Number(process.env.SPP_TEST_SERVICE_TIMEOUT_MS ?? 30_000);

/** A port the OS has free on 127.0.0.1 now (for a service a test starts itself). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Is `pid` alive and running a program whose command line contains `match`? (Guards pid reuse.) */
export function pidRuns(pid: number, match: string): boolean {
  if (!pidAlive(pid)) return false;
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    if (cmd.trim() === '') return false; // zombie
    return cmd.includes(match);
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

/** Bounded wait for a pid to disappear. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!pidAlive(pid) || isZombie(pid)) return true;
    await delay(50);
  }
  return !pidAlive(pid);
}

function isZombie(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Stops the given processes: their stop signal, then SIGKILL after `graceMs`. */
export async function stopProcesses(procs: TestRunRecord['processes'], graceMs = 5000): Promise<void> {
  await Promise.all(
    procs.map(async (p) => {
      if (!pidRuns(p.pid, p.match)) return;
      try {
        process.kill(p.pid, p.stopSignal);
      } catch {
        return;
      }
      if (!(await waitForExit(p.pid, graceMs))) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
        await waitForExit(p.pid, 2000);
      }
    }),
  );
}

export function runRecordFile(ownerPid: number): string {
  return join(tmpStateDir, `test-run-${ownerPid}.json`);
}

/** Stops a run's services, removes its temporary directory and its records. */
export async function cleanUpRun(record: TestRunRecord, file: string): Promise<void> {
  await stopProcesses(record.processes);
  if (record.dir && record.dir.includes('spp-test-')) {
    rmSync(record.dir, { recursive: true, force: true, maxRetries: 3 });
  }
  safeUnlink(file);
  try {
    const latest = JSON.parse(readFileSync(latestServicesFile, 'utf8')) as TestRunRecord;
    if (latest.ownerPid === record.ownerPid) safeUnlink(latestServicesFile);
  } catch {
    /* no latest file */
  }
}

/**
 * Earlier runs that crashed (jest killed, machine suspended…) leave their services running.
 * A run whose owning jest process is gone is stale: stop its processes and delete its files.
 * Runs whose owner is alive (a concurrent `npm test`) are left alone.
 */
export async function cleanUpStaleRuns(log: (msg: string) => void): Promise<void> {
  if (!existsSync(tmpStateDir)) return;
  for (const name of readdirSync(tmpStateDir)) {
    if (!/^test-run-\d+\.json$/.test(name)) continue;
    const file = join(tmpStateDir, name);
    let record: TestRunRecord;
    try {
      record = JSON.parse(readFileSync(file, 'utf8')) as TestRunRecord;
    } catch {
      safeUnlink(file);
      continue;
    }
    if (record.ownerPid !== process.pid && pidRuns(record.ownerPid, 'node')) continue;
    const alive = record.processes.filter((p) => pidRuns(p.pid, p.match));
    log(`cleaning up a stale test run (jest pid ${record.ownerPid}): ${alive.map((p) => `${p.name} ${p.pid}`).join(', ') || 'no live processes'}`);
    await cleanUpRun(record, file);
  }
}

function safeUnlink(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* already gone */
  }
}

export interface Started {
  child: ChildProcess;
  exited: () => string | undefined;
}

export function startDetached(cmd: string, args: string[], logFile: string, opts: { uid?: number; gid?: number; cwd?: string } = {}): Started {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd], ...opts });
  closeSync(fd);
  let exit: string | undefined;
  child.once('exit', (code, signal) => (exit = `exited with ${signal ?? `code ${code}`}`));
  child.once('error', (e) => (exit = `failed to start: ${e.message}`));
  child.unref();
  return { child, exited: () => exit };
}

export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls `probe` until it resolves true; bounded by READY_TIMEOUT_MS; fails fast if the process died. */
export async function waitReady(name: string, probe: () => Promise<boolean>, s: Started | undefined, logFile: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let interval = 25;
  while (Date.now() < deadline) {
    const exit = s?.exited();
    if (exit) throw new Error(`${name} ${exit} during start-up. Log ${logFile}:\n${tail(logFile)}`);
    if (await probe().catch(() => false)) return;
    await delay(interval);
    interval = Math.min(interval * 2, 250);
  }
  throw new Error(`${name} was not ready within ${READY_TIMEOUT_MS} ms. Log ${logFile}:\n${tail(logFile)}`);
}

function httpStatus(url: string, timeoutMs = 1000): Promise<number> {
  return fetch(url, { signal: AbortSignal.timeout(timeoutMs) }).then(
    (r) => r.status,
    () => 0,
  );
}

/**
 * influxd with its configuration and data under `dir`, HTTP on `port`, ready when /ping answers:
 * the run's shared one (global-setup) and a test's own (own-influx.ts, started again on the same
 * data). `spawned` sees the process before it is ready, so that a failed start is still stopped.
 */
export async function startInfluxd(bin: string, dir: string, port: number, rpcPort: number, continuousQueries: boolean, spawned: (s: Started) => void = () => undefined): Promise<Started> {
  const conf = writeInfluxConfig(dir, port, rpcPort, continuousQueries);
  const logFile = join(dir, 'influxd.log');
  const s = startDetached(bin, ['run', '-config', conf], logFile);
  spawned(s);
  await waitReady('influxd', async () => (await httpStatus(`http://127.0.0.1:${port}/ping`)) === 204, s, logFile);
  return s;
}

/**
 * Writes an influxd 1.x configuration keeping everything under `dir`, HTTP on `port` and the RPC
 * service on `rpcPort` (so nothing binds influxd's default 8088); returns the file's path.
 */
function writeInfluxConfig(dir: string, port: number, rpcPort: number, continuousQueries: boolean): string {
  for (const d of ['meta', 'data', 'wal']) mkdirSync(join(dir, d), { recursive: true });
  const conf = join(dir, 'influxdb.conf');
  writeFileSync(
    conf,
    `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${dir}/meta"
  logging-enabled = false
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:${port}"
  log-enabled = false
[logging]
  level = "warn"
[continuous_queries]
  enabled = ${continuousQueries}
${continuousQueries ? '  run-interval = "1s"\n' : ''}`,
  );
  return conf;
}
