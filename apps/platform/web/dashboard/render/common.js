// Helpers shared by the per-kind renderers: escaping, relative time, badges.
import { t, has } from '../../shared/i18n.js';

import { esc } from '../../shared/escape.js';

export { esc };

/** Label for an enum value, e.g. label('elevator.door', 'open'); unknown values are shown raw. */
export function label(prefix, value) {
  if (value === undefined || value === null || value === '') return '—';
  const key = `${prefix}.${value}`;
  return has(key) ? t(key) : String(value);
}

export function timeAgo(ts, now = Date.now()) {
  if (ts == null) return t('ago.never');
  const s = Math.max(0, Math.round((now - ts) / 1000));
  if (s < 3) return t('ago.now');
  if (s < 60) return t('ago.s', { n: s });
  const m = Math.floor(s / 60);
  if (m < 60) return t('ago.m', { n: m });
  const h = Math.floor(m / 60);
  if (h < 48) return t('ago.h', { n: h });
  return t('ago.d', { n: Math.floor(h / 24) });
}

export function absTime(ts) {
  if (ts == null) return '';
  try {
    return new Date(ts).toLocaleString();
  } catch {
    return '';
  }
}

/** tone: ok | info | warn | caution | alarm | muted | neutral */
export function badge(text, tone = 'neutral', extra = '') {
  return `<span class="badge badge--${tone}" ${extra}>${esc(text)}</span>`;
}

/** A definition-list row. tone colours the value. */
export function kv(name, value, tone = '', field = '') {
  const f = field ? ` data-field="${esc(field)}"` : '';
  return `<div class="kv__row"><dt>${esc(name)}</dt><dd class="${tone ? 'tone-' + tone : ''}"${f}>${esc(value)}</dd></div>`;
}
