import { Injectable } from '@nestjs/common';
import { sql, type Insertable, type Selectable, type Transaction, type Updateable } from 'kysely';
import type { AlarmTables } from './alarm.schema';
import { DatabaseRepository } from './database.repository';
import type { Database } from './database.schema';

export type AlarmRow = Selectable<AlarmTables['alarms']>;
export type AlarmEventRow = Selectable<AlarmTables['alarm_events']>;
export type InboxRow = Selectable<AlarmTables['alarm_inbox']>;
export type WebhookRow = Selectable<AlarmTables['alarm_webhooks']>;
export type AlarmPhotoRow = Selectable<AlarmTables['alarm_photos']>;

export interface AlarmFilter {
  communityIds: string[];
  deviceId?: string;
  state?: 'active' | 'cleared';
  acknowledged?: boolean;
  type?: string;
  severity?: number;
  maxSeverity?: number;
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

export interface RaiseInput {
  communityId: string;
  deviceId: string;
  type: string;
  severity: number;
  source: 'device' | 'platform';
  at: Date;
  detail: Record<string, unknown>;
}

export interface Raised {
  alarm: AlarmRow;
  inserted: boolean;
}

/** Runs in the raise's transaction (e.g. an outbox row that must follow the alarm). */
export type RaiseAlongside = (tx: Transaction<Database>, alarm: AlarmRow, inserted: boolean) => Promise<void>;

export interface RecipientUser {
  id: string;
  role: string;
  scope_level: 'platform' | 'community' | 'street' | 'district';
  scope_street: string | null;
  scope_district: string | null;
  community_ids: string[];
}

/** Alarms and their history, settings, chains, inbox, preferences and webhooks (migration 0002). */
@Injectable()
export class AlarmRepository {
  constructor(private readonly database: DatabaseRepository) {}

  private get db() {
    return this.database.db;
  }

  /**
   * Opens an alarm, or counts a repeat on the open one of the same device and type (partial unique
   * index). `alongside` runs in the same transaction (an outbox row that must follow the alarm).
   * `replayed`: the raise may have been applied before (rule outbox replay after a crash): nothing
   * changes, and undefined is returned, when an alarm of the device and type has input.at or later,
   * open or cleared; also when a concurrent raise of it wins the unique index meanwhile.
   */
  async raise(input: RaiseInput, alongside?: RaiseAlongside): Promise<Raised>;
  async raise(input: RaiseInput, alongside: RaiseAlongside | undefined, replayed: boolean): Promise<Raised | undefined>;
  async raise(input: RaiseInput, alongside?: RaiseAlongside, replayed = false): Promise<Raised | undefined> {
    return this.db.transaction().execute(async (tx) => {
      if (replayed) {
        const seen = await tx.selectFrom('alarms').select('id').where('device_id', '=', input.deviceId).where('type', '=', input.type).where('last_at', '>=', input.at).limit(1).executeTakeFirst();
        if (seen) return undefined;
      }
      const result = await this.upsertAlarm(tx, input, replayed);
      if (result) await alongside?.(tx, result.alarm, result.inserted);
      return result;
    });
  }

  private async upsertAlarm(tx: Transaction<Database>, input: RaiseInput, replayed: boolean): Promise<Raised | undefined> {
    const row = await tx
      .insertInto('alarms')
      .values({
        community_id: input.communityId,
        device_id: input.deviceId,
        type: input.type,
        severity: input.severity,
        source: input.source,
        first_at: input.at,
        last_at: input.at,
        detail: JSON.stringify(input.detail),
        acknowledged_at: null,
        acknowledged_by: null,
        assignee_id: null,
        cleared_at: null,
        cleared_by: null,
        arrived_at: null,
        arrived_by: null,
      })
      .onConflict((oc) => {
        const update = oc
          .columns(['device_id', 'type'])
          .where('state', '=', 'active')
          .doUpdateSet({
            count: sql`alarms.count + 1`,
            last_at: sql`greatest(alarms.last_at, excluded.last_at)`,
            severity: sql`least(alarms.severity, excluded.severity)`,
          });
        return replayed ? update.where(sql<boolean>`alarms.last_at < excluded.last_at`) : update;
      })
      .returningAll()
      .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
      .executeTakeFirst();
    if (!row) return undefined;
    const { inserted, ...alarm } = row;
    return { alarm: alarm as AlarmRow, inserted: Boolean(inserted) };
  }

  /** Clears the open alarm of the device and type; with `raisedBy`, only one raised at or before then (a replayed clear must not clear a later alarm). */
  async clearOpen(deviceId: string, type: string, at: Date, by: string | null, raisedBy?: Date): Promise<AlarmRow | undefined> {
    let q = this.db
      .updateTable('alarms')
      .set({ state: 'cleared', cleared_at: at, cleared_by: by })
      .where('device_id', '=', deviceId)
      .where('type', '=', type)
      .where('state', '=', 'active');
    if (raisedBy) q = q.where('first_at', '<=', raisedBy);
    return q.returningAll().executeTakeFirst();
  }

  async findById(id: string): Promise<AlarmRow | undefined> {
    return this.db.selectFrom('alarms').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async findOpen(deviceId: string, type: string): Promise<AlarmRow | undefined> {
    return this.db.selectFrom('alarms').selectAll().where('device_id', '=', deviceId).where('type', '=', type).where('state', '=', 'active').executeTakeFirst();
  }

  /** Updates an alarm if `guard` still holds (e.g. state active, not yet acknowledged). */
  async update(id: string, patch: Updateable<AlarmTables['alarms']>, guard: { state?: 'active'; acknowledged?: boolean; arrived?: false } = {}): Promise<AlarmRow | undefined> {
    let q = this.db.updateTable('alarms').set(patch).where('id', '=', id);
    if (guard.state) q = q.where('state', '=', guard.state);
    if (guard.acknowledged !== undefined) q = q.where('acknowledged', '=', guard.acknowledged);
    if (guard.arrived === false) q = q.where('arrived_at', 'is', null);
    return q.returningAll().executeTakeFirst();
  }

  /** Default order: active and unacknowledged first, then severity, then newest. */
  async list(f: AlarmFilter): Promise<AlarmRow[]> {
    if (f.communityIds.length === 0) return [];
    let q = this.db.selectFrom('alarms').selectAll().where('community_id', 'in', f.communityIds);
    if (f.deviceId) q = q.where('device_id', '=', f.deviceId);
    if (f.state) q = q.where('state', '=', f.state);
    if (f.acknowledged !== undefined) q = q.where('acknowledged', '=', f.acknowledged);
    if (f.type) q = q.where('type', '=', f.type);
    if (f.severity) q = q.where('severity', '=', f.severity);
    if (f.maxSeverity) q = q.where('severity', '<=', f.maxSeverity);
    if (f.from) q = q.where('last_at', '>=', f.from);
    if (f.to) q = q.where('first_at', '<', f.to);
    return q
      .orderBy(sql`(state = 'active' AND NOT acknowledged)`, 'desc')
      .orderBy(sql`(state = 'active')`, 'desc')
      .orderBy('severity', 'asc')
      .orderBy('last_at', 'desc')
      .limit(f.limit)
      .offset(f.offset)
      .execute();
  }

  /** `db`: a transaction, to record the event together with the write it follows. */
  async addEvent(alarmId: string, at: Date, actorId: string | null, action: string, detail: Record<string, unknown> = {}, db: Transaction<Database> | DatabaseRepository['db'] = this.db): Promise<void> {
    await db.insertInto('alarm_events').values({ alarm_id: alarmId, at, actor_id: actorId, action, detail: JSON.stringify(detail) }).execute();
  }

  addPhoto(values: Insertable<AlarmTables['alarm_photos']>): Promise<AlarmPhotoRow> {
    return this.db.insertInto('alarm_photos').values(values).returningAll().executeTakeFirstOrThrow();
  }

  findPhoto(alarmId: string, photoId: string): Promise<AlarmPhotoRow | undefined> {
    return this.db.selectFrom('alarm_photos').selectAll().where('alarm_id', '=', alarmId).where('id', '=', photoId).executeTakeFirst();
  }

  async events(alarmId: string): Promise<AlarmEventRow[]> {
    return this.db.selectFrom('alarm_events').selectAll().where('alarm_id', '=', alarmId).orderBy('at').orderBy('id').execute();
  }

  // ---------------------------------------------------------------- settings and chains

  async allSettings(): Promise<Array<{ scope: 'community' | 'device'; scope_id: string; overrides: Record<string, unknown> }>> {
    return this.db.selectFrom('alarm_rule_settings').select(['scope', 'scope_id', 'overrides']).execute();
  }

  async setSettings(scope: 'community' | 'device', scopeId: string, overrides: Record<string, unknown>, by: string, at: Date): Promise<void> {
    const json = JSON.stringify(overrides);
    await this.db
      .insertInto('alarm_rule_settings')
      .values({ scope, scope_id: scopeId, overrides: json, updated_by: by, updated_at: at })
      .onConflict((oc) => oc.columns(['scope', 'scope_id']).doUpdateSet({ overrides: json, updated_by: by, updated_at: at }))
      .execute();
  }

  async chain(communityId: string, type: string): Promise<Record<string, unknown> | undefined> {
    const row = await this.db.selectFrom('alarm_escalation_chains').select('chain').where('community_id', '=', communityId).where('alarm_type', '=', type).executeTakeFirst();
    return row?.chain;
  }

  async setChain(communityId: string, type: string, chain: Record<string, unknown>, by: string, at: Date): Promise<void> {
    const json = JSON.stringify(chain);
    await this.db
      .insertInto('alarm_escalation_chains')
      .values({ community_id: communityId, alarm_type: type, chain: json, updated_by: by, updated_at: at })
      .onConflict((oc) => oc.columns(['community_id', 'alarm_type']).doUpdateSet({ chain: json, updated_by: by, updated_at: at }))
      .execute();
  }

  // ---------------------------------------------------------------- recipients, inbox, preferences

  async usersWithRoles(roles: string[]): Promise<RecipientUser[]> {
    if (roles.length === 0) return [];
    const rows = await this.db
      .selectFrom('users')
      .select(['id', 'role', 'scope_level', 'scope_street', 'scope_district'])
      .select((eb) => eb.fn.coalesce(sql<string[]>`(SELECT array_agg(uc.community_id::text) FROM user_communities uc WHERE uc.user_id = users.id)`, sql<string[]>`'{}'::text[]`).as('community_ids'))
      .where('role', 'in', roles)
      .where('disabled', '=', false)
      .execute();
    return rows as RecipientUser[];
  }

  async prefs(userIds: string[]): Promise<Map<string, { severities: number[]; types: string[] }>> {
    const map = new Map<string, { severities: number[]; types: string[] }>();
    if (userIds.length === 0) return map;
    const rows = await this.db.selectFrom('alarm_notification_prefs').selectAll().where('user_id', 'in', userIds).execute();
    for (const r of rows) map.set(r.user_id, { severities: r.severities, types: r.types });
    return map;
  }

  async setPrefs(userId: string, severities: number[], types: string[]): Promise<void> {
    const s = JSON.stringify(severities);
    const t = JSON.stringify(types);
    await this.db
      .insertInto('alarm_notification_prefs')
      .values({ user_id: userId, severities: s, types: t })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ severities: s, types: t }))
      .execute();
  }

  async addInbox(rows: Array<{ userId: string; alarmId: string; kind: string; tier: number; at: Date }>): Promise<void> {
    if (rows.length === 0) return;
    await this.db
      .insertInto('alarm_inbox')
      .values(rows.map((r) => ({ user_id: r.userId, alarm_id: r.alarmId, kind: r.kind, tier: r.tier, created_at: r.at, read_at: null })))
      .execute();
  }

  async inbox(userId: string, unreadOnly: boolean, limit: number) {
    let q = this.db
      .selectFrom('alarm_inbox as i')
      .innerJoin('alarms as a', 'a.id', 'i.alarm_id')
      .select(['i.id', 'i.alarm_id', 'i.kind', 'i.tier', 'i.created_at', 'i.read_at', 'a.type', 'a.severity', 'a.device_id', 'a.community_id', 'a.state', 'a.acknowledged'])
      .where('i.user_id', '=', userId);
    if (unreadOnly) q = q.where('i.read_at', 'is', null);
    return q.orderBy('i.created_at', 'desc').orderBy('i.id', 'desc').limit(limit).execute();
  }

  async markRead(userId: string, ids: string[] | 'all', at: Date): Promise<number> {
    let q = this.db.updateTable('alarm_inbox').set({ read_at: at }).where('user_id', '=', userId).where('read_at', 'is', null);
    if (ids !== 'all') q = q.where('id', 'in', ids);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  // ---------------------------------------------------------------- webhooks

  async webhooks(communityId: string): Promise<WebhookRow[]> {
    return this.db.selectFrom('alarm_webhooks').selectAll().where('community_id', '=', communityId).orderBy('created_at').execute();
  }

  async webhook(id: string): Promise<WebhookRow | undefined> {
    return this.db.selectFrom('alarm_webhooks').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async addWebhook(row: { communityId: string; url: string; secret: string; format: WebhookRow['format']; minSeverity: number; by: string }): Promise<WebhookRow> {
    return this.db
      .insertInto('alarm_webhooks')
      .values({ community_id: row.communityId, url: row.url, secret: row.secret, format: row.format, min_severity: row.minSeverity, created_by: row.by })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async deleteWebhook(id: string): Promise<void> {
    await this.db.deleteFrom('alarm_webhooks').where('id', '=', id).execute();
  }
}
