import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Kysely, Migrator, PostgresDialect, sql, type MigrationProvider } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import { Pool } from 'pg';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { migrations } from '../migrations';
import type { Database } from './database.schema';

const staticMigrations: MigrationProvider = { getMigrations: async () => migrations };

/**
 * The system of record: a PostgreSQL server when DATABASE_URL is set, otherwise embedded PGlite
 * under DATA_DIR. Both run the same migrations at start-up.
 */
@Injectable()
export class DatabaseRepository implements OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseRepository.name);
  readonly db: Kysely<Database>;
  readonly engine: 'postgres' | 'pglite';

  constructor(@InjectConfig() config: PlatformConfig) {
    if (config.database.url) {
      this.engine = 'postgres';
      this.db = new Kysely<Database>({
        dialect: new PostgresDialect({ pool: new Pool({ connectionString: config.database.url, max: 10 }) }),
      });
    } else {
      this.engine = 'pglite';
      mkdirSync(config.database.embeddedDir, { recursive: true });
      // btree_gist: exclusion constraints over a slot and a time range (no double booking).
      this.db = new Kysely<Database>({
        dialect: new PGliteDialect(new PGlite(config.database.embeddedDir, { extensions: { btree_gist } })),
      });
    }
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

  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
  }
}

/** PostgreSQL's unique_violation: a concurrent writer got there first. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '23505';
}
