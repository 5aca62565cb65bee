import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Kysely, Migrator, PostgresDialect, sql, type Driver, type MigrationProvider } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import { Pool } from 'pg';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { migrations } from '../migrations';
import type { Database } from './database.schema';

const staticMigrations: MigrationProvider = { getMigrations: async () => migrations };

/** `node -e` script: creates a PGlite data directory (initdb) at argv[2] with the PGlite module at argv[1]. */
const initdbScript = 'require(process.argv[1]).PGlite.create(process.argv[2]).then((pg) => pg.close()).catch((e) => { console.error(e); process.exit(1); });';

/**
 * Runs PGlite's initdb for a new data directory in a short-lived child process. Run in this
 * process, it would leave about 300 MiB resident for good (a second WebAssembly instance for
 * initdb, the new directory as a tar in memory, and the malloc arenas they grew); a child gives
 * it all back when it exits. Blocks once per DATA_DIR, at start, before anything listens.
 */
function initEmbeddedDir(dir: string, compiler: PlatformConfig['database']['embeddedWasmCompiler']): void {
  if (existsSync(join(dir, 'PG_VERSION'))) return;
  const nodeArgs = compiler === 'baseline' ? ['--liftoff-only'] : [];
  try {
    execFileSync(process.execPath, [...nodeArgs, '-e', initdbScript, require.resolve('@electric-sql/pglite'), dir], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`PGlite initdb of ${dir} failed: ${stderr || (error as Error).message}`);
  }
}

/** PGlite's own start-up options and the PGLITE_* settings (-c name=value, as for postgres). */
function embeddedStartParams(settings: PlatformConfig['database']['embeddedSettings']): string[] {
  return [...PGlite.defaultStartParams, ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
}

/** How long PGlite may run queries back to back before sockets get a turn. */
const PGLITE_SLICE_MS = 10;

/**
 * PGlite runs each query synchronously on the event loop's thread, and kysely's PGlite driver hands
 * its one connection to the next waiter in the same microtask run: a queue of thousands of queries
 * (a restart storm's alarms) ran back to back and no socket was read meanwhile — MQTT accepts and
 * HTTP stalled for minutes with 9,740 of 15,000 devices back. Here, after PGLITE_SLICE_MS of
 * queries, the connection passes on at the next turn of the event loop, so sockets are served in
 * between (yielding after every query instead starved the queue: API p99 18 s in that storm).
 */
class TimeSlicedPGliteDialect extends PGliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    const release = driver.releaseConnection.bind(driver);
    let sliceFrom = performance.now();
    driver.releaseConnection = async (connection) => {
      if (performance.now() - sliceFrom > PGLITE_SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceFrom = performance.now();
      }
      await release(connection);
    };
    return driver;
  }
}

/**
 * The system of record: a PostgreSQL server when DATABASE_URL is set, otherwise embedded PGlite
 * under DATA_DIR. Both run the same migrations at start-up.
 */
@Injectable()
export class DatabaseRepository implements OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseRepository.name);
  readonly db: Kysely<Database>;
  readonly engine: 'postgres' | 'pglite';
  private readonly pglite?: PGlite;

  constructor(@InjectConfig() config: PlatformConfig) {
    if (config.database.url) {
      this.engine = 'postgres';
      this.db = new Kysely<Database>({
        dialect: new PostgresDialect({ pool: this.serverPool(config.database.url) }),
      });
    } else {
      this.engine = 'pglite';
      mkdirSync(config.database.embeddedDir, { recursive: true });
      initEmbeddedDir(config.database.embeddedDir, config.database.embeddedWasmCompiler);
      // Before PGlite compiles its module. Liftoff's code is compiled once and kept; TurboFan's
      // recompilations of hot functions held 35-70 MiB more for good, for no measurable speed-up
      // of the platform's queries (bench/results/footprint-latest.md).
      if (config.database.embeddedWasmCompiler === 'baseline') setFlagsFromString('--liftoff-only');
      // btree_gist: exclusion constraints over a slot and a time range (no double booking).
      this.pglite = new PGlite(config.database.embeddedDir, {
        extensions: { btree_gist },
        startParams: embeddedStartParams(config.database.embeddedSettings),
      });
      this.db = new Kysely<Database>({ dialect: new TimeSlicedPGliteDialect(this.pglite) });
    }
  }

  /** An idle connection the server drops (a restart, a failover) emits 'error': logged, not a crash; the pool reconnects on demand. */
  private serverPool(url: string): Pool {
    const pool = new Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000 });
    pool.on('error', (error) => this.logger.warn(`PostgreSQL connection lost: ${error.message}`));
    return pool;
  }

  async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.db, provider: staticMigrations });
    const { error, results } = await migrator.migrateToLatest();
    for (const r of results ?? []) {
      if (r.status === 'Success') this.logger.log(`migration ${r.migrationName} applied`);
      if (r.status === 'Error') this.logger.error(`migration ${r.migrationName} failed`);
    }
    if (error) throw error instanceof Error ? error : new Error(String(error));
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  /** Bytes of embedded PGlite's WebAssembly memory (its size, not what is resident); 0 on a PostgreSQL server or before PGlite is ready. */
  embeddedMemoryBytes(): number {
    try {
      return this.pglite?.Module.HEAP8.buffer.byteLength ?? 0;
    } catch {
      return 0;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
  }
}

/** PostgreSQL's unique_violation: a concurrent writer got there first. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '23505';
}

/** Node socket errors and PostgreSQL SQLSTATEs that mean "the database cannot be reached now", not "the request is wrong". */
const unavailableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03', '53300']);

/**
 * Why the database is unreachable, or undefined when the error is something else: a refused or
 * dropped connection, a server shutting down or starting, or the pool's connect time-out.
 */
export function databaseUnavailableReason(error: unknown): string | undefined {
  const e = error as { code?: unknown; message?: unknown; errors?: unknown[] } | null;
  if (!e || typeof e !== 'object') return undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' ? e.message : '';
  if (code && (unavailableCodes.has(code) || code.startsWith('08'))) return `${code}${message ? ` ${message}` : ''}`.trim();
  if (/Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message)) return message;
  // net's AggregateError (IPv4 and IPv6 both refused) carries the codes on its members.
  if (Array.isArray(e.errors)) for (const inner of e.errors) {
    const reason = databaseUnavailableReason(inner);
    if (reason) return reason;
  }
  return undefined;
}
