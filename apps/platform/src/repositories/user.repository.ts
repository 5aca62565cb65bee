import { Injectable } from '@nestjs/common';
import { sql, type Insertable, type Selectable } from 'kysely';
import { DatabaseRepository } from './database.repository';
import type { UserTable } from './database.schema';

export type UserRow = Selectable<UserTable> & { community_ids: string[] };

/** What an administrator may change on a user; `endSessions` bumps token_version (every token issued so far stops working). */
export interface UserChange {
  role?: string;
  scope?: { level: UserRow['scope_level']; street: string | null; district: string | null; communityIds: string[] };
  displayName?: string | null;
  disabled?: boolean;
  passwordHash?: string;
  passwordChangedAt?: Date;
  endSessions: boolean;
}

@Injectable()
export class UserRepository {
  constructor(private readonly database: DatabaseRepository) {}

  private get db() {
    return this.database.db;
  }

  async insert(user: Insertable<UserTable>, communityIds: string[]): Promise<UserRow> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx.insertInto('users').values(user).returningAll().executeTakeFirstOrThrow();
      if (communityIds.length > 0) {
        await tx.insertInto('user_communities').values(communityIds.map((c) => ({ user_id: row.id, community_id: c }))).execute();
      }
      return { ...row, community_ids: communityIds };
    });
  }

  async findByUsername(username: string): Promise<UserRow | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
    return row && this.withCommunities(row);
  }

  /** Ids of the named users that exist, by username. */
  async idsByUsername(usernames: string[]): Promise<Map<string, string>> {
    if (usernames.length === 0) return new Map();
    const rows = await this.db.selectFrom('users').select(['id', 'username']).where('username', 'in', usernames).execute();
    return new Map(rows.map((r) => [r.username, r.id]));
  }

  async findById(id: string): Promise<UserRow | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && this.withCommunities(row);
  }

  async findByIds(ids: string[]): Promise<UserRow[]> {
    if (ids.length === 0) return [];
    return this.withCommunitiesAll(await this.db.selectFrom('users').selectAll().where('id', 'in', ids).execute());
  }

  async list(): Promise<UserRow[]> {
    return this.withCommunitiesAll(await this.db.selectFrom('users').selectAll().orderBy('username').execute());
  }

  async countByRole(role: string): Promise<number> {
    const { count } = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('role', '=', role)
      .where('disabled', '=', false)
      .executeTakeFirstOrThrow();
    return Number(count);
  }

  async update(id: string, change: UserChange): Promise<UserRow | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx
        .updateTable('users')
        .set({
          ...(change.role !== undefined ? { role: change.role } : {}),
          ...(change.scope ? { scope_level: change.scope.level, scope_street: change.scope.street, scope_district: change.scope.district } : {}),
          ...(change.displayName !== undefined ? { display_name: change.displayName } : {}),
          ...(change.disabled !== undefined ? { disabled: change.disabled } : {}),
          ...(change.passwordHash !== undefined ? { password_hash: change.passwordHash, password_changed_at: change.passwordChangedAt ?? null } : {}),
          ...(change.endSessions ? { token_version: sql<number>`token_version + 1` } : {}),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      if (change.scope) {
        await tx.deleteFrom('user_communities').where('user_id', '=', id).execute();
        if (change.scope.communityIds.length > 0) {
          await tx.insertInto('user_communities').values(change.scope.communityIds.map((c) => ({ user_id: id, community_id: c }))).execute();
        }
      }
      const links = await tx.selectFrom('user_communities').select('community_id').where('user_id', '=', id).execute();
      return { ...row, community_ids: links.map((l) => l.community_id) };
    });
  }

  private async withCommunities(row: Selectable<UserTable>): Promise<UserRow> {
    const links = await this.db.selectFrom('user_communities').select('community_id').where('user_id', '=', row.id).execute();
    return { ...row, community_ids: links.map((l) => l.community_id) };
  }

  private async withCommunitiesAll(rows: Selectable<UserTable>[]): Promise<UserRow[]> {
    if (rows.length === 0) return [];
    const links = await this.db.selectFrom('user_communities').select(['user_id', 'community_id']).where('user_id', 'in', rows.map((r) => r.id)).execute();
    return rows.map((r) => ({ ...r, community_ids: links.filter((l) => l.user_id === r.id).map((l) => l.community_id) }));
  }
}
