// The published red and black lists of a year (no login, phone first, printable):
// GET /api/v1/public/credit/lists/:year, each entry with how its score was made. ?year=2026[&lang=en]
import './strings.js';
import { t } from '../shared/i18n.js';
import { el, params, showLanguage, startPublicPage } from '../shared/public-page.js';
import { breakdownTable } from './breakdown.js';

const $ = (id) => document.getElementById(id);
const thisYear = new Date().getFullYear();
let year = Number(params.get('year')) || thisYear - 1;
let data = null;
let error = null;

function entryCard(e, kind) {
  return el(
    'article',
    { class: `cr-card cr-card--${kind}`, 'data-company-id': e.company.id },
    el('header', { class: 'cr-card__head' }, el('span', { class: 'cr-rank' }, t('cr.rank', { n: e.rank })), el('strong', { class: 'cr-name' }, e.company.name), el('span', { class: 'cr-score' }, String(e.score))),
    el(
      'dl',
      { class: 'cr-meta' },
      el('dt', {}, t('cr.creditCode')),
      el('dd', {}, e.company.creditCode),
      kind === 'black' ? [el('dt', {}, t('cr.previous')), el('dd', {}, e.previousScore === null ? '—' : String(e.previousScore))] : null,
    ),
    el('details', { open: '' }, el('summary', {}, `${t('cr.howMade')} · ${t('cr.weightVersion', { v: e.weightVersion })}`), breakdownTable(e.breakdown, e.score)),
  );
}

function renderList(section, kind, entries, extra) {
  const body = entries.length === 0 ? [el('p', { class: 'cr-empty' }, t('cr.none'))] : entries.map((e) => entryCard(e, kind));
  section.replaceChildren(...[el('h2', {}, t(kind === 'red' ? 'cr.red' : 'cr.black')), extra, ...body].filter(Boolean));
}

function render() {
  showLanguage();
  document.title = t('cr.title');
  const select = $('year');
  select.replaceChildren(...Array.from({ length: 6 }, (_, i) => thisYear - i).map((y) => el('option', { value: String(y), selected: y === year ? '' : null }, String(y))));
  $('status').hidden = data !== null && error === null;
  if (error) $('status').textContent = t('loadError', { msg: error });
  if (!data) return;
  const rule = data.redListRule ? el('p', { class: 'cr-rule' }, t('cr.redRule', { min: data.redListRule.minScore, n: data.redListRule.topN })) : el('p', { class: 'cr-rule' }, t('cr.notFound'));
  renderList($('red'), 'red', data.red, rule);
  renderList($('black'), 'black', data.black, null);
}

async function load() {
  data = null;
  error = null;
  try {
    const res = await fetch(`/api/v1/public/credit/lists/${encodeURIComponent(year)}`, { headers: { Accept: 'application/json' } });
    if (!res.ok) throw new Error(`${res.status}`);
    data = await res.json();
  } catch (e) {
    error = e.message;
  }
  render();
}

$('year').addEventListener('change', (e) => {
  year = Number(e.target.value);
  const url = new URL(location.href);
  url.searchParams.set('year', String(year));
  history.replaceState(null, '', url);
  void load();
});
startPublicPage({ printButtonId: 'print', render });
void load();
