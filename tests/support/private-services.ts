/**
 * A Redis or PostgreSQL server of one test's own, for faults that stop or restart it (stopping
 * the run's shared one would disturb the other tests). Each lives in a temporary directory and
 * is stopped and removed by remove(). Binaries are found as global-setup finds them.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { freePort, waitForExit } from './processes';
import { waitFor } from './wait';

function which(cmd: string): string | undefined {
  const r = spawnSync('bash', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

function postgresBin(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length > 0) return join(base, versions[0], 'bin');
  const initdb = which('initdb');
  if (!initdb) throw new Error('no PostgreSQL binaries (initdb) on this machine');
  return initdb.replace(/\/initdb$/, '');
}

async function stop(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  if (!(await waitForExit(child.pid, 30_000))) child.kill('SIGKILL');
  await waitForExit(child.pid, 10_000);
}

/** A redis-server without persistence: a restart comes back empty, the worst case for queued jobs. */
export class PrivateRedis {
  private child?: ChildProcess;
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), mkdtempSync(join(tmpdir(), 'spp-private-redis-')));
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const fd = openSync(join(this.dir, 'redis.log'), 'a');
    this.child = spawn(which('redis-server') ?? '/usr/bin/redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    await waitFor(() => this.ping(), { timeoutMs: 30_000, message: `private redis on ${this.port} answers` });
  }

  async ping(): Promise<boolean> {
    const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  }

  stop(): Promise<void> {
    return stop(this.child, 'SIGTERM');
  }

  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A PostgreSQL server (initdb'd once) that can be stopped and started again on the same data. */
export class PrivatePostgres {
  private child?: ChildProcess;
  private readonly ids: { uid?: number; gid?: number } = {};
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {
    // initdb and postgres refuse to run as root: run them as the postgres user then.
    if (process.getuid?.() === 0) {
      this.ids = { uid: Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim()), gid: Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim()) };
      chownSync(dir, this.ids.uid!, this.ids.gid!);
    }
  }

  static async start(): Promise<PrivatePostgres> {
    const pg = new PrivatePostgres(await freePort(), mkdtempSync(join(tmpdir(), 'spp-private-pg-')));
    const init = spawnSync(join(postgresBin(), 'initdb'), ['-D', join(pg.dir, 'data'), '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], {
      cwd: pg.dir,
      env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
      encoding: 'utf8',
      ...pg.ids,
    });
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
    await pg.start();
    return pg;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async start(): Promise<void> {
    const fd = openSync(join(this.dir, 'postgres.log'), 'a');
    this.child = spawn(
      join(postgresBin(), 'postgres'),
      ['-D', join(this.dir, 'data'), '-p', String(this.port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${this.dir}`, '-c', 'fsync=off', '-c', 'log_min_messages=warning'],
      { stdio: ['ignore', fd, fd], cwd: this.dir, ...this.ids },
    );
    closeSync(fd);
    await waitFor(() => this.ping(), { timeoutMs: 60_000, intervalMs: 200, message: `private postgres on ${this.port} answers` });
  }

  async ping(): Promise<boolean> {
    const client = new Client({ connectionString: this.url, connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Fast shutdown (SIGINT): connections are dropped, the server is gone until start(). */
  stop(): Promise<void> {
    return stop(this.child, 'SIGINT');
  }

  async remove(): Promise<void> {
    await stop(this.child, 'SIGQUIT');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
