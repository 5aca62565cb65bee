/**
 * Working days (工作日) in the business time zone with an official holiday calendar: public
 * holidays (法定节假日) are days off even on a weekday, make-up working days (调休上班) are working
 * days even on a weekend. Pure: dates are 'YYYY-MM-DD' strings in the business zone, instants are
 * milliseconds since the epoch, the zone is an IANA name passed in.
 */

export interface HolidayCalendar {
  /** Days off that would otherwise be working days. */
  holidays: ReadonlySet<string>;
  /** Weekend days that are working days (调休). */
  workdays: ReadonlySet<string>;
}

export const emptyCalendar: HolidayCalendar = { holidays: new Set(), workdays: new Set() };

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isIsoDate(date: string): boolean {
  const m = DATE_RE.exec(date);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === date;
}

function parse(date: string): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new Error(`not a date: ${date}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

/** The calendar date after `date`, `days` later (negative goes back). */
export function addDays(date: string, days: number): string {
  return new Date(parse(date) + days * 86_400_000).toISOString().slice(0, 10);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(date: string): number {
  return new Date(parse(date)).getUTCDay();
}

export function isWorkingDay(date: string, calendar: HolidayCalendar): boolean {
  if (calendar.workdays.has(date)) return true;
  if (calendar.holidays.has(date)) return false;
  const d = weekday(date);
  return d !== 0 && d !== 6;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function parts(ms: number, timeZone: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out;
}

/** The calendar date of an instant in the zone. */
export function localDate(ms: number, timeZone: string): string {
  const p = parts(ms, timeZone);
  return `${String(p.year).padStart(4, '0')}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** Offset of the zone from UTC at an instant, in ms (Asia/Shanghai: +8 h). */
function offsetAt(ms: number, timeZone: string): number {
  const p = parts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The instant a local calendar day begins (00:00 in the zone). */
export function startOfLocalDay(date: string, timeZone: string): number {
  const guess = parse(date);
  let result = guess - offsetAt(guess, timeZone);
  // Correct once for a zone whose offset differs at the result (daylight-saving changes).
  result = guess - offsetAt(result, timeZone);
  return result;
}

/**
 * The deadline `days` working days after an instant: the end (next local midnight) of the
 * `days`-th working day strictly after the day of `from`. With 0, the end of the day of `from`
 * if it is a working day, else the end of the next working day.
 */
export function workingDayDeadline(from: number, days: number, timeZone: string, calendar: HolidayCalendar): number {
  if (!Number.isInteger(days) || days < 0) throw new Error(`working days must be a non-negative integer, got ${days}`);
  let date = localDate(from, timeZone);
  if (days === 0) {
    while (!isWorkingDay(date, calendar)) date = addDays(date, 1);
  } else {
    let left = days;
    while (left > 0) {
      date = addDays(date, 1);
      if (isWorkingDay(date, calendar)) left--;
    }
  }
  return startOfLocalDay(addDays(date, 1), timeZone);
}
