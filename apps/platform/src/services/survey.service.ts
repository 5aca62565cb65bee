import { BadRequestException, ConflictException, ForbiddenException, Injectable, Logger, NotFoundException, type OnApplicationBootstrap } from '@nestjs/common';
import { surveyAreaIds, type AnswerSurveyRequest, type OpenSurveyRequest, type Survey, type SurveyResult } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import { hasRole, type PlatformConfig } from '../config/config';
import { localDate } from '../domain/business-time';
import { can, Permission } from '../domain/permissions';
import { DEFAULT_SURVEY_QUESTIONS, periodHasBegun, resultsByPeriod, surveyClosesAt, tallySurvey } from '../domain/satisfaction-survey';
import { AuditRepository } from '../repositories/audit.repository';
import { ClockRepository } from '../repositories/clock.repository';
import type { CommunityRow } from '../repositories/community.repository';
import { jobIds, surveyCloseJob } from '../repositories/job-catalogue';
import { JobRepository } from '../repositories/job.repository';
import { type AnswerRow, SurveyRepository, type SurveyRow } from '../repositories/survey.repository';
import { UnitRepository } from '../repositories/unit.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';

/**
 * Owners' satisfaction surveys (满意度测评, seed 001_187fc5f9dc35b825.txt 四(三) "每半年 … 征询1次业主对
 * 物业服务的满意度"): the property company or the owners' committee opens the community's survey
 * of a half-year; each unit answers once, by its representative (a verified owner, as in votes);
 * closing tallies the answers over the community's units and stores the result, which the
 * results series and the company's credit grade (credit-sources.service.ts) read. A survey closes
 * by itself at the end of its half-year: a durable job (PostgreSQL's workflow_steps the source of
 * truth, BullMQ the timer), run by one worker of the cluster, deciding with the injected clock;
 * a survey opened after its half-year ended runs to the end of the half-year it was opened in.
 */
@Injectable()
export class SurveyService implements OnApplicationBootstrap {
  private readonly logger = new Logger(SurveyService.name);

  constructor(
    private readonly surveys: SurveyRepository,
    private readonly units: UnitRepository,
    private readonly access: AccessService,
    private readonly audit: AuditRepository,
    private readonly clock: ClockRepository,
    @InjectConfig() private readonly config: PlatformConfig,
    private readonly jobs: JobRepository,
  ) {
    jobs.handle(surveyCloseJob, (data) => this.onPeriodEnd(data.surveyId));
  }

  /**
   * Surveys opened before they closed by themselves have no close step: a worker schedules one for
   * each open survey at start (the same job id, so a survey scheduled already is left as it is).
   */
  async onApplicationBootstrap(): Promise<void> {
    if (!hasRole(this.config, 'worker')) return;
    for (const survey of await this.surveys.open()) await this.scheduleClose(survey);
  }

  private closesAt(survey: SurveyRow): number {
    return surveyClosesAt(survey.period, localDate(survey.opened_at.getTime(), this.config.timeZone), this.config.timeZone);
  }

  private scheduleClose(survey: SurveyRow, suffix = ''): Promise<void> {
    return this.jobs.schedule(surveyCloseJob, { surveyId: survey.id }, { jobId: jobIds.surveyClose(survey.id, suffix), dueAt: this.closesAt(survey) });
  }

  async open(user: AuthUser, dto: OpenSurveyRequest): Promise<Survey> {
    const community = await this.access.requireInScope(user, dto.communityId);
    if (!community.property_company_id) throw new ConflictException(`community ${community.id} has no property company: the survey rates the company serving it`);
    const now = this.clock.now();
    if (!periodHasBegun(dto.period, localDate(now, this.config.timeZone))) throw new BadRequestException({ message: `${dto.period} has not begun`, errors: [{ path: ['period'], message: 'not begun' }] });
    const row = await this.surveys.insert({
      community_id: community.id,
      company_id: community.property_company_id,
      period: dto.period,
      areas: JSON.stringify(dto.areas ?? surveyAreaIds),
      opened_by: user.id,
      opener_role: user.role,
      opened_at: new Date(now),
    });
    if (!row) throw new ConflictException(`community ${community.id} has a survey of ${dto.period} already`);
    await this.scheduleClose(row);
    await this.audit.record({ actorId: user.id, action: 'survey.opened', subjectType: 'satisfaction_survey', subjectId: row.id, detail: { communityId: community.id, period: dto.period, role: user.role } });
    return this.view(user, row);
  }

  async list(user: AuthUser, communityId: string): Promise<Survey[]> {
    await this.requireReader(user, communityId);
    const rows = await this.surveys.ofCommunity(communityId);
    const [counts, mine] = await Promise.all([this.surveys.answerCounts(rows.map((r) => r.id)), this.units.representedBy(communityId, user.id)]);
    const answered = await Promise.all(rows.map(async (r) => (mine.length ? new Set((await this.surveys.answers(r.id)).map((a) => a.unit_id)) : new Set<string>())));
    return rows.map((r, i) => mapSurvey(r, counts.get(r.id) ?? 0, mine.map((unitId) => ({ unitId, answered: answered[i].has(unitId) }))));
  }

  async get(user: AuthUser, id: string): Promise<Survey> {
    return this.view(user, await this.surveyFor(user, id));
  }

  /** A verified owner answers for the units they represent in the survey's community (all, or the one named); a unit answers once. */
  async answer(user: AuthUser, id: string, dto: AnswerSurveyRequest) {
    const survey = await this.surveyFor(user, id);
    const asked = new Set(survey.areas);
    const notAsked = Object.keys({ ...dto.scores, ...dto.comments }).filter((a) => !asked.has(a as SurveyRow['areas'][number]));
    if (notAsked.length) throw new BadRequestException({ message: `this survey does not ask about ${notAsked.join(', ')}`, errors: notAsked.map((a) => ({ path: ['scores', a], message: 'not asked' })) });
    const represented = await this.units.representedBy(survey.community_id, user.id);
    if (represented.length === 0) throw new ForbiddenException("only verified owners of this community's units answer (a co-owned unit by its representative)");
    if (dto.unitId && !represented.includes(dto.unitId)) throw new ForbiddenException(`you do not represent unit ${dto.unitId}`);
    const unitIds = dto.unitId ? [dto.unitId] : represented;
    const at = new Date(this.clock.now());
    const refusal = await this.surveys.answer(survey.id, unitIds, user.id, JSON.stringify(dto.scores), dto.comments ? JSON.stringify(dto.comments) : null, at);
    if (refusal?.refused === 'closed') throw new ConflictException('the survey is closed');
    if (refusal?.refused === 'answered') throw new ConflictException(`unit ${refusal.unitId} has answered this survey already: one answer per unit`);
    await this.audit.record({ actorId: user.id, action: 'survey.answered', subjectType: 'satisfaction_survey', subjectId: survey.id, detail: { unitIds } });
    return { surveyId: survey.id, unitIds, answeredAt: at.toISOString() };
  }

  /** Closes the survey: its answers tallied over the community's units as they are now, stored once. */
  async close(user: AuthUser, id: string): Promise<Survey> {
    const survey = await this.surveyFor(user, id);
    const unitIds = (await this.units.electorate(survey.community_id)).map((u) => u.unit_id);
    const closed = await this.surveys.close(survey.id, new Date(this.clock.now()), (locked, answers) => tally(locked, unitIds, answers));
    if (!closed) throw new ConflictException('the survey is closed already');
    const result = closed.result as SurveyResult;
    await this.audit.record({ actorId: user.id, action: 'survey.closed', subjectType: 'satisfaction_survey', subjectId: survey.id, detail: { answeredUnits: result.answeredUnits, units: result.units, score: result.score } });
    return this.view(user, closed);
  }

  /**
   * The close job: decides with the clock (a job run early, e.g. after the clock was stepped back,
   * waits again), then tallies as a close by hand does; a survey closed already is left as it is.
   */
  async onPeriodEnd(surveyId: string): Promise<void> {
    const survey = await this.surveys.find(surveyId);
    if (!survey || survey.status === 'closed') return;
    const now = this.clock.now();
    if (now < this.closesAt(survey)) {
      await this.scheduleClose(survey, `-w${now}`);
      return;
    }
    const unitIds = (await this.units.electorate(survey.community_id)).map((u) => u.unit_id);
    const closed = await this.surveys.close(survey.id, new Date(now), (locked, answers) => tally(locked, unitIds, answers));
    if (!closed) return;
    const result = closed.result as SurveyResult;
    await this.audit.record({ actorId: null, action: 'survey.closed', subjectType: 'satisfaction_survey', subjectId: survey.id, detail: { answeredUnits: result.answeredUnits, units: result.units, score: result.score, periodEnded: true } });
    this.logger.log(`survey ${survey.id} (${survey.period}) closed at the end of its period`);
  }

  /** The owners' comments, per area in the survey's order, oldest first; who wrote them is not told. */
  async comments(user: AuthUser, id: string) {
    const survey = await this.surveyFor(user, id);
    const answers = (await this.surveys.answers(survey.id)).sort((a, b) => a.answered_at.getTime() - b.answered_at.getTime());
    // An owner answering for several units gave one comment: shown once.
    const seen = new Set<string>();
    return survey.areas.flatMap((area) =>
      answers.flatMap((a) => {
        const text = a.comments?.[area];
        const key = `${area}|${a.user_id}|${a.answered_at.getTime()}`;
        if (!text || seen.has(key)) return [];
        seen.add(key);
        return [{ area, text, answeredAt: a.answered_at.toISOString() }];
      }),
    );
  }

  /**
   * Closed surveys per half-year: of one community in scope, or of one company over the
   * communities of the caller's scope (a property company's staff see their own communities;
   * a company that serves none of them is "not found", as any id outside one's scope).
   */
  async results(user: AuthUser, query: { communityId?: string; companyId?: string }) {
    if (query.communityId) {
      await this.access.requireInScope(user, query.communityId);
      return { communityId: query.communityId, companyId: null, periods: resultsByPeriod(await this.closedResults({ communityIds: [query.communityId] })) };
    }
    const companyId = query.companyId!;
    const visible = await this.access.visibleCommunityIds(user);
    if (!(await this.surveys.companyReaches(companyId, visible))) throw new NotFoundException(`property company ${companyId} not found`);
    return { communityId: null, companyId, periods: resultsByPeriod(await this.closedResults({ communityIds: visible, companyId })) };
  }

  private async closedResults(filter: { communityIds: string[]; companyId?: string }) {
    return (await this.surveys.closedOf(filter)).map((r) => ({ period: r.period, result: r.result as SurveyResult }));
  }

  /**
   * The scope check plus the owners' rule: who does not read results (an owner) reaches only the
   * surveys of communities where they hold a verified unit; anything else is "not found".
   */
  private async requireReader(user: AuthUser, communityId: string | undefined, what?: string): Promise<CommunityRow> {
    const community = await this.access.requireInScope(user, communityId, what);
    if (!can(user, Permission.SurveyResultsRead) && (await this.units.verifiedOwnerHoldings(user.id, [community.id])).length === 0) {
      throw new NotFoundException(`${what ?? `community ${communityId}`} not found`);
    }
    return community;
  }

  private async surveyFor(user: AuthUser, id: string): Promise<SurveyRow> {
    const survey = await this.surveys.find(id);
    await this.requireReader(user, survey?.community_id, `survey ${id}`);
    return survey!;
  }

  private async view(user: AuthUser, row: SurveyRow): Promise<Survey> {
    const [answers, mine] = await Promise.all([this.surveys.answers(row.id), this.units.representedBy(row.community_id, user.id)]);
    const answered = new Set(answers.map((a) => a.unit_id));
    return mapSurvey(row, answers.length, mine.map((unitId) => ({ unitId, answered: answered.has(unitId) })));
  }
}

/** The result over the community's units; answers of units since removed from it are left out. */
export function tally(survey: SurveyRow, unitIds: readonly string[], answers: readonly AnswerRow[]): SurveyResult {
  const units = new Set(unitIds);
  return tallySurvey(
    survey.areas,
    unitIds,
    answers.filter((a) => units.has(a.unit_id)).map((a) => ({ unitId: a.unit_id, scores: a.scores })),
  );
}

function mapSurvey(row: SurveyRow, answers: number, myUnits: Survey['myUnits']): Survey {
  return {
    id: row.id,
    communityId: row.community_id,
    companyId: row.company_id,
    period: row.period,
    questions: row.areas.map((area) => ({ area, ...DEFAULT_SURVEY_QUESTIONS[area] })),
    status: row.status,
    openerRole: row.opener_role,
    openedAt: row.opened_at.toISOString(),
    answers,
    closedAt: row.closed_at ? row.closed_at.toISOString() : null,
    result: (row.result as SurveyResult | null) ?? null,
    myUnits,
  };
}
