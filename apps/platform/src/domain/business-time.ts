/**
 * Wall-clock arithmetic in the business time zone (TZ_BUSINESS), pure and DST-safe: the one
 * place that turns instants into local dates and times and back, for tariffs, working days and
 * parking availability alike.
 */

export interface WallTime {
  year: number;
  month: number; // 1..12
  day: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall clock of an instant in a zone. */
export function wallTime(ms: number, timeZone: string): WallTime & { second: number } {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour % 24, minute: parts.minute, second: parts.second };
}

/** Offset of the zone from UTC at an instant, in ms (local = UTC + offset; Asia/Shanghai +8 h). */
export function zoneOffset(ms: number, timeZone: string): number {
  const w = wallTime(ms, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(ms / 1000) * 1000;
}

/** The instant of a wall-clock time in a zone (for a time skipped by DST, the instant after the gap). */
export function zonedInstant(w: WallTime, timeZone: string): number {
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  // Two passes settle the offset across a daylight-saving change.
  const guess = asUtc - zoneOffset(asUtc, timeZone);
  return asUtc - zoneOffset(guess, timeZone);
}

/** YYYY-MM-DD of an instant in a zone. */
export function localDate(ms: number, timeZone: string): string {
  const w = wallTime(ms, timeZone);
  return `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}

/** The instant a local calendar day 'YYYY-MM-DD' begins (00:00 in the zone). */
export function startOfLocalDay(date: string, timeZone: string): number {
  const [year, month, day] = date.split('-').map(Number);
  return zonedInstant({ year, month, day, hour: 0, minute: 0 }, timeZone);
}

/** Start of the next local day (00:00) after the day containing `ms`. */
export function nextLocalMidnight(ms: number, timeZone: string): number {
  const w = wallTime(ms, timeZone);
  const d = new Date(Date.UTC(w.year, w.month - 1, w.day + 1));
  return zonedInstant({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: 0, minute: 0 }, timeZone);
}

/** [start, end) instants of a month 'YYYY-MM' in a zone. */
export function monthRange(month: string, timeZone: string): { from: number; to: number } {
  const [y, m] = month.split('-').map(Number);
  const from = zonedInstant({ year: y, month: m, day: 1, hour: 0, minute: 0 }, timeZone);
  const to = zonedInstant({ year: m === 12 ? y + 1 : y, month: m === 12 ? 1 : m + 1, day: 1, hour: 0, minute: 0 }, timeZone);
  return { from, to };
}

/** 'YYYY-MM' of an instant in a zone. */
export function localMonth(ms: number, timeZone: string): string {
  return localDate(ms, timeZone).slice(0, 7);
}

/** Formats an instant as local 'YYYY-MM-DD HH:MM'. */
export function localStamp(ms: number, timeZone: string): string {
  const w = wallTime(ms, timeZone);
  return `${localDate(ms, timeZone)} ${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')}`;
}
