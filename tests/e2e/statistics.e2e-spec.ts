/**
 * Service statistics end to end: property companies (credit code checked, admin only), communities
 * assigned; alarms, a repair case and shared-slot bookings recorded with known timestamps; the
 * figures of a community, the ranked company scorecards, their CSV and XLSX exports read back with
 * the same numbers; scope: a district authority sees only its district, other roles are refused.
 */
import ExcelJS from 'exceljs';
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { DatabaseRepository } from '../../apps/platform/src/repositories/database.repository';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const at = (local: string) => new Date(`${local.replace(' ', 'T')}:00+08:00`);
const FROM = at('2026-01-01 00:00').toISOString();
const TO = at('2026-01-31 00:00').toISOString(); // 30 days
const NOW = at('2026-02-10 09:00');
const period = `from=${encodeURIComponent(FROM)}&to=${encodeURIComponent(TO)}`;

const expectError = (res: { status: number; body: any }, status: number) => {
  expect(res.status).toBe(status);
  expect(res.body).toEqual(expect.objectContaining({ statusCode: status, error: expect.any(String), message: expect.any(String) }));
};

/** Parses the RFC 4180 CSV the export writes (BOM, quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const s = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quoted) {
      if (ch === '"' && s[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else if (ch !== '\r') cell += ch;
  }
  return rows;
}

describe('service statistics and property-company scorecards', () => {
  let tp: TestPlatform;
  let adminId: string;
  const community: Record<string, string> = {};
  const company: Record<string, string> = {};
  const elevator: Record<string, string> = {};
  const db = () => tp.platform.app.get(DatabaseRepository).db;

  const alarm = async (c: string, deviceId: string, type: string, severity: number, raised: string, t: { ackS?: number; arriveMin?: number; cleared?: string } = {}) => {
    const first = at(raised);
    await db()
      .insertInto('alarms')
      .values({
        community_id: community[c], device_id: deviceId, type, severity, source: 'device', state: 'cleared', first_at: first, last_at: first,
        acknowledged: t.ackS !== undefined, acknowledged_at: t.ackS === undefined ? null : new Date(first.getTime() + t.ackS * 1000),
        acknowledged_by: null, assignee_id: null, arrived_by: null, cleared_by: null,
        arrived_at: t.arriveMin === undefined ? null : new Date(first.getTime() + t.arriveMin * 60_000),
        cleared_at: t.cleared ? at(t.cleared) : new Date(first.getTime() + 3 * 3_600_000), detail: '{}',
      })
      .execute();
  };

  beforeAll(async () => {
    tp = await startTestPlatform();
    jest.spyOn(tp.platform.app.get(ClockRepository), 'now').mockImplementation(() => NOW.getTime());
    adminId = (await tp.api('GET', '/api/v1/auth/me')).body.id;
    community.a = (await tp.createCommunity({ name: 'A 苑', district: 'Xuhui', street: 'Tianping' })).id;
    community.b = (await tp.createCommunity({ name: 'B 苑', district: 'Xuhui', street: 'Hunan' })).id;
    community.c = (await tp.createCommunity({ name: 'C 苑', district: 'Minhang', street: 'Gumei' })).id;
    elevator.a1 = (await tp.provisionDevice(community.a, 'elevator')).id;
    elevator.a2 = (await tp.provisionDevice(community.a, 'elevator')).id;
    elevator.b1 = (await tp.provisionDevice(community.b, 'elevator')).id;
    elevator.c1 = (await tp.provisionDevice(community.c, 'elevator')).id;
  });
  afterAll(async () => {
    await tp?.close();
  });

  it('creates property companies (checked credit code, unique, admin only) and assigns communities', async () => {
    expectError(await tp.api('POST', '/api/v1/property-companies', { name: 'Bad', creditCode: '91350100M000100Y44' }), 400);
    const specs = [
      ['a', '甲物业', '91420700MA49000011'],
      ['b', '乙物业', '91420700MA49000024'],
      ['c', '丙物业', '91420700MA49000037'],
    ];
    for (const [key, name, creditCode] of specs) {
      const res = await tp.api('POST', '/api/v1/property-companies', { name, creditCode });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ name, creditCode });
      company[key] = res.body.id;
      const assigned = await tp.api('POST', `/api/v1/property-companies/${company[key]}/communities`, { communityIds: [community[key]] });
      expect(assigned.status).toBe(201);
    }
    expectError(await tp.api('POST', '/api/v1/property-companies', { name: 'Dup', creditCode: '91420700MA49000011' }), 409);
    expectError(await tp.api('POST', '/api/v1/property-companies/00000000-0000-4000-8000-000000000000/communities', { communityIds: [community.a] }), 404);
    expect((await tp.api('GET', '/api/v1/property-companies')).body.map((c: { name: string }) => c.name)).toEqual(['丙物业', '乙物业', '甲物业'].sort());
  });

  it('computes a community’s figures from recorded rows', async () => {
    // A: two trapped rescues (ack 10 s / 20 s, arrival 10 / 20 min), a door fault acknowledged in 5 min, 6 h offline of a2 (half before the period).
    await alarm('a', elevator.a1, 'trapped_at_level', 1, '2026-01-05 10:00', { ackS: 10, arriveMin: 10 });
    await alarm('a', elevator.a1, 'trapped_not_level', 1, '2026-01-06 10:00', { ackS: 20, arriveMin: 20 });
    await alarm('a', elevator.a2, 'stopped_outside_door_zone', 2, '2026-01-07 10:00', { ackS: 300 });
    await alarm('a', elevator.a2, 'offline', 3, '2025-12-31 21:00', { cleared: '2026-01-01 03:00' });
    await alarm('a', elevator.a2, 'trapped_at_level', 1, '2025-12-20 10:00', { ackS: 100, arriveMin: 60 }); // before the period
    // B: one rescue late on both counts.
    await alarm('b', elevator.b1, 'trapped_at_level', 1, '2026-01-08 10:00', { ackS: 60, arriveMin: 45 });
    // C: one rescue on time.
    await alarm('c', elevator.c1, 'trapped_at_level', 1, '2026-01-09 10:00', { ackS: 5, arriveMin: 15 });

    // Repair cases: A's review deadline met, B's missed (decided a day late).
    for (const [key, decided] of [['a', '2026-01-09 12:00'], ['b', '2026-01-11 12:00']] as const) {
      const c = await db()
        .insertInto('fund_cases')
        .values({ community_id: community[key], category: 'elevator', title: 'repair', source: 'manual', profile: 'national', state: 'approved', review_deadline: at('2026-01-10 17:00') })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db().insertInto('fund_case_events').values({ case_id: c.id, at: at(decided), actor_id: null, actor_role: 'district_authority', action: 'approve', from_state: 'confirmed', to_state: 'approved', detail: '{}' }).execute();
    }

    // Shared parking in A: one slot published 2026-01-05 09:00–17:00 (8 h), booked 10:00–12:00 (2 h); a cancelled booking does not count.
    const slot = await db().insertInto('parking_slots').values({ community_id: community.a, code: 'S1', location: 'B1', ownership: 'common', owner_id: null }).returning('id').executeTakeFirstOrThrow();
    await db().insertInto('parking_share_windows').values({ slot_id: slot.id, kind: 'date', weekday: null, on_date: '2026-01-05', start_minute: 540, end_minute: 1020 }).execute();
    const booking = (start: string, end: string, status: 'completed' | 'cancelled') => ({
      community_id: community.a, slot_id: slot.id, user_id: adminId, plate: '沪A12345', starts_at: at(start), ends_at: at(end), blocked_until: at(end), arrival_grace_min: 15, departure_grace_min: 15, status,
    });
    await db().insertInto('parking_bookings').values(booking('2026-01-05 10:00', '2026-01-05 12:00', 'completed')).execute();
    await db().insertInto('parking_bookings').values(booking('2026-01-05 13:00', '2026-01-05 15:00', 'cancelled')).execute();

    const res = await tp.api('GET', `/api/v1/statistics/communities/${community.a}?${period}`);
    expect(res.status).toBe(200);
    const f = res.body.figures;
    expect(f.acknowledgement).toEqual({ due: 3, done: 3, withinDeadline: 3, share: 1, medianS: 20, p90S: 300 });
    expect(f.arrival).toEqual({ due: 2, done: 2, withinDeadline: 2, share: 1, medianS: 900, p90S: 1200 });
    // 3 faults (two entrapments and a stop outside the door zone) / 2 elevators / (30 days / 30)
    expect(f.elevatorFaults).toMatchObject({ elevators: 2, faults: 3, faultsPerElevatorPer30Days: 1.5 });
    expect(f.offline).toMatchObject({ devices: 2, offlineHours: 3 });
    expect(f.repairDeadlines).toEqual({ due: 1, met: 1, share: 1 });
    expect(f.sharedParking).toEqual({ slots: 1, publishedHours: 8, bookedHours: 2, utilisation: 0.25 });

    const b = (await tp.api('GET', `/api/v1/statistics/communities/${community.b}?${period}`)).body.figures;
    expect(b.arrival).toMatchObject({ due: 1, withinDeadline: 0, share: 0, medianS: 2700 });
    expect(b.repairDeadlines).toEqual({ due: 1, met: 0, share: 0 });
  });

  it('ranks company scorecards and exports the same numbers as CSV and XLSX', async () => {
    const res = await tp.api('GET', `/api/v1/statistics/companies?${period}`);
    expect(res.status).toBe(200);
    const cards = res.body.scorecards as Array<{ rank: number; company: { name: string; creditCode: string }; score: number; figures: any }>;
    expect(cards.map((c) => c.company.name)).toEqual(['丙物业', '甲物业', '乙物业']);
    expect(cards.map((c) => c.rank)).toEqual([1, 2, 3]);
    // C: ack 100, arrival 100, faults 1/1 → 50, online 100 → (25+25+7.5+15)/0.8 = 90.63 (repair deadlines and parking: no data)
    expect(cards[0].score).toBeCloseTo(90.625, 1);
    expect(cards[2].score).toBeLessThan(cards[1].score);
    expect(res.body.weights.reduce((s: number, w: { weight: number }) => s + w.weight, 0)).toBeCloseTo(1, 6);

    const csv = await fetch(`${tp.httpUrl}/api/v1/statistics/companies?${period}&format=csv`, { headers: { authorization: `Bearer ${tp.token}` } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const rows = parseCsv(await csv.text());
    const header = rows[0];
    const col = (row: string[], name: string) => row[header.indexOf(name)];
    expect(rows).toHaveLength(4);
    rows.slice(1).forEach((row, i) => {
      expect(col(row, 'company')).toBe(cards[i].company.name);
      expect(col(row, 'creditCode')).toBe(cards[i].company.creditCode);
      expect(Number(col(row, 'rank'))).toBe(cards[i].rank);
      expect(Number(col(row, 'score'))).toBe(cards[i].score);
      expect(Number(col(row, 'arrivalShare'))).toBe(cards[i].figures.arrival.share);
      expect(Number(col(row, 'faultsPerElevatorPer30Days'))).toBe(cards[i].figures.elevatorFaults.faultsPerElevatorPer30Days);
    });

    const xlsx = await fetch(`${tp.httpUrl}/api/v1/statistics/companies?${period}&format=xlsx`, { headers: { authorization: `Bearer ${tp.token}` } });
    expect(xlsx.status).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Buffer.from(await xlsx.arrayBuffer()) as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet('scorecards')!;
    const names = (sheet.getRow(1).values as unknown[]).slice(1) as string[];
    expect(names).toEqual(header);
    for (let i = 0; i < cards.length; i++) {
      const values = (sheet.getRow(i + 2).values as unknown[]).slice(1);
      const cell = (name: string) => values[names.indexOf(name)];
      expect(cell('company')).toBe(cards[i].company.name);
      expect(cell('score')).toBe(cards[i].score);
      expect(cell('ackShare')).toBe(cards[i].figures.acknowledgement.share);
      expect(cell('sharedUtilisation') ?? null).toBe(cards[i].figures.sharedParking.utilisation);
    }
    expect(workbook.getWorksheet('weights')!.rowCount).toBeGreaterThan(6);
  });

  it('scopes: a district authority sees its district only; other roles and bad periods are refused', async () => {
    const users = [
      { username: 'minhang.authority', role: 'district_authority', scope: { level: 'district', district: 'Minhang' } },
      { username: 'a.staff', role: 'property_staff', scope: { level: 'community', communityIds: [community.a] } },
    ];
    for (const u of users) expect((await tp.api('POST', '/api/v1/users', { ...u, password: 'user-pass-123' })).status).toBe(201);
    const minhang = await tp.login('minhang.authority', 'user-pass-123');
    const staff = await tp.login('a.staff', 'user-pass-123');

    expectError(await tp.api('GET', `/api/v1/statistics/communities/${community.a}?${period}`, undefined, minhang), 404);
    expect((await tp.api('GET', `/api/v1/statistics/communities/${community.c}?${period}`, undefined, minhang)).status).toBe(200);
    const scoped = await tp.api('GET', `/api/v1/statistics/companies?${period}`, undefined, minhang);
    expect(scoped.body.scorecards.map((c: { company: { name: string } }) => c.company.name)).toEqual(['丙物业']);
    const csv = await fetch(`${tp.httpUrl}/api/v1/statistics/companies?${period}&format=csv`, { headers: { authorization: `Bearer ${minhang}` } });
    expect(parseCsv(await csv.text())).toHaveLength(2);
    expectError(await tp.api('POST', '/api/v1/property-companies', { name: 'X', creditCode: '91350100M000100Y43' }, minhang), 403);
    expectError(await tp.api('POST', `/api/v1/property-companies/${company.c}/communities`, { communityIds: [community.a] }, minhang), 403);

    expectError(await tp.api('GET', `/api/v1/statistics/companies?${period}`, undefined, staff), 403);
    expectError(await tp.api('GET', `/api/v1/statistics/communities/${community.a}?${period}`, undefined, staff), 403);
    expectError(await tp.api('GET', `/api/v1/statistics/companies?from=${encodeURIComponent(TO)}&to=${encodeURIComponent(FROM)}`), 400);
    expectError(await tp.api('GET', `/api/v1/statistics/companies?${period}&format=pdf`), 400);
    expectError(await tp.api('GET', '/api/v1/statistics/companies'), 400);
  });
});
