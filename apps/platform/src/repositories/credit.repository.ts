import { Injectable } from '@nestjs/common';
import { sql, type Insertable, type Selectable } from 'kysely';
import type { CreditTables } from './credit.schema';
import { DatabaseRepository } from './database.repository';

export type CreditWeightSetRow = Selectable<CreditTables['credit_weight_sets']>;
export type CreditAssessmentRow = Selectable<CreditTables['credit_assessments']>;
export type CreditGradeRow = Selectable<CreditTables['credit_grades']>;
export type CreditActionRow = Selectable<CreditTables['credit_actions']>;

const assessmentColumns = ['id', 'kind', 'community_id', 'company_id', 'year', sql<string>`to_char(assessed_on, 'YYYY-MM-DD')`.as('assessed_on'), 'score', 'note', 'recorded_by', 'recorder_role', 'recorded_at'] as const;

/** Weight sets, assessments, grades and their interviews / risk notices (migration 0016-credit-grade). */
@Injectable()
export class CreditRepository {
  constructor(private readonly database: DatabaseRepository) {}

  private get db() {
    return this.database.db;
  }

  latestWeightSet(): Promise<CreditWeightSetRow | undefined> {
    return this.db.selectFrom('credit_weight_sets').selectAll().orderBy('version', 'desc').limit(1).executeTakeFirst();
  }

  weightSets(): Promise<CreditWeightSetRow[]> {
    return this.db.selectFrom('credit_weight_sets').selectAll().orderBy('version', 'desc').execute();
  }

  weightSet(version: number): Promise<CreditWeightSetRow | undefined> {
    return this.db.selectFrom('credit_weight_sets').selectAll().where('version', '=', version).executeTakeFirst();
  }

  /** The next version, numbered in the insert itself (two at once: one fails on the primary key, never both share one). */
  async addWeightSet(values: Omit<Insertable<CreditTables['credit_weight_sets']>, 'version'>): Promise<CreditWeightSetRow> {
    const next = sql<number>`(SELECT coalesce(max(version), 0) + 1 FROM credit_weight_sets)`;
    return this.db.insertInto('credit_weight_sets').values({ ...values, version: next }).returningAll().executeTakeFirstOrThrow();
  }

  async addAssessment(values: Insertable<CreditTables['credit_assessments']>): Promise<CreditAssessmentRow> {
    const { id } = await this.db.insertInto('credit_assessments').values(values).returning('id').executeTakeFirstOrThrow();
    return this.db.selectFrom('credit_assessments').select(assessmentColumns).where('id', '=', id).executeTakeFirstOrThrow();
  }

  assessments(communityIds: string[], year: number): Promise<CreditAssessmentRow[]> {
    if (communityIds.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('credit_assessments').select(assessmentColumns).where('community_id', 'in', communityIds).where('year', '=', year).orderBy('assessed_on').orderBy('recorded_at').execute();
  }

  /** Every assessment of the companies' year (a company's grade stands on all its communities). */
  companyAssessments(companyIds: string[], year: number): Promise<CreditAssessmentRow[]> {
    if (companyIds.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('credit_assessments').select(assessmentColumns).where('company_id', 'in', companyIds).where('year', '=', year).execute();
  }

  /** Replaces the grade of a company's year (re-running a year changes it in place). */
  async saveGrade(values: Insertable<CreditTables['credit_grades']>): Promise<void> {
    await this.db
      .insertInto('credit_grades')
      .values(values)
      .onConflict((oc) =>
        oc.columns(['company_id', 'year']).doUpdateSet({ score: values.score, weight_version: values.weight_version, breakdown: values.breakdown, community_ids: values.community_ids, graded_by: values.graded_by, graded_at: values.graded_at }),
      )
      .execute();
  }

  grades(year: number, companyIds?: string[]): Promise<CreditGradeRow[]> {
    if (companyIds?.length === 0) return Promise.resolve([]);
    let q = this.db.selectFrom('credit_grades').selectAll().where('year', '=', year);
    if (companyIds) q = q.where('company_id', 'in', companyIds);
    return q.execute();
  }

  /** Records an interview or a risk notice once per company, year and kind; false when it was there already. */
  async addAction(values: Insertable<CreditTables['credit_actions']>): Promise<boolean> {
    const rows = await this.db.insertInto('credit_actions').values(values).onConflict((oc) => oc.columns(['company_id', 'year', 'kind']).doNothing()).returning('id').execute();
    return rows.length > 0;
  }

  /** Removes the actions of a company's year (a re-run found it no longer below 90); returns the kinds removed. */
  async removeActions(companyId: string, year: number): Promise<string[]> {
    const rows = await this.db.deleteFrom('credit_actions').where('company_id', '=', companyId).where('year', '=', year).returning('kind').execute();
    return rows.map((r) => r.kind);
  }

  actions(year: number, companyIds: string[]): Promise<CreditActionRow[]> {
    if (companyIds.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('credit_actions').selectAll().where('year', '=', year).where('company_id', 'in', companyIds).orderBy('recorded_at').execute();
  }

  /** Companies by id (name and credit code). */
  companies(ids: string[]) {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('property_companies').select(['id', 'name', 'credit_code']).where('id', 'in', ids).execute();
  }

  /** The communities served by each of the companies: company id → community ids. */
  async communitiesOf(companyIds: string[]): Promise<Map<string, string[]>> {
    const result = new Map(companyIds.map((id) => [id, [] as string[]]));
    if (companyIds.length === 0) return result;
    const rows = await this.db.selectFrom('communities').select(['id', 'property_company_id']).where('property_company_id', 'in', companyIds).orderBy('name').execute();
    for (const r of rows) result.get(r.property_company_id!)?.push(r.id);
    return result;
  }

  /** The companies serving any of the communities (what a user with those communities in scope sees). */
  async companiesServing(communityIds: string[]): Promise<string[]> {
    if (communityIds.length === 0) return [];
    const rows = await this.db.selectFrom('communities').select('property_company_id').distinct().where('id', 'in', communityIds).where('property_company_id', 'is not', null).execute();
    return rows.map((r) => r.property_company_id!);
  }
}
