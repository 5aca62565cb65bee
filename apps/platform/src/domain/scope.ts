import type { Scope } from '@app/contracts';

/** Where a community lies: what a scope is matched against. */
export interface CommunityPlace {
  id: string;
  district: string;
  street: string;
}

/** Whether a scope (named communities, a street, a district, the platform) covers a community. */
export function covers(scope: Scope, community: CommunityPlace): boolean {
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

/** A scope from its stored columns (users.scope_level, scope_street, scope_district and the linked communities). */
export function scopeFrom(level: Scope['level'], communityIds: string[], street: string | null, district: string | null): Scope {
  switch (level) {
    case 'platform':
      return { level: 'platform' };
    case 'community':
      return { level: 'community', communityIds };
    case 'street':
      return { level: 'street', street: street ?? '', district: district ?? '' };
    case 'district':
      return { level: 'district', district: district ?? '' };
  }
}
