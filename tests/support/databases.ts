import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { testServices } from './test-services';

/**
 * Per-test-file isolation on the run's shared services: a fresh PostgreSQL database, a fresh
 * InfluxDB database name, and a fresh Redis key prefix or logical database.
 */

function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

async function withAdmin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: `${testServices().postgresUrl}/postgres` });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export interface FreshPostgres {
  /** postgres://postgres@127.0.0.1:PORT/<name> */
  url: string;
  name: string;
  /** Drops the database, closing connections still open to it. */
  drop(): Promise<void>;
}

/** CREATE DATABASE with a random name on the test cluster. */
export async function freshPostgresDatabase(): Promise<FreshPostgres> {
  const name = uniqueName('t');
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}"`));
  return {
    url: `${testServices().postgresUrl}/${name}`,
    name,
    drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

export interface FreshInflux {
  /** http://127.0.0.1:PORT/<name>, the form INFLUX_URL takes. */
  url: string;
  name: string;
  /** DROP DATABASE (the platform usually creates it on start). */
  drop(): Promise<void>;
}

/** A database name nobody else uses; the database itself is created by whoever writes first. */
export function freshInfluxDatabase(): FreshInflux {
  const base = testServices().influxUrl;
  const name = uniqueName('t');
  return {
    url: `${base}/${name}`,
    name,
    drop: async () => {
      await influxQuery(base, `DROP DATABASE "${name}"`);
    },
  };
}

/** Runs one InfluxQL statement through the HTTP API; throws on an HTTP or statement error. */
export async function influxQuery(baseUrl: string, q: string): Promise<unknown> {
  const res = await fetch(`${baseUrl}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `q=${encodeURIComponent(q)}`,
  });
  const text = await res.text();
  const body = (text ? JSON.parse(text) : {}) as { error?: string; results?: Array<{ error?: string }> };
  const err = body.error ?? body.results?.find((r) => r.error)?.error;
  if (!res.ok || err) throw new Error(`InfluxQL "${q}": HTTP ${res.status} ${err ?? text}`);
  return body;
}

/** A key prefix nobody else uses, valid for the platform's REDIS_PREFIX (`[A-Za-z0-9_:-]*`). */
export function freshRedisPrefix(): string {
  return uniqueName('t');
}

export interface FreshRedisDb {
  /** redis://127.0.0.1:PORT/<db> */
  url: string;
  db: number;
  /** FLUSHDB on that database. */
  flush(): Promise<void>;
}

/**
 * A logical Redis database (1..255; the test Redis has 256) allocated through a counter in
 * database 0, so test files in different workers never share one, and emptied before use.
 * Note: BullMQ and pub/sub channels are per server, not per database: prefer freshRedisPrefix()
 * for anything that uses channels or several connections.
 */
export async function freshRedisDb(): Promise<FreshRedisDb> {
  const base = testServices().redisUrl;
  const admin = new Redis(base, { lazyConnect: true, maxRetriesPerRequest: 2 });
  try {
    await admin.connect();
    const n = await admin.incr('spp-test:next-db');
    const db = 1 + ((n - 1) % 255);
    const url = `${base}/${db}`;
    const flush = async () => {
      const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
      try {
        await c.connect();
        await c.flushdb();
      } finally {
        c.disconnect();
      }
    };
    await flush();
    return { url, db, flush };
  } finally {
    admin.disconnect();
  }
}
