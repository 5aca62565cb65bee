/**
 * Credit grade of property companies and the red/black list (信用评价, 红黑榜): pure rules.
 *
 * Sources (/work/shared/seeds/):
 * - 004_592cdd860f3d4a71.txt 五(三) 严格考核奖惩: a yearly credit grade of each property company
 *   "结合合同履行、投诉处理、日常检查和乡镇(街道办事处)意见等情况"; "信用评价得分低于90分以下的 …
 *   进行约谈并下发风险提示函, 连续两年信用评价得分低于90分以下的企业, 列入 … '黑名单'".
 * - 004_592cdd860f3d4a71.txt 四(二): the street (乡镇/街道办事处) "参与辖区内物业服务企业信用评价考核工作".
 * - 001_187fc5f9dc35b825.txt 三(三)1: "'双随机'检查和信访投诉处理 … 建立住宅小区物业服务质量'红黑榜'".
 * - 001_187fc5f9dc35b825.txt 四(三) 强化监督考核: owner satisfaction asked every half year, a yearly
 *   assessment; 四(二): a reward for the companies on the red list (红榜).
 *
 * The seeds give no rule for who goes on the red list. The platform's documented default
 * (DEFAULT_RED_LIST_RULE): a score of at least 95 and among the best 10 of the year (ties at the
 * cut-off all go on), never a company below the interview threshold. Both numbers live in the
 * versioned weight set, so a district can set its own rule without a code change.
 */

/** The parts a grade is made of; each is scored 0–100 by its source before weighting. */
export const creditComponents = ['service', 'complaints', 'spotChecks', 'streetOpinions', 'survey'] as const;
export type CreditComponent = (typeof creditComponents)[number];

/** 004 五(三): below 90 points → interview (约谈) and a risk notice (风险提示函). */
export const INTERVIEW_THRESHOLD = 90;
/** 004 五(三): below the threshold in this many consecutive years → black list (黑名单). */
export const BLACK_LIST_CONSECUTIVE_YEARS = 2;

export interface RedListRule {
  /** Lowest score that may go on the red list. */
  minScore: number;
  /** At most this many companies a year (ties at the cut-off all go on). */
  topN: number;
}

/** Not from the seeds (they give none): the platform's default, see the file comment. */
export const DEFAULT_RED_LIST_RULE: RedListRule = { minScore: 95, topN: 10 };

export interface CreditWeightSet {
  version: number;
  /** Weight per component; they need not sum to 1 (they are scaled by the components present). */
  weights: Record<CreditComponent, number>;
  redList: RedListRule;
}

/**
 * The first weight set (version 1, stored by migration 0016): the four parts 004 五(三) names
 * (合同履行 → the service statistics, 投诉处理 → complaints, 日常检查 → the 双随机 spot checks,
 * 乡镇(街道办事处)意见 → street opinions) and the owners' satisfaction of 001 四(三).
 */
export const DEFAULT_WEIGHTS: Record<CreditComponent, number> = { service: 0.3, complaints: 0.2, spotChecks: 0.25, streetOpinions: 0.15, survey: 0.1 };

/** A component's score with what it was computed from (shown on the published lists). */
export interface ComponentScore {
  /** 0–100, or null when there was nothing to score (then the component is left out). */
  score: number | null;
  /** How many records it stands on (alarms due, complaints, checks, opinions, surveys). */
  basis: number;
  /** One line on how it was made, for people. */
  note: string;
}

export interface BreakdownLine {
  component: CreditComponent;
  score: number | null;
  /** The weight of the set. */
  weight: number;
  /** The weight after scaling over the components with a score (0 when left out). */
  effectiveWeight: number;
  /** score × effectiveWeight, what this part adds to the total. */
  points: number;
  basis: number;
  note: string;
}

export interface CreditScore {
  /** 0–100 with two decimals, or null when no component had a score (the company is not graded). */
  score: number | null;
  weightVersion: number;
  breakdown: BreakdownLine[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const clamp = (n: number) => Math.min(100, Math.max(0, n));

/**
 * The weighted score: each component with a score counts with its weight scaled so the weights
 * present sum to 1 (a company with no shared parking or no survey this year is not punished for
 * it); with no component at all the score is null.
 */
export function creditScore(components: Partial<Record<CreditComponent, ComponentScore>>, set: CreditWeightSet): CreditScore {
  let present = 0;
  for (const c of creditComponents) {
    const s = components[c]?.score;
    if (s !== null && s !== undefined && set.weights[c] > 0) present += set.weights[c];
  }
  const breakdown: BreakdownLine[] = creditComponents.map((c) => {
    const part = components[c];
    const score = part?.score === null || part?.score === undefined ? null : round2(clamp(part.score));
    const effectiveWeight = score === null || present === 0 ? 0 : set.weights[c] / present;
    return { component: c, score, weight: set.weights[c], effectiveWeight: Math.round(effectiveWeight * 10_000) / 10_000, points: score === null ? 0 : round2(score * effectiveWeight), basis: part?.basis ?? 0, note: part?.note ?? 'no data' };
  });
  const total = breakdown.reduce((sum, line) => sum + (line.score === null ? 0 : line.score * (set.weights[line.component] / (present || 1))), 0);
  return { score: present === 0 ? null : round2(total), weightVersion: set.version, breakdown };
}

/** 004 五(三) "低于90分以下": strictly below 90; exactly 90 is not. An ungraded year is not below. */
export function belowThreshold(score: number | null): boolean {
  return score !== null && score < INTERVIEW_THRESHOLD;
}

export type CreditAction = 'interview' | 'risk_notice';

/** 004 五(三): a score below 90 → an interview (约谈) and a risk notice (风险提示函) by the district authority. */
export function consequencesOf(score: number | null): CreditAction[] {
  return belowThreshold(score) ? ['interview', 'risk_notice'] : [];
}

/**
 * 004 五(三) "连续两年 … 低于90分": black-listed in `year` when the grades of `year` and of each
 * year before it, back to BLACK_LIST_CONSECUTIVE_YEARS, are all below 90. A missing year breaks
 * the run (consecutive means graded both years).
 */
export function blackListed(scoresByYear: ReadonlyMap<number, number | null>, year: number): boolean {
  for (let y = year; y > year - BLACK_LIST_CONSECUTIVE_YEARS; y--) {
    if (!scoresByYear.has(y) || !belowThreshold(scoresByYear.get(y)!)) return false;
  }
  return true;
}

export interface GradedCompany<T = unknown> {
  companyId: string;
  name: string;
  score: number | null;
  subject?: T;
}

export interface ListEntry<T> {
  rank: number;
  company: GradedCompany<T>;
}

/**
 * The red list of a year (rule from the weight set, default DEFAULT_RED_LIST_RULE): graded companies
 * with at least `minScore` and not below the interview threshold, best first, the first `topN` and
 * any tied with the last of them. Equal scores share a rank; ties ordered by name.
 */
export function redList<T>(grades: ReadonlyArray<GradedCompany<T>>, rule: RedListRule): Array<ListEntry<T>> {
  const eligible = grades
    .filter((g): g is GradedCompany<T> & { score: number } => g.score !== null && g.score >= rule.minScore && !belowThreshold(g.score))
    .sort((a, b) => b.score - a.score || a.name.localeCompare(b.name));
  if (eligible.length === 0 || rule.topN <= 0) return [];
  const cutoff = eligible[Math.min(rule.topN, eligible.length) - 1].score;
  return eligible.filter((g) => g.score >= cutoff).map((g) => ({ rank: eligible.findIndex((o) => o.score === g.score) + 1, company: g }));
}

/** The black list of a year: every company below 90 in it and in the year before (004 五(三)), lowest score first. */
export function blackList<T>(grades: ReadonlyArray<GradedCompany<T>>, previousScores: ReadonlyMap<string, number | null>, year: number): Array<ListEntry<T>> {
  const listed = grades
    .filter((g) => {
      const history = new Map<number, number | null>([[year, g.score]]);
      if (previousScores.has(g.companyId)) history.set(year - 1, previousScores.get(g.companyId)!);
      return blackListed(history, year);
    })
    .sort((a, b) => a.score! - b.score! || a.name.localeCompare(b.name));
  return listed.map((g) => ({ rank: listed.findIndex((o) => o.score === g.score) + 1, company: g }));
}

// ---------------------------------------------------------------- component scores from their sources

/** Service statistics (合同履行): the scorecard score of domain/service-statistics over the year, already 0–100. */
export function serviceComponent(score: number | null, basis: number): ComponentScore {
  return { score, basis, note: score === null ? 'no service figures in the year' : 'weighted service scorecard (acknowledgement, arrival, faults, online, repair deadlines, shared parking)' };
}

export interface ComplaintFigures {
  /** Items filed in the year. */
  count: number;
  /** Handled late: resolved after their deadline, or still open past it. */
  late: number;
  reopened: number;
  repeat: number;
  /** Mean rating 1–5 of the rated ones, or null. */
  avgSatisfaction: number | null;
}

/**
 * Complaints (投诉处理): 100 × the share handled well (not late, not reopened, not repeated), averaged
 * with the owners' rating (1 → 0, 5 → 100) when there are ratings. No complaint in the year: no data
 * (left out, not a free 100).
 */
export function complaintComponent(f: ComplaintFigures): ComponentScore {
  if (f.count <= 0) return { score: null, basis: 0, note: 'no complaints filed in the year' };
  const bad = Math.min(f.count, f.late + f.reopened + f.repeat);
  const handled = 100 * (1 - bad / f.count);
  const rating = f.avgSatisfaction === null ? null : ((f.avgSatisfaction - 1) / 4) * 100;
  const score = rating === null ? handled : (handled + rating) / 2;
  return { score: round2(clamp(score)), basis: f.count, note: `${f.count} filed, ${f.late} late, ${f.reopened} reopened, ${f.repeat} repeated${f.avgSatisfaction === null ? '' : `, rated ${f.avgSatisfaction}/5`}` };
}

/** Spot checks (双随机 日常检查), street opinions and survey results: the mean of the recorded 0–100 scores of the year. */
export function recordedComponent(scores: readonly number[], what: string): ComponentScore {
  if (scores.length === 0) return { score: null, basis: 0, note: `no ${what} recorded in the year` };
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  return { score: round2(mean), basis: scores.length, note: `mean of ${scores.length} ${what}` };
}

/**
 * Owners' satisfaction (满意度, 001_187fc5f9dc35b825.txt 四(三)): the owners' own answers win. When
 * the company's communities held closed surveys with answers in the year, the part is their
 * pooled 0–100 score (domain/satisfaction-survey.ts combineResults); the survey scores officers
 * typed in (credit_assessments kind 'survey') count only when no survey was held, e.g. a
 * third-party survey run outside the platform.
 */
export function surveyComponent(held: { score: number | null; surveys: number; answers: number }, recorded: readonly number[]): ComponentScore {
  if (held.score === null) return recordedComponent(recorded, 'survey results typed in (no survey held on the platform)');
  return { score: held.score, basis: held.answers, note: `owners' answers of ${held.surveys} closed survey(s) on the platform (${held.answers} units)` };
}
