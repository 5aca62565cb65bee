import {
  BadRequestException,
  ConflictException,
  HttpException,
  HttpStatus,
  Injectable,
  Logger,
  NotFoundException,
  OnModuleInit,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { roleSchema, scopeSchema, sessionRoleSchema, type Role, type Scope, type UpdateUserRequest } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { AdmissionLimit } from '../domain/admission';
import { FailureThrottle } from '../domain/failure-throttle';
import { checkPassword } from '../domain/password-policy';
import { scopeFrom } from '../domain/scope';
import { AuditRepository } from '../repositories/audit.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { CommunityRepository } from '../repositories/community.repository';
import { CryptoRepository } from '../repositories/crypto.repository';
import { isUniqueViolation } from '../repositories/database.repository';
import { MetricsRepository } from '../repositories/metrics.repository';
import { RedisRepository } from '../repositories/redis.repository';
import { SessionRepository } from '../repositories/session.repository';
import { UserRepository, type UserRow } from '../repositories/user.repository';
import { WebsocketRepository } from '../repositories/websocket.repository';
import type { AuthUser } from './auth-user';

/** How long a process trusts its copy of a user (role, scope, disabled, token version) without a change notice. */
const USER_CACHE_MS = 30_000;
/** A rotated refresh token presented again this soon is a second tab racing, not a thief: refused, family kept. */
const REFRESH_RACE_MS = 10_000;
/** Logins of one source address waiting for or in the hash at once: a flood from one address cannot fill the queue. */
const HASHES_PER_ADDRESS = 4;
/** Failed logins before back-off starts: an office behind one address makes typos too; a username is one person's. */
const FREE_FAILURES = { address: 20, username: 5 } as const;
/** Same answer for "no such user", "wrong password" and "disabled": nothing to enumerate. */
const BAD_CREDENTIALS = 'wrong username or password';

export interface NewUser {
  username: string;
  password: string;
  displayName?: string;
  role: Role;
  scope: Scope;
}

export interface TokenPair {
  accessToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
}

interface CachedUser {
  user: AuthUser;
  version: number;
  disabled: boolean;
  until: number;
}

/**
 * Logins, tokens and users. Access tokens are short-lived JWTs carrying the user's token
 * version; every request checks that version (cached per process, the cache dropped in every
 * process when a user changes), so disabling a user, a new password or a new role ends their
 * sessions at once. Refresh tokens are opaque, stored hashed, rotated on every use; a rotated
 * one presented again revokes its whole family. Password logins are throttled per source
 * address and per username, and the slow hash runs behind an admission limit.
 */
/** The role of a visitor's users row (visitor.repository.ts): no password, no account. */
const VISITOR_ROLE = 'visitor';

@Injectable()
export class AuthService implements OnModuleInit {
  private readonly logger = new Logger(AuthService.name);
  private readonly userCache = new Map<string, CachedUser>();
  private readonly hashing: AdmissionLimit;
  private readonly byAddress = new FailureThrottle({ freeFailures: FREE_FAILURES.address, baseDelayMs: 1000, maxDelayMs: 15 * 60_000, forgetAfterMs: 60 * 60_000, maxKeys: 100_000 });
  private readonly byUsername = new FailureThrottle({ freeFailures: FREE_FAILURES.username, baseDelayMs: 1000, maxDelayMs: 5 * 60_000, forgetAfterMs: 60 * 60_000, maxKeys: 100_000 });
  /** A password hash with the current parameters, verified when the user does not exist so both answers take as long. */
  private dummyHash?: Promise<string>;
  private readonly hashingFrom = new Map<string, number>();

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly communities: CommunityRepository,
    private readonly audit: AuditRepository,
    private readonly crypto: CryptoRepository,
    private readonly jwt: JwtService,
    private readonly clock: ClockRepository,
    private readonly redis: RedisRepository,
    private readonly metrics: MetricsRepository,
    private readonly websocket: WebsocketRepository,
  ) {
    this.hashing = new AdmissionLimit(config.auth.hashConcurrency, config.auth.hashQueue);
  }

  async onModuleInit(): Promise<void> {
    await this.redis.listen('user-changed', (userId) => this.userCache.delete(userId));
    await this.dummy();
  }

  /** Creates the platform administrator on first start. */
  async ensureAdministrator(): Promise<void> {
    if ((await this.users.countByRole('platform_admin')) > 0) return;
    let password = this.config.auth.adminPassword;
    if (!password) {
      if (this.config.nodeEnv === 'production') {
        throw new Error('ADMIN_PASSWORD is required when NODE_ENV=production and no administrator exists');
      }
      password = this.crypto.newSecret().slice(0, 16);
      // Printed once, on purpose: it is the only way to learn the generated password.
      this.logger.warn(`Created administrator "${this.config.auth.adminUsername}" with generated password: ${password}`);
    }
    const verdict = checkPassword(password, [this.config.auth.adminUsername]);
    if (!verdict.ok) throw new Error(`ADMIN_PASSWORD: ${verdict.reason}`);
    try {
      await this.createUser(null, { username: this.config.auth.adminUsername, password, role: 'platform_admin', scope: { level: 'platform' } });
    } catch (error) {
      // Several processes starting at once on one database: another one created it first.
      if (error instanceof ConflictException) return;
      throw error;
    }
  }

  // ---------------------------------------------------------------- login, refresh, logout

  async login(username: string, password: string, source: string): Promise<TokenPair> {
    const now = this.clock.now();
    const wait = Math.max(this.byAddress.retryAfter(source, now), this.byUsername.retryAfter(username, now));
    if (wait > 0) {
      this.metrics.loginAttempts.inc({ outcome: 'throttled' });
      throw new HttpException({ message: `too many failed logins: try again in ${Math.ceil(wait / 1000)} s`, retryAfterS: Math.ceil(wait / 1000) }, HttpStatus.TOO_MANY_REQUESTS);
    }
    const found = await this.users.findByUsername(username);
    // A visitor has no password: they sign in with an SMS code (visitor.service.ts), never here.
    const user = found?.role === VISITOR_ROLE ? undefined : found;
    // The hash is verified whether or not the user exists or is disabled: the answer takes as long either way.
    const verified = await this.hashFor(source, async () => this.crypto.verify(password, user?.password_hash ?? (await this.dummy())));
    if (!verified) {
      // A full queue is a flood: the address backs off as after a failure (the username does not, nobody's password was tried).
      this.metrics.loginAttempts.inc({ outcome: 'overloaded' });
      await this.noteFailure('address', source, now);
      throw new ServiceUnavailableException('the server is busy with logins: try again in a moment');
    }
    if (!user || user.disabled || !verified.value) {
      this.metrics.loginAttempts.inc({ outcome: 'failure' });
      await this.noteFailure('address', source, now);
      await this.noteFailure('username', username, now);
      throw new UnauthorizedException(BAD_CREDENTIALS);
    }
    this.byUsername.success(username);
    this.metrics.loginAttempts.inc({ outcome: 'success' });
    return this.issue(user);
  }

  /** The admission limit, with at most HASHES_PER_ADDRESS of one address in it. */
  private async hashFor<T>(source: string, work: () => Promise<T>): Promise<{ value: T } | undefined> {
    const inFlight = this.hashingFrom.get(source) ?? 0;
    if (inFlight >= HASHES_PER_ADDRESS) return undefined;
    this.hashingFrom.set(source, inFlight + 1);
    try {
      return await this.hashing.run(work);
    } finally {
      const left = (this.hashingFrom.get(source) ?? 1) - 1;
      if (left > 0) this.hashingFrom.set(source, left);
      else this.hashingFrom.delete(source);
    }
  }

  /** Counts a failure against an address or a username; audited when the key first backs off, and every tenth failure after. */
  private async noteFailure(kind: 'address' | 'username', key: string, now: number): Promise<void> {
    const state = (kind === 'address' ? this.byAddress : this.byUsername).failure(key, now);
    const over = state.failures - FREE_FAILURES[kind];
    if (over === 1 || (over > 1 && over % 10 === 0)) {
      await this.audit.record({ actorId: null, action: 'auth.login.throttled', subjectType: `login_${kind}`, subjectId: key.slice(0, 128), detail: { failures: state.failures, lockedUntil: new Date(state.lockedUntil).toISOString() } });
    }
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= this.crypto.hash(this.crypto.newSecret());
    return this.dummyHash;
  }

  /**
   * A visitor's session (issue 13 §7), once their number is proven: an access token of
   * VISITOR_SESSION_TTL, no refresh token (they prove the number again). Its role `visitor`
   * reaches only what the permission table grants the visitor.
   */
  async visitorSession(user: UserRow): Promise<{ accessToken: string; expiresIn: number }> {
    if (user.role !== VISITOR_ROLE || user.disabled) throw new UnauthorizedException('not a visitor');
    const expiresIn = this.config.visitors.sessionTtlS;
    const accessToken = await this.jwt.signAsync({ sub: user.id, username: user.username, role: user.role, ver: user.token_version }, { expiresIn });
    return { accessToken, expiresIn };
  }

  /** Exchanges a refresh token for a new pair (the old token is spent). */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const row = await this.sessions.find(refreshToken);
    const now = new Date(this.clock.now());
    if (!row || row.revoked_at || row.expires_at <= now) {
      this.metrics.refreshAttempts.inc({ outcome: 'refused' });
      throw new UnauthorizedException('session ended: log in again');
    }
    if (row.rotated_at || !(await this.sessions.markRotated(row.id, now))) {
      const rotatedAt = row.rotated_at?.getTime() ?? now.getTime();
      if (now.getTime() - rotatedAt < REFRESH_RACE_MS) {
        this.metrics.refreshAttempts.inc({ outcome: 'refused' });
        throw new UnauthorizedException('refresh token already used');
      }
      await this.sessions.revokeFamily(row.family_id, now);
      this.metrics.refreshAttempts.inc({ outcome: 'reuse' });
      await this.audit.record({ actorId: row.user_id, action: 'auth.refresh.reused', subjectType: 'user', subjectId: row.user_id, detail: { familyId: row.family_id } });
      throw new UnauthorizedException('session ended: log in again');
    }
    const user = await this.users.findById(row.user_id);
    if (!user || user.disabled) {
      this.metrics.refreshAttempts.inc({ outcome: 'refused' });
      throw new UnauthorizedException('session ended: log in again');
    }
    this.metrics.refreshAttempts.inc({ outcome: 'rotated' });
    return this.issue(user, row.family_id);
  }

  /** Revokes the session (the family of the refresh token); unknown tokens are ignored. */
  async logout(refreshToken: string): Promise<void> {
    const row = await this.sessions.find(refreshToken);
    if (row) await this.sessions.revokeFamily(row.family_id, new Date(this.clock.now()));
  }

  private async issue(user: UserRow, familyId?: string): Promise<TokenPair> {
    const { accessTtlS, refreshTtlS } = this.config.auth;
    const accessToken = await this.jwt.signAsync({ sub: user.id, username: user.username, role: user.role, ver: user.token_version }, { expiresIn: accessTtlS });
    const { token } = await this.sessions.issue(user.id, new Date(this.clock.now() + refreshTtlS * 1000), familyId);
    return { accessToken, expiresIn: accessTtlS, refreshToken: token, refreshExpiresIn: refreshTtlS };
  }

  // ---------------------------------------------------------------- authenticating requests

  /** Resolves a bearer token to its user, or throws 401. */
  async authenticate(token: string | undefined): Promise<AuthUser> {
    return (await this.verifyAccessToken(token)).user;
  }

  /** The user of a valid access token and when the token expires (ms since the epoch). */
  async verifyAccessToken(token: string | undefined): Promise<{ user: AuthUser; expiresAt: number }> {
    if (!token) throw new UnauthorizedException('missing bearer token');
    let payload: { sub: string; ver?: number; exp: number };
    try {
      payload = await this.jwt.verifyAsync(token);
    } catch {
      throw new UnauthorizedException('invalid or expired token');
    }
    const current = await this.current(payload.sub);
    if (!current || current.disabled || current.version !== payload.ver) throw new UnauthorizedException('session ended: log in again');
    return { user: current.user, expiresAt: payload.exp * 1000 };
  }

  /** The user behind an id already proven (an operator at the CLI). */
  async authenticateUserId(userId: string): Promise<AuthUser> {
    const current = await this.current(userId);
    if (!current || current.disabled) throw new UnauthorizedException('user no longer exists or is disabled');
    return current.user;
  }

  private async current(userId: string): Promise<CachedUser | undefined> {
    const now = this.clock.now();
    const cached = this.userCache.get(userId);
    if (cached && cached.until > now) return cached;
    const row = await this.users.findById(userId);
    if (!row) return undefined;
    const entry = { user: toAuthUser(row), version: row.token_version, disabled: row.disabled, until: now + USER_CACHE_MS };
    this.userCache.set(userId, entry);
    return entry;
  }

  // ---------------------------------------------------------------- users

  async createUser(actor: AuthUser | null, input: NewUser): Promise<AuthUser> {
    const scope = await this.checkRoleAndScope(input.role, input.scope);
    this.requireStrongPassword(input.password, [input.username, input.displayName ?? '']);
    if (await this.users.findByUsername(input.username)) throw new ConflictException(`username ${input.username} is taken`);
    const row = await this.users
      .insert(
        {
          username: input.username,
          password_hash: await this.hashPassword(input.password),
          display_name: input.displayName ?? null,
          role: input.role,
          scope_level: scope.level,
          scope_street: scope.level === 'street' ? scope.street : null,
          scope_district: scope.level === 'street' || scope.level === 'district' ? scope.district : null,
        },
        scope.level === 'community' ? scope.communityIds : [],
      )
      .catch((error: unknown) => {
        if (isUniqueViolation(error)) throw new ConflictException(`username ${input.username} is taken`);
        throw error;
      });
    await this.audit.record({ actorId: actor?.id ?? null, action: 'user.created', subjectType: 'user', subjectId: row.id, detail: { username: row.username, role: row.role, scope } });
    return toAuthUser(row);
  }

  async listUsers() {
    // Accounts only: visitors (signed in by SMS code) are not accounts an administrator manages.
    return (await this.users.list()).filter((u) => u.role !== VISITOR_ROLE).map(userView);
  }

  /** An administrator changes a user's role, scope, name or enabled state; role, scope and disabling end the user's sessions. */
  async updateUser(actor: AuthUser, userId: string, change: UpdateUserRequest) {
    const before = await this.users.findById(userId);
    if (!before || before.role === VISITOR_ROLE) throw new NotFoundException(`user ${userId} not found`);
    const role = change.role ?? roleSchema.parse(before.role);
    const scope = change.scope || change.role ? await this.checkRoleAndScope(role, change.scope ?? toAuthUser(before).scope) : undefined;
    const demotesAdmin = before.role === 'platform_admin' && !before.disabled && (role !== 'platform_admin' || change.disabled === true);
    if (demotesAdmin && (await this.users.countByRole('platform_admin')) <= 1) throw new ConflictException('the last enabled platform administrator cannot be disabled or given another role');
    if (userId === actor.id && change.disabled) throw new ConflictException('you cannot disable yourself');
    const endSessions = change.role !== undefined || change.scope !== undefined || change.disabled === true;
    const row = await this.users.update(userId, {
      role: change.role,
      scope: scope && { level: scope.level, street: scope.level === 'street' ? scope.street : null, district: scope.level === 'street' || scope.level === 'district' ? scope.district : null, communityIds: scope.level === 'community' ? scope.communityIds : [] },
      displayName: change.displayName,
      disabled: change.disabled,
      endSessions,
    });
    if (!row) throw new NotFoundException(`user ${userId} not found`);
    await this.audit.record({ actorId: actor.id, action: change.disabled === true ? 'user.disabled' : change.disabled === false ? 'user.enabled' : 'user.updated', subjectType: 'user', subjectId: userId, detail: { ...change } });
    if (endSessions) await this.endSessions(userId, change.disabled ? 'disabled' : 'changed');
    else await this.forget(userId);
    return userView(row);
  }

  /** An administrator sets a new password; the user's sessions end. */
  async setPassword(actor: AuthUser, userId: string, password: string) {
    const row = await this.users.findById(userId);
    if (!row || row.role === VISITOR_ROLE) throw new NotFoundException(`user ${userId} not found`);
    this.requireStrongPassword(password, [row.username, row.display_name ?? '']);
    await this.users.update(userId, { passwordHash: await this.hashPassword(password), passwordChangedAt: new Date(this.clock.now()), endSessions: true });
    await this.audit.record({ actorId: actor.id, action: 'user.password.reset', subjectType: 'user', subjectId: userId });
    await this.endSessions(userId, 'changed');
    return { id: userId, passwordChanged: true };
  }

  /** Self-service: the current password proves it is the user; every other session ends, this one gets new tokens. */
  async changeOwnPassword(user: AuthUser, currentPassword: string, newPassword: string): Promise<TokenPair> {
    const row = await this.users.findById(user.id);
    if (!row) throw new UnauthorizedException('session ended: log in again');
    const verified = await this.hashing.run(() => this.crypto.verify(currentPassword, row.password_hash));
    if (!verified) throw new ServiceUnavailableException('the server is busy with logins: try again in a moment');
    if (!verified.value) throw new BadRequestException('the current password is wrong');
    if (currentPassword === newPassword) throw new BadRequestException('the new password must differ from the current one');
    this.requireStrongPassword(newPassword, [row.username, row.display_name ?? '']);
    const updated = await this.users.update(user.id, { passwordHash: await this.hashPassword(newPassword), passwordChangedAt: new Date(this.clock.now()), endSessions: true });
    await this.audit.record({ actorId: user.id, action: 'user.password.changed', subjectType: 'user', subjectId: user.id });
    await this.endSessions(user.id, 'changed');
    return this.issue(updated!);
  }

  /** Every access token of the user stops working in every process, refresh tokens are revoked and sockets closed. */
  private async endSessions(userId: string, reason: 'disabled' | 'changed'): Promise<void> {
    await this.sessions.revokeUser(userId, new Date(this.clock.now()));
    await this.forget(userId);
    this.websocket.disconnectUser(userId, reason);
  }

  /** Every process drops its copy of the user and reads it again on the next request. */
  private async forget(userId: string): Promise<void> {
    this.userCache.delete(userId);
    await this.redis.notify('user-changed', userId);
  }

  private requireStrongPassword(password: string, userInputs: string[]): void {
    const verdict = checkPassword(password, userInputs);
    if (!verdict.ok) throw new BadRequestException({ message: verdict.reason, fields: [{ path: 'password', message: verdict.reason }] });
  }

  private async hashPassword(password: string): Promise<string> {
    const hashed = await this.hashing.run(() => this.crypto.hash(password));
    if (!hashed) throw new ServiceUnavailableException('the server is busy with logins: try again in a moment');
    return hashed.value;
  }

  private async checkRoleAndScope(role: Role, input: Scope): Promise<Scope> {
    const scope = scopeSchema.parse(input);
    if (role === 'platform_admin' && scope.level !== 'platform') throw new BadRequestException('a platform administrator has platform scope');
    if (role !== 'platform_admin' && scope.level === 'platform') throw new BadRequestException('only a platform administrator has platform scope');
    if (scope.level === 'community') {
      for (const id of scope.communityIds) {
        if (!(await this.communities.findById(id))) throw new BadRequestException(`community ${id} does not exist`);
      }
    }
    return scope;
  }
}

function toAuthUser(row: UserRow): AuthUser {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: sessionRoleSchema.parse(row.role),
    scope: scopeFrom(row.scope_level, row.community_ids, row.scope_street, row.scope_district),
  };
}

function userView(row: UserRow) {
  return { ...toAuthUser(row), disabled: row.disabled, createdAt: row.created_at.toISOString(), passwordChangedAt: row.password_changed_at?.toISOString() ?? null };
}
