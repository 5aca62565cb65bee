import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { cleanUpStaleRuns, freePort, runRecordFile, startDetached, startInfluxd, stopProcesses, tail, waitReady } from './processes';
import { latestServicesFile, repoRoot, servicesFileEnv, tmpStateDir, type TestRunRecord } from './test-services';

/**
 * Starts this test run's own Redis, InfluxDB 1.x, PostgreSQL and Mosquitto, each on its own
 * port (never the machine's defaults) with its data in a temporary directory, and records them
 * in .tmp/test-run-<jest pid>.json (+ a copy in .tmp/test-services.json). Preferred ports:
 * redis 6391, influx 8096 (rpc 8097), postgres 5439, mosquitto 18831; a port already taken
 * (e.g. by a concurrent run) is replaced by a free one. Missing programs are installed with
 * scripts/install-system-deps.sh --for test.
 */

const log = (msg: string) => process.stderr.write(`[test-services] ${msg}\n`);

type Proc = TestRunRecord['processes'][number];

export default async function globalSetup(): Promise<void> {
  const t0 = Date.now();
  mkdirSync(tmpStateDir, { recursive: true });
  await cleanUpStaleRuns(log);

  const bins = findBinaries();
  const missing = Object.entries(bins).filter(([, v]) => !v).map(([k]) => k);
  if (missing.length > 0) {
    log(`missing programs: ${missing.join(', ')}; running scripts/install-system-deps.sh --for test`);
    const r = spawnSync('bash', [join(repoRoot, 'scripts/install-system-deps.sh'), '--for', 'test'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`scripts/install-system-deps.sh --for test failed; cannot start test services (${missing.join(', ')})`);
    Object.assign(bins, findBinaries());
    const still = Object.entries(bins).filter(([, v]) => !v).map(([k]) => k);
    if (still.length > 0) throw new Error(`still missing after install: ${still.join(', ')}`);
  }

  const dir = mkdtempSync(join(tmpdir(), 'spp-test-'));
  chmodSync(dir, 0o755); // the postgres user must be able to reach its data directory
  const [redisPort, influxPort, influxRpcPort, pgPort, mqttPort] = await pickPorts([6391, 8096, 8097, 5439, 18831]);

  const started: Proc[] = [];
  const record: TestRunRecord = {
    ownerPid: process.pid,
    startedAt: new Date().toISOString(),
    dir,
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    influxUrl: `http://127.0.0.1:${influxPort}`,
    postgresUrl: `postgres://postgres@127.0.0.1:${pgPort}`,
    postgresDatabaseUrl: `postgres://postgres@127.0.0.1:${pgPort}/spp_test`,
    mqttExternalUrl: `mqtt://127.0.0.1:${mqttPort}`,
    chromiumPath: bins.chromium!,
    processes: started,
  };
  const file = runRecordFile(process.pid);
  const save = () => writeFileSync(file, JSON.stringify(record, null, 2));
  save(); // recorded before anything starts, so a crash mid-way is cleaned up next time

  try {
    await Promise.all([
      startRedis(bins.redis!, dir, redisPort, started, save),
      startInflux(bins.influxd!, dir, influxPort, influxRpcPort, started, save),
      startPostgres(bins.pgBin!, dir, pgPort, started, save),
      startMosquitto(bins.mosquitto!, dir, mqttPort, started, save),
    ]);
  } catch (e) {
    log(`start-up failed; stopping what was started (logs kept in ${dir})`);
    await stopProcesses(started, 3000);
    throw e;
  }

  save();
  writeFileSync(latestServicesFile, JSON.stringify(record, null, 2));
  process.env[servicesFileEnv] = file;
  log(
    `ready in ${Date.now() - t0} ms: redis ${redisPort}, influx ${influxPort}, postgres ${pgPort}, mosquitto ${mqttPort} (data ${dir})`,
  );
}

// ---- binaries -------------------------------------------------------------------------------

function which(cmd: string): string | undefined {
  const r = spawnSync('bash', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const p = r.stdout?.trim();
  return r.status === 0 && p ? p : undefined;
}

function firstExisting(paths: string[]): string | undefined {
  return paths.find((p) => existsSync(p));
}

function postgresBinDir(): string | undefined {
  if (process.env.PG_BIN && existsSync(join(process.env.PG_BIN, 'initdb'))) return process.env.PG_BIN;
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(base, versions[0], 'bin');
  }
  const initdb = which('initdb');
  return initdb ? initdb.replace(/\/initdb$/, '') : undefined;
}

function findBinaries() {
  return {
    redis: which('redis-server') ?? firstExisting(['/usr/bin/redis-server']),
    influxd: which('influxd') ?? firstExisting(['/usr/bin/influxd']),
    mosquitto: which('mosquitto') ?? firstExisting(['/usr/sbin/mosquitto']),
    pgBin: postgresBinDir(),
    chromium:
      process.env.CHROMIUM_PATH ||
      which('chromium') ||
      which('chromium-browser') ||
      firstExisting(['/usr/bin/chromium', '/usr/bin/chromium-browser']),
  };
}

// ---- ports ----------------------------------------------------------------------------------

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

async function pickPorts(preferred: number[]): Promise<number[]> {
  const chosen: number[] = [];
  for (const p of preferred) {
    let port = p;
    if (!(await portFree(port)) || chosen.includes(port)) {
      do port = await freePort();
      while (chosen.includes(port) || preferred.includes(port));
      log(`port ${p} is taken; using ${port}`);
    }
    chosen.push(port);
  }
  return chosen;
}

/** Sends `payload` (if any) to 127.0.0.1:port and resolves with the first chunk received ('' when only connecting). */
function tcpExchange(port: number, payload?: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = new Socket();
    const done = (err?: Error, data = '') => {
      sock.destroy();
      if (err) reject(err);
      else resolve(data);
    };
    sock.setTimeout(timeoutMs, () => done(new Error('timeout')));
    sock.once('error', (e) => done(e));
    sock.connect(port, '127.0.0.1', () => {
      if (payload === undefined) return done(undefined, '');
      sock.write(payload);
    });
    sock.once('data', (d) => done(undefined, d.toString()));
  });
}

// ---- the four services ------------------------------------------------------------------------

async function startRedis(bin: string, root: string, port: number, started: Proc[], save: () => void): Promise<void> {
  const dir = join(root, 'redis');
  mkdirSync(dir);
  const logFile = join(dir, 'redis.log');
  const s = startDetached(
    bin,
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--databases', '256', '--daemonize', 'no', '--loglevel', 'warning'],
    logFile,
  );
  started.push({ name: 'redis', pid: s.child.pid!, match: 'redis-server', stopSignal: 'SIGTERM' });
  save();
  await waitReady('redis-server', async () => (await tcpExchange(port, 'PING\r\n')).startsWith('+PONG'), s, logFile);
}

async function startInflux(bin: string, root: string, port: number, rpcPort: number, started: Proc[], save: () => void): Promise<void> {
  await startInfluxd(bin, join(root, 'influxdb'), port, rpcPort, true, (s) => {
    started.push({ name: 'influxd', pid: s.child.pid!, match: 'influxd', stopSignal: 'SIGTERM' });
    save();
  });
}

async function startPostgres(binDir: string, root: string, port: number, started: Proc[], save: () => void): Promise<void> {
  const dir = join(root, 'postgres');
  const data = join(dir, 'data');
  mkdirSync(data, { recursive: true });
  // initdb and postgres refuse to run as root: run them as the postgres user then.
  let ids: { uid?: number; gid?: number } = {};
  if (process.getuid?.() === 0) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    if (!Number.isInteger(uid) || uid <= 0) throw new Error('running as root and there is no "postgres" user to run PostgreSQL as');
    ids = { uid, gid };
    chownSync(dir, uid, gid);
    chownSync(data, uid, gid);
  }
  chmodSync(data, 0o700);
  const logFile = join(dir, 'postgres.log');
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  await new Promise<void>((resolve, reject) => {
    const fd = openSync(logFile, 'a');
    const init = spawn(
      join(binDir, 'initdb'),
      ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'],
      { stdio: ['ignore', fd, fd], cwd: dir, env, ...ids },
    );
    closeSync(fd);
    init.once('error', reject);
    init.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`initdb exited with ${code}. Log ${logFile}:\n${tail(logFile)}`))));
  });
  const s = startDetached(
    join(binDir, 'postgres'),
    [
      '-D', data,
      '-p', String(port),
      '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${dir}`,
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
      '-c', 'max_connections=300',
      '-c', 'shared_buffers=128MB',
      '-c', 'log_min_messages=warning',
    ],
    logFile,
    { ...ids, cwd: dir },
  );
  // SIGQUIT = immediate shutdown: the data is thrown away anyway.
  started.push({ name: 'postgres', pid: s.child.pid!, match: 'postgres', stopSignal: 'SIGQUIT' });
  save();
  const probe = async () => {
    const c = new Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`, connectionTimeoutMillis: 1000 });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query('select 1');
      return true;
    } finally {
      await c.end().catch(() => undefined);
    }
  };
  await waitReady('postgres', probe, s, logFile);
  const c = new Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
  await c.connect();
  try {
    await c.query('CREATE DATABASE spp_test');
  } finally {
    await c.end();
  }
}

async function startMosquitto(bin: string, root: string, port: number, started: Proc[], save: () => void): Promise<void> {
  const dir = join(root, 'mosquitto');
  mkdirSync(dir);
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    `# test broker: anonymous access for the platform's own client and the external-broker tests
listener ${port} 127.0.0.1
allow_anonymous true
persistence false
log_dest stderr
log_type error
log_type warning
max_keepalive 3600
`,
  );
  chmodSync(conf, 0o644);
  const logFile = join(dir, 'mosquitto.log');
  const s = startDetached(bin, ['-c', conf], logFile, { cwd: dir });
  started.push({ name: 'mosquitto', pid: s.child.pid!, match: 'mosquitto', stopSignal: 'SIGTERM' });
  save();
  await waitReady('mosquitto', async () => (await tcpExchange(port)) === '', s, logFile);
}
