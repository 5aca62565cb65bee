import { Injectable, NotFoundException } from '@nestjs/common';
import { can, Permission, roleHas } from '../domain/permissions';
import { covers as coversScope, scopeFrom, type CommunityPlace } from '../domain/scope';
import { roleSchema } from '@app/contracts';
import { UserRepository } from '../repositories/user.repository';
import { CommunityRepository, type CommunityFilter, type CommunityRow } from '../repositories/community.repository';
import type { AuthUser } from './auth-user';

/**
 * Scope checks. A user reaches only the communities of their scope: named communities, or every
 * community of a street or district. Anything outside it reads as "not found", so ids of other
 * communities are not disclosed.
 */
@Injectable()
export class AccessService {
  constructor(
    private readonly communities: CommunityRepository,
    private readonly users: UserRepository,
  ) {}

  filterFor(user: AuthUser): CommunityFilter {
    switch (user.scope.level) {
      case 'platform':
        return { all: true };
      case 'community':
        return { ids: user.scope.communityIds };
      case 'street':
        return { district: user.scope.district, street: user.scope.street };
      case 'district':
        return { district: user.scope.district };
    }
  }

  async visibleCommunityIds(user: AuthUser): Promise<string[]> {
    return this.communities.idsIn(this.filterFor(user));
  }

  /**
   * The one scope decision: the community (of an entity the caller loaded, or named in the
   * request) must exist and lie in the user's scope, else 404 naming `what` (the entity), so
   * ids of other communities' things are not disclosed. Pass `entity?.community_id` for an
   * entity that may not exist: a missing one is the same 404.
   */
  async requireInScope(user: AuthUser, communityId: string | null | undefined, what = `community ${communityId}`): Promise<CommunityRow> {
    const community = communityId ? await this.communities.findById(communityId) : undefined;
    // A visitor (issue 13 §7) has no scope of their own: they reach the communities that admit visitors.
    const reaches = community && (can(user, Permission.VisitorParking) ? community.visitors_allowed : covers(user, community));
    if (!community || !reaches) throw new NotFoundException(`${what} not found`);
    return community;
  }

  /**
   * Of the given users, those who may act in the community: enabled, their scope covering it,
   * their role holding the permission. (Who can be put in an escalation chain or assigned an alarm.)
   */
  async usersReaching(userIds: string[], community: CommunityPlace, permission: Permission): Promise<string[]> {
    const rows = await this.users.findByIds([...new Set(userIds)]);
    return rows
      .filter((u) => {
        const role = roleSchema.safeParse(u.role);
        return !u.disabled && role.success && roleHas(role.data, permission) && coversScope(scopeFrom(u.scope_level, u.community_ids, u.scope_street, u.scope_district), community);
      })
      .map((u) => u.id);
  }

  /** Whether a community falls inside the user's scope (pure check on a loaded row). */
  covers(user: AuthUser, community: CommunityPlace): boolean {
    return covers(user, community);
  }
}

export function covers(user: Pick<AuthUser, 'scope'>, community: CommunityPlace): boolean {
  return coversScope(user.scope, community);
}
