import { repeatWindowDays } from './complaints';
import { toCsv as csvTable } from './csv';
import { availableIntervals, type Availability, type Interval, merge } from './parking-availability';

/**
 * Service statistics (pure): figures computed from recorded rows over a period [from, to), and a
 * weighted scorecard of property companies built from them (input to the red/black list, seed
 * 三(三)1). Every time is ms since the epoch; `now` bounds what is still open or not yet due.
 */

export interface Period {
  from: number;
  to: number;
}

export const DAY_MS = 86_400_000;
/** Fault rates are per elevator per 30 days. */
export const FAULT_RATE_DAYS = 30;

export interface StatAlarm {
  deviceId: string;
  deviceKind: 'elevator' | 'fire' | 'gate';
  type: string;
  severity: number;
  raisedAt: number;
  acknowledgedAt: number | null;
  arrivedAt: number | null;
  clearedAt: number | null;
  /** Deadline to acknowledge, seconds after the raise (first tier of the chain); 0/null = none. */
  ackWithinS: number | null;
  /** Deadline to arrive on site, seconds after the raise; null = none (e.g. 1800 for trapped passengers). */
  arrivalWithinS: number | null;
}

/** One deadline of a repair case: met when done at or before it. */
export interface StatCaseDeadline {
  caseId: string;
  kind: string;
  deadline: number;
  doneAt: number | null;
}

export interface StatSharedSlot {
  slotId: string;
  availability: Availability;
}

export interface StatBooking {
  slotId: string;
  startsAt: number;
  endsAt: number;
}

/** A complaint or repair request (接诉即办), as recorded. */
export interface StatComplaint {
  filedBy: string;
  category: string;
  filedAt: number;
  respondedAt: number | null;
  resolvedAt: number | null;
  state: 'open' | 'resolved' | 'closed';
  /** The level holding it now: 'property' unless it went up (deadline passed, or reopened). */
  level: string;
  /** Its current deadline (at the level holding it). */
  deadline: number;
  /** 1–5, once the filer rated the result. */
  satisfaction: number | null;
  reopened: number;
}

export interface StatisticsInput {
  alarms: StatAlarm[];
  /** Ids of the elevators in service (fault rate denominator). */
  elevatorIds: string[];
  /** Ids of all devices (offline share denominator). */
  deviceIds: string[];
  caseDeadlines: StatCaseDeadline[];
  sharedSlots: StatSharedSlot[];
  /** Live or used bookings (booked, active, completed, no_show); cancelled ones excluded by the caller. */
  bookings: StatBooking[];
  /** Items filed in the period, and those filed up to `repeatWindowDays` before it (to tell repeats). */
  complaints: StatComplaint[];
}

export interface DurationFigure {
  /** Alarms with such a deadline that are due (deadline passed, or done). */
  due: number;
  done: number;
  withinDeadline: number;
  /** withinDeadline / due, or null when nothing was due. */
  share: number | null;
  medianS: number | null;
  p90S: number | null;
}

export interface ServiceFigures {
  alarms: number;
  acknowledgement: DurationFigure;
  arrival: DurationFigure;
  elevatorFaults: { elevators: number; faults: number; faultsPerElevatorPer30Days: number | null; perElevator: Array<{ deviceId: string; faults: number }> };
  offline: { devices: number; offlineHours: number; offlineShare: number | null; perDevice: Array<{ deviceId: string; offlineHours: number }> };
  repairDeadlines: { due: number; met: number; share: number | null };
  sharedParking: { slots: number; publishedHours: number; bookedHours: number; utilisation: number | null };
  complaints: ComplaintFigures;
}

export interface MinutesFigure {
  done: number;
  meanMinutes: number | null;
  medianMinutes: number | null;
  p90Minutes: number | null;
}

/** Complaints and repair requests filed in the period (接诉即办, seeds 001 三(一)2 and 004 三(二)2). */
export interface ComplaintFigures {
  count: number;
  /** Still open now, and of those past their deadline. */
  open: number;
  overdue: number;
  /** Filing → first answer (respond or resolve), and filing → resolution. */
  response: MinutesFigure;
  resolution: MinutesFigure;
  /**
   * 一般问题不出社区: items due at the property company (resolved, gone up, or past its deadline)
   * and those it resolved itself within its deadline, never escalated nor reopened.
   */
  settledByCompany: { due: number; met: number; share: number | null };
  satisfaction: { rated: number; average: number | null };
  /** Filed again by the same person in the same category within `repeatWindowDays` of an earlier item. */
  repeat: { count: number; share: number | null };
  reopened: number;
}

/** Alarm types that are not faults of the equipment (presence and process alarms). */
export const NON_FAULT_TYPES: ReadonlySet<string> = new Set(['offline', 'arrival_overdue', 'emergency_call', 'maintenance_overdue', 'certificate_expiring', 'certificate_expired', 'certificate_missing']);

const round = (n: number, digits = 4) => Math.round(n * 10 ** digits) / 10 ** digits;
const hours = (ms: number) => round(ms / 3_600_000, 4);

/** Median (mean of the two middle values for an even count); null for none. */
export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Nearest-rank percentile (p in (0, 100]): the smallest value with at least p% of values at or below it. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)];
}

function inPeriod(at: number, period: Period): boolean {
  return at >= period.from && at < period.to;
}

/**
 * Milliseconds from one wall-clock time to a later one, never negative: an NTP step back between
 * the two (issue 9, clock jump) would otherwise record a negative response or arrival time.
 */
export function elapsedMs(fromMs: number, toMs: number): number {
  return Math.max(0, toMs - fromMs);
}

/** Times from raise to `pick` against a deadline, for alarms raised in the period. Not-yet-due alarms are left out. */
export function durationFigure(alarms: StatAlarm[], period: Period, now: number, pick: 'ack' | 'arrival'): DurationFigure {
  let due = 0;
  let within = 0;
  const times: number[] = [];
  for (const a of alarms) {
    if (!inPeriod(a.raisedAt, period)) continue;
    const limitS = pick === 'ack' ? a.ackWithinS : a.arrivalWithinS;
    if (!limitS || limitS <= 0) continue;
    const at = pick === 'ack' ? a.acknowledgedAt : a.arrivedAt;
    const deadline = a.raisedAt + limitS * 1000;
    if (at === null) {
      if (now >= deadline) due++; // missed
      continue;
    }
    due++;
    const took = elapsedMs(a.raisedAt, at);
    times.push(took / 1000);
    if (at <= deadline) within++;
  }
  return { due, done: times.length, withinDeadline: within, share: due === 0 ? null : round(within / due), medianS: median(times), p90S: percentile(times, 90) };
}

/** Faults (equipment alarms raised in the period) per elevator per 30 days. */
export function elevatorFaults(alarms: StatAlarm[], elevatorIds: string[], period: Period): ServiceFigures['elevatorFaults'] {
  const counts = new Map(elevatorIds.map((id) => [id, 0]));
  let faults = 0;
  for (const a of alarms) {
    if (a.deviceKind !== 'elevator' || NON_FAULT_TYPES.has(a.type) || !inPeriod(a.raisedAt, period) || !counts.has(a.deviceId)) continue;
    counts.set(a.deviceId, (counts.get(a.deviceId) ?? 0) + 1);
    faults++;
  }
  const days = (period.to - period.from) / DAY_MS;
  const rate = elevatorIds.length === 0 || days <= 0 ? null : round(faults / elevatorIds.length / (days / FAULT_RATE_DAYS));
  const perElevator = [...counts].map(([deviceId, n]) => ({ deviceId, faults: n })).sort((a, b) => b.faults - a.faults || a.deviceId.localeCompare(b.deviceId));
  return { elevators: elevatorIds.length, faults, faultsPerElevatorPer30Days: rate, perElevator };
}

/** Offline time per device: offline alarms' raised→cleared intervals (still open: up to now), clipped to the period and merged. */
export function offlineTime(alarms: StatAlarm[], deviceIds: string[], period: Period, now: number): ServiceFigures['offline'] {
  const byDevice = new Map<string, Interval[]>(deviceIds.map((id) => [id, []]));
  const end = Math.min(period.to, now);
  for (const a of alarms) {
    if (a.type !== 'offline' || !byDevice.has(a.deviceId)) continue;
    const start = Math.max(a.raisedAt, period.from);
    const stop = Math.min(a.clearedAt ?? end, end);
    if (stop > start) byDevice.get(a.deviceId)!.push({ start, end: stop });
  }
  let total = 0;
  const perDevice = [...byDevice].map(([deviceId, intervals]) => {
    const ms = merge(intervals).reduce((sum, i) => sum + (i.end - i.start), 0);
    total += ms;
    return { deviceId, offlineHours: hours(ms) };
  });
  perDevice.sort((a, b) => b.offlineHours - a.offlineHours || a.deviceId.localeCompare(b.deviceId));
  const span = Math.max(0, end - period.from) * deviceIds.length;
  return { devices: deviceIds.length, offlineHours: hours(total), offlineShare: span === 0 ? null : round(total / span), perDevice };
}

/** Repair-case deadlines falling in the period that are due (passed or done): met = done at or before the deadline. */
export function repairDeadlines(deadlines: StatCaseDeadline[], period: Period, now: number): ServiceFigures['repairDeadlines'] {
  let due = 0;
  let met = 0;
  for (const d of deadlines) {
    if (!inPeriod(d.deadline, period)) continue;
    if (d.doneAt === null && now < d.deadline) continue; // still running
    due++;
    if (d.doneAt !== null && d.doneAt <= d.deadline) met++;
  }
  return { due, met, share: due === 0 ? null : round(met / due) };
}

/** Shared-slot utilisation: booked hours inside the published windows / published hours, over the period. */
export function sharedParking(slots: StatSharedSlot[], bookings: StatBooking[], period: Period, timeZone: string): ServiceFigures['sharedParking'] {
  let published = 0;
  let booked = 0;
  const bySlot = new Map<string, StatBooking[]>();
  for (const b of bookings) bySlot.set(b.slotId, [...(bySlot.get(b.slotId) ?? []), b]);
  for (const slot of slots) {
    const open = availableIntervals(slot.availability, period.from, period.to, timeZone);
    published += open.reduce((s, i) => s + (i.end - i.start), 0);
    const used = merge((bySlot.get(slot.slotId) ?? []).map((b) => ({ start: b.startsAt, end: b.endsAt })));
    for (const u of used) for (const o of open) booked += Math.max(0, Math.min(u.end, o.end) - Math.max(u.start, o.start));
  }
  return { slots: slots.length, publishedHours: hours(published), bookedHours: hours(booked), utilisation: published === 0 ? null : round(booked / published) };
}

function minutesFigure(values: number[]): MinutesFigure {
  const minutes = values.map((v) => round(v / 60_000, 1));
  return {
    done: minutes.length,
    meanMinutes: minutes.length === 0 ? null : round(minutes.reduce((a, b) => a + b, 0) / minutes.length, 1),
    medianMinutes: median(minutes),
    p90Minutes: percentile(minutes, 90),
  };
}

/**
 * Figures of the complaints filed in the period. Earlier items in the input only tell repeats: an
 * item is a repeat when the same person filed one of the same category within `repeatWindowDays`
 * before it (the problem came back, or was not solved; 004_592cdd860f3d4a71.txt 三(二)2).
 */
export function complaintFigures(items: StatComplaint[], period: Period, now: number): ComplaintFigures {
  const sorted = [...items].sort((a, b) => a.filedAt - b.filedAt);
  const last = new Map<string, number>();
  const inside: StatComplaint[] = [];
  let repeats = 0;
  for (const c of sorted) {
    const key = `${c.filedBy}\u0000${c.category}`;
    const before = last.get(key);
    last.set(key, c.filedAt);
    if (!inPeriod(c.filedAt, period)) continue;
    inside.push(c);
    if (before !== undefined && c.filedAt - before <= repeatWindowDays * DAY_MS) repeats++;
  }
  const open = inside.filter((c) => c.state === 'open');
  let due = 0;
  let met = 0;
  for (const c of inside) {
    const settled = c.level === 'property' && c.resolvedAt !== null && c.resolvedAt <= c.deadline && c.reopened === 0;
    if (c.level === 'property' && c.state === 'open' && now < c.deadline) continue; // still within its time
    due++;
    if (settled) met++;
  }
  const rated = inside.filter((c) => c.satisfaction !== null).map((c) => c.satisfaction!);
  return {
    count: inside.length,
    open: open.length,
    overdue: open.filter((c) => c.deadline <= now).length,
    response: minutesFigure(inside.filter((c) => c.respondedAt !== null).map((c) => elapsedMs(c.filedAt, c.respondedAt!))),
    resolution: minutesFigure(inside.filter((c) => c.resolvedAt !== null).map((c) => elapsedMs(c.filedAt, c.resolvedAt!))),
    settledByCompany: { due, met, share: due === 0 ? null : round(met / due) },
    satisfaction: { rated: rated.length, average: rated.length === 0 ? null : round(rated.reduce((a, b) => a + b, 0) / rated.length, 2) },
    repeat: { count: repeats, share: inside.length === 0 ? null : round(repeats / inside.length) },
    reopened: inside.filter((c) => c.reopened > 0).length,
  };
}

export function computeFigures(input: StatisticsInput, period: Period, now: number, timeZone: string): ServiceFigures {
  return {
    alarms: input.alarms.filter((a) => inPeriod(a.raisedAt, period)).length,
    acknowledgement: durationFigure(input.alarms, period, now, 'ack'),
    arrival: durationFigure(input.alarms, period, now, 'arrival'),
    elevatorFaults: elevatorFaults(input.alarms, input.elevatorIds, period),
    offline: offlineTime(input.alarms, input.deviceIds, period, now),
    repairDeadlines: repairDeadlines(input.caseDeadlines, period, now),
    sharedParking: sharedParking(input.sharedSlots, input.bookings, period, timeZone),
    complaints: complaintFigures(input.complaints, period, now),
  };
}

// ---------------------------------------------------------------- scorecard

export type ScoreFigure = 'acknowledgement' | 'arrival' | 'elevatorFaults' | 'deviceOnline' | 'repairDeadlines' | 'sharedParking' | 'complaintsSettled' | 'complaintSatisfaction';

export interface ScoreWeight {
  figure: ScoreFigure;
  weight: number;
  /** How the figure becomes 0–100 (documentation shown with exports). */
  normalisation: string;
}

/**
 * Scorecard weights (sum 1). A figure without data (nothing due, no elevators, no shared slots) is
 * left out and the remaining weights are scaled up to sum 1; with no figure at all the score is null.
 */
// The complaint figures took 10 %; the six earlier ones keep their proportions (× 0.9), so a company without complaints scores as before.
export const SCORECARD_WEIGHTS: readonly ScoreWeight[] = [
  { figure: 'acknowledgement', weight: 0.225, normalisation: '100 × share of alarms acknowledged within the first-tier deadline' },
  { figure: 'arrival', weight: 0.225, normalisation: '100 × share of rescues reached within the arrival deadline (30 min)' },
  { figure: 'elevatorFaults', weight: 0.135, normalisation: '100 × max(0, 1 − faults per elevator per 30 days / 2)' },
  { figure: 'deviceOnline', weight: 0.135, normalisation: '100 × (1 − offline device-time share)' },
  { figure: 'repairDeadlines', weight: 0.09, normalisation: '100 × share of repair-case deadlines met' },
  { figure: 'sharedParking', weight: 0.09, normalisation: '100 × min(1, booked hours / published hours of shared slots)' },
  { figure: 'complaintsSettled', weight: 0.05, normalisation: '100 × share of complaints due at the property company that it resolved within its deadline, never escalated nor reopened' },
  { figure: 'complaintSatisfaction', weight: 0.05, normalisation: '100 × (mean satisfaction − 1) / 4 (ratings 1–5)' },
];
/** Faults per elevator per 30 days at which the fault score reaches 0. */
export const FAULT_RATE_ZERO_SCORE = 2;

export function normalisedScores(f: ServiceFigures): Record<ScoreFigure, number | null> {
  const pct = (x: number | null) => (x === null ? null : round(100 * Math.min(1, Math.max(0, x)), 2));
  const rate = f.elevatorFaults.faultsPerElevatorPer30Days;
  return {
    acknowledgement: pct(f.acknowledgement.share),
    arrival: pct(f.arrival.share),
    elevatorFaults: rate === null ? null : pct(1 - rate / FAULT_RATE_ZERO_SCORE),
    deviceOnline: f.offline.offlineShare === null ? null : pct(1 - f.offline.offlineShare),
    repairDeadlines: pct(f.repairDeadlines.share),
    sharedParking: pct(f.sharedParking.utilisation),
    complaintsSettled: pct(f.complaints.settledByCompany.share),
    complaintSatisfaction: f.complaints.satisfaction.average === null ? null : pct((f.complaints.satisfaction.average - 1) / 4),
  };
}

export function weightedScore(scores: Record<ScoreFigure, number | null>, weights: readonly ScoreWeight[] = SCORECARD_WEIGHTS): number | null {
  let sum = 0;
  let weight = 0;
  for (const w of weights) {
    const s = scores[w.figure];
    if (s === null || s === undefined) continue;
    sum += s * w.weight;
    weight += w.weight;
  }
  return weight === 0 ? null : round(sum / weight, 2);
}

export interface Scorecard<T> {
  rank: number;
  subject: T;
  score: number | null;
  scores: Record<ScoreFigure, number | null>;
  figures: ServiceFigures;
}

/** Ranks by score (highest first, no score last); equal scores share a rank (1, 2, 2, 4); ties ordered by `name`. */
export function rankScorecards<T>(entries: Array<{ subject: T; name: string; figures: ServiceFigures }>): Array<Scorecard<T>> {
  const scored = entries.map((e) => {
    const scores = normalisedScores(e.figures);
    return { ...e, scores, score: weightedScore(scores) };
  });
  scored.sort((a, b) => (b.score ?? -1) - (a.score ?? -1) || a.name.localeCompare(b.name));
  return scored.map((e, i) => {
    const firstEqual = scored.findIndex((o) => o.score === e.score);
    return { rank: (firstEqual === -1 ? i : firstEqual) + 1, subject: e.subject, score: e.score, scores: e.scores, figures: e.figures };
  });
}

// ---------------------------------------------------------------- export rows

export const SCORECARD_COLUMNS = [
  'rank', 'company', 'creditCode', 'communities', 'score',
  'ackShare', 'ackMedianS', 'ackP90S', 'arrivalShare', 'arrivalMedianS', 'arrivalP90S',
  'faultsPerElevatorPer30Days', 'offlineHours', 'offlineShare', 'repairDeadlinesDue', 'repairDeadlinesMet', 'repairDeadlinesShare',
  'sharedPublishedHours', 'sharedBookedHours', 'sharedUtilisation',
  'complaints', 'complaintsOverdue', 'complaintResponseMedianMin', 'complaintResolutionMedianMin', 'complaintsSettledShare', 'complaintSatisfaction', 'complaintRepeats',
] as const;

export type ScorecardRow = Record<(typeof SCORECARD_COLUMNS)[number], string | number | null>;

export function scorecardRow(c: Scorecard<{ name: string; creditCode: string; communities: number }>): ScorecardRow {
  const f = c.figures;
  return {
    rank: c.rank, company: c.subject.name, creditCode: c.subject.creditCode, communities: c.subject.communities, score: c.score,
    ackShare: f.acknowledgement.share, ackMedianS: f.acknowledgement.medianS, ackP90S: f.acknowledgement.p90S,
    arrivalShare: f.arrival.share, arrivalMedianS: f.arrival.medianS, arrivalP90S: f.arrival.p90S,
    faultsPerElevatorPer30Days: f.elevatorFaults.faultsPerElevatorPer30Days, offlineHours: f.offline.offlineHours, offlineShare: f.offline.offlineShare,
    repairDeadlinesDue: f.repairDeadlines.due, repairDeadlinesMet: f.repairDeadlines.met, repairDeadlinesShare: f.repairDeadlines.share,
    sharedPublishedHours: f.sharedParking.publishedHours, sharedBookedHours: f.sharedParking.bookedHours, sharedUtilisation: f.sharedParking.utilisation,
    complaints: f.complaints.count, complaintsOverdue: f.complaints.overdue, complaintResponseMedianMin: f.complaints.response.medianMinutes,
    complaintResolutionMedianMin: f.complaints.resolution.medianMinutes, complaintsSettledShare: f.complaints.settledByCompany.share,
    complaintSatisfaction: f.complaints.satisfaction.average, complaintRepeats: f.complaints.repeat.count,
  };
}

/** The scorecard table as CSV (domain/csv: RFC 4180, cells neutralised against formula injection). */
export function toCsv(columns: readonly string[], rows: Array<Record<string, string | number | null>>): string {
  return csvTable(columns, rows.map((r) => columns.map((c) => r[c] ?? null)));
}
