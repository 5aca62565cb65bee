import { BadRequestException, ConflictException, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { roleSchema, scopeSchema, type Role, type Scope } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { AuditRepository } from '../repositories/audit.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { CommunityRepository } from '../repositories/community.repository';
import { CryptoRepository } from '../repositories/crypto.repository';
import { isUniqueViolation } from '../repositories/database.repository';
import { UserRepository, type UserRow } from '../repositories/user.repository';
import type { AuthUser } from './auth-user';

const USER_CACHE_MS = 30_000;

export interface NewUser {
  username: string;
  password: string;
  displayName?: string;
  role: Role;
  scope: Scope;
}

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);
  private readonly userCache = new Map<string, { user: AuthUser; until: number }>();

  constructor(
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly users: UserRepository,
    private readonly communities: CommunityRepository,
    private readonly audit: AuditRepository,
    private readonly crypto: CryptoRepository,
    private readonly jwt: JwtService,
    private readonly clock: ClockRepository,
  ) {}

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
    try {
      await this.createUser(null, {
        username: this.config.auth.adminUsername,
        password,
        role: 'platform_admin',
        scope: { level: 'platform' },
      });
    } catch (error) {
      // Several processes starting at once on one database: another one created it first.
      if (error instanceof ConflictException) return;
      throw error;
    }
  }

  async login(username: string, password: string): Promise<{ accessToken: string }> {
    const user = await this.users.findByUsername(username);
    // Verify against a dummy hash too, so response time does not reveal which usernames exist.
    const ok = await this.crypto.verify(password, user?.password_hash ?? DUMMY_HASH);
    if (!user || !ok || user.disabled) throw new UnauthorizedException('wrong username or password');
    const accessToken = await this.jwt.signAsync(
      { sub: user.id, username: user.username, role: user.role },
      { secret: this.config.auth.jwtSecret, expiresIn: this.config.auth.jwtTtl as `${number}h` },
    );
    return { accessToken };
  }

  /** Resolves a bearer token to its user, or throws 401. */
  async authenticate(token: string | undefined): Promise<AuthUser> {
    if (!token) throw new UnauthorizedException('missing bearer token');
    let userId: string;
    try {
      const payload = await this.jwt.verifyAsync<{ sub: string }>(token, { secret: this.config.auth.jwtSecret });
      userId = payload.sub;
    } catch {
      throw new UnauthorizedException('invalid or expired token');
    }
    return this.authenticateUserId(userId);
  }

  /** The user behind an id already proven (a verified token, or an operator at the CLI). */
  async authenticateUserId(userId: string): Promise<AuthUser> {
    const now = this.clock.now();
    const cached = this.userCache.get(userId);
    if (cached && cached.until > now) return cached.user;
    const row = await this.users.findById(userId);
    if (!row || row.disabled) throw new UnauthorizedException('user no longer exists or is disabled');
    const user = toAuthUser(row);
    this.userCache.set(userId, { user, until: now + USER_CACHE_MS });
    return user;
  }

  async createUser(actor: AuthUser | null, input: NewUser): Promise<AuthUser> {
    const scope = scopeSchema.parse(input.scope);
    if (input.role === 'platform_admin' && scope.level !== 'platform') {
      throw new BadRequestException('a platform administrator has platform scope');
    }
    if (scope.level === 'community') {
      for (const id of scope.communityIds) {
        if (!(await this.communities.findById(id))) throw new BadRequestException(`community ${id} does not exist`);
      }
    }
    if (await this.users.findByUsername(input.username)) throw new ConflictException(`username ${input.username} is taken`);
    const row = await this.users
      .insert(
      {
        username: input.username,
        password_hash: await this.crypto.hash(input.password),
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
    await this.audit.record({
      actorId: actor?.id ?? null,
      action: 'user.created',
      subjectType: 'user',
      subjectId: row.id,
      detail: { username: row.username, role: row.role, scope },
    });
    return toAuthUser(row);
  }
}

function toAuthUser(row: UserRow): AuthUser {
  const role = roleSchema.parse(row.role);
  let scope: Scope;
  switch (row.scope_level) {
    case 'platform':
      scope = { level: 'platform' };
      break;
    case 'community':
      scope = { level: 'community', communityIds: row.community_ids };
      break;
    case 'street':
      scope = { level: 'street', street: row.scope_street ?? '', district: row.scope_district ?? '' };
      break;
    case 'district':
      scope = { level: 'district', district: row.scope_district ?? '' };
      break;
  }
  return { id: row.id, username: row.username, role, scope };
}

const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
