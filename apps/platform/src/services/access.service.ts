import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import type { Role } from '@app/contracts';
import { CommunityRepository, type CommunityFilter, type CommunityRow } from '../repositories/community.repository';
import type { AuthUser } from './auth-user';

/**
 * Scope checks. A user reaches only the communities of their scope: named communities, or every
 * community of a street or district. Anything outside it reads as "not found", so ids of other
 * communities are not disclosed.
 */
@Injectable()
export class AccessService {
  constructor(private readonly communities: CommunityRepository) {}

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

  /** Loads a community the user may see, or throws 404. */
  async requireCommunity(user: AuthUser, communityId: string): Promise<CommunityRow> {
    const community = await this.communities.findById(communityId);
    if (!community || !covers(user, community)) throw new NotFoundException(`community ${communityId} not found`);
    return community;
  }

  requireRole(user: AuthUser, roles: readonly Role[], action: string): void {
    if (!roles.includes(user.role)) throw new ForbiddenException(`role ${user.role} may not ${action}`);
  }

  /** Whether a community falls inside the user's scope (pure check on a loaded row). */
  covers(user: AuthUser, community: Pick<CommunityRow, 'id' | 'district' | 'street'>): boolean {
    return covers(user, community);
  }
}

export function covers(user: AuthUser, community: Pick<CommunityRow, 'id' | 'district' | 'street'>): boolean {
  const scope = user.scope;
  switch (scope.level) {
    case 'platform':
      return true;
    case 'community':
      return scope.communityIds.includes(community.id);
    case 'street':
      return community.district === scope.district && community.street === scope.street;
    case 'district':
      return community.district === scope.district;
  }
}
