import { Injectable } from '@nestjs/common';
import { sql, type Insertable, type Selectable } from 'kysely';
import { DatabaseRepository, isUniqueViolation } from './database.repository';
import type { SurveyTables } from './survey.schema';

export type SurveyRow = Selectable<SurveyTables['satisfaction_surveys']>;
export type AnswerRow = Selectable<SurveyTables['satisfaction_answers']>;

/** Why an answer was not stored. */
export type AnswerRefusal = { refused: 'closed' } | { refused: 'answered'; unitId: string };

/** Satisfaction surveys and their answers (migration 0017). A closed survey's result is never changed. */
@Injectable()
export class SurveyRepository {
  constructor(private readonly database: DatabaseRepository) {}

  private get db() {
    return this.database.db;
  }

  /** Undefined when the community has a survey of that half-year already. */
  async insert(row: Insertable<SurveyTables['satisfaction_surveys']>): Promise<SurveyRow | undefined> {
    try {
      return await this.db.insertInto('satisfaction_surveys').values(row).returningAll().executeTakeFirstOrThrow();
    } catch (error) {
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
  }

  find(id: string): Promise<SurveyRow | undefined> {
    return this.db.selectFrom('satisfaction_surveys').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Every open survey (one a community and half-year: few). */
  open(): Promise<SurveyRow[]> {
    return this.db.selectFrom('satisfaction_surveys').selectAll().where('status', '=', 'open').execute();
  }

  ofCommunity(communityId: string): Promise<SurveyRow[]> {
    return this.db.selectFrom('satisfaction_surveys').selectAll().where('community_id', '=', communityId).orderBy('period', 'desc').execute();
  }

  /** Closed surveys of the communities, optionally only those a company was serving, optionally of one year. */
  closedOf(filter: { communityIds: readonly string[]; companyId?: string; year?: number }): Promise<SurveyRow[]> {
    if (filter.communityIds.length === 0) return Promise.resolve([]);
    let query = this.db.selectFrom('satisfaction_surveys').selectAll().where('status', '=', 'closed').where('community_id', 'in', filter.communityIds);
    if (filter.companyId) query = query.where('company_id', '=', filter.companyId);
    if (filter.year !== undefined) query = query.where('period', 'like', `${filter.year}H%`);
    return query.orderBy('period').execute();
  }

  /** Closed surveys of a year of the companies (whatever communities they serve now): the credit grade's input. */
  closedOfCompanies(companyIds: readonly string[], year: number): Promise<SurveyRow[]> {
    if (companyIds.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('satisfaction_surveys').selectAll().where('status', '=', 'closed').where('company_id', 'in', companyIds).where('period', 'like', `${year}H%`).execute();
  }

  /** Whether any of the communities is served by the company now or held a survey while it served them. */
  async companyReaches(companyId: string, communityIds: readonly string[]): Promise<boolean> {
    if (communityIds.length === 0) return false;
    const served = await this.db.selectFrom('communities').select('id').where('property_company_id', '=', companyId).where('id', 'in', communityIds).executeTakeFirst();
    if (served) return true;
    return (await this.db.selectFrom('satisfaction_surveys').select('id').where('company_id', '=', companyId).where('community_id', 'in', communityIds).executeTakeFirst()) !== undefined;
  }

  answers(surveyId: string): Promise<AnswerRow[]> {
    return this.db.selectFrom('satisfaction_answers').selectAll().where('survey_id', '=', surveyId).execute();
  }

  async answerCounts(surveyIds: string[]): Promise<Map<string, number>> {
    if (surveyIds.length === 0) return new Map();
    const rows = await this.db.selectFrom('satisfaction_answers').select(['survey_id', sql<number>`count(*)::int`.as('n')]).where('survey_id', 'in', surveyIds).groupBy('survey_id').execute();
    return new Map(rows.map((r) => [r.survey_id, r.n]));
  }

  /**
   * Stores one answer per unit, all or none, while the survey is open (its row locked, so a close
   * cannot slip between the check and the insert; the primary key keeps a unit to one answer).
   */
  async answer(surveyId: string, unitIds: string[], userId: string, scores: string, comments: string | null, at: Date): Promise<AnswerRefusal | undefined> {
    try {
      return await this.db.transaction().execute(async (tx) => {
        const survey = await tx.selectFrom('satisfaction_surveys').select('status').where('id', '=', surveyId).forUpdate().executeTakeFirst();
        if (!survey || survey.status !== 'open') return { refused: 'closed' as const };
        const taken = await tx.selectFrom('satisfaction_answers').select('unit_id').where('survey_id', '=', surveyId).where('unit_id', 'in', unitIds).executeTakeFirst();
        if (taken) return { refused: 'answered' as const, unitId: taken.unit_id };
        await tx.insertInto('satisfaction_answers').values(unitIds.map((unitId) => ({ survey_id: surveyId, unit_id: unitId, user_id: userId, scores, comments, answered_at: at }))).execute();
        return undefined;
      });
    } catch (error) {
      if (isUniqueViolation(error)) return { refused: 'answered', unitId: unitIds[0] };
      throw error;
    }
  }

  /** Closes an open survey with the result `decide` makes of its answers (row locked against answers). Undefined when it was closed already. */
  close(surveyId: string, at: Date, decide: (survey: SurveyRow, answers: AnswerRow[]) => unknown): Promise<SurveyRow | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const survey = await tx.selectFrom('satisfaction_surveys').selectAll().where('id', '=', surveyId).forUpdate().executeTakeFirst();
      if (!survey || survey.status !== 'open') return undefined;
      const answers = await tx.selectFrom('satisfaction_answers').selectAll().where('survey_id', '=', surveyId).execute();
      return tx.updateTable('satisfaction_surveys').set({ status: 'closed', result: JSON.stringify(decide(survey, answers)), closed_at: at }).where('id', '=', surveyId).returningAll().executeTakeFirstOrThrow();
    });
  }
}
