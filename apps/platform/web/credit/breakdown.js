// How a credit score was made (both credit pages): one row per part with its score, weight and
// the points it adds; parts without data are shown as left out.
import { t } from '../shared/i18n.js';
import { el } from '../shared/public-page.js';

const pct = (w) => `${Math.round(w * 1000) / 10}%`;

export function breakdownTable(lines, total) {
  return el(
    'table',
    { class: 'cr-breakdown' },
    el('caption', {}, t('cr.howMade')),
    el('thead', {}, el('tr', {}, el('th', {}, t('cr.col.component')), el('th', { class: 'num' }, t('cr.col.score')), el('th', { class: 'num' }, t('cr.col.weight')), el('th', { class: 'num' }, t('cr.col.points')))),
    el(
      'tbody',
      {},
      lines.map((l) =>
        el(
          'tr',
          { 'data-component': l.component, class: l.score === null ? 'cr-left-out' : null },
          el('td', {}, t(`cr.comp.${l.component}`), el('small', { class: 'cr-note' }, l.note)),
          el('td', { class: 'num' }, l.score === null ? t('cr.noData') : String(l.score)),
          el('td', { class: 'num' }, l.score === null ? '—' : pct(l.effectiveWeight)),
          el('td', { class: 'num' }, l.score === null ? '—' : String(l.points)),
        ),
      ),
    ),
    el('tfoot', {}, el('tr', {}, el('td', {}, t('cr.total')), el('td', {}), el('td', {}), el('td', { class: 'num' }, total === null ? '—' : String(total)))),
  );
}
