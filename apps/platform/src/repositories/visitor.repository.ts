import { Injectable } from '@nestjs/common';
import { type Kysely, sql } from 'kysely';
import { DatabaseRepository } from './database.repository';
import type { Database } from './database.schema';
import type { UserRow } from './user.repository';

/** The username of a visitor's users row: one per mobile number. */
export const visitorUsername = (phone: string) => `visitor:${phone}`;

/** Visitors (issue 13 §7): their one-time codes, their users rows, the communities that admit them. */
@Injectable()
export class VisitorRepository {
  constructor(private readonly database: DatabaseRepository) {}

  private get db(): Kysely<Database> {
    return this.database.db;
  }

  /** A new code for the number replaces any earlier one, with its tries back at zero; codes expired a day ago go. */
  async saveCode(phone: string, digest: string, expiresAt: Date): Promise<void> {
    await this.db.deleteFrom('visitor_codes').where('expires_at', '<', sql<Date>`now() - interval '1 day'`).execute();
    await this.db
      .insertInto('visitor_codes')
      .values({ phone, code_digest: digest, expires_at: expiresAt, tries: 0 })
      .onConflict((oc) => oc.column('phone').doUpdateSet({ code_digest: digest, expires_at: expiresAt, tries: 0, created_at: sql`now()` }))
      .execute();
  }

  /** Counts one try and answers the code as it is after counting (atomic: parallel guesses each use a try). */
  async countTry(phone: string): Promise<{ digest: string; expiresAt: number; tries: number } | undefined> {
    const row = await this.db.updateTable('visitor_codes').set({ tries: sql`tries + 1` }).where('phone', '=', phone).returning(['code_digest', 'expires_at', 'tries']).executeTakeFirst();
    return row && { digest: row.code_digest, expiresAt: new Date(row.expires_at).getTime(), tries: row.tries };
  }

  /** A code is used once: removed when it passes (only that code, not one sent meanwhile). */
  async deleteCode(phone: string, digest: string): Promise<void> {
    await this.db.deleteFrom('visitor_codes').where('phone', '=', phone).where('code_digest', '=', digest).execute();
  }

  /** The visitor of the number, created on first sign-in (role visitor, community scope with no communities, no usable password). */
  async findOrCreateVisitor(phone: string, displayName: string, unusablePasswordHash: string): Promise<UserRow> {
    const username = visitorUsername(phone);
    await this.db
      .insertInto('users')
      .values({ username, password_hash: unusablePasswordHash, display_name: displayName, role: 'visitor', scope_level: 'community', scope_street: null, scope_district: null })
      .onConflict((oc) => oc.column('username').doNothing())
      .execute();
    const row = await this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirstOrThrow();
    return { ...row, community_ids: [] };
  }

  communitiesAdmitting(): Promise<Array<{ id: string; name: string; address: string | null }>> {
    return this.db.selectFrom('communities').select(['id', 'name', 'address']).where('visitors_allowed', '=', true).orderBy('name').execute();
  }

  async setVisitorsAllowed(communityId: string, allowed: boolean): Promise<void> {
    await this.db.updateTable('communities').set({ visitors_allowed: allowed }).where('id', '=', communityId).execute();
  }
}
