/**
 * The system of record on both engines: embedded PGlite under DATA_DIR and a PostgreSQL server
 * (DATABASE_URL). Migrations are applied at start-up, are idempotent on restart, and data
 * survives a restart (PGlite keeps it on disk under the same DATA_DIR).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { migrations } from '../../apps/platform/src/migrations';
import { DatabaseRepository } from '../../apps/platform/src/repositories/database.repository';
import { freshInfluxDatabase, freshPostgresDatabase, type FreshInflux, type FreshPostgres } from '../support/databases';
import { startTestPlatform, type TestPlatform } from '../support/platform';

type Engine = 'pglite' | 'postgres';

/** Tables of the first migration; later migrations add more. */
const coreTables = ['audit_log', 'buildings', 'communities', 'devices', 'units', 'user_communities', 'users'];

async function migrationNames(tp: TestPlatform): Promise<string[]> {
  const db = tp.platform.app.get(DatabaseRepository).db;
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  return rows.map((r) => r.name);
}

async function tableNames(tp: TestPlatform): Promise<string[]> {
  const db = tp.platform.app.get(DatabaseRepository).db;
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not like 'kysely_%'
    order by table_name`.execute(db);
  return rows.map((r) => r.table_name);
}

describe.each<Engine>(['pglite', 'postgres'])('database on %s', (engine) => {
  let dataDir: string;
  let influx: FreshInflux;
  let postgres: FreshPostgres | undefined;
  let tp: TestPlatform | undefined;
  let tablesAfterFirstStart: string[] = [];

  const start = async () => {
    tp = await startTestPlatform({
      dataDir,
      influx,
      env: engine === 'postgres' ? { DATABASE_URL: postgres!.url } : {},
    });
    return tp;
  };
  const stop = async () => {
    await tp?.close();
    tp = undefined;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), `spp-db-${engine}-`));
    influx = freshInfluxDatabase();
    if (engine === 'postgres') postgres = await freshPostgresDatabase();
  });

  afterAll(async () => {
    await stop();
    await influx.drop().catch(() => undefined);
    await postgres?.drop();
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 3 });
  });

  it('applies every migration on first start, on the configured engine', async () => {
    const p = await start();
    expect(p.platform.app.get(DatabaseRepository).engine).toBe(engine);
    expect(await migrationNames(p)).toEqual(Object.keys(migrations).sort());
    tablesAfterFirstStart = await tableNames(p);
    expect(tablesAfterFirstStart).toEqual(expect.arrayContaining(coreTables));
    // The administrator was created once.
    const me = await p.api('GET', '/api/v1/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: 'admin', role: 'platform_admin', scope: { level: 'platform' } });
  });

  let communityId: string;
  let unitArea: string;

  it('stores communities with buildings and exact decimal floor areas, and devices', async () => {
    const p = tp!;
    const created = await p.api('POST', '/api/v1/communities', {
      name: `Persisted ${engine}`,
      district: 'Jing_an',
      street: 'Nanjing West',
      address: '1 Test Road',
      buildings: [{ name: 'B1', floors: 18, units: [{ number: '101', floorArea: '89.50' }, { number: '102', floorArea: '120' }] }],
    });
    expect(created.status).toBe(201);
    communityId = created.body.id;
    expect(communityId).toMatch(/^[0-9a-f-]{36}$/);
    const units = created.body.buildings[0].units as Array<{ number: string; floorArea: string }>;
    expect(units.map((u) => [u.number, u.floorArea])).toEqual([
      ['101', '89.50'],
      ['102', '120.00'],
    ]);
    unitArea = units[0].floorArea;

    const device = await p.provisionDevice(communityId, 'elevator', { id: `db-${engine}-elevator` });
    expect(device).toMatchObject({ id: `db-${engine}-elevator`, communityId, kind: 'elevator', subtype: null, disabled: false });
    expect(typeof device.secret).toBe('string');
    // The secret is stored only as a hash.
    const db = p.platform.app.get(DatabaseRepository).db;
    const { rows } = await sql<{ secret_hash: string }>`select secret_hash from devices where id = ${device.id}`.execute(db);
    expect(rows[0].secret_hash).not.toContain(device.secret);
    expect(rows[0].secret_hash).toMatch(/^hmac-sha256\$/);

    // A write with a timestamp parameter (secret_rotated_at) and a boolean update.
    const rotated = await p.api('POST', `/api/v1/devices/${device.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(device.secret);
    expect((await p.api('POST', `/api/v1/devices/${device.id}/disable`)).body.disabled).toBe(true);
    const after = await sql<{ secret_rotated_at: Date | null; disabled: boolean }>`select secret_rotated_at, disabled from devices where id = ${device.id}`.execute(db);
    expect(after.rows[0].disabled).toBe(true);
    expect(Math.abs(new Date(after.rows[0].secret_rotated_at!).getTime() - Date.now())).toBeLessThan(60_000);
    expect((await p.api('POST', `/api/v1/devices/${device.id}/enable`)).body.disabled).toBe(false);
  });

  it('keeps the data across a restart and does not re-apply migrations', async () => {
    await stop();
    const p = await start();
    expect(await migrationNames(p)).toEqual(Object.keys(migrations).sort());
    expect(await tableNames(p)).toEqual(tablesAfterFirstStart);

    const list = await p.api('GET', '/api/v1/communities');
    expect(list.status).toBe(200);
    const ids = (list.body as Array<{ id: string; deviceCount: number }>).filter((c) => c.id === communityId);
    expect(ids).toHaveLength(1);
    expect(ids[0].deviceCount).toBe(1);

    const one = await p.api('GET', `/api/v1/communities/${communityId}`);
    expect(one.status).toBe(200);
    expect(one.body.buildings[0].units[0].floorArea).toBe(unitArea);

    const device = await p.api('GET', `/api/v1/devices/db-${engine}-elevator`);
    expect(device.status).toBe(200);
    expect(device.body.communityId).toBe(communityId);

    // Still exactly one administrator: ensureAdministrator did not create a second one.
    const db = p.platform.app.get(DatabaseRepository).db;
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from users where role = 'platform_admin'`.execute(db);
    expect(rows[0].n).toBe(1);
  });

  it('a third start on the same store is still clean (migrate is idempotent)', async () => {
    const p = tp!;
    // Running the migrator again in the live process is a no-op too.
    await expect(p.platform.app.get(DatabaseRepository).migrate()).resolves.toBeUndefined();
    await stop();
    const again = await start();
    expect(await migrationNames(again)).toEqual(Object.keys(migrations).sort());
    const health = await again.api('GET', '/health');
    expect(health.body.checks.database).toEqual({ status: 'ok' });
  });
});

describe('several processes starting at once on a fresh PostgreSQL database', () => {
  let postgres: FreshPostgres;
  let influx: FreshInflux;
  const started: TestPlatform[] = [];

  beforeAll(async () => {
    postgres = await freshPostgresDatabase();
    influx = freshInfluxDatabase();
  });

  afterAll(async () => {
    for (const p of started) await p.close();
    await influx.drop().catch(() => undefined);
    await postgres.drop();
  });

  it('all start (migrations and the administrator are created once), e.g. replicas of a deployment', async () => {
    const results = await Promise.allSettled(
      [1, 2, 3].map(() => startTestPlatform({ influx, env: { DATABASE_URL: postgres.url, ROLES: 'api,worker' } })),
    );
    for (const r of results) if (r.status === 'fulfilled') started.push(r.value);
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(failures).toEqual([]);
    const db = started[0].platform.app.get(DatabaseRepository).db;
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from users where role = 'platform_admin'`.execute(db);
    expect(rows[0].n).toBe(1);
    expect(await migrationNames(started[0])).toEqual(Object.keys(migrations).sort());
  });
});

describe('embedded PGlite sized for one small process (issue 11)', () => {
  let dataDir: string;
  let influx: FreshInflux;
  let tp: TestPlatform | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'spp-db-footprint-'));
    influx = freshInfluxDatabase();
  });

  afterAll(async () => {
    await tp?.close();
    await influx.drop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 3 });
  });

  it('runs with the PGLITE_* settings, and initdb and the migrations leave its WebAssembly memory at its 128 MiB minimum', async () => {
    tp = await startTestPlatform({ dataDir, influx, env: { PGLITE_WORK_MEM: '2MB' } });
    const database = tp.platform.app.get(DatabaseRepository);
    const setting = async (name: string) => (await sql<{ v: string }>`select current_setting(${name}) as v`.execute(database.db)).rows[0].v;
    expect(await setting('shared_buffers')).toBe('16MB');
    expect(await setting('maintenance_work_mem')).toBe('16MB');
    expect(await setting('work_mem')).toBe('2MB');
    // initdb ran in a child process; the migrations did not grow the memory (it never shrinks).
    expect(database.embeddedMemoryBytes()).toBe(128 * 2 ** 20);
    expect(await tp.metric('spp_pglite_wasm_memory_bytes')).toBe(128 * 2 ** 20);
  });
});
