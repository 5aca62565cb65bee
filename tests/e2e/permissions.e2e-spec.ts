/**
 * The permission table (domain/permissions.ts) walked over the real routes: every route declares
 * @Public or @Allow, every role is refused (403) exactly where the table says and let through
 * elsewhere, other communities' ids answer 404 to the roles that may use the route. Then the
 * holes the table closed, each as found (issue 8 §4): socket.io events reaching roles REST
 * refuses, bills read by any owner of the community (or listed and paid online by another owner),
 * alarms assigned and escalation chains filled with users of another community, resident plates
 * without limit.
 */
import type { Socket } from 'socket.io-client';
import { isValidCreditCode, roles, type Role } from '../../libs/contracts/src';
import { Permission, permissionTable } from '../../apps/platform/src/domain/permissions';
import { declaredRoutes } from '../../apps/platform/src/middleware/auth.guard';
import { DatabaseRepository } from '../../apps/platform/src/repositories/database.repository';
import { EventBusRepository } from '../../apps/platform/src/repositories/event-bus.repository';
import { ParkingGateService } from '../../apps/platform/src/services/parking-gate.service';
import { publishJson, startTestPlatform, type ProvisionedDevice, type TestPlatform } from '../support/platform';
import { nextEvent, waitFor } from '../support/wait';
import { fileHalfHourYuanTariff } from '../support/tariffs';

const PASSWORD = 'user-pass-123';
const NOWHERE = '00000000-0000-4000-8000-000000000000';

describe('the permission table over every route', () => {
  let tp: TestPlatform;
  let a: { id: string; buildings: Array<{ units: Array<{ id: string }> }> };
  let b: { id: string };
  const tokens = {} as Record<Role, string>;
  const ids = {} as Record<string, string>;
  let routes: ReturnType<typeof declaredRoutes>;

  const scopeFor = (role: Role, communityId: string, district: string, street: string) =>
    role === 'platform_admin'
      ? { level: 'platform' }
      : role === 'street_officer'
        ? { level: 'street', district, street }
        : role === 'district_authority'
          ? { level: 'district', district }
          : { level: 'community', communityIds: [communityId] };

  const createUser = async (username: string, role: Role, communityId: string, district = '海淀区', street = '西三旗街道') => {
    const res = await tp.api('POST', 'users', { username, password: PASSWORD, role, scope: scopeFor(role, communityId, district, street) });
    expect(res.status).toBe(201);
    ids[username] = res.body.id;
    return tp.login(username, PASSWORD);
  };

  beforeAll(async () => {
    tp = await startTestPlatform();
    a = (await tp.createCommunity({ name: 'A', district: '海淀区', street: '西三旗街道', buildings: [{ name: '1栋', units: [{ number: '101', floorArea: '89.50' }, { number: '102', floorArea: '92.00' }] }] })) as never;
    b = await tp.createCommunity({ name: 'B', district: '朝阳区', street: '望京街道' });
    for (const role of roles) tokens[role] = await createUser(`walk.${role}`, role, a.id);
    routes = declaredRoutes(tp.platform.app);
  }, 120_000);
  afterAll(async () => {
    await tp?.close();
  });

  const allowed = (role: Role, permissions: Permission[]) => permissions.some((p) => permissionTable[p].includes(role));
  const concrete = (path: string, community = NOWHERE) =>
    path
      .replace(':communityId', community)
      .replace(/communities\/:id/, `communities/${community}`)
      .replace(':deviceId', 'no-such-gate')
      .replace(':type', 'emergency_call')
      .replace(':section', 'notices')
      .replace(':year', '2026')
      .replace(/:\w+/g, NOWHERE);
  const call = (method: string, path: string, token: string) => tp.api(method, path, method === 'GET' || method === 'DELETE' ? undefined : {}, token);

  it('finds every route declared: @Public() or @Allow(Permission…)', () => {
    expect(routes.length).toBeGreaterThan(80);
    const undeclared = routes.filter((r) => !r.public && r.permissions.length === 0).map((r) => `${r.method} ${r.path}`);
    expect(undeclared).toEqual([]);
    // The public ones are the login flow, health, and the public disclosure pages: nothing else.
    const publicPaths = routes.filter((r) => r.public).map((r) => r.path);
    for (const p of publicPaths) expect(p).toMatch(/^\/(api\/v1\/(auth\/(login|refresh|logout)|public\/.*)|health|metrics|)$/);
  });

  it('answers every role as the table says: 403 where it refuses, never 403 where it allows', async () => {
    const wrong: string[] = [];
    for (const route of routes.filter((r) => !r.public)) {
      const path = concrete(route.path);
      for (const role of roles) {
        const res = await call(route.method, path, tokens[role]);
        const mayCall = allowed(role, route.permissions);
        if (mayCall ? res.status === 403 || res.status === 401 : res.status !== 403) {
          wrong.push(`${role} ${route.method} ${path} → ${res.status} (table: ${mayCall ? 'allowed' : 'refused'}) ${JSON.stringify(res.body).slice(0, 120)}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  }, 300_000);

  it('answers 404 for another community to every role that may use the route', async () => {
    const byQuery = ['/api/v1/devices', '/api/v1/alarms', '/api/v1/alarm-webhooks', '/api/v1/fund/cases', '/api/v1/parking/slots', '/api/v1/parking/availability', '/api/v1/visit/availability', '/api/v1/parking/blocked-plates', '/api/v1/parking/vehicles', '/api/v1/parking/sessions', '/api/v1/parking/occupancy', '/api/v1/votes', '/api/v1/complaints', '/api/v1/complaints/statistics', '/api/v1/maintenance/plans', '/api/v1/credit/assessments', '/api/v1/surveys', '/api/v1/surveys/results', '/api/v1/fund-accounts'];
    const query = `communityId=${b.id}&month=2026-01&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z`;
    const scoped = routes.filter((r) => !r.public && r.method === 'GET' && (/communities\/:id|:communityId/.test(r.path) || byQuery.includes(r.path)));
    expect(scoped.length).toBeGreaterThan(20);
    const wrong: string[] = [];
    for (const route of scoped) {
      for (const role of roles.filter((r) => r !== 'platform_admin' && allowed(r, route.permissions))) {
        const res = await call('GET', `${concrete(route.path, b.id)}?${query}`, tokens[role]);
        if (res.status !== 404) wrong.push(`${role} GET ${route.path} → ${res.status} ${JSON.stringify(res.body).slice(0, 120)}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it('answers 404 for another community’s complaint on every route that acts on one, to every role that may use it', async () => {
    const filed = await tp.api('POST', 'complaints', { communityId: b.id, kind: 'repair', category: 'repair', text: '漏水', location: '1栋' });
    expect(filed.status).toBe(201);
    const bodies: Record<string, unknown> = {
      '/api/v1/complaints/:id/actions': { action: 'respond', note: 'x' },
      '/api/v1/complaints/:id/alarm': { alarmId: NOWHERE },
      '/api/v1/complaints/:id/fund-case': { category: 'drainage' },
      '/api/v1/complaints/:id/photos': {},
    };
    const acting = routes.filter((r) => !r.public && r.method === 'POST' && r.path.startsWith('/api/v1/complaints/:id/'));
    expect(acting.map((r) => r.path).sort()).toEqual(Object.keys(bodies).sort());
    const wrong: string[] = [];
    for (const route of acting) {
      for (const role of roles.filter((r) => r !== 'platform_admin' && allowed(r, route.permissions))) {
        const res = await tp.api('POST', route.path.replace(':id', filed.body.id), bodies[route.path], tokens[role]);
        if (res.status !== 404) wrong.push(`${role} POST ${route.path} → ${res.status} ${JSON.stringify(res.body).slice(0, 120)}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  describe('socket.io events follow the table', () => {
    let lift: ProvisionedDevice;
    let gate: ProvisionedDevice;
    const sockets = {} as Record<'owner' | 'staff' | 'residents', Socket>;
    const seen: Record<string, string[]> = { owner: [], staff: [], residents: [] };

    beforeAll(async () => {
      lift = await tp.provisionDevice(a.id, 'elevator');
      gate = await tp.provisionDevice(a.id, 'gate');
      sockets.owner = await tp.socket(tokens.owner);
      sockets.staff = await tp.socket(tokens.property_staff);
      sockets.residents = await tp.socket(tokens.residents_committee);
      for (const [who, socket] of Object.entries(sockets)) socket.onAny((event: string) => seen[who].push(event));
    });

    it('an owner no longer hears alarms, pending gate decisions or supervision counts; staff and committees do, as the table says', async () => {
      const client = await tp.connectDevice(lift);
      const staffSaw = nextEvent(sockets.staff, 'alarm.raised');
      const residentsSaw = nextEvent(sockets.residents, 'alarm.raised');
      await publishJson(client, `v1/devices/${lift.id}/events`, { type: 'emergency_call', active: true });
      await staffSaw;
      await residentsSaw;

      const gateClient = await tp.connectDevice(gate);
      const pending = nextEvent(sockets.staff, 'parking.gate.pending');
      await publishJson(gateClient, `v1/devices/${gate.id}/events`, { type: 'vehicle', lane: 'in-1', direction: 'in', plate: '无牌车' });
      await pending;
      // Device states still reach everyone in scope: the owner's socket is alive and listening.
      const ownerState = nextEvent(sockets.owner, 'device.state', { filter: (e: { deviceId: string }) => e.deviceId === lift.id });
      await publishJson(client, `v1/devices/${lift.id}/telemetry`, { mode: 'normal', direction: 'stop', floor: 3, atLevel: true, door: 'closed', speed: 0, occupied: false, power: 'mains', safetyCircuit: 'closed' });
      await ownerState;

      expect(seen.staff).toEqual(expect.arrayContaining(['alarm.raised', 'parking.gate.pending']));
      expect(seen.residents).toContain('alarm.raised');
      expect(seen.residents).not.toContain('parking.gate.pending');
      expect(seen.owner.filter((e) => e.startsWith('alarm.') || e === 'parking.gate.pending' || e === 'billing.bill.created')).toEqual([]);
      // …and supervision counts (alarm numbers) are not for owners either.
      expect(await sockets.owner.emitWithAck('supervision.subscribe', {})).toMatchObject({ ok: false });
      expect(await sockets.residents.emitWithAck('supervision.subscribe', {})).toMatchObject({ ok: true });
    });
  });

  it('lets an owner read the bill of their own slot or stay, and no other bill of the community', async () => {
    const db = tp.platform.app.get(DatabaseRepository).db;
    const otherOwner = await createUser('bills.neighbour', 'owner', a.id);
    const slotId = (await db.insertInto('parking_slots').values({ community_id: a.id, code: 'B1-BILL', location: 'B1', ownership: 'private', owner_id: ids['walk.owner'] }).returning('id').executeTakeFirstOrThrow()).id;
    await fileHalfHourYuanTariff(tp, a.id, '京价备〔2026〕001号', { sinceMs: 4 * 60_000, token: tokens.property_staff });
    const close = async (plate: string, slot: string | null) => {
      const row = await db
        .insertInto('parking_sessions')
        .values({ community_id: a.id, slot_id: slot, plate, plate_kind: 'regular', kind: 'visitor', status: 'closed', entry_at: new Date(Date.now() - 3 * 60_000), exit_at: new Date(), entry_reason: 'test' })
        .returning('id')
        .executeTakeFirstOrThrow();
      tp.platform.app.get(EventBusRepository).emit('parking.session.closed', { sessionId: row.id, communityId: a.id });
      return waitFor(async () => {
        const res = await tp.api('GET', `billing/sessions/${row.id}/bill`, undefined, tokens.property_staff);
        return res.status === 200 ? (res.body.id as string) : undefined;
      }, { message: `bill of ${plate}` });
    };
    const ownSlotBill = await close('京A10001', slotId);
    const commonBill = await close('京A10002', null);

    expect((await tp.api('GET', `billing/bills/${ownSlotBill}`, undefined, tokens.owner)).status).toBe(200);
    expect((await tp.api('GET', `billing/bills/${ownSlotBill}`, undefined, otherOwner)).status).toBe(404);
    expect((await tp.api('GET', `billing/bills/${commonBill}`, undefined, tokens.owner)).status).toBe(404);
    expect((await tp.api('GET', `billing/bills/${commonBill}`, undefined, tokens.maintenance_staff)).status).toBe(404);
    expect((await tp.api('GET', `billing/bills/${commonBill}`, undefined, tokens.owners_committee)).status).toBe(200);
    expect((await tp.api('GET', `parking/sessions?communityId=${a.id}`, undefined, tokens.owner)).status).toBe(403);
  });

  it('lets an owner list and pay online only the bills of their own stays: another owner’s bill is 404 to read, list or pay (issue 13 §7)', async () => {
    const db = tp.platform.app.get(DatabaseRepository).db;
    const slotOwner = await createUser('pay.slot-owner', 'owner', a.id);
    const guestA = await createUser('pay.guest-a', 'owner', a.id);
    const guestB = await createUser('pay.guest-b', 'owner', a.id);
    const elsewhere = await createUser('pay.elsewhere', 'owner', b.id);
    const slot = await tp.api('POST', 'parking/slots', { communityId: a.id, code: 'B1-PAY', location: 'B1', ownership: 'private', ownerId: ids['pay.slot-owner'] });
    expect(slot.status).toBe(201);
    const allWeek = [0, 1, 2, 3, 4, 5, 6].map((weekday) => ({ weekday, startMinute: 0, endMinute: 1440 }));
    expect((await tp.api('POST', `parking/slots/${slot.body.id}/windows`, { weekly: allWeek }, slotOwner)).status).toBe(200);
    await fileHalfHourYuanTariff(tp, a.id, '京价备〔2026〕002号', { token: tokens.property_staff });
    const startsAt = Date.now();
    const booking = await tp.api('POST', 'parking/bookings', { slotId: slot.body.id, plate: '京A29901', startsAt, endsAt: startsAt + 3600_000 }, guestA);
    expect(booking.status).toBe(201);
    // Guest A's stay ends: its bill.
    const session = await db
      .insertInto('parking_sessions')
      .values({ community_id: a.id, slot_id: slot.body.id, booking_id: booking.body.id, plate: '京A29901', plate_kind: 'regular', kind: 'booking', status: 'closed', entry_at: new Date(startsAt), exit_at: new Date(startsAt + 40 * 60_000), entry_reason: 'booking' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.updateTable('parking_bookings').set({ status: 'completed' }).where('id', '=', booking.body.id).execute();
    tp.platform.app.get(EventBusRepository).emit('parking.session.closed', { sessionId: session.id, communityId: a.id });
    const billId = await waitFor(async () => (await db.selectFrom('parking_bills').select('id').where('session_id', '=', session.id).executeTakeFirst())?.id, { message: 'the bill of guest A' });

    const mine = await tp.api('GET', 'billing/bills/mine', undefined, guestA);
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual([expect.objectContaining({ id: billId, bookingId: booking.body.id, plate: '京A29901', amountFen: 200, paidFen: 0, status: 'unpaid', payments: [] })]);
    expect(mine.body[0]).not.toHaveProperty('slotOwnerId');
    // Guest A may start the payment: past scope and ownership, WeChat Pay is not configured here.
    expect((await tp.api('POST', `billing/bills/${billId}/wechat-pay/native`, undefined, guestA)).status).toBe(503);
    // Another owner of the community, and one of another community: nothing listed, 404 to read and to pay.
    for (const other of [guestB, elsewhere]) {
      expect((await tp.api('GET', 'billing/bills/mine', undefined, other)).body).toEqual([]);
      expect((await tp.api('GET', `billing/bills/${billId}`, undefined, other)).status).toBe(404);
      expect((await tp.api('POST', `billing/bills/${billId}/wechat-pay/native`, undefined, other)).status).toBe(404);
      expect((await tp.api('POST', `billing/bills/${billId}/alipay/precreate`, undefined, other)).status).toBe(404);
    }
    // The slot's owner reads the bill (their earning) and may pay it (documented since the WeChat Pay
    // order), but does not list it among the bills of their own stays.
    expect((await tp.api('GET', `billing/bills/${billId}`, undefined, slotOwner)).status).toBe(200);
    expect((await tp.api('GET', 'billing/bills/mine', undefined, slotOwner)).body).toEqual([]);
    expect((await tp.api('POST', `billing/bills/${billId}/wechat-pay/native`, undefined, slotOwner)).status).toBe(503);
  });

  it('assigns alarms and fills escalation chains only with users of the alarm’s community', async () => {
    await createUser('chain.foreign', 'property_staff', b.id, '朝阳区', '望京街道');
    const alarms = await waitFor(async () => {
      const res = await tp.api('GET', `alarms?communityId=${a.id}&state=active`, undefined, tokens.property_staff);
      return res.body.length > 0 ? res.body : undefined;
    });
    const alarmId = alarms[0].alarmId as string;
    const assign = (userId: string) => tp.api('POST', `alarms/${alarmId}/assign`, { userId }, tokens.property_staff);
    const refused = await assign(ids['chain.foreign']);
    expect(refused.status).toBe(404);
    expect(refused.body.message).toMatch(/not found among those who handle/);
    expect(await assign(NOWHERE)).toEqual({ status: 404, body: { ...refused.body, message: refused.body.message.replace(ids['chain.foreign'], NOWHERE) } });
    expect((await assign(ids['walk.owner'])).status).toBe(404); // an owner does not handle alarms
    expect((await assign(ids['walk.maintenance_staff'])).status).toBe(200);

    const chain = (userIds: string[]) => ({ tiers: [{ name: 'duty', userIds, ackWithinS: 30 }], arrivalWithinS: 1800, reminderEveryS: 300 });
    const foreign = await tp.api('PUT', `alarm-escalation/${a.id}/emergency_call`, chain([ids['chain.foreign']]), tokens.property_staff);
    expect(foreign.status).toBe(400);
    expect(foreign.body.message).toContain(ids['chain.foreign']);
    expect((await tp.api('PUT', `alarm-escalation/${a.id}/emergency_call`, chain([ids['walk.maintenance_staff']]), tokens.property_staff)).status).toBe(200);
  });

  it('answers 404 on the duty desk’s photo and scan routes for another community’s alarm, device and certificate', async () => {
    const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
    const multipart = async (path: string, token: string) => {
      const form = new FormData();
      form.append('file', new Blob([PNG], { type: 'image/png' }), 'p.png');
      form.append('text', 'x');
      const res = await fetch(`${tp.httpUrl}/api/v1/${path}`, { method: 'POST', body: form, headers: { Authorization: `Bearer ${token}` } });
      return { status: res.status, body: await res.text() };
    };
    // In B: an elevator with an overdue plan (so an alarm), a certificate with a scan, an alarm photo.
    const lift = await tp.provisionDevice(b.id, 'elevator');
    expect((await tp.api('PUT', `maintenance/devices/${lift.id}/plan`, { company: 'B 维保', companyPhone: '010-1234567', startedAt: new Date(Date.now() - 20 * 86_400_000).toISOString() })).status).toBe(200);
    const alarm = await waitFor(async () => ((await tp.api('GET', `alarms?communityId=${b.id}&type=maintenance_overdue`)).body as Array<{ alarmId: string }>)[0], { message: 'B alarm' });
    const cert = await tp.api('POST', `maintenance/devices/${lift.id}/certificates`, { agency: 'B 检验所', result: 'pass', inspectedOn: '2026-01-01', expiresOn: '2027-01-01' });
    expect(cert.status).toBe(201);
    expect((await multipart(`maintenance/devices/${lift.id}/certificates/${cert.body.id}/scans`, tp.token)).status).toBe(201);
    const scanId = (await tp.api('GET', `maintenance/devices/${lift.id}/certificates`)).body[0].scans[0].id as string;
    expect((await multipart(`alarms/${alarm.alarmId}/photos`, tp.token)).status).toBe(201);
    const history = (await tp.api('GET', `alarms/${alarm.alarmId}`)).body.history as Array<{ detail: { photoId?: string } }>;
    const photoId = history.find((h) => h.detail.photoId)!.detail.photoId!;

    const checks: Array<[Permission, string, (token: string) => Promise<{ status: number; body: unknown }>]> = [
      [Permission.AlarmHandle, 'POST alarms/:id/photos', (token) => multipart(`alarms/${alarm.alarmId}/photos`, token)],
      [Permission.AlarmRead, 'GET alarms/:id/photos/:photoId/file', (token) => tp.api('GET', `alarms/${alarm.alarmId}/photos/${photoId}/file`, undefined, token)],
      [Permission.MaintenanceCertificateRecord, 'POST certificates', (token) => tp.api('POST', `maintenance/devices/${lift.id}/certificates`, { agency: 'x', result: 'pass', inspectedOn: '2026-01-01', expiresOn: '2027-01-01' }, token)],
      [Permission.MaintenanceCertificateRecord, 'POST certificates/:certificateId/scans', (token) => multipart(`maintenance/devices/${lift.id}/certificates/${cert.body.id}/scans`, token)],
      [Permission.MaintenanceRead, 'GET certificates/:certificateId/scans/:scanId/file', (token) => tp.api('GET', `maintenance/devices/${lift.id}/certificates/${cert.body.id}/scans/${scanId}/file`, undefined, token)],
      [Permission.MaintenanceRead, 'GET plans (items per kind)', (token) => tp.api('GET', `maintenance/plans?communityId=${b.id}`, undefined, token)],
    ];
    const wrong: string[] = [];
    for (const [permission, name, run] of checks) {
      const roles404 = roles.filter((r) => r !== 'platform_admin' && permissionTable[permission].includes(r));
      expect(roles404.length).toBeGreaterThan(0);
      for (const role of roles404) {
        const res = await run(tokens[role]);
        if (res.status !== 404) wrong.push(`${role} ${name} → ${res.status} ${JSON.stringify(res.body).slice(0, 120)}`);
      }
    }
    expect(wrong).toEqual([]);
    // Nothing was added in B by A's roles.
    expect((await tp.api('GET', `maintenance/devices/${lift.id}/certificates`)).body).toHaveLength(1);
    expect((await tp.api('GET', `maintenance/devices/${lift.id}/certificates`)).body[0].scans).toHaveLength(1);
  });

  it('answers a taken device id alike whether the id is used in the caller’s community or another one', async () => {
    await tp.provisionDevice(b.id, 'gate', { id: 'gate-of-b' });
    await tp.provisionDevice(a.id, 'gate', { id: 'gate-of-a' });
    const provision = (id: string) => tp.api('POST', 'devices', { id, communityId: a.id, kind: 'gate', name: 'G' }, tokens.property_staff);
    const elsewhere = await provision('gate-of-b');
    const here = await provision('gate-of-a');
    expect(elsewhere.status).toBe(409);
    expect(here.status).toBe(409);
    expect(elsewhere.body.message.replace('gate-of-b', 'X')).toBe(here.body.message.replace('gate-of-a', 'X'));
    expect(elsewhere.body.message).not.toMatch(/community|朝阳|B/);
  });

  it('keeps credit grades to the area: spot checks and grades of another street’s company answer 404 (issue 13 §5)', async () => {
    const code = [...'0123456789ABCDEFGHJKLMNPQRTUWXY'].map((c) => `91110105MA01CR${'0'.repeat(3)}${c}`).find(isValidCreditCode)!;
    const company = await tp.api('POST', 'property-companies', { name: '朝阳物业', creditCode: code });
    expect(company.status).toBe(201);
    expect((await tp.api('POST', `property-companies/${company.body.id}/communities`, { communityIds: [b.id] })).status).toBe(201);
    expect((await tp.api('POST', 'credit/grades/2025/run', {})).status).toBe(201);
    for (const role of ['street_officer', 'district_authority'] as const) {
      expect((await tp.api('POST', 'credit/assessments', { communityId: b.id, kind: 'spot_check', assessedOn: '2025-06-01', score: 80 }, tokens[role])).status).toBe(404);
    }
    for (const role of ['street_officer', 'district_authority', 'property_staff'] as const) {
      expect((await tp.api('GET', `credit/grades/2025/companies/${company.body.id}`, undefined, tokens[role])).status).toBe(404);
      expect((await tp.api('GET', 'credit/grades/2025', undefined, tokens[role])).body).toEqual([]);
    }
    expect((await tp.api('GET', `credit/grades/2025/companies/${company.body.id}`)).status).toBe(200);
  });

  it('binds resident plates to a unit with a quota; a plate over it waits for staff and does not open the gate', async () => {
    const unit = a.buildings[0].units[0].id;
    const register = (plate: string, token: string, extra: Record<string, unknown> = {}) => tp.api('POST', 'parking/vehicles', { communityId: a.id, plate, ...extra }, token);
    // Not linked to a unit: no resident plate at all.
    expect((await register('京A20001', tokens.owner)).status).toBe(403);
    expect((await tp.api('POST', `units/${unit}/occupants`, { userId: ids['walk.owner'] }, tokens.property_staff)).status).toBe(201);
    expect((await tp.api('POST', `units/${unit}/occupants`, { userId: ids['chain.foreign'] }, tokens.property_staff)).status).toBe(400);
    expect((await tp.api('GET', 'units/mine', undefined, tokens.owner)).body).toEqual([expect.objectContaining({ id: unit, number: '101' })]);
    // Another unit of the community is not theirs.
    expect((await register('京A20001', tokens.owner, { unitId: a.buildings[0].units[1].id })).status).toBe(403);

    const statuses = [];
    for (const plate of ['京A20001', '京A20002', '京A20003', '京A20004']) statuses.push((await register(plate, tokens.owner)).body.status);
    expect(statuses).toEqual(['approved', 'approved', 'pending', 'pending']);
    // A neighbour holding another unit cannot take the plate over.
    const neighbour = await createUser('plates.neighbour', 'owner', a.id);
    expect((await tp.api('POST', `units/${a.buildings[0].units[1].id}/occupants`, { userId: ids['plates.neighbour'] }, tokens.property_staff)).status).toBe(201);
    expect((await register('京A20001', neighbour)).status).toBe(409);

    const gate = await tp.provisionDevice(a.id, 'gate');
    const client = await tp.connectDevice(gate);
    const commands: Array<{ reason: string; cmd: string }> = [];
    await client.subscribeAsync(`v1/devices/${gate.id}/commands`, { qos: 1 });
    client.on('message', (_t, payload) => commands.push(JSON.parse(payload.toString())));
    const pass = async (plate: string, direction: 'in' | 'out') => {
      const before = commands.length;
      await publishJson(client, `v1/devices/${gate.id}/events`, { type: 'vehicle', lane: `${direction}-1`, direction, plate });
      await waitFor(() => commands.length > before, { message: `gate answer for ${plate}` });
      return commands[before];
    };
    const enter = (plate: string) => pass(plate, 'in');
    await tp.platform.app.get(ParkingGateService).refresh();
    expect(await enter('京A20001')).toMatchObject({ cmd: 'open', reason: 'resident' });
    expect((await enter('京A20003')).reason).not.toBe('resident');

    const pending = await tp.api('GET', `parking/vehicles?communityId=${a.id}&status=pending`, undefined, tokens.property_staff);
    expect(pending.body.map((v: { plate: string }) => v.plate).sort()).toEqual(['京A20003', '京A20004']);
    const third = pending.body.find((v: { plate: string }) => v.plate === '京A20003');
    expect((await tp.api('POST', `parking/vehicles/${third.id}/approve`, undefined, tokens.owner)).status).toBe(403);
    expect((await tp.api('POST', `parking/vehicles/${third.id}/approve`, undefined, tokens.property_staff)).body.status).toBe('approved');
    await pass('京A20003', 'out');
    expect(await enter('京A20003')).toMatchObject({ cmd: 'open', reason: 'resident' });
  });
});
