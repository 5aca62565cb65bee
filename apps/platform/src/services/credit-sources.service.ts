import { Injectable } from '@nestjs/common';
import { InjectConfig } from '../config/config.provider';
import type { PlatformConfig } from '../config/config';
import { zonedInstant } from '../domain/business-time';
import { complaintStatistics } from '../domain/complaints';
import type { SurveyResult } from '@app/contracts';
import { complaintComponent, type ComponentScore, type CreditComponent, recordedComponent, serviceComponent, surveyComponent } from '../domain/credit-grade';
import { combineResults } from '../domain/satisfaction-survey';
import type { Period } from '../domain/service-statistics';
import { ClockRepository } from '../repositories/clock.repository';
import { ComplaintRepository } from '../repositories/complaint.repository';
import { CreditRepository } from '../repositories/credit.repository';
import { SurveyRepository } from '../repositories/survey.repository';
import { complaintFact } from './complaint.service';
import { StatisticsService } from './statistics.service';

export type CreditInputs = Partial<Record<CreditComponent, ComponentScore>>;

/** [1 January, next 1 January) of a year in the business time zone. */
export function yearPeriod(year: number, timeZone: string): Period {
  return { from: zonedInstant({ year, month: 1, day: 1, hour: 0, minute: 0 }, timeZone), to: zonedInstant({ year: year + 1, month: 1, day: 1, hour: 0, minute: 0 }, timeZone) };
}

/**
 * Where each part of a credit grade comes from, one method per part, so a source can be replaced
 * (the complaint desk's own figures, the owners' satisfaction surveys of issue 13 §3) without
 * touching the grading: 合同履行 ← the service scorecard, 投诉处理 ← the complaints filed in the year,
 * 日常检查 ← the recorded 双随机 spot checks, 乡镇(街道办事处)意见 ← the street opinions, 满意度 ← the
 * owners' closed satisfaction surveys of the year, else the survey results officers typed in
 * (seed 004_592cdd860f3d4a71.txt 五(三); 001_187fc5f9dc35b825.txt 四(三); the rule: credit-grade.ts surveyComponent).
 */
@Injectable()
export class CreditSourcesService {
  constructor(
    private readonly statistics: StatisticsService,
    private readonly complaints: ComplaintRepository,
    private readonly credit: CreditRepository,
    private readonly surveys: SurveyRepository,
    private readonly clock: ClockRepository,
    @InjectConfig() private readonly config: PlatformConfig,
  ) {}

  /** The inputs of each company's grade for the year, from all the communities it serves. */
  async inputs(communitiesByCompany: ReadonlyMap<string, string[]>, year: number): Promise<Map<string, CreditInputs>> {
    const period = yearPeriod(year, this.config.timeZone);
    const assessments = await this.credit.companyAssessments([...communitiesByCompany.keys()], year);
    const surveys = await this.surveys.closedOfCompanies([...communitiesByCompany.keys()], year);
    const result = new Map<string, CreditInputs>();
    for (const [companyId, communityIds] of communitiesByCompany) {
      const mine = assessments.filter((a) => a.company_id === companyId);
      const scores = (kind: string) => mine.filter((a) => a.kind === kind).map((a) => a.score);
      result.set(companyId, {
        service: await this.service(communityIds, period),
        complaints: await this.complaintsPart(communityIds, period),
        spotChecks: recordedComponent(scores('spot_check'), 'spot checks (双随机)'),
        streetOpinions: recordedComponent(scores('street_opinion'), 'street opinions'),
        survey: this.surveyPart(surveys.filter((sv) => sv.company_id === companyId).map((sv) => sv.result as SurveyResult), scores('survey')),
      });
    }
    return result;
  }

  /** The owners' answers of the year's closed surveys win over the typed-in scores (see surveyComponent). */
  surveyPart(results: SurveyResult[], recorded: number[]): ComponentScore {
    const pooled = combineResults(results);
    return surveyComponent({ score: pooled.score, surveys: results.filter((r) => r.answeredUnits > 0).length, answers: pooled.answeredUnits }, recorded);
  }

  async service(communityIds: string[], period: Period): Promise<ComponentScore> {
    const { score, alarms } = await this.statistics.scoreOf(communityIds, period);
    return serviceComponent(score, alarms);
  }

  /** Complaints filed in the year: late = escalated past the property company, resolved after the deadline, or open past it. */
  async complaintsPart(communityIds: string[], period: Period): Promise<ComponentScore> {
    const now = this.clock.now();
    const rows = (await this.complaints.facts(communityIds, new Date(period.from))).filter((r) => r.filed_at.getTime() < period.to);
    const late = rows.filter((r) => r.level !== 'property' || (r.resolved_at !== null && r.resolved_at > r.deadline) || (r.state === 'open' && r.deadline.getTime() <= now)).length;
    const stats = complaintStatistics(
      rows.map(complaintFact),
      now,
    );
    let reopened = 0;
    let repeat = 0;
    let rated = 0;
    let ratingSum = 0;
    for (const s of stats.values()) {
      reopened += s.reopened;
      repeat += s.repeat;
      if (s.avgSatisfaction !== null) {
        rated += s.rated;
        ratingSum += s.avgSatisfaction * s.rated;
      }
    }
    return complaintComponent({ count: rows.length, late, reopened, repeat, avgSatisfaction: rated === 0 ? null : Math.round((ratingSum / rated) * 10) / 10 });
  }
}
