import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { DatabaseRepository } from '../../apps/platform/src/repositories/database.repository';
import { freshPostgresDatabase, type FreshPostgres } from '../support/databases';
import { startTestPlatform, type TestPlatform } from '../support/platform';

/**
 * Bulk provisioning, POST /api/v1/devices/import, on embedded PGlite and on PostgreSQL: good rows
 * created with working secrets, bad rows reported by number and reason, duplicates (in the file
 * and in the registry), a batch that fails rolled back whole, and the role and scope checks.
 */
describe.each(['pglite', 'postgres'] as const)('device import (%s)', (engine) => {
  let tp: TestPlatform;
  let pg: FreshPostgres | undefined;
  let community: { id: string };
  let other: { id: string };

  beforeAll(async () => {
    pg = engine === 'postgres' ? await freshPostgresDatabase() : undefined;
    tp = await startTestPlatform(pg ? { env: { DATABASE_URL: pg.url } } : {});
    community = await tp.createCommunity({ name: '阳光花园' });
    other = await tp.createCommunity({ name: '明月小区', district: 'Minhang', street: 'Gumei' });
  });

  afterAll(async () => {
    await tp?.close();
    await pg?.drop();
  });

  const importCsv = (csv: string, query = '', token?: string) =>
    fetch(`${tp.httpUrl}/api/v1/devices/import${query}`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/csv', Authorization: `Bearer ${token ?? tp.token}` },
      body: csv,
    });

  it('creates the good rows, reports every bad row with its number and reason, and returns working secrets once', async () => {
    await tp.provisionDevice(community.id, 'gate', { id: 'imp-taken' });
    const csv = [
      'id,communityId,kind,subtype,name,location',
      `imp-e1,${community.id},elevator,,1号楼 1号梯,1号楼`,
      `imp-f1,${community.id},fire,smoke_detector,烟感 1,"2单元, 3层"`,
      `imp-f2,${community.id},fire,,消火栓,`, // fire without subtype
      `imp-g1,${community.id},gate,,北门,`,
      `imp-g1,${community.id},gate,,北门 again,`, // repeated in the file
      `imp-taken,${community.id},gate,,南门,`, // registered already
      `bad id!,${community.id},gate,,x,`,
      `imp-x1,${community.id},toaster,,x,`,
      `imp-o1,00000000-0000-4000-8000-000000000000,gate,,nowhere,`,
      `,${other.id},elevator,,generated id,`,
    ].join('\n');
    const res = await importCsv(csv);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body: any = await res.json();
    expect(body).toMatchObject({ rows: 10, created: 4, batches: { total: 1, failed: 0 } });
    expect(body.rejected).toEqual([
      { row: 3, id: 'imp-f2', reason: expect.stringMatching(/subtype/) },
      { row: 5, id: 'imp-g1', reason: 'duplicate: device id imp-g1 is already on row 4 of this import' },
      { row: 6, id: 'imp-taken', reason: 'duplicate: device id imp-taken is taken' },
      { row: 7, id: 'bad id!', reason: expect.stringMatching(/^id: device id must match/) },
      { row: 8, id: 'imp-x1', reason: expect.stringMatching(/^kind:/) },
      { row: 9, id: 'imp-o1', reason: 'community 00000000-0000-4000-8000-000000000000 not found' },
    ]);
    expect(body.devices.map((d: { row: number; id: string }) => [d.row, d.id])).toEqual([
      [1, 'imp-e1'],
      [2, 'imp-f1'],
      [4, 'imp-g1'],
      [10, expect.stringMatching(/^elevator-[0-9a-f]{12}$/)],
    ]);
    expect(body.devices[1]).toMatchObject({ kind: 'fire', subtype: 'smoke_detector', name: '烟感 1', location: '2单元, 3层', communityId: community.id });
    // The secret works for MQTT; it is not shown again anywhere.
    const f1 = body.devices[1];
    const client = await tp.connectDevice({ id: f1.id, secret: f1.secret });
    expect(client.connected).toBe(true);
    const listed = await tp.api('GET', `/api/v1/devices/${f1.id}`);
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toContain(f1.secret);
    // The unchanged registered device keeps its original secret (the import did not touch it).
    expect((await tp.api('GET', '/api/v1/devices/imp-taken')).body.name).toMatch(/^gate /);
  });

  it('answers with a CSV file of every row’s outcome on ?format=csv, and fills the community from the query', async () => {
    const res = await importCsv('kind,subtype,name\ngate,,东门\nfire,tank_level,高位水箱\nelevator,,\n', `?format=csv&communityId=${community.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="device-import-/);
    const lines = (await res.text()).trim().split('\n');
    expect(lines[0]).toBe('row,status,id,communityId,kind,subtype,name,secret,reason');
    expect(lines[1]).toMatch(new RegExp(`^1,created,gate-[0-9a-f]{12},${community.id},gate,,东门,[A-Za-z0-9_-]{43},$`));
    expect(lines[2]).toMatch(/^2,created,fire-[0-9a-f]{12},.*,fire,tank_level,高位水箱,[A-Za-z0-9_-]{43},$/);
    expect(lines[3]).toMatch(/^3,rejected,,,,,,,"name: .*"$/); // quoted: the reason holds a comma
  });

  it('takes a multipart upload and the JSON form too; refuses a file it cannot read, naming the column', async () => {
    const form = new FormData();
    form.append('file', new Blob([`id,communityId,kind,name\nimp-m1,${community.id},gate,西门\n`], { type: 'text/csv' }), 'devices.csv');
    const multipart = await fetch(`${tp.httpUrl}/api/v1/devices/import`, { method: 'POST', headers: { Authorization: `Bearer ${tp.token}` }, body: form });
    expect(multipart.status).toBe(200);
    expect(((await multipart.json()) as any).created).toBe(1);

    const json = await tp.api('POST', '/api/v1/devices/import', { communityId: community.id, devices: [{ id: 'imp-j1', kind: 'gate', name: 'J' }, { kind: 'fire', name: 'no subtype' }] });
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ rows: 2, created: 1, rejected: [{ row: 2, reason: expect.stringMatching(/subtype/) }] });

    const badHeader = await importCsv('id,community,kind,name\nx,y,gate,z\n');
    expect(badHeader.status).toBe(400);
    expect(JSON.stringify(await badHeader.json())).toContain('unknown column(s) \\"community\\"');
    expect((await tp.api('POST', '/api/v1/devices/import', { devices: [] })).status).toBe(400);
  });

  it('takes an XLSX file (first worksheet, the same columns) as the body, with rows numbered as in a CSV', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('设备');
    sheet.addRows([['id', 'kind', 'subtype', 'name'], ['imp-x2', 'gate', null, '东二门'], ['imp-x3', 'fire', null, '无子类型']]);
    const res = await fetch(`${tp.httpUrl}/api/v1/devices/import?communityId=${community.id}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', Authorization: `Bearer ${tp.token}` },
      body: Buffer.from(await workbook.xlsx.writeBuffer()),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ rows: 2, created: 1, devices: [{ row: 1, id: 'imp-x2', name: '东二门' }], rejected: [{ row: 2, id: 'imp-x3', reason: expect.stringMatching(/subtype/) }] });
  });

  it('rolls a failing batch back whole and goes on with the next batches', async () => {
    // A real database failure in the middle of batch 2: a trigger refusing one row.
    const db = tp.platform.app.get(DatabaseRepository).db;
    await sql`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.name = 'poison' THEN RAISE EXCEPTION 'poisoned row'; END IF; RETURN NEW; END $$`.execute(db);
    await sql`CREATE TRIGGER refuse_poison BEFORE INSERT ON devices FOR EACH ROW EXECUTE FUNCTION refuse_poison()`.execute(db);
    try {
      const devices = ['b1', 'b2', 'b3', 'b4', 'b5'].map((n) => ({ id: `imp-${n}`, kind: 'gate', name: n === 'b4' ? 'poison' : n }));
      const res = await tp.api('POST', `/api/v1/devices/import?batchSize=2`, { communityId: community.id, devices });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ rows: 5, created: 3, batches: { total: 3, failed: 1, size: 2 } });
      expect(res.body.devices.map((d: { id: string }) => d.id)).toEqual(['imp-b1', 'imp-b2', 'imp-b5']);
      expect(res.body.rejected).toEqual([
        { row: 3, id: 'imp-b3', reason: expect.stringMatching(/^batch 2 rolled back, nothing of it was stored: .*poisoned row/) },
        { row: 4, id: 'imp-b4', reason: expect.stringMatching(/^batch 2 rolled back/) },
      ]);
      // b3 was fine on its own, but its batch failed: not half a batch.
      expect((await tp.api('GET', '/api/v1/devices/imp-b3')).status).toBe(404);
      expect((await tp.api('GET', '/api/v1/devices/imp-b5')).status).toBe(200);
      const audit = await db.selectFrom('audit_log').select(['detail']).where('action', '=', 'device.imported').execute();
      const ids = audit.flatMap((a) => (typeof a.detail === 'string' ? JSON.parse(a.detail) : a.detail).ids as string[]);
      expect(ids).toEqual(expect.arrayContaining(['imp-b1', 'imp-b2', 'imp-b5']));
      expect(ids).not.toContain('imp-b3');
    } finally {
      await sql`DROP TRIGGER refuse_poison ON devices`.execute(db);
      await sql`DROP FUNCTION refuse_poison()`.execute(db);
    }
  });

  it('is refused to roles that may not provision devices, and staff import only into their own communities', async () => {
    const makeUser = async (username: string, role: string, communityIds: string[]) => {
      const res = await tp.api('POST', '/api/v1/users', { username, password: 'user-pass-123', role, scope: { level: 'community', communityIds } });
      expect(res.status).toBe(201);
      return tp.login(username, 'user-pass-123');
    };
    const csv = `id,communityId,kind,name\nimp-s1,${community.id},gate,A\nimp-s2,${other.id},gate,B\n`;
    for (const role of ['owner', 'maintenance_staff', 'residents_committee']) {
      const token = await makeUser(`imp-${role}-${engine}`, role, [community.id]);
      const res = await importCsv(csv, '', token);
      expect(res.status).toBe(403);
    }
    expect((await importCsv(csv, '', 'not-a-token')).status).toBe(401);
    expect((await tp.api('GET', '/api/v1/devices/imp-s1')).status).toBe(404);

    const staff = await makeUser(`imp-staff-${engine}`, 'property_staff', [community.id]);
    const res = await importCsv(csv, '', staff);
    expect(res.status).toBe(200);
    const body: any = await res.json();
    expect(body.created).toBe(1);
    // The other community reads as not found, as everywhere for a user outside it.
    expect(body.rejected).toEqual([{ row: 2, id: 'imp-s2', reason: `community ${other.id} not found` }]);
    // A community for the whole import that the user cannot see is refused as a whole.
    expect((await importCsv('kind,name\ngate,C\n', `?communityId=${other.id}`, staff)).status).toBe(404);
  });
});
