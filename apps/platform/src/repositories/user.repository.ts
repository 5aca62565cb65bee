import { Injectable } from '@nestjs/common';
import type { Insertable, Selectable } from 'kysely';
import { DatabaseRepository } from './database.repository';
import type { UserTable } from './database.schema';

export type UserRow = Selectable<UserTable> & { community_ids: string[] };

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

  async findById(id: string): Promise<UserRow | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && this.withCommunities(row);
  }

  async countByRole(role: string): Promise<number> {
    const { count } = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('role', '=', role)
      .executeTakeFirstOrThrow();
    return Number(count);
  }

  private async withCommunities(row: Selectable<UserTable>): Promise<UserRow> {
    const links = await this.db.selectFrom('user_communities').select('community_id').where('user_id', '=', row.id).execute();
    return { ...row, community_ids: links.map((l) => l.community_id) };
  }
}
