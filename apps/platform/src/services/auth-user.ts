import type { Role, Scope } from '@app/contracts';

/** The authenticated caller, attached to every request and socket. */
export interface AuthUser {
  id: string;
  username: string;
  displayName?: string | null;
  role: Role;
  scope: Scope;
}
