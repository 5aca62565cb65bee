import { Injectable } from '@nestjs/common';
import type { Insertable, Selectable, Transaction, Updateable } from 'kysely';
import { sql } from 'kysely';
import type { ComplaintTables } from './complaint.schema';
import { DatabaseRepository } from './database.repository';
import type { Database } from './database.schema';

export type ComplaintRow = Selectable<ComplaintTables['complaints']>;
export type ComplaintSettingsRow = Selectable<ComplaintTables['complaint_settings']>;
type Db = Transaction<Database> | DatabaseRepository['db'];

export interface ComplaintFilter {
  communityIds: string[];
  filedBy?: string;
  state?: string;
  /** Open items whose deadline is at or before this instant. */
  overdueAt?: Date;
  limit: number;
}

/** Complaints and repair requests, their timeline, photos, settings and the filers' notices (migration 0012). */
@Injectable()
export class ComplaintRepository {
  constructor(private readonly database: DatabaseRepository) {}

  private get db() {
    return this.database.db;
  }

  transaction<T>(fn: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  async settings(communityId: string): Promise<ComplaintSettingsRow | undefined> {
    return this.db.selectFrom('complaint_settings').selectAll().where('community_id', '=', communityId).executeTakeFirst();
  }

  async saveSettings(communityId: string, resolveHours: Record<string, number>, levelHours: Record<string, number>, ledgerHours: number | null): Promise<void> {
    const values = { resolve_hours: JSON.stringify(resolveHours), level_hours: JSON.stringify(levelHours), ledger_hours: ledgerHours };
    await this.db
      .insertInto('complaint_settings')
      .values({ community_id: communityId, ...values })
      .onConflict((oc) => oc.column('community_id').doUpdateSet({ ...values, updated_at: sql`now()` }))
      .execute();
  }

  async insert(row: Insertable<ComplaintTables['complaints']>, db: Db = this.db): Promise<ComplaintRow> {
    return db.insertInto('complaints').values(row).returningAll().executeTakeFirstOrThrow();
  }

  async find(id: string): Promise<ComplaintRow | undefined> {
    return this.db.selectFrom('complaints').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async lock(tx: Transaction<Database>, id: string): Promise<ComplaintRow | undefined> {
    return tx.selectFrom('complaints').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  }

  async update(tx: Transaction<Database>, id: string, patch: Updateable<ComplaintTables['complaints']>): Promise<ComplaintRow> {
    return tx.updateTable('complaints').set(patch).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  }

  /** Names the item's fund case, unless it has one already (then undefined). */
  async linkFundCase(tx: Transaction<Database>, id: string, caseId: string): Promise<ComplaintRow | undefined> {
    return tx.updateTable('complaints').set({ fund_case_id: caseId }).where('id', '=', id).where('fund_case_id', 'is', null).returningAll().executeTakeFirst();
  }

  async addEvent(event: { complaintId: string; at: Date; actorId: string | null; actorRole: string; action: string; level: string; note?: string | null }, db: Db = this.db): Promise<void> {
    await db
      .insertInto('complaint_events')
      .values({ complaint_id: event.complaintId, at: event.at, actor_id: event.actorId, actor_role: event.actorRole, action: event.action, level: event.level, note: event.note ?? null })
      .execute();
  }

  async list(filter: ComplaintFilter): Promise<ComplaintRow[]> {
    if (filter.communityIds.length === 0) return [];
    let q = this.db.selectFrom('complaints').selectAll().where('community_id', 'in', filter.communityIds);
    if (filter.filedBy) q = q.where('filed_by', '=', filter.filedBy);
    if (filter.state) q = q.where('state', '=', filter.state);
    if (filter.overdueAt) q = q.where('state', '=', 'open').where('deadline', '<=', filter.overdueAt);
    return q.orderBy('filed_at', 'desc').limit(filter.limit).execute();
  }

  async events(complaintId: string) {
    return this.db.selectFrom('complaint_events').selectAll().where('complaint_id', '=', complaintId).orderBy('id').execute();
  }

  async photos(complaintId: string) {
    return this.db.selectFrom('complaint_photos').selectAll().where('complaint_id', '=', complaintId).orderBy('created_at').execute();
  }

  async findPhoto(complaintId: string, photoId: string) {
    return this.db.selectFrom('complaint_photos').selectAll().where('complaint_id', '=', complaintId).where('id', '=', photoId).executeTakeFirst();
  }

  async addPhoto(row: Insertable<ComplaintTables['complaint_photos']>) {
    return this.db.insertInto('complaint_photos').values(row).returningAll().executeTakeFirstOrThrow();
  }

  async addInbox(row: { userId: string; complaintId: string; action: string; level: string; at: Date }, db: Db = this.db): Promise<void> {
    await db.insertInto('complaint_inbox').values({ user_id: row.userId, complaint_id: row.complaintId, action: row.action, level: row.level, created_at: row.at, read_at: null }).execute();
  }

  async inbox(userId: string, limit: number) {
    return this.db.selectFrom('complaint_inbox').selectAll().where('user_id', '=', userId).orderBy('id', 'desc').limit(limit).execute();
  }

  /** Every item of the communities, for the statistics (filed since `from`). */
  async facts(communityIds: string[], from: Date): Promise<ComplaintRow[]> {
    if (communityIds.length === 0) return [];
    return this.db.selectFrom('complaints').selectAll().where('community_id', 'in', communityIds).where('filed_at', '>=', from).execute();
  }
}
