import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import type { CreditAssessmentRequest, CreditGrade, CreditLists, CreditWeightSetRequest } from '@app/contracts';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { localDate } from '../domain/business-time';
import {
  belowThreshold,
  blackList,
  blackListed,
  type BreakdownLine,
  consequencesOf,
  creditComponents,
  creditScore,
  type CreditWeightSet,
  DEFAULT_RED_LIST_RULE,
  INTERVIEW_THRESHOLD,
  redList,
} from '../domain/credit-grade';
import { AuditRepository } from '../repositories/audit.repository';
import { ClockRepository } from '../repositories/clock.repository';
import { isUniqueViolation } from '../repositories/database.repository';
import { type CreditAssessmentRow, type CreditGradeRow, CreditRepository, type CreditWeightSetRow } from '../repositories/credit.repository';
import { AccessService } from './access.service';
import type { AuthUser } from './auth-user';
import { CreditSourcesService } from './credit-sources.service';

/**
 * Credit grades of property companies and the red/black list (seed 004_592cdd860f3d4a71.txt 五(三)):
 * assessments recorded by the street or district, versioned weight sets, the yearly grading run
 * (per company, from every community it serves; re-running a year replaces its grades and never
 * records an interview twice), and the published lists. A user sees the companies serving the
 * communities of their scope: a street or district its area, a property company itself.
 */
@Injectable()
export class CreditService {
  constructor(
    private readonly repo: CreditRepository,
    private readonly sources: CreditSourcesService,
    private readonly access: AccessService,
    private readonly audit: AuditRepository,
    private readonly clock: ClockRepository,
    @InjectConfig() private readonly config: PlatformConfig,
  ) {}

  // ---------------------------------------------------------------- assessments

  async addAssessment(user: AuthUser, dto: CreditAssessmentRequest) {
    const community = await this.access.requireInScope(user, dto.communityId);
    if (!community.property_company_id) throw new ConflictException(`community ${community.id} has no property company: assign one before assessing it`);
    if (dto.assessedOn > localDate(this.clock.now(), this.config.timeZone)) throw new BadRequestException('assessedOn lies in the future');
    const row = await this.repo.addAssessment({
      kind: dto.kind,
      community_id: community.id,
      company_id: community.property_company_id,
      year: Number(dto.assessedOn.slice(0, 4)),
      assessed_on: dto.assessedOn,
      score: dto.score,
      note: dto.note ?? null,
      recorded_by: user.id,
      recorder_role: user.role,
      recorded_at: new Date(this.clock.now()),
    });
    await this.audit.record({ actorId: user.id, action: 'credit.assessment.recorded', subjectType: 'property_company', subjectId: row.company_id, detail: { assessmentId: row.id, kind: row.kind, communityId: row.community_id, score: row.score } });
    return assessmentView(row);
  }

  async assessments(user: AuthUser, query: { year?: number; communityId?: string }) {
    const ids = query.communityId ? [(await this.access.requireInScope(user, query.communityId)).id] : await this.access.visibleCommunityIds(user);
    const year = query.year ?? Number(localDate(this.clock.now(), this.config.timeZone).slice(0, 4));
    return (await this.repo.assessments(ids, year)).map(assessmentView);
  }

  // ---------------------------------------------------------------- weight sets

  async weightSets() {
    return (await this.repo.weightSets()).map(weightSetView);
  }

  async addWeightSet(user: AuthUser, dto: CreditWeightSetRequest) {
    try {
      const row = await this.repo.addWeightSet({ weights: JSON.stringify(dto.weights), red_min_score: dto.redList.minScore, red_top_n: dto.redList.topN, note: dto.note ?? null, created_by: user.id });
      await this.audit.record({ actorId: user.id, action: 'credit.weights.published', subjectType: 'credit_weight_set', subjectId: String(row.version), detail: { ...dto } });
      return weightSetView(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictException('another weight set was published at the same moment: try again');
      throw error;
    }
  }

  // ---------------------------------------------------------------- grading

  /**
   * Grades, for `year`, every company serving a community of the caller's scope, with the latest
   * weight set; records an interview and a risk notice for each below 90 (once), and removes them
   * when a re-run finds the company no longer below (both audited).
   */
  async run(user: AuthUser, year: number) {
    const now = this.clock.now();
    if (year > Number(localDate(now, this.config.timeZone).slice(0, 4))) throw new BadRequestException(`${year} has not begun`);
    const setRow = await this.repo.latestWeightSet();
    if (!setRow) throw new ConflictException('no weight set');
    const set = toWeightSet(setRow);
    const visible = await this.access.visibleCommunityIds(user);
    const companyIds = await this.repo.companiesServing(visible);
    const communitiesByCompany = await this.repo.communitiesOf(companyIds);
    const inputs = await this.sources.inputs(communitiesByCompany, year);
    for (const companyId of companyIds) {
      const result = creditScore(inputs.get(companyId) ?? {}, set);
      await this.repo.saveGrade({
        company_id: companyId,
        year,
        score: result.score,
        weight_version: set.version,
        breakdown: JSON.stringify(result.breakdown),
        community_ids: JSON.stringify(communitiesByCompany.get(companyId) ?? []),
        graded_by: user.id,
        graded_at: new Date(now),
      });
      const actions = consequencesOf(result.score);
      if (actions.length === 0) {
        const removed = await this.repo.removeActions(companyId, year);
        if (removed.length > 0) await this.audit.record({ actorId: user.id, action: 'credit.actions.withdrawn', subjectType: 'property_company', subjectId: companyId, detail: { year, score: result.score, kinds: removed } });
      }
      for (const kind of actions) {
        if (await this.repo.addAction({ company_id: companyId, year, kind, score: result.score!, recorded_by: user.id, recorded_at: new Date(now) })) {
          await this.audit.record({ actorId: user.id, action: `credit.${kind}.recorded`, subjectType: 'property_company', subjectId: companyId, detail: { year, score: result.score, seed: '004_592cdd860f3d4a71.txt 五(三)' } });
        }
      }
    }
    await this.audit.record({ actorId: user.id, action: 'credit.graded', subjectType: 'credit_year', subjectId: String(year), detail: { weightVersion: set.version, companies: companyIds.length } });
    return { year, weightVersion: set.version, grades: await this.gradeViews(year, companyIds, visible) };
  }

  async grades(user: AuthUser, year: number) {
    const visible = await this.access.visibleCommunityIds(user);
    return this.gradeViews(year, await this.repo.companiesServing(visible), visible);
  }

  async grade(user: AuthUser, year: number, companyId: string) {
    const visible = await this.access.visibleCommunityIds(user);
    const companies = await this.repo.companiesServing(visible);
    const [view] = companies.includes(companyId) ? await this.gradeViews(year, [companyId], visible) : [];
    if (!view) throw new NotFoundException(`grade of company ${companyId} for ${year} not found`);
    return view;
  }

  /**
   * The published red and black lists of a year (public, like the 公示栏), each entry with its
   * breakdown. The red-list rule is that of the newest weight set the year's grades used (two
   * districts may have graded with different versions; each entry shows its own).
   */
  async lists(year: number): Promise<CreditLists> {
    const [rows, previous] = await Promise.all([this.repo.grades(year), this.repo.grades(year - 1)]);
    const companies = new Map((await this.repo.companies(rows.map((r) => r.company_id))).map((c) => [c.id, c]));
    const latestVersion = rows.reduce((v, r) => Math.max(v, r.weight_version), 0);
    const setRow = latestVersion > 0 ? await this.repo.weightSet(latestVersion) : undefined;
    const rule = setRow ? toWeightSet(setRow).redList : null;
    const previousScores = new Map(previous.map((p) => [p.company_id, p.score]));
    const graded = rows
      .filter((r) => companies.has(r.company_id))
      .map((r) => ({ companyId: r.company_id, name: companies.get(r.company_id)!.name, score: r.score, subject: r }));
    const entry = (e: { rank: number; company: { companyId: string; score: number | null; subject?: CreditGradeRow } }) => {
      const c = companies.get(e.company.companyId)!;
      return {
        rank: e.rank,
        company: { id: c.id, name: c.name, creditCode: c.credit_code },
        score: e.company.score!,
        previousScore: previousScores.get(e.company.companyId) ?? null,
        weightVersion: e.company.subject!.weight_version,
        breakdown: e.company.subject!.breakdown as BreakdownLine[],
      };
    };
    return {
      year,
      redListRule: rule,
      threshold: INTERVIEW_THRESHOLD,
      red: redList(graded, rule ?? DEFAULT_RED_LIST_RULE).map(entry),
      black: blackList(graded, previousScores, year).map(entry),
    };
  }

  // ---------------------------------------------------------------- views

  /** The grades of the companies; `visibleCommunityIds`: the caller's, so that a grade names no community outside their scope. */
  private async gradeViews(year: number, companyIds: string[], visibleCommunityIds: string[]): Promise<CreditGrade[]> {
    const visible = new Set(visibleCommunityIds);
    const [rows, previous, actions, companies] = await Promise.all([this.repo.grades(year, companyIds), this.repo.grades(year - 1, companyIds), this.repo.actions(year, companyIds), this.repo.companies(companyIds)]);
    const byId = new Map(companies.map((c) => [c.id, c]));
    const previousScores = new Map(previous.map((p) => [p.company_id, p.score]));
    return rows
      .filter((r) => byId.has(r.company_id))
      .map((r) => {
        const c = byId.get(r.company_id)!;
        const history = new Map<number, number | null>([[year, r.score]]);
        if (previousScores.has(r.company_id)) history.set(year - 1, previousScores.get(r.company_id)!);
        return {
          company: { id: c.id, name: c.name, creditCode: c.credit_code },
          year,
          score: r.score,
          weightVersion: r.weight_version,
          breakdown: r.breakdown as BreakdownLine[],
          communityIds: r.community_ids.filter((id) => visible.has(id)),
          belowThreshold: belowThreshold(r.score),
          blackListed: blackListed(history, year),
          actions: actions.filter((a) => a.company_id === r.company_id).map((a) => ({ kind: a.kind, score: a.score, recordedAt: a.recorded_at.toISOString() })),
          gradedAt: r.graded_at.toISOString(),
        };
      })
      .sort((a, b) => (b.score ?? -1) - (a.score ?? -1) || a.company.name.localeCompare(b.company.name));
  }
}

function toWeightSet(row: CreditWeightSetRow): CreditWeightSet {
  const weights = Object.fromEntries(creditComponents.map((c) => [c, Number(row.weights[c] ?? 0)])) as CreditWeightSet['weights'];
  return { version: row.version, weights, redList: { minScore: row.red_min_score, topN: row.red_top_n } };
}

function weightSetView(row: CreditWeightSetRow) {
  const set = toWeightSet(row);
  return { version: set.version, weights: set.weights, redList: set.redList, note: row.note, createdAt: new Date(row.created_at).toISOString() };
}

function assessmentView(r: CreditAssessmentRow) {
  return { id: r.id, kind: r.kind, communityId: r.community_id, companyId: r.company_id, year: r.year, assessedOn: r.assessed_on, score: r.score, note: r.note, recorderRole: r.recorder_role, recordedAt: new Date(r.recorded_at).toISOString() };
}
