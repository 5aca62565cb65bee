import { localDate, startOfLocalDay } from './business-time';

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

/**
 * The working days left before a deadline from `workingDayDeadline` (domain-rules §3.4: notice,
 * review and payment periods count working days): the working days after today up to the
 * deadline's last day, so 0 on the last day itself. Null once the deadline has passed.
 */
export function workingDaysLeft(now: number, deadline: number, timeZone: string, calendar: HolidayCalendar): number | null {
  if (now >= deadline) return null;
  const lastDay = localDate(deadline - 1, timeZone);
  let date = localDate(now, timeZone);
  let left = 0;
  while (date < lastDay) {
    date = addDays(date, 1);
    if (isWorkingDay(date, calendar)) left++;
  }
  return left;
}
