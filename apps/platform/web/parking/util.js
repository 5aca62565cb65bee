// Small helpers of the owner's parking page: escaping, times, windows, money.
import { t, getLang } from '../shared/i18n.js';

import { esc } from '../shared/escape.js';

export { esc };

const pad = (n) => String(n).padStart(2, '0');

/** Minutes after midnight → "HH:MM" (1440 → "24:00"). */
export function hhmm(minutes) {
  return `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

/** "HH:MM" → minutes after midnight, or null. */
export function minutesOf(value) {
  const m = /^(\d{2}):(\d{2})$/.exec(value || '');
  if (!m) return null;
  const v = Number(m[1]) * 60 + Number(m[2]);
  return v >= 0 && v < 1440 ? v : null;
}

/**
 * A window from the form: the end is exclusive; an end at or before the start means the next day
 * ("22:00–07:00" crosses midnight), and an end of 00:00 after a later start is midnight (1440).
 */
export function windowOf(fromValue, toValue) {
  const start = minutesOf(fromValue);
  const endRaw = minutesOf(toValue);
  if (start == null || endRaw == null) return null;
  const end = endRaw === 0 ? 1440 : endRaw;
  return { startMinute: start, endMinute: end };
}

export const crossesMidnight = (w) => w.endMinute <= w.startMinute;

/** "08:00–18:00" or "22:00–次日 07:00". */
export function spanLabel(w) {
  if (w.startMinute === 0 && w.endMinute === 1440) return t('parking.window.allDay');
  return crossesMidnight(w)
    ? `${hhmm(w.startMinute)}–${t('parking.window.nextDay')}${hhmm(w.endMinute)}`
    : `${hhmm(w.startMinute)}–${hhmm(w.endMinute)}`;
}

/** Weekday order Monday first; values are 0 = Sunday … 6 = Saturday. */
export const WEEK = [1, 2, 3, 4, 5, 6, 0];
export const dayName = (d) => t(`parking.day.${d}`);

export function daysLabel(days) {
  const set = new Set(days);
  if (set.size === 7) return t('parking.days.all');
  if (set.size === 5 && [1, 2, 3, 4, 5].every((d) => set.has(d))) return t('parking.days.workdays');
  if (set.size === 2 && set.has(0) && set.has(6)) return t('parking.days.weekend');
  return WEEK.filter((d) => set.has(d)).map(dayName).join(getLang() === 'zh' ? '、' : ', ');
}

const locale = () => (getLang() === 'zh' ? 'zh-CN' : 'en-GB');

export function when(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString(locale(), { month: 'short', day: 'numeric', weekday: 'short', hour: '2-digit', minute: '2-digit', hour12: false });
}

/** "11月23日 周一 08:00 – 10:00" (the end date only when it differs). */
export function range(startIso, endIso) {
  const a = new Date(startIso);
  const b = new Date(endIso);
  const sameDay = a.toDateString() === b.toDateString();
  const end = sameDay ? b.toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit', hour12: false }) : when(endIso);
  return `${when(startIso)} – ${end}`;
}

export function yuan(fen) {
  return (Number(fen || 0) / 100).toFixed(2);
}

/** Value for <input type="datetime-local"> in the browser's time. */
export function localInput(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function thisMonth(ms = Date.now()) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}`;
}

export function today(ms = Date.now()) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function statusBadge(status) {
  const tone = { booked: 'info', active: 'ok', completed: 'muted', cancelled: 'muted', no_show: 'warn' }[status] || 'neutral';
  return `<span class="badge badge--${tone}">${esc(t(`parking.status.${status}`))}</span>`;
}
