import type { Role, Scope } from '@app/contracts';

/** The authenticated caller, attached to every request and socket. */
export interface AuthUser {
  id: string;
  username: string;
  role: Role;
  scope: Scope;
}

/** Roles that may provision and manage devices (within their scope). */
export const deviceManagerRoles: readonly Role[] = ['platform_admin', 'property_staff'];
/** Roles that may create communities (a district authority within its own district). */
export const communityCreatorRoles: readonly Role[] = ['platform_admin', 'district_authority'];
