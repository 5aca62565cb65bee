/**
 * REST basics and access scope: bearer tokens, JSON errors with failing fields (never 500), the
 * OpenAPI document, /health; users scoped to a community, a street or a district see only their
 * communities (lists, details, devices, live state), cannot provision elsewhere, and their
 * socket.io connections receive only their communities' events.
 */
import type { Socket } from 'socket.io-client';
import { publishJson, startTestPlatform, type ProvisionedDevice, type TestPlatform } from '../support/platform';
import { nextEvent } from '../support/wait';

interface StateEvent {
  deviceId: string;
  communityId: string;
}

const expectError = (res: { status: number; body: any }, status: number) => {
  expect(res.status).toBe(status);
  expect(res.body).toEqual(expect.objectContaining({ statusCode: status, error: expect.any(String), message: expect.any(String) }));
};

describe('REST basics', () => {
  let tp: TestPlatform;

  beforeAll(async () => {
    tp = await startTestPlatform();
  });
  afterAll(async () => {
    await tp?.close();
  });

  it('refuses requests without a token or with a bad one (401 JSON), but not the public routes', async () => {
    expectError(await tp.api('GET', '/api/v1/communities', undefined, null), 401);
    expectError(await tp.api('GET', '/api/v1/devices', undefined, 'not-a-jwt'), 401);
    expectError(await tp.api('GET', '/api/v1/auth/me', undefined, `${tp.token}x`), 401);
    expectError(await tp.api('POST', '/api/v1/auth/login', { username: 'admin', password: 'wrong-password' }, null), 401);
    expect((await tp.api('GET', '/health', undefined, null)).status).toBe(200);
    expect((await tp.api('GET', '/metrics', undefined, null)).status).toBe(200);
    const me = await tp.api('GET', '/api/v1/auth/me');
    expect(me.body).toMatchObject({ username: 'admin', role: 'platform_admin', scope: { level: 'platform' } });
  });

  it('answers invalid input with 400 and the failing fields, never 500', async () => {
    const badCommunity = await tp.api('POST', '/api/v1/communities', { name: 5, district: '' });
    expectError(badCommunity, 400);
    const paths = (badCommunity.body.fields as Array<{ path: string }>).map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'district', 'street']));
    expect(badCommunity.body.message).toMatch(/name/);

    const badArea = await tp.api('POST', '/api/v1/communities', {
      name: 'X',
      district: 'D',
      street: 'S',
      buildings: [{ name: 'B', units: [{ number: '1', floorArea: 89.5 }] }],
    });
    expectError(badArea, 400);
    expect(badArea.body.fields.map((f: { path: string }) => f.path)).toContain('buildings.0.units.0.floorArea');

    const community = await tp.createCommunity();
    const noSubtype = await tp.api('POST', '/api/v1/devices', { communityId: community.id, kind: 'fire', name: 'F' });
    expectError(noSubtype, 400);
    expect(noSubtype.body.fields.map((f: { path: string }) => f.path)).toContain('subtype');
    const badId = await tp.api('POST', '/api/v1/devices', { id: 'has spaces/slash', communityId: community.id, kind: 'gate', name: 'G' });
    expectError(badId, 400);
    expect(badId.body.fields.map((f: { path: string }) => f.path)).toContain('id');
    expectError(await tp.api('POST', '/api/v1/devices', { communityId: 'not-a-uuid', kind: 'toaster', name: 'T' }), 400);

    expectError(await tp.api('POST', '/api/v1/auth/login', { username: 'admin' }, null), 400);
    expectError(await tp.api('GET', '/api/v1/communities/not-a-uuid'), 400);
    expectError(await tp.api('GET', '/api/v1/dead-letters?limit=abc'), 400);
    expectError(await tp.api('GET', '/api/v1/devices/some-device/telemetry?every=1minute'), 400);
    const gateWithSubtype = await tp.api('POST', '/api/v1/devices', { communityId: community.id, kind: 'gate', subtype: 'controller', name: 'G' });
    expectError(gateWithSubtype, 400);
    expectError(await tp.api('GET', '/api/v1/devices?communityId=nope'), 400);
    await tp.provisionDevice(community.id, 'elevator', { id: 'history-elevator' });
    const range = (from: string, to: string, every?: string) =>
      `/api/v1/devices/history-elevator/telemetry?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}${every ? `&every=${every}` : ''}`;
    expectError(await tp.api('GET', range('2026-01-02T00:00:00Z', '2026-01-01T00:00:00Z')), 400);
    expectError(await tp.api('GET', range('yesterday', '2026-01-01T00:00:00Z')), 400);
    expectError(await tp.api('GET', range('2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '1s')), 400);
    expectError(await tp.api('GET', range('2025-12-31T00:00:00Z', '2026-01-01T00:00:00Z', '0m')), 400);
    expectError(await tp.api('GET', '/api/v1/devices/history-elevator/telemetry?limit=0'), 400);
    expectError(await tp.api('POST', '/api/v1/users', { username: 'x', password: 'short', role: 'king', scope: { level: 'galaxy' } }), 400);
    expectError(
      await tp.api('POST', '/api/v1/users', {
        username: 'ghost.staff',
        password: 'user-pass-123',
        role: 'property_staff',
        scope: { level: 'community', communityIds: ['00000000-0000-4000-8000-000000000000'] },
      }),
      400,
    );
    // Malformed JSON is the client's fault too.
    expectError(await tp.api('POST', '/api/v1/communities', '{"name": "unterminated'), 400);
    // Unknown ids are 404, duplicates 409.
    expectError(await tp.api('GET', '/api/v1/communities/00000000-0000-4000-8000-000000000000'), 404);
    expectError(await tp.api('GET', '/api/v1/devices/no-such-device'), 404);
    await tp.provisionDevice(community.id, 'gate', { id: 'dup-gate' });
    expectError(await tp.api('POST', '/api/v1/devices', { id: 'dup-gate', communityId: community.id, kind: 'gate', name: 'again' }), 409);
  });

  it('refuses a request body beyond the size limit as the client’s error (413 JSON), not 500', async () => {
    const res = await tp.api('POST', '/api/v1/communities', { name: 'big', district: 'D', street: 'S', address: 'x'.repeat(2_000_000) });
    expectError(res, 413);
    expect((await tp.api('GET', '/health', undefined, null)).status).toBe(200);
  });

  it('publishes the OpenAPI document with the routes', async () => {
    const doc = await tp.api('GET', '/api/docs-json', undefined, null);
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/auth/login',
        '/api/v1/auth/me',
        '/api/v1/users',
        '/api/v1/communities',
        '/api/v1/communities/{id}',
        '/api/v1/communities/{id}/live',
        '/api/v1/devices',
        '/api/v1/devices/{id}',
        '/api/v1/devices/{id}/rotate-secret',
        '/api/v1/devices/{id}/live',
        '/api/v1/devices/{id}/telemetry',
        '/api/v1/dead-letters',
      ]),
    );
    expect(doc.body.paths['/api/v1/devices'].post).toBeDefined();
    expect(doc.body.components?.securitySchemes).toBeDefined();
    const ui = await fetch(`${tp.httpUrl}/api/docs`);
    expect(ui.status).toBe(200);
  });

  it('reports every store in /health', async () => {
    const health = await tp.api('GET', '/health', undefined, null);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'ok',
      checks: {
        database: { status: 'ok' },
        redis: { status: 'ok' },
        influx: { status: 'ok' },
        mqtt: { status: 'ok' },
        brokerRegistry: { status: 'not_used', mode: 'embedded' },
      },
    });
  });
});

describe('users and scope', () => {
  let tp: TestPlatform;
  // Two communities on street S1 of district D1, one on street S2 of D1, one in district D2.
  let a1: string;
  let a2: string;
  let b: string;
  let c: string;
  const devices: Record<string, ProvisionedDevice> = {};
  const tokens: Record<string, string> = {};
  const sockets: Record<string, Socket> = {};

  const ids = (list: Array<{ id: string }>) => list.map((x) => x.id).sort();

  beforeAll(async () => {
    tp = await startTestPlatform();
    a1 = (await tp.createCommunity({ name: 'A1', district: 'D1', street: 'S1' })).id;
    a2 = (await tp.createCommunity({ name: 'A2', district: 'D1', street: 'S1' })).id;
    b = (await tp.createCommunity({ name: 'B', district: 'D1', street: 'S2' })).id;
    c = (await tp.createCommunity({ name: 'C', district: 'D2', street: 'S3' })).id;
    for (const [name, community] of Object.entries({ a1, a2, b, c })) {
      devices[name] = await tp.provisionDevice(community, 'gate', { id: `scope-${name}` });
    }
    const users = [
      { username: 'staff.a1', role: 'property_staff', scope: { level: 'community', communityIds: [a1] } },
      { username: 'officer.s1', role: 'street_officer', scope: { level: 'street', district: 'D1', street: 'S1' } },
      { username: 'authority.d1', role: 'district_authority', scope: { level: 'district', district: 'D1' } },
    ];
    for (const u of users) {
      const res = await tp.api('POST', '/api/v1/users', { ...u, password: 'user-pass-123' });
      expect(res.status).toBe(201);
      tokens[u.username] = await tp.login(u.username, 'user-pass-123');
    }
  });

  afterAll(async () => {
    await tp?.close();
  });

  it('lists only the communities of each user’s scope', async () => {
    const list = async (user: string) => ids((await tp.api('GET', '/api/v1/communities', undefined, tokens[user])).body);
    expect(await list('staff.a1')).toEqual([a1]);
    expect(await list('officer.s1')).toEqual([a1, a2].sort());
    expect(await list('authority.d1')).toEqual([a1, a2, b].sort());
    expect(ids((await tp.api('GET', '/api/v1/communities')).body)).toEqual([a1, a2, b, c].sort());
  });

  it('answers 404 for communities, devices and live state outside the scope', async () => {
    const get = (user: string, path: string) => tp.api('GET', path, undefined, tokens[user]);
    expect((await get('staff.a1', `/api/v1/communities/${a1}`)).status).toBe(200);
    expectError(await get('staff.a1', `/api/v1/communities/${a2}`), 404);
    expectError(await get('officer.s1', `/api/v1/communities/${b}`), 404);
    expectError(await get('authority.d1', `/api/v1/communities/${c}`), 404);
    expect((await get('authority.d1', `/api/v1/communities/${b}`)).status).toBe(200);

    expectError(await get('staff.a1', `/api/v1/communities/${c}/live`), 404);
    expect((await get('staff.a1', `/api/v1/communities/${a1}/live`)).body.map((d: { deviceId: string }) => d.deviceId)).toEqual(['scope-a1']);
    expectError(await get('staff.a1', '/api/v1/devices/scope-c'), 404);
    expectError(await get('officer.s1', '/api/v1/devices/scope-b/live'), 404);
    expectError(await get('officer.s1', '/api/v1/devices/scope-b/telemetry'), 404);
    expect((await get('officer.s1', '/api/v1/devices/scope-a2/live')).status).toBe(200);

    const deviceIds = async (user: string, query = '') =>
      ((await get(user, `/api/v1/devices${query}`)).body as Array<{ id: string }>).map((d) => d.id).sort();
    expect(await deviceIds('staff.a1')).toEqual(['scope-a1']);
    expect(await deviceIds('officer.s1')).toEqual(['scope-a1', 'scope-a2']);
    expect(await deviceIds('authority.d1')).toEqual(['scope-a1', 'scope-a2', 'scope-b']);
    expectError(await get('staff.a1', `/api/v1/devices?communityId=${c}`), 404);
  });

  it('lets a user provision only inside its scope and only with a role that may', async () => {
    const provision = (user: string, communityId: string, id: string) =>
      tp.api('POST', '/api/v1/devices', { id, communityId, kind: 'elevator', name: 'E' }, tokens[user]);
    expect((await provision('staff.a1', a1, 'staff-own')).status).toBe(201);
    expectError(await provision('staff.a1', c, 'staff-foreign'), 404);
    expectError(await provision('staff.a1', a2, 'staff-neighbour'), 404);
    expectError(await provision('officer.s1', a1, 'officer-device'), 403);
    expectError(await tp.api('POST', `/api/v1/devices/scope-c/rotate-secret`, undefined, tokens['staff.a1']), 404);
    expectError(await tp.api('POST', `/api/v1/devices/scope-c/disable`, undefined, tokens['staff.a1']), 404);
    expect((await tp.api('GET', '/api/v1/devices/staff-foreign')).status).toBe(404);
    // Only the administrator creates users.
    expectError(
      await tp.api('POST', '/api/v1/users', { username: 'sneaky', password: 'user-pass-123', role: 'platform_admin', scope: { level: 'platform' } }, tokens['staff.a1']),
      403,
    );
  });

  it('sends a scoped socket.io client only its communities’ events, and refuses foreign subscriptions', async () => {
    sockets.admin = await tp.socket();
    sockets.staff = await tp.socket(tokens['staff.a1']);
    sockets.authority = await tp.socket(tokens['authority.d1']);
    const staffGot: StateEvent[] = [];
    sockets.staff.on('device.state', (e: StateEvent) => staffGot.push(e));

    const clientC = await tp.connectDevice(devices.c);
    const clientA = await tp.connectDevice(devices.a1);
    const clientB = await tp.connectDevice(devices.b);

    // First a reading in C, seen by the administrator…
    const adminSawC = nextEvent<StateEvent>(sockets.admin, 'device.state', { filter: (e) => e.deviceId === 'scope-c' });
    await publishJson(clientC, 'v1/devices/scope-c/telemetry', { barrier: 'open' });
    await adminSawC;
    // …then one in A1: when the staff client has it, an event for C would have come before it.
    const staffSawA = nextEvent<StateEvent>(sockets.staff, 'device.state', { filter: (e) => e.deviceId === 'scope-a1' });
    await publishJson(clientA, 'v1/devices/scope-a1/telemetry', { barrier: 'closed' });
    expect((await staffSawA).communityId).toBe(a1);
    expect(staffGot.map((e) => e.communityId)).toEqual(staffGot.map(() => a1));

    expect(await sockets.staff.emitWithAck('subscribe', { communityId: c })).toEqual({ ok: false, error: expect.any(String) });
    expect(await sockets.staff.emitWithAck('subscribe', { communityId: 'nonsense' })).toMatchObject({ ok: false });
    expect(await sockets.authority.emitWithAck('subscribe', { communityId: c })).toMatchObject({ ok: false });
    expect(await sockets.staff.emitWithAck('subscribe', { communityId: a1 })).toEqual({ ok: true });

    // Narrowing: the district authority follows B only, and then gets B's events but not A1's.
    expect(await sockets.authority.emitWithAck('subscribe', { communityId: b })).toEqual({ ok: true });
    const authorityGot: StateEvent[] = [];
    sockets.authority.on('device.state', (e: StateEvent) => authorityGot.push(e));
    const adminSawA = nextEvent<StateEvent>(sockets.admin, 'device.state', { filter: (e) => e.deviceId === 'scope-a1' });
    await publishJson(clientA, 'v1/devices/scope-a1/telemetry', { barrier: 'fault' });
    await adminSawA;
    const authoritySawB = nextEvent<StateEvent>(sockets.authority, 'device.state', { filter: (e) => e.deviceId === 'scope-b' });
    await publishJson(clientB, 'v1/devices/scope-b/telemetry', { barrier: 'open' });
    await authoritySawB;
    expect(authorityGot.map((e) => e.deviceId)).toEqual(['scope-b']);
  });

  it('refuses a socket.io handshake without a valid token', async () => {
    await expect(tp.socket('not-a-token')).rejects.toThrow();
    await expect(tp.socket('')).rejects.toThrow();
  });
});
