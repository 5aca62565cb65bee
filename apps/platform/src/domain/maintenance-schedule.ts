/**
 * When maintenance and inspection of elevators and fire equipment fall due, and whether they are
 * overdue (issue 12 §4). Pure: every function takes the records and the time.
 *
 * Elevators: TSG T5002-2017 电梯维护保养规则 (domain rules, table of standards) divides maintenance
 * into half-monthly, quarterly, half-yearly and yearly items (Art. 9, Annex A); each longer
 * interval's items include the shorter ones' ("除符合半月维护保养的项目（内容）和要求外…"), so a
 * yearly visit also counts as the quarterly, half-yearly and half-monthly one. The annual periodic
 * inspection (定期检验) gives a certificate with an expiry; the platform warns 30 days ahead.
 * Fire equipment: GB 25201-2010 建筑消防设施的维护管理 asks for a monthly inspection (月检查)
 * and a yearly test (年度检测) of the building's fire facilities. GB 25201 is not yet in
 * domain-rules.md: the intervals here are the standard's, to be confirmed there.
 */

export const elevatorVisitKinds = ['half_monthly', 'quarterly', 'half_yearly', 'yearly'] as const;
export const fireVisitKinds = ['monthly_inspection', 'annual_test'] as const;
export const visitKinds = [...elevatorVisitKinds, ...fireVisitKinds] as const;
export type VisitKind = (typeof visitKinds)[number];
export type PlanRegime = 'tsg_t5002' | 'gb_25201';

const DAY_MS = 86_400_000;

/** The longest gap allowed between two visits of a kind, in days. */
export const intervalDays: Readonly<Record<VisitKind, number>> = {
  half_monthly: 15, // TSG T5002-2017: 半月维保, at least once every 15 days
  quarterly: 90,
  half_yearly: 182,
  yearly: 365,
  monthly_inspection: 31, // GB 25201-2010: 月检查
  annual_test: 365, // GB 25201-2010: 年度检测
};

/** How far ahead of its expiry an inspection certificate raises a warning. */
export const CERTIFICATE_WARNING_DAYS = 30;

export function kindsOf(regime: PlanRegime): readonly VisitKind[] {
  return regime === 'tsg_t5002' ? elevatorVisitKinds : fireVisitKinds;
}

/** The kinds a visit of `kind` counts for: itself and, for elevators, every shorter interval (TSG T5002 Annex A). */
export function satisfiedBy(kind: VisitKind): readonly VisitKind[] {
  const i = elevatorVisitKinds.indexOf(kind as (typeof elevatorVisitKinds)[number]);
  return i >= 0 ? elevatorVisitKinds.slice(0, i + 1) : [kind];
}

export interface VisitDone {
  kind: VisitKind;
  at: number;
}

export interface DueItem {
  kind: VisitKind;
  /** The last visit counting for this kind, or null: the plan's start is then the reference. */
  lastAt: number | null;
  dueAt: number;
  overdue: boolean;
}

/** Each kind of a plan: when it is next due (last counting visit, or the plan's start, plus its interval) and whether that has passed. */
export function dueItems(regime: PlanRegime, startedAt: number, visits: readonly VisitDone[], now: number): DueItem[] {
  return kindsOf(regime).map((kind) => {
    const counting = visits.filter((v) => satisfiedBy(v.kind).includes(kind)).map((v) => v.at);
    const lastAt = counting.length ? Math.max(...counting) : null;
    const dueAt = (lastAt ?? startedAt) + intervalDays[kind] * DAY_MS;
    return { kind, lastAt, dueAt, overdue: now > dueAt };
  });
}

export type CertificateStatus = 'valid' | 'expiring' | 'expired' | 'missing';

/** A certificate expiring at `expiresAt` (end of its last day): expired after it, expiring within CERTIFICATE_WARNING_DAYS of it. */
export function certificateStatus(expiresAt: number | null, now: number): CertificateStatus {
  if (expiresAt === null) return 'missing';
  if (now >= expiresAt) return 'expired';
  return expiresAt - now <= CERTIFICATE_WARNING_DAYS * DAY_MS ? 'expiring' : 'valid';
}
