import type { SurveyArea, SurveyResult } from '@app/contracts';
import { zonedInstant } from './business-time';

/**
 * Owners' satisfaction surveys (满意度测评): pure rules.
 *
 * Source: /work/shared/seeds/001_187fc5f9dc35b825.txt 四(三) 强化监督考核: "每半年(还建社区每季度)
 * 征询1次业主对物业服务的满意度(一级物业服务满意率90% … 四级 … 60%)" and "根据企业信用积分 …",
 * so a survey belongs to one community and one half-year, and its results feed the company's
 * yearly credit grade (domain/credit-grade.ts surveyComponent).
 *
 * Where the seed is silent (the platform's choices): the six service areas below; a 1–5 score per
 * area; one answer per unit, by the unit's representative (a verified owner, as in votes); an
 * owner may leave an area out (not every household parks); "satisfied" (满意率) means a score of 4
 * or 5; the overall mean pools every score given; the 0–100 score maps 1 → 0 and 5 → 100.
 */

/** The default questions, one per service area (客服, 保洁, 绿化, 秩序维护/安保, 设备维护, 停车). */
export const DEFAULT_SURVEY_QUESTIONS: Readonly<Record<SurveyArea, { zh: string; en: string }>> = {
  customer_service: { zh: '客服：您对物业客服接待、报修受理和回访是否满意？', en: 'Customer service: reception, repair requests and follow-up calls' },
  cleaning: { zh: '保洁：您对楼道、公共区域清洁和垃圾清运是否满意？', en: 'Cleaning: stairwells, common areas and rubbish collection' },
  greening: { zh: '绿化：您对小区绿化养护是否满意？', en: 'Greening: care of the estate’s plants and lawns' },
  security: { zh: '秩序维护/安保：您对门岗、巡逻和小区秩序是否满意？', en: 'Order and security: gates, patrols and order in the estate' },
  equipment: { zh: '设备维护：您对电梯、消防、照明等公共设施设备维护是否满意？', en: 'Equipment: lifts, fire equipment, lighting and other shared equipment' },
  parking: { zh: '停车：您对停车秩序和车位管理是否满意？', en: 'Parking: order and management of the parking spaces' },
};

export const SCORE_MIN = 1;
export const SCORE_MAX = 5;
/** 满意率: a score of 4 (满意) or 5 (非常满意). */
export const SATISFIED_FROM = 4;

/** "2026H2" → { year: 2026, half: 2 }; undefined when it is not a half-year. */
export function parseSurveyPeriod(period: string): { year: number; half: 1 | 2 } | undefined {
  const m = /^(\d{4})H([12])$/.exec(period);
  return m ? { year: Number(m[1]), half: m[2] === '1' ? 1 : 2 } : undefined;
}

/** The half-year a local date ("2026-11-20") falls in. */
export function surveyPeriodOf(localDate: string): string {
  return `${localDate.slice(0, 4)}H${Number(localDate.slice(5, 7)) <= 6 ? 1 : 2}`;
}

/** Whether a half-year has begun by the local date (a survey of a half-year not begun cannot open). */
export function periodHasBegun(period: string, localDate: string): boolean {
  const p = parseSurveyPeriod(period);
  if (!p) return false;
  return localDate >= `${p.year}-${p.half === 1 ? '01' : '07'}-01`;
}

/**
 * The instant a half-year's survey closes by itself: the end of the half-year in the business
 * time zone (00:00 of 1 July, or of 1 January of the next year). The seed asks for one survey
 * each half-year (每半年征询1次), so the period is the survey's whole life.
 */
export function surveyPeriodEnd(period: string, timeZone: string): number {
  const p = parseSurveyPeriod(period);
  if (!p) throw new RangeError(`${period} is not a half-year`);
  return p.half === 1 ? zonedInstant({ year: p.year, month: 7, day: 1, hour: 0, minute: 0 }, timeZone) : zonedInstant({ year: p.year + 1, month: 1, day: 1, hour: 0, minute: 0 }, timeZone);
}

/**
 * When a survey closes by itself: at the end of its half-year; one opened after its half-year had
 * ended (a missed survey caught up on) runs to the end of the half-year it was opened in, so the
 * owners have time to answer (the platform's choice: the seed is silent on late surveys).
 */
export function surveyClosesAt(period: string, openedOn: string, timeZone: string): number {
  return Math.max(surveyPeriodEnd(period, timeZone), surveyPeriodEnd(surveyPeriodOf(openedOn), timeZone));
}

/** One unit's answer: a score per area it scored. */
export interface UnitAnswer {
  unitId: string;
  scores: Partial<Record<SurveyArea, number>>;
}

/** n/d rounded half up to `places` decimals with integer arithmetic (no 4.445 → 4.44 float surprises); null when d is 0. */
export function ratio(n: number, d: number, places: number): number | null {
  if (d === 0) return null;
  const scale = 10 ** places;
  return Math.floor((2 * n * scale + d) / (2 * d)) / scale;
}

interface Sums {
  answers: number;
  sum: number;
  satisfied: number;
}

function figures(s: Sums) {
  return {
    mean: ratio(s.sum, s.answers, 2),
    // (mean − 1) / 4 × 100 = (sum − answers) × 25 / answers
    score: ratio((s.sum - s.answers) * 25, s.answers, 2),
    satisfiedRate: ratio(s.satisfied * 100, s.answers, 1),
  };
}

function resultFrom(units: number, answeredUnits: number, areas: ReadonlyArray<{ area: SurveyArea } & Sums>): SurveyResult {
  const all = areas.reduce((t, a) => ({ answers: t.answers + a.answers, sum: t.sum + a.sum, satisfied: t.satisfied + a.satisfied }), { answers: 0, sum: 0, satisfied: 0 });
  const { mean, score, satisfiedRate } = figures(all);
  return {
    units,
    answeredUnits,
    responseRate: ratio(answeredUnits * 100, units, 1),
    mean,
    score,
    satisfiedRate,
    areas: areas.map((a) => ({ area: a.area, answers: a.answers, sum: a.sum, satisfied: a.satisfied, mean: figures(a).mean, satisfiedRate: figures(a).satisfiedRate })),
  };
}

/**
 * Tallies a survey over the community's units. A unit outside them, a second answer of a unit,
 * an area the survey did not ask or a score outside 1–5 are programming errors (the service and
 * the database refuse them before they are stored) and throw.
 */
export function tallySurvey(areas: readonly SurveyArea[], unitIds: readonly string[], answers: readonly UnitAnswer[]): SurveyResult {
  const units = new Set(unitIds);
  const asked = new Set(areas);
  const seen = new Set<string>();
  const sums = new Map<SurveyArea, Sums>(areas.map((a) => [a, { answers: 0, sum: 0, satisfied: 0 }]));
  for (const answer of answers) {
    if (!units.has(answer.unitId)) throw new Error(`unit ${answer.unitId} is not a unit of the community`);
    if (seen.has(answer.unitId)) throw new Error(`unit ${answer.unitId} answered twice`);
    seen.add(answer.unitId);
    for (const [area, score] of Object.entries(answer.scores) as Array<[SurveyArea, number]>) {
      if (!asked.has(area)) throw new Error(`area ${area} was not asked`);
      if (!Number.isInteger(score) || score < SCORE_MIN || score > SCORE_MAX) throw new Error(`score ${score} is not ${SCORE_MIN}–${SCORE_MAX}`);
      const s = sums.get(area)!;
      s.answers += 1;
      s.sum += score;
      if (score >= SATISFIED_FROM) s.satisfied += 1;
    }
  }
  return resultFrom(units.size, seen.size, areas.map((area) => ({ area, ...sums.get(area)! })));
}

/**
 * Several surveys' results as one (a company's communities, or a community's surveys of a year):
 * units, answers and score sums add up, so the means are those of every score given, not a mean
 * of means. Areas in the order first met.
 */
export function combineResults(results: readonly SurveyResult[]): SurveyResult {
  const areas = new Map<SurveyArea, Sums>();
  let units = 0;
  let answered = 0;
  for (const r of results) {
    units += r.units;
    answered += r.answeredUnits;
    for (const a of r.areas) {
      const s = areas.get(a.area) ?? { answers: 0, sum: 0, satisfied: 0 };
      areas.set(a.area, { answers: s.answers + a.answers, sum: s.sum + a.sum, satisfied: s.satisfied + a.satisfied });
    }
  }
  return resultFrom(units, answered, [...areas].map(([area, s]) => ({ area, ...s })));
}

/** Closed surveys' results per half-year, oldest first: the series a community or a company is followed by. */
export function resultsByPeriod(surveys: ReadonlyArray<{ period: string; result: SurveyResult }>): Array<SurveyResult & { period: string; surveys: number }> {
  const byPeriod = new Map<string, SurveyResult[]>();
  for (const s of surveys) byPeriod.set(s.period, [...(byPeriod.get(s.period) ?? []), s.result]);
  return [...byPeriod.keys()].sort().map((period) => ({ period, surveys: byPeriod.get(period)!.length, ...combineResults(byPeriod.get(period)!) }));
}
