import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { AlarmCountRow, ComplaintCountRow, DeviceOnlineRow, FundCountRow } from '../domain/supervision';
import { DatabaseRepository } from './database.repository';
import { RedisRepository } from './redis.repository';

/**
 * Read-only aggregate queries for the supervision overview: one query per kind over a set of
 * communities (never one per community), and the devices' live online flags from Redis in one
 * pipeline.
 */
@Injectable()
export class SupervisionRepository {
  constructor(
    private readonly database: DatabaseRepository,
    private readonly redis: RedisRepository,
  ) {}

  private get db() {
    return this.database.db;
  }

  async activeAlarmCounts(communityIds: string[]): Promise<AlarmCountRow[]> {
    if (communityIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('alarms')
      .select(['community_id', 'severity', sql<number>`count(*)::int`.as('n')])
      .where('state', '=', 'active')
      .where('community_id', 'in', communityIds)
      .groupBy(['community_id', 'severity'])
      .execute();
    return rows.map((r) => ({ communityId: r.community_id, severity: Number(r.severity), count: Number(r.n) }));
  }

  /** Devices of the communities with their live online flag (Redis hash field `online`). */
  async devicesOnline(communityIds: string[]): Promise<DeviceOnlineRow[]> {
    if (communityIds.length === 0) return [];
    const devices = await this.db.selectFrom('devices').select(['id', 'community_id']).where('community_id', 'in', communityIds).execute();
    if (devices.length === 0) return [];
    const online = await this.redis.onlineFlags(devices.map((d) => d.id));
    return devices.map((d, i) => ({ communityId: d.community_id, online: online[i] }));
  }

  async openFundCases(communityIds: string[], closedStates: readonly string[]): Promise<FundCountRow[]> {
    if (communityIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('fund_cases')
      .select(['community_id', sql<number>`count(*)::int`.as('n'), sql<Date | null>`min(least(review_deadline, payment_deadline))`.as('next')])
      .where('community_id', 'in', communityIds)
      .where('state', 'not in', [...closedStates])
      .groupBy('community_id')
      .execute();
    return rows.map((r) => ({ communityId: r.community_id, open: Number(r.n), nextDeadline: r.next === null ? null : new Date(r.next) }));
  }

  /** Open complaints per community, and how many of them are past their deadline at `now`. */
  async openComplaints(communityIds: string[], now: Date): Promise<ComplaintCountRow[]> {
    if (communityIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('complaints')
      .select(['community_id', sql<number>`count(*)::int`.as('n'), sql<number>`count(*) FILTER (WHERE deadline <= ${now})::int`.as('overdue')])
      .where('community_id', 'in', communityIds)
      .where('state', '=', 'open')
      .groupBy('community_id')
      .execute();
    return rows.map((r) => ({ communityId: r.community_id, open: Number(r.n), overdue: Number(r.overdue) }));
  }

  /** Communities whose repair cases changed after `since` (by updated_at), and the newest updated_at seen. */
  async fundChangedSince(since: Date | null): Promise<{ communityIds: string[]; newest: Date | null }> {
    let q = this.db.selectFrom('fund_cases').select(['community_id', sql<Date>`max(updated_at)`.as('newest')]).groupBy('community_id');
    if (since) q = q.where('updated_at', '>', since);
    const rows = await q.execute();
    let newest = since;
    for (const r of rows) {
      const at = new Date(r.newest);
      if (!newest || at > newest) newest = at;
    }
    return { communityIds: rows.map((r) => r.community_id), newest };
  }
}
