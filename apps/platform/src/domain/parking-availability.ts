import { zoneOffset } from './business-time';

/**
 * When an owner's slot is free to share (domain rules §4.4): weekly recurring windows (which may
 * cross midnight), one-off dates, and exceptions that take time away, all in the business time
 * zone; plus an optional "withdrawn from" instant after which nothing is available. Pure.
 */

/** Half-open [start, end) in ms since the epoch. */
export interface Interval {
  start: number;
  end: number;
}

export interface WeeklyWindow {
  /** 0 = Sunday … 6 = Saturday, local day on which the window starts. */
  weekday: number;
  /** Minutes after local midnight, 0..1439. */
  startMinute: number;
  /** 1..1440; an end at or before the start runs into the next day. */
  endMinute: number;
}

export interface DatedWindow {
  /** Local date YYYY-MM-DD on which the window starts. */
  date: string;
  startMinute: number;
  endMinute: number;
}

export interface Availability {
  weekly: WeeklyWindow[];
  dates: DatedWindow[];
  exceptions: DatedWindow[];
  /** Nothing is available from this instant on (owner withdrew future availability). */
  withdrawnFrom?: number | null;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** The instant of local wall time (days since epoch of a local date, minute of day) in `tz`. */
export function localToInstant(localDay: number, minute: number, tz: string): number {
  const wall = localDay * DAY + minute * MINUTE;
  // Two passes settle the offset across DST changes (Asia/Shanghai has none, others may).
  let guess = wall - zoneOffset(wall, tz);
  guess = wall - zoneOffset(guess, tz);
  return guess;
}

/** Local day number (days since 1970-01-01 in local time) of an instant. */
export function localDay(ms: number, tz: string): number {
  return Math.floor((ms + zoneOffset(ms, tz)) / DAY);
}

export function dayOfDate(date: string): number {
  const [y, m, d] = date.split('-').map(Number);
  return Math.floor(Date.UTC(y, m - 1, d) / DAY);
}

function windowInterval(day: number, startMinute: number, endMinute: number, tz: string): Interval {
  const endDay = endMinute <= startMinute ? day + 1 : day;
  return { start: localToInstant(day, startMinute, tz), end: localToInstant(endDay, endMinute, tz) };
}

/** Merges overlapping or touching intervals; returns them sorted. */
export function merge(intervals: Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ ...i });
  }
  return out;
}

/** `from` minus every interval of `minus`. */
export function subtract(from: Interval[], minus: Interval[]): Interval[] {
  let result = merge(from);
  for (const m of merge(minus)) {
    const next: Interval[] = [];
    for (const r of result) {
      if (m.end <= r.start || m.start >= r.end) next.push(r);
      else {
        if (m.start > r.start) next.push({ start: r.start, end: m.start });
        if (m.end < r.end) next.push({ start: m.end, end: r.end });
      }
    }
    result = next;
  }
  return result;
}

/** The available intervals that meet [from, to), clipped to it. */
export function availableIntervals(a: Availability, from: number, to: number, tz: string): Interval[] {
  if (to <= from) return [];
  // A window starting the day before may run into the range.
  const first = localDay(from, tz) - 1;
  const last = localDay(to, tz);
  const open: Interval[] = [];
  const closed: Interval[] = [];
  for (let day = first; day <= last; day++) {
    const weekday = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
    for (const w of a.weekly) if (w.weekday === weekday) open.push(windowInterval(day, w.startMinute, w.endMinute, tz));
  }
  for (const d of a.dates) {
    const day = dayOfDate(d.date);
    if (day >= first && day <= last) open.push(windowInterval(day, d.startMinute, d.endMinute, tz));
  }
  for (const e of a.exceptions) {
    const day = dayOfDate(e.date);
    if (day >= first && day <= last) closed.push(windowInterval(day, e.startMinute, e.endMinute, tz));
  }
  if (a.withdrawnFrom != null) closed.push({ start: a.withdrawnFrom, end: Number.MAX_SAFE_INTEGER });
  return subtract(open, closed)
    .map((i) => ({ start: Math.max(i.start, from), end: Math.min(i.end, to) }))
    .filter((i) => i.end > i.start);
}

/** Whether the slot is available for the whole of [start, end). */
export function isAvailable(a: Availability, start: number, end: number, tz: string): boolean {
  const intervals = availableIntervals(a, start, end, tz);
  return intervals.length === 1 && intervals[0].start === start && intervals[0].end === end;
}
