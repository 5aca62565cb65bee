/**
 * Maintenance plans (issue 12 §4) against an in-process platform on a fake clock, on PGlite and on
 * PostgreSQL (migration 0013 on both): an elevator's
 * TSG T5002 plan starts, no visit is recorded, the clock moves past the half-monthly due date and
 * the maintenance sweep (a leased singleton duty, run every 200 ms here) raises maintenance_overdue
 * once, however many sweeps follow; the maintenance company records a visit and the alarm clears;
 * the public board's "elevator maintenance and inspection records" sections show the recorded
 * visit and certificate, not typed-in content (publishing them is refused); another community's
 * property staff and maintenance company see none of it (404), an owner may not record (403).
 * A visit's photo goes through the fund's checked upload (a fake PNG is refused, 415).
 * Fire equipment (GB 25201): a monthly inspection overdue raises maintenance_overdue and recording
 * it clears it. An elevator with no certificate on record raises certificate_missing 30 days after
 * its registration (no fund case), cleared when the maintenance company enters the certificate,
 * whose scan goes through the same checked upload.
 */
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { MaintenanceService } from '../../apps/platform/src/services/maintenance.service';
import { freshPostgresDatabase, type FreshPostgres } from '../support/databases';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

const DAY = 86_400_000;
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);

describe.each(['pglite', 'postgres'] as const)('maintenance plans and overdue alarms (%s)', (engine) => {
  let tp: TestPlatform;
  let pg: FreshPostgres | undefined;
  let now = Date.parse('2026-03-01T02:00:00Z');
  let communityId: string;
  let otherId: string;
  let elevatorId: string;
  let sweeps: jest.SpyInstance;
  /** Resolves once the duty has swept `n` more times. */
  const moreSweeps = async (n: number) => {
    const target = sweeps.mock.calls.length + n;
    await waitFor(() => sweeps.mock.calls.length >= target, { timeoutMs: 15_000, message: `${n} more sweeps` });
  };
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    pg = engine === 'postgres' ? await freshPostgresDatabase() : undefined;
    tp = await startTestPlatform({ env: { MAINTENANCE_SWEEP_MS: '200', ...(pg ? { DATABASE_URL: pg.url } : {}) } });
    jest.spyOn(tp.platform.app.get(ClockRepository), 'now').mockImplementation(() => now);
    sweeps = jest.spyOn(tp.platform.app.get(MaintenanceService), 'sweep');
    communityId = (await tp.createCommunity({ name: '电梯小区' })).id;
    otherId = (await tp.createCommunity({ name: '别的小区' })).id;
    elevatorId = (await tp.provisionDevice(communityId, 'elevator', { name: '1 栋 1 号梯' })).id;
    const users: Array<[string, string, string]> = [
      ['staff', 'property_staff', communityId],
      ['maint', 'maintenance_staff', communityId],
      ['street', 'street_officer', communityId],
      ['owner', 'owner', communityId],
      ['staff-other', 'property_staff', otherId],
      ['maint-other', 'maintenance_staff', otherId],
    ];
    for (const [name, role, community] of users) {
      const res = await tp.api('POST', 'users', { username: `mp-${name}`, password: 'user-pass-123', role, scope: { level: 'community', communityIds: [community] } });
      expect(res.status).toBe(201);
      tokens[name] = await tp.login(`mp-${name}`, 'user-pass-123');
    }
  }, 120_000);

  afterAll(async () => {
    await tp?.close();
    await pg?.drop();
  });

  const overdueAlarms = async (state?: 'active' | 'cleared') => {
    const res = await tp.api('GET', `alarms?communityId=${communityId}&type=maintenance_overdue${state ? `&state=${state}` : ''}`, undefined, tokens.staff);
    expect(res.status).toBe(200);
    return res.body as Array<{ alarmId: string; state: string; count: number; deviceId: string }>;
  };

  it('raises the overdue alarm once when no visit is recorded, clears it on a visit, and shows the records on the board', async () => {
    const plan = await tp.api('PUT', `maintenance/devices/${elevatorId}/plan`, { company: '云岭电梯工程有限公司', companyPhone: '0871-66668888', startedAt: new Date(now).toISOString() }, tokens.staff);
    expect(plan.status).toBe(200);
    expect(plan.body.regime).toBe('tsg_t5002');
    expect(plan.body.due.map((d: { kind: string; dueAt: string }) => [d.kind, d.dueAt.slice(0, 10)])).toEqual([
      ['half_monthly', '2026-03-16'],
      ['quarterly', '2026-05-30'],
      ['half_yearly', '2026-08-30'],
      ['yearly', '2027-03-01'],
    ]);

    // Before the due date the sweeps raise nothing.
    now += 14 * DAY;
    await moreSweeps(2);
    expect(await tp.metric('spp_singleton_duty_held', { duty: 'maintenance-sweep' })).toBe(1);
    expect(await overdueAlarms()).toEqual([]);

    // Past the half-monthly due date: one alarm, not one per sweep.
    now += 2 * DAY;
    const alarm = await waitFor(async () => (await overdueAlarms('active')).find((a) => a.deviceId === elevatorId), { timeoutMs: 15_000, message: 'maintenance_overdue raised' });
    expect(alarm.count).toBe(1);
    await moreSweeps(3);
    const stillOne = await overdueAlarms();
    expect(stillOne).toHaveLength(1);
    expect(stillOne[0]).toMatchObject({ alarmId: alarm.alarmId, count: 1, state: 'active' });
    const listed = await tp.api('GET', `maintenance/plans?communityId=${communityId}`, undefined, tokens.street);
    expect(listed.status).toBe(200);
    expect(listed.body[0].due[0]).toMatchObject({ kind: 'half_monthly', overdue: true, lastAt: null });

    // The maintenance company records the visit: the alarm clears at once.
    const visit = await tp.api(
      'POST',
      `maintenance/devices/${elevatorId}/visits`,
      { kind: 'half_monthly', visitedAt: new Date(now - 3_600_000).toISOString(), worker: '王师傅', items: ['机房、滑轮间环境', '制动器各销轴部位润滑', '轿门防撞击保护装置'], costFen: 30000 },
      tokens.maint,
    );
    expect(visit.status).toBe(201);
    // A photo of the work, through the same checked upload as the fund's evidence.
    const form = new FormData();
    form.append('file', new Blob([PNG], { type: 'image/png' }), 'brake.png');
    const upload = await fetch(`${tp.httpUrl}/api/v1/maintenance/devices/${elevatorId}/visits/${visit.body.id}/photos`, { method: 'POST', body: form, headers: { Authorization: `Bearer ${tokens.maint}` } });
    expect(upload.status).toBe(201);
    const withPhoto = (await upload.json()) as { photos: Array<{ id: string; fileName: string }> };
    expect(withPhoto.photos).toMatchObject([{ fileName: 'brake.png' }]);
    const file = await fetch(`${tp.httpUrl}/api/v1/maintenance/devices/${elevatorId}/visits/${visit.body.id}/photos/${withPhoto.photos[0].id}/file`, { headers: { Authorization: `Bearer ${tokens.street}` } });
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).equals(PNG)).toBe(true);
    const fake = new FormData();
    fake.append('file', new Blob([Buffer.from('MZ not a png')], { type: 'image/png' }), 'x.png');
    expect((await fetch(`${tp.httpUrl}/api/v1/maintenance/devices/${elevatorId}/visits/${visit.body.id}/photos`, { method: 'POST', body: fake, headers: { Authorization: `Bearer ${tokens.maint}` } })).status).toBe(415);
    expect((await overdueAlarms())[0]).toMatchObject({ alarmId: alarm.alarmId, state: 'cleared' });
    const cert = await tp.api('POST', `maintenance/devices/${elevatorId}/certificates`, { agency: '昭通市特种设备检验所', certificateNo: 'DT-2026-0042', result: 'pass', inspectedOn: '2026-03-10', expiresOn: '2027-03-09' }, tokens.staff);
    expect(cert.status).toBe(201);

    // The public board shows the recorded visit and certificate.
    const board = await tp.api('GET', `/api/v1/public/communities/${communityId}/board`, undefined, null);
    expect(board.status).toBe(200);
    expect(board.body.sections.elevator_maintenance_records).toMatchObject({
      version: 1,
      source: 'records',
      content: { maintainer: '云岭电梯工程有限公司', maintainerPhone: '0871-66668888', records: [{ elevator: '1 栋 1 号梯', kind: 'half_monthly', signedBy: '王师傅', costFen: 30000, content: expect.stringContaining('制动器') }] },
    });
    expect(board.body.sections.elevator_inspection_records).toMatchObject({ version: 1, source: 'records', content: { records: [{ elevator: '1 栋 1 号梯', certificateNo: 'DT-2026-0042', nextDueOn: '2027-03-09' }] } });
    // Typed-in content for these sections is refused: they come from the records.
    const typed = await tp.api('POST', `board/communities/${communityId}/items`, { section: 'elevator_maintenance_records', content: { maintainer: 'x', maintainerPhone: '123', records: [{ elevator: 'x', date: '2026-03-01', kind: 'repair', content: 'x' }] } }, tokens.staff);
    expect(typed.status).toBe(400);

    // A certificate 30 days from expiry raises certificate_expiring.
    now = Date.parse('2027-02-10T02:00:00Z');
    await tp.api('POST', `maintenance/devices/${elevatorId}/visits`, { kind: 'yearly', visitedAt: new Date(now - 3_600_000).toISOString(), worker: '王师傅', items: ['年度维保'] }, tokens.maint);
    await waitFor(async () => (await tp.api('GET', `alarms?communityId=${communityId}&type=certificate_expiring&state=active`, undefined, tokens.staff)).body.length === 1, { timeoutMs: 15_000, message: 'certificate_expiring raised' });
  }, 120_000);

  it('keeps each community to itself and each role to its part', async () => {
    const board = await tp.api('GET', `/api/v1/public/communities/${otherId}/board`, undefined, null);
    expect(board.body.sections.elevator_maintenance_records).toBeNull();
    expect(board.body.sections.elevator_inspection_records).toBeNull();
    const mine = await tp.api('GET', `maintenance/plans?communityId=${otherId}`, undefined, tokens['staff-other']);
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual([]);
    expect((await tp.api('GET', `maintenance/plans?communityId=${communityId}`, undefined, tokens['staff-other'])).status).toBe(404);
    expect((await tp.api('GET', `maintenance/devices/${elevatorId}/visits`, undefined, tokens['maint-other'])).status).toBe(404);
    const visit = { kind: 'half_monthly', visitedAt: new Date(now - 1000).toISOString(), worker: '别人', items: ['x'] };
    expect((await tp.api('POST', `maintenance/devices/${elevatorId}/visits`, visit, tokens['maint-other'])).status).toBe(404);
    expect((await tp.api('POST', `maintenance/devices/${elevatorId}/visits`, visit, tokens.owner)).status).toBe(403);
    expect((await tp.api('POST', `maintenance/devices/${elevatorId}/visits`, visit, tokens.staff)).status).toBe(403);
    expect((await tp.api('GET', `maintenance/devices/${elevatorId}/visits`, undefined, tokens.owner)).status).toBe(403);
    const read = await tp.api('GET', `maintenance/devices/${elevatorId}/visits`, undefined, tokens.street);
    expect(read.status).toBe(200);
    expect(read.body.map((v: { worker: string }) => v.worker)).not.toContain('别人');
  }, 60_000);

  it('fire equipment: an overdue monthly inspection raises maintenance_overdue and recording it clears it; an elevator without a certificate raises certificate_missing after its grace period', async () => {
    now = Date.now(); // the devices below are registered now (database time)
    const fire = (await tp.provisionDevice(communityId, 'fire', { name: 'B1 消防泵房' })).id;
    const lift = (await tp.provisionDevice(communityId, 'elevator', { name: '2 栋 1 号梯' })).id;
    for (const id of [fire, lift]) {
      const plan = await tp.api('PUT', `maintenance/devices/${id}/plan`, { company: '昆明消防维保有限公司', companyPhone: '0871-65550119', startedAt: new Date(now).toISOString() }, tokens.staff);
      expect(plan.status).toBe(200);
    }
    const active = async (type: string, deviceId: string) =>
      ((await tp.api('GET', `alarms?communityId=${communityId}&type=${type}&state=active`, undefined, tokens.staff)).body as Array<{ alarmId: string; deviceId: string; detail: Record<string, unknown> }>).find((a) => a.deviceId === deviceId);

    // Within the month and the grace period: nothing.
    now += 20 * DAY;
    await moreSweeps(2);
    expect(await active('maintenance_overdue', fire)).toBeUndefined();
    expect(await active('certificate_missing', lift)).toBeUndefined();

    // Past the monthly inspection (31 days) and the grace period (30 days).
    now += 12 * DAY;
    const overdue = await waitFor(() => active('maintenance_overdue', fire), { timeoutMs: 15_000, message: 'fire maintenance_overdue raised' });
    expect(overdue.detail).toMatchObject({ kinds: ['monthly_inspection'] });
    const missing = await waitFor(() => active('certificate_missing', lift), { timeoutMs: 15_000, message: 'certificate_missing raised' });
    const plans = (await tp.api('GET', `maintenance/plans?communityId=${communityId}`, undefined, tokens.maint)).body as Array<{ deviceId: string; regime: string; due: Array<{ kind: string; overdue: boolean; items: string[] }>; certificate: { status: string } }>;
    const firePlan = plans.find((p) => p.deviceId === fire)!;
    expect(firePlan.regime).toBe('gb_25201');
    expect(firePlan.due).toMatchObject([{ kind: 'monthly_inspection', overdue: true }, { kind: 'annual_test', overdue: false }]);
    expect(plans.find((p) => p.deviceId === lift)!.certificate.status).toBe('missing');

    // The maintenance company records the monthly inspection, items from the plan's list: cleared.
    const inspection = await tp.api('POST', `maintenance/devices/${fire}/visits`, { kind: 'monthly_inspection', visitedAt: new Date(now - 3_600_000).toISOString(), worker: '李工', items: firePlan.due[0].items.slice(0, 3) }, tokens.maint);
    expect(inspection.status).toBe(201);
    expect((await tp.api('GET', `alarms/${overdue.alarmId}`, undefined, tokens.staff)).body.state).toBe('cleared');
    await moreSweeps(2);
    expect(await active('maintenance_overdue', fire)).toBeUndefined();

    // The maintenance company enters the certificate (with its scan): certificate_missing clears.
    const cert = await tp.api('POST', `maintenance/devices/${lift}/certificates`, { agency: '昆明市特种设备检验所', certificateNo: 'DT-2027-0001', result: 'pass', inspectedOn: new Date(now - DAY).toISOString().slice(0, 10), expiresOn: new Date(now + 364 * DAY).toISOString().slice(0, 10) }, tokens.maint);
    expect(cert.status).toBe(201);
    expect(cert.body.scans).toEqual([]);
    expect((await tp.api('GET', `alarms/${missing.alarmId}`, undefined, tokens.staff)).body.state).toBe('cleared');
    // A certificate_missing alarm is paperwork, not a repair: no fund case names it.
    const cases = await tp.api('GET', `fund/cases?communityId=${communityId}`, undefined, tokens.staff);
    expect(cases.status).toBe(200);
    expect((cases.body as Array<{ alarmId: string | null }>).map((c) => c.alarmId)).not.toContain(missing.alarmId);

    const scanUrl = `${tp.httpUrl}/api/v1/maintenance/devices/${lift}/certificates/${cert.body.id}/scans`;
    const upload = (token: string, content: Buffer) => {
      const form = new FormData();
      form.append('file', new Blob([content], { type: 'image/png' }), 'certificate.png');
      return fetch(scanUrl, { method: 'POST', body: form, headers: { Authorization: `Bearer ${token}` } });
    };
    const scanned = await upload(tokens.maint, PNG);
    expect(scanned.status).toBe(201);
    const withScan = (await scanned.json()) as { scans: Array<{ id: string; fileName: string }> };
    expect(withScan.scans).toMatchObject([{ fileName: 'certificate.png' }]);
    expect((await upload(tokens.maint, Buffer.from('MZ not a png'))).status).toBe(415);
    expect((await upload(tokens['maint-other'], PNG)).status).toBe(404);
    expect((await upload(tokens.owner, PNG)).status).toBe(403);
    const file = (token: string) => fetch(`${scanUrl}/${withScan.scans[0].id}/file`, { headers: { Authorization: `Bearer ${token}` } });
    const read = await file(tokens.street);
    expect(read.status).toBe(200);
    expect(Buffer.from(await read.arrayBuffer()).equals(PNG)).toBe(true);
    expect((await file(tokens['maint-other'])).status).toBe(404);
    const listed = await tp.api('GET', `maintenance/devices/${lift}/certificates`, undefined, tokens.street);
    expect(listed.body[0].scans).toHaveLength(1);
  }, 120_000);
});
