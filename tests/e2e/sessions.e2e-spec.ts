/**
 * Sessions that end, and logins an attacker cannot use (issue 8 §2, §5, §6): short access tokens
 * renewed by rotating refresh tokens (a rotated one used again revokes the login), logout;
 * disabling a user, a new password or a new role ends every session at once, in every process;
 * socket.io connections closed when their token runs out and when the user changes; the password
 * policy; login answers that do not tell "no such user" from "wrong password"; a login flood
 * throttled per address and per username, with the slow hash behind a bounded queue.
 */
import type { Socket } from 'socket.io-client';
import { ClockRepository } from '../../apps/platform/src/repositories/clock.repository';
import { CryptoRepository } from '../../apps/platform/src/repositories/crypto.repository';
import { DatabaseRepository } from '../../apps/platform/src/repositories/database.repository';
import { freshPostgresDatabase, type FreshPostgres } from '../support/databases';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { waitFor } from '../support/wait';

const PASSWORD = 'user-pass-123';

interface Tokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

describe('sessions that end', () => {
  let tp: TestPlatform;
  let communityId: string;

  const createUser = async (username: string, role = 'property_staff') => {
    const res = await tp.api('POST', 'users', { username, password: PASSWORD, role, scope: { level: 'community', communityIds: [communityId] } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const login = async (username: string, password = PASSWORD) => {
    const res = await tp.api<Tokens>('POST', 'auth/login', { username, password }, null);
    expect(res.status).toBe(200);
    return res.body;
  };
  const me = (token: string) => tp.api('GET', 'auth/me', undefined, token);
  const refresh = (refreshToken: string) => tp.api<Tokens>('POST', 'auth/refresh', { refreshToken }, null);
  const disconnected = (socket: Socket) => new Promise<string>((resolve) => socket.once('disconnect', resolve));

  beforeAll(async () => {
    tp = await startTestPlatform();
    communityId = (await tp.createCommunity()).id;
  }, 120_000);
  afterAll(async () => {
    await tp?.close();
  });

  it('logs in with a short-lived access token and a refresh token; the refresh token rotates; a reused one ends the login', async () => {
    await createUser('rotating');
    const first = await login('rotating');
    expect(first).toEqual({ accessToken: expect.any(String), expiresIn: 900, refreshToken: expect.any(String), refreshExpiresIn: 7 * 86_400 });
    const second = await refresh(first.refreshToken);
    expect(second.status).toBe(200);
    expect(second.body.refreshToken).not.toBe(first.refreshToken);
    expect((await me(second.body.accessToken)).status).toBe(200);

    // A second tab racing with the same token within seconds is refused, and the login lives on.
    expect((await refresh(first.refreshToken)).status).toBe(401);
    const third = await refresh(second.body.refreshToken);
    expect(third.status).toBe(200);

    // Later, the rotated token again is a thief's replay: the whole login is revoked.
    const clock = tp.platform.app.get(ClockRepository);
    const realNow = clock.now;
    clock.now = () => realNow.call(clock) + 60_000;
    try {
      expect((await refresh(second.body.refreshToken)).status).toBe(401);
      expect((await refresh(third.body.refreshToken)).status).toBe(401);
    } finally {
      clock.now = realNow;
    }
    expect(await tp.metric('spp_auth_refresh_total', { outcome: 'reuse' })).toBe(1);
  });

  it('logout revokes the refresh token', async () => {
    await createUser('leaving');
    const tokens = await login('leaving');
    expect((await tp.api('POST', 'auth/logout', { refreshToken: tokens.refreshToken }, null)).status).toBe(204);
    expect((await refresh(tokens.refreshToken)).status).toBe(401);
  });

  it('disabling a user ends their access token, refresh token and socket at once', async () => {
    const id = await createUser('to.disable');
    const tokens = await login('to.disable');
    const socket = await tp.socket(tokens.accessToken);
    const closed = disconnected(socket);
    expect((await me(tokens.accessToken)).status).toBe(200);

    const res = await tp.api('PATCH', `users/${id}`, { disabled: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, disabled: true });
    expect(await closed).toBe('io server disconnect');
    expect((await me(tokens.accessToken)).status).toBe(401);
    expect((await refresh(tokens.refreshToken)).status).toBe(401);
    await expect(tp.socket(tokens.accessToken)).rejects.toThrow();
    // Disabled: the login answer is the same as for a wrong password.
    const refused = await tp.api('POST', 'auth/login', { username: 'to.disable', password: PASSWORD }, null);
    expect(refused).toEqual({ status: 401, body: { statusCode: 401, error: 'Unauthorized', message: 'wrong username or password' } });

    expect((await tp.api('PATCH', `users/${id}`, { disabled: false })).status).toBe(200);
    expect((await me((await login('to.disable')).accessToken)).status).toBe(200);
  });

  it('a new role or scope from the administrator ends the sessions made with the old one', async () => {
    const id = await createUser('promoted', 'owner');
    const tokens = await login('promoted');
    expect((await tp.api('GET', `alarms?communityId=${communityId}`, undefined, tokens.accessToken)).status).toBe(403);
    expect((await tp.api('PATCH', `users/${id}`, { role: 'property_staff' })).status).toBe(200);
    expect((await me(tokens.accessToken)).status).toBe(401);
    const fresh = await login('promoted');
    expect((await me(fresh.accessToken)).body).toMatchObject({ role: 'property_staff' });
    expect((await tp.api('GET', `alarms?communityId=${communityId}`, undefined, fresh.accessToken)).status).toBe(200);
    // The last administrator cannot be demoted; only administrators manage users.
    const admins = (await tp.api('GET', 'users')).body.filter((u: { role: string }) => u.role === 'platform_admin');
    expect((await tp.api('PATCH', `users/${admins[0].id}`, { role: 'owner', scope: { level: 'community', communityIds: [communityId] } })).status).toBe(409);
    expect((await tp.api('PATCH', `users/${id}`, { disabled: true }, fresh.accessToken)).status).toBe(403);
  });

  it('changes passwords by the policy: self-service with the current password, or by the administrator; old sessions end', async () => {
    const id = await createUser('changer');
    const tokens = await login('changer');
    const change = (body: Record<string, string>, token = tokens.accessToken) => tp.api('POST', 'auth/password', body, token);
    expect((await change({ currentPassword: 'not-my-password', newPassword: 'another-long-pass-9' })).status).toBe(400);
    const weak = await change({ currentPassword: PASSWORD, newPassword: '1234567890' });
    expect(weak.status).toBe(400);
    expect(weak.body.message).toMatch(/too easy to guess/);
    const short = await change({ currentPassword: PASSWORD, newPassword: 'Sh0rt!' });
    expect(short.status).toBe(400);
    expect(short.body.message).toMatch(/at least 10 characters/);

    const changed = await change({ currentPassword: PASSWORD, newPassword: 'violet-kettle-42' });
    expect(changed.status).toBe(200);
    expect((await me(tokens.accessToken)).status).toBe(401);
    expect((await refresh(tokens.refreshToken)).status).toBe(401);
    expect((await me(changed.body.accessToken)).status).toBe(200);
    expect((await tp.api('POST', 'auth/login', { username: 'changer', password: PASSWORD }, null)).status).toBe(401);

    expect((await tp.api('PUT', `users/${id}/password`, { password: 'qwertyuiop' })).status).toBe(400);
    expect((await tp.api('PUT', `users/${id}/password`, { password: 'amber-lantern-77' })).status).toBe(200);
    expect((await me(changed.body.accessToken)).status).toBe(401);
    expect((await login('changer', 'amber-lantern-77')).accessToken).toEqual(expect.any(String));
    // New users get the same policy.
    const weakUser = await tp.api('POST', 'users', { username: 'weakling', password: 'password123', role: 'owner', scope: { level: 'community', communityIds: [communityId] } });
    expect(weakUser.status).toBe(400);
    expect(weakUser.body.message).toMatch(/password/);
  });

  it('answers "no such user", "wrong password" and "disabled" alike, each after one hash of the same cost', async () => {
    await createUser('real.user');
    const crypto = tp.platform.app.get(CryptoRepository);
    const verify = crypto.verify.bind(crypto);
    const costs: string[] = [];
    crypto.verify = async (secret: string, stored: string) => {
      costs.push(stored.split('$').slice(0, 4).join('$'));
      return verify(secret, stored);
    };
    try {
      const ghost = await tp.api('POST', 'auth/login', { username: 'nobody.here', password: 'whatever-pass-1' }, null);
      const wrong = await tp.api('POST', 'auth/login', { username: 'real.user', password: 'whatever-pass-1' }, null);
      expect(ghost).toEqual(wrong);
      expect(wrong.status).toBe(401);
    } finally {
      crypto.verify = verify;
    }
    const stored = (await tp.platform.app.get(DatabaseRepository).db.selectFrom('users').select('password_hash').where('username', '=', 'real.user').executeTakeFirstOrThrow()).password_hash;
    expect(costs).toEqual([stored.split('$').slice(0, 4).join('$'), stored.split('$').slice(0, 4).join('$')]);
  });
});

describe('sessions end in every platform process', () => {
  let pg: FreshPostgres;
  let a: TestPlatform;
  let b: TestPlatform;

  beforeAll(async () => {
    pg = await freshPostgresDatabase();
    a = await startTestPlatform({ env: { DATABASE_URL: pg.url } });
    b = await startTestPlatform({ env: { DATABASE_URL: pg.url, ROLES: 'api' }, redisPrefix: a.redisPrefix, influx: a.influx });
  }, 120_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await pg?.drop();
  }, 120_000);

  it('disabling a user on one process refuses their token and closes their socket on the other at once', async () => {
    const communityId = (await a.createCommunity()).id;
    const created = await a.api('POST', 'users', { username: 'roaming', password: PASSWORD, role: 'owner', scope: { level: 'community', communityIds: [communityId] } });
    expect(created.status).toBe(201);
    const token = await b.login('roaming', PASSWORD);
    expect((await b.api('GET', 'auth/me', undefined, token)).status).toBe(200); // process b now holds the user in its cache
    const socket = await b.socket(token);
    const closed = new Promise<string>((resolve) => socket.once('disconnect', resolve));

    expect((await a.api('PATCH', `users/${created.body.id}`, { disabled: true })).status).toBe(200);
    // Well within the 30 s a process trusts its cached copy: the change notice reached b.
    await waitFor(async () => (await b.api('GET', 'auth/me', undefined, token)).status === 401, { timeoutMs: 5000, message: 'token refused on the other process' });
    expect(await closed).toBe('io server disconnect');
  });
});

describe('a socket does not outlive its token', () => {
  let tp: TestPlatform;

  beforeAll(async () => {
    tp = await startTestPlatform({ env: { JWT_TTL: '3s' } });
  }, 120_000);
  afterAll(async () => {
    await tp?.close();
  });

  it('closes a connection when its access token expires, and keeps one renewed with a fresh token', async () => {
    const login = async () => (await tp.api('POST', 'auth/login', { username: 'admin', password: 'admin-pass-123' }, null)).body as Tokens;
    const first = await login();
    expect(first.expiresIn).toBe(3);
    const expiring = await tp.socket(first.accessToken);
    const renewed = await tp.socket(first.accessToken);
    const expiringClosed = new Promise<string>((resolve) => expiring.once('disconnect', resolve));
    let renewedClosed = false;
    renewed.once('disconnect', () => (renewedClosed = true));

    // JWT times are whole seconds: refresh once a later second has begun, so the new token outlives the first.
    const issuedAt = (JSON.parse(Buffer.from(first.accessToken.split('.')[1], 'base64url').toString()) as { iat: number }).iat;
    await waitFor(() => Math.floor(Date.now() / 1000) > issuedAt, { message: 'the next second' });
    const next = await tp.api<Tokens>('POST', 'auth/refresh', { refreshToken: first.refreshToken }, null);
    expect(await renewed.emitWithAck('auth.renew', { token: next.body.accessToken })).toEqual({ ok: true });
    expect(await renewed.emitWithAck('auth.renew', { token: 'forged' })).toMatchObject({ ok: false });
    expect(await expiringClosed).toBe('io server disconnect');
    expect(renewedClosed).toBe(false);
    // The renewed one is still served (and closes in its turn when the renewed token runs out).
    expect(await renewed.emitWithAck('subscribe', { communityId: (await tp.createCommunity({}, next.body.accessToken)).id })).toEqual({ ok: true });
    await waitFor(() => renewedClosed, { timeoutMs: 15_000, message: 'renewed socket closed at its new expiry' });
    expect(await tp.metric('spp_socket_sessions_ended_total', { reason: 'expired' })).toBeGreaterThanOrEqual(2);
  });
});

describe('a login flood', () => {
  let tp: TestPlatform;

  beforeAll(async () => {
    // The flood comes from one address, the real user from another (behind a trusted proxy).
    tp = await startTestPlatform({ env: { TRUST_PROXY: 'loopback', LOGIN_HASH_CONCURRENCY: '2', LOGIN_HASH_QUEUE: '16' } });
    const communityId = (await tp.createCommunity()).id;
    for (const username of ['victim', 'bystander']) {
      expect((await tp.api('POST', 'users', { username, password: PASSWORD, role: 'owner', scope: { level: 'community', communityIds: [communityId] } })).status).toBe(201);
    }
  }, 120_000);
  afterAll(async () => {
    await tp?.close();
  });

  const attempt = async (username: string, password: string, address: string) => {
    const res = await fetch(`${tp.httpUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
      body: JSON.stringify({ username, password }),
    });
    return { status: res.status, body: (await res.json()) as { message: string } };
  };

  /**
   * Wrong guesses for one username, each from a new address, until the username is locked for long
   * enough that the next request surely falls inside the lock (a loaded machine may take seconds per
   * hashed guess, longer than the first short locks). Returns the hashed guesses it took.
   */
  const guessUntilLocked = async (username: string, firstAddress: number): Promise<number> => {
    let hashed = 0;
    await waitFor(
      async () => {
        const res = await attempt(username, `another-guess-${hashed}`, `192.0.2.${firstAddress + (hashed % 100)}`);
        expect(res.status).not.toBe(200);
        if (res.status !== 429) hashed += 1;
        return res.status === 429 && (res.body as { retryAfterS?: number }).retryAfterS! >= 8;
      },
      { timeoutMs: 180_000, intervalMs: 250, message: `${username} locked for 8 s` },
    );
    return hashed;
  };

  it('is throttled per address and per username, refused quickly beyond the hashing queue, counted and audited; others still log in', async () => {
    const flood = await Promise.all(Array.from({ length: 300 }, (_, i) => attempt(i % 2 ? 'victim' : `ghost-${i}`, `guess-${i}-wrong`, '198.51.100.7')));
    const statuses = new Set(flood.map((r) => r.status));
    expect([...statuses].every((s) => s === 401 || s === 429 || s === 503)).toBe(true);
    expect(statuses.has(503)).toBe(true); // the queue bound answered at once instead of queueing 300 hashes
    // The flooding address now backs off, whatever the password…
    const blocked = await attempt('bystander', PASSWORD, '198.51.100.7');
    expect(blocked.status).toBe(429);
    expect(blocked.body.message).toMatch(/try again in \d+ s/);
    expect(blocked.body).toMatchObject({ retryAfterS: expect.any(Number) });
    // …and so does an attacked username, from anywhere (guesses from many addresses, one each).
    expect(await guessUntilLocked('victim', 0)).toBeLessThanOrEqual(12);
    expect((await attempt('victim', PASSWORD, '203.0.113.9')).status).toBe(429);
    // The same for a username that does not exist: nothing tells the two apart.
    expect(await guessUntilLocked('nobody', 120)).toBeLessThanOrEqual(12);
    expect((await attempt('nobody', PASSWORD, '203.0.113.11')).status).toBe(429);
    // Everyone else logs in from their own address.
    expect((await attempt('bystander', PASSWORD, '203.0.113.10')).status).toBe(200);

    expect(await tp.metric('spp_auth_login_attempts_total', { outcome: 'throttled' })).toBeGreaterThan(0);
    expect(await tp.metric('spp_auth_login_attempts_total', { outcome: 'overloaded' })).toBeGreaterThan(0);
    expect(await tp.metric('spp_auth_login_attempts_total', { outcome: 'success' })).toBeGreaterThanOrEqual(1);
    const audit = await tp.platform.app.get(DatabaseRepository).db.selectFrom('audit_log').select(['subject_type', 'subject_id']).where('action', '=', 'auth.login.throttled').execute();
    expect(audit).toEqual(expect.arrayContaining([{ subject_type: 'login_address', subject_id: '198.51.100.7' }, { subject_type: 'login_username', subject_id: 'victim' }]));
  }, 300_000);
});

