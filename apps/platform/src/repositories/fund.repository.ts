import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { sql, type Insertable, type Selectable, type Transaction, type Updateable } from 'kysely';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { DatabaseRepository } from './database.repository';
import type { Database } from './database.schema';
import type { FundTables } from './fund.schema';

export type FundCaseRow = Selectable<FundTables['fund_cases']>;
export type FundCaseEventRow = Selectable<FundTables['fund_case_events']>;
export type FundEvidenceRow = Selectable<FundTables['fund_evidence']>;
export type FundPaymentRow = Selectable<FundTables['fund_payments']>;
export type FundSettingsRow = Selectable<FundTables['fund_community_settings']>;
export type FundCaseInsert = Insertable<FundTables['fund_cases']>;
/** What opening a case decides; everything later in the workflow starts empty. */
export type CaseOpening = Omit<
  FundCaseInsert,
  | 'notice_ends_at'
  | 'review_deadline'
  | 'payment_deadline'
  | 'escalated_at'
  | 'disclosed_at'
  | 'repair_plan'
  | 'contractor'
  | 'budget_fen'
  | 'charge_scope'
  | 'actual_cost_fen'
>;
export type FundCaseUpdate = Updateable<FundTables['fund_cases']>;

export interface FundEventInsert {
  caseId: string;
  at: Date;
  actorId: string | null;
  actorRole: string | null;
  action: string;
  fromState: string | null;
  toState: string | null;
  detail?: Record<string, unknown>;
}

type Db = Transaction<Database> | DatabaseRepository['db'];

/** Tables of the maintenance-fund green channel (migration 0003-fund). */
@Injectable()
export class FundRepository {
  constructor(private readonly database: DatabaseRepository) {}

  private get db() {
    return this.database.db;
  }

  transaction<T>(fn: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  async settings(communityId: string): Promise<FundSettingsRow | undefined> {
    return this.db.selectFrom('fund_community_settings').selectAll().where('community_id', '=', communityId).executeTakeFirst();
  }

  async saveSettings(row: { community_id: string; profile: string; has_property_company: boolean; has_owners_committee: boolean }): Promise<FundSettingsRow> {
    return this.db
      .insertInto('fund_community_settings')
      .values(row)
      .onConflict((oc) =>
        oc.column('community_id').doUpdateSet({
          profile: row.profile,
          has_property_company: row.has_property_company,
          has_owners_committee: row.has_owners_committee,
          updated_at: sql`now()`,
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** Calendar days of the given years, as 'YYYY-MM-DD'. */
  async calendarDays(years: number[]): Promise<Array<{ day: string; year: number; kind: 'holiday' | 'workday' }>> {
    if (years.length === 0) return [];
    return this.db
      .selectFrom('fund_calendar_days')
      .select([sql<string>`to_char(day, 'YYYY-MM-DD')`.as('day'), 'year', 'kind'])
      .where('year', 'in', years)
      .orderBy('day')
      .execute();
  }

  /** Replaces one year's calendar. */
  async replaceCalendarYear(year: number, days: Array<{ day: string; kind: 'holiday' | 'workday' }>): Promise<void> {
    await this.transaction(async (tx) => {
      await tx.deleteFrom('fund_calendar_days').where('year', '=', year).execute();
      if (days.length > 0) await tx.insertInto('fund_calendar_days').values(days.map((d) => ({ ...d, year }))).execute();
    });
  }

  /** Inserts a new draft case: the workflow's fields (plan, deadlines, money …) start empty. */
  async insertCase(row: CaseOpening, db: Db = this.db): Promise<FundCaseRow> {
    const draft: FundCaseInsert = {
      ...row,
      notice_ends_at: null,
      review_deadline: null,
      payment_deadline: null,
      escalated_at: null,
      disclosed_at: null,
      repair_plan: null,
      contractor: null,
      budget_fen: null,
      charge_scope: null,
      actual_cost_fen: null,
    };
    return db.insertInto('fund_cases').values(draft).returningAll().executeTakeFirstOrThrow();
  }

  async findCase(id: string, db: Db = this.db): Promise<FundCaseRow | undefined> {
    return db.selectFrom('fund_cases').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async lockCase(tx: Transaction<Database>, id: string): Promise<FundCaseRow | undefined> {
    return tx.selectFrom('fund_cases').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  }

  async findByAlarm(alarmId: string): Promise<FundCaseRow | undefined> {
    return this.db.selectFrom('fund_cases').selectAll().where('alarm_id', '=', alarmId).executeTakeFirst();
  }

  async findOpenForDeviceAlarm(deviceId: string, alarmType: string, closedStates: readonly string[]): Promise<FundCaseRow | undefined> {
    return this.db
      .selectFrom('fund_cases')
      .selectAll()
      .where('device_id', '=', deviceId)
      .where('alarm_type', '=', alarmType)
      .where('state', 'not in', [...closedStates])
      .executeTakeFirst();
  }

  async listCases(communityIds: string[], filter: { state?: string } = {}): Promise<FundCaseRow[]> {
    if (communityIds.length === 0) return [];
    let q = this.db.selectFrom('fund_cases').selectAll().where('community_id', 'in', communityIds);
    if (filter.state) q = q.where('state', '=', filter.state);
    return q.orderBy('created_at', 'desc').limit(1000).execute();
  }

  async updateCase(tx: Db, id: string, patch: FundCaseUpdate): Promise<FundCaseRow> {
    return tx
      .updateTable('fund_cases')
      .set({ ...patch, version: sql`version + 1` })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async markEscalated(id: string, at: Date): Promise<void> {
    await this.db.updateTable('fund_cases').set({ escalated_at: at, updated_at: at }).where('id', '=', id).execute();
  }

  async addEvent(e: FundEventInsert, db: Db = this.db): Promise<void> {
    await db
      .insertInto('fund_case_events')
      .values({
        case_id: e.caseId,
        at: e.at,
        actor_id: e.actorId,
        actor_role: e.actorRole,
        action: e.action,
        from_state: e.fromState,
        to_state: e.toState,
        detail: JSON.stringify(e.detail ?? {}),
      })
      .execute();
  }

  async events(caseIds: string[]): Promise<FundCaseEventRow[]> {
    if (caseIds.length === 0) return [];
    return this.db.selectFrom('fund_case_events').selectAll().where('case_id', 'in', caseIds).orderBy('id').execute();
  }

  async addEvidence(row: Insertable<FundTables['fund_evidence']>, db: Db = this.db): Promise<FundEvidenceRow> {
    return db.insertInto('fund_evidence').values(row).returningAll().executeTakeFirstOrThrow();
  }

  async evidence(caseId: string): Promise<FundEvidenceRow[]> {
    return this.db.selectFrom('fund_evidence').selectAll().where('case_id', '=', caseId).orderBy('created_at').orderBy('id').execute();
  }

  async findEvidence(caseId: string, evidenceId: string): Promise<FundEvidenceRow | undefined> {
    return this.db.selectFrom('fund_evidence').selectAll().where('case_id', '=', caseId).where('id', '=', evidenceId).executeTakeFirst();
  }

  async addPayment(tx: Db, row: Insertable<FundTables['fund_payments']>): Promise<void> {
    await tx.insertInto('fund_payments').values(row).execute();
  }

  async payments(caseId: string): Promise<FundPaymentRow[]> {
    return this.db.selectFrom('fund_payments').selectAll().where('case_id', '=', caseId).orderBy('paid_at').orderBy('id').execute();
  }

  /** Units of a community, optionally narrowed to buildings or unit ids, with their building's name. */
  async unitsInScope(communityId: string, scope: { buildingIds?: string[]; unitIds?: string[] }, db: Db = this.db) {
    let q = db
      .selectFrom('units')
      .innerJoin('buildings', 'buildings.id', 'units.building_id')
      .select(['units.id as unitId', 'units.number', 'units.floor_area as floorArea', 'units.building_id as buildingId', 'buildings.name as buildingName'])
      .where('units.community_id', '=', communityId);
    if (scope.buildingIds) q = q.where('units.building_id', 'in', scope.buildingIds);
    if (scope.unitIds) q = q.where('units.id', 'in', scope.unitIds);
    return q.orderBy('buildings.name').orderBy('units.number').execute();
  }

  async buildingIdsOf(communityId: string): Promise<string[]> {
    return (await this.db.selectFrom('buildings').select('id').where('community_id', '=', communityId).execute()).map((b) => b.id);
  }

  async saveShares(tx: Db, caseId: string, shares: Array<{ unitId: string; floorArea: string; shareFen: bigint }>): Promise<void> {
    await tx.deleteFrom('fund_shares').where('case_id', '=', caseId).execute();
    if (shares.length === 0) return;
    await tx
      .insertInto('fund_shares')
      .values(shares.map((s) => ({ case_id: caseId, unit_id: s.unitId, floor_area: s.floorArea, share_fen: s.shareFen.toString() })))
      .execute();
  }

  async shares(caseIds: string[]) {
    if (caseIds.length === 0) return [];
    return this.db
      .selectFrom('fund_shares')
      .innerJoin('units', 'units.id', 'fund_shares.unit_id')
      .innerJoin('buildings', 'buildings.id', 'units.building_id')
      .select([
        'fund_shares.case_id as caseId',
        'fund_shares.unit_id as unitId',
        'fund_shares.floor_area as floorArea',
        'fund_shares.share_fen as shareFen',
        'units.number as unitNumber',
        'buildings.name as buildingName',
      ])
      .where('fund_shares.case_id', 'in', caseIds)
      .orderBy('buildings.name')
      .orderBy('units.number')
      .execute();
  }
}

export interface StoredUpload {
  sha256: string;
  size: number;
  path: string;
}

/**
 * Evidence files on local disk under DATA_DIR/uploads, content-addressed by sha256 (no external
 * storage). Written to a temporary name first, then renamed, so a reader never sees half a file.
 */
@Injectable()
export class FundFileRepository {
  private readonly dir: string;

  constructor(@InjectConfig() config: PlatformConfig) {
    this.dir = join(config.dataDir, 'uploads');
  }

  async store(content: Buffer): Promise<StoredUpload> {
    const sha256 = createHash('sha256').update(content).digest('hex');
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, sha256);
    const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temp, content, { mode: 0o640 });
    await rename(temp, path);
    return { sha256, size: content.length, path };
  }

  async read(sha256: string): Promise<Buffer> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error('bad sha256');
    return readFile(join(this.dir, sha256));
  }
}
