// The credit desk of street and district officers (and a property company reading its own grade):
// record 双随机 spot checks, street opinions and survey results for a community of one's area,
// run the year's grading (district), and read each company's grade with how it was made.
// REST: /api/v1/credit/… (seed 004_592cdd860f3d4a71.txt 五(三)).
import './strings.js';
import { onLangChange, t } from '../shared/i18n.js';
import { api, ApiError, request } from '../shared/api.js';
import { esc } from '../shared/escape.js';
import { noticeLine } from '../shared/notice.js';
import { el } from '../shared/public-page.js';
import { startSession } from '../shared/session.js';
import { breakdownTable } from './breakdown.js';

const $ = (id) => document.getElementById(id);
const notify = noticeLine($('notice'), 'cr-notice');
const fail = (err) => notify(err instanceof ApiError ? err.message : String(err), 'alarm');
const thisYear = new Date().getFullYear();
const ASSESSORS = ['platform_admin', 'street_officer', 'district_authority'];
const GRADERS = ['platform_admin', 'district_authority'];

let me = null;
let communities = [];
let year = thisYear;
let assessments = [];
let grades = [];

function renderYears() {
  $('year').innerHTML = Array.from({ length: 6 }, (_, i) => thisYear - i).map((y) => `<option value="${y}" ${y === year ? 'selected' : ''}>${y}</option>`).join('');
  $('public-link').href = `./?year=${year}`;
}

function renderCommunities() {
  $('f-community').innerHTML = communities.map((c) => `<option value="${esc(c.id)}">${esc(c.name)} · ${esc(c.street)}</option>`).join('');
}

function renderAssessments() {
  const name = (id) => communities.find((c) => c.id === id)?.name ?? id;
  $('assessments').innerHTML = assessments
    .map((a) => `<tr data-id="${esc(a.id)}"><td>${esc(a.assessedOn)}</td><td>${esc(name(a.communityId))}</td><td>${esc(t(`cr.kind.${a.kind}`))}</td><td class="num">${esc(a.score)}</td><td>${esc(a.note ?? '')}</td></tr>`)
    .join('') || `<tr><td>${esc(t('cr.none'))}</td></tr>`;
}

function renderGrades() {
  const box = $('grades');
  if (grades.length === 0) {
    box.replaceChildren(el('p', { class: 'cr-empty' }, t('cr.notFound')));
    return;
  }
  box.replaceChildren(
    ...grades.map((g) =>
      el(
        'article',
        { class: `cr-card ${g.blackListed ? 'cr-card--black' : ''}`, 'data-company-id': g.company.id },
        el('header', { class: 'cr-card__head' }, el('strong', { class: 'cr-name' }, g.company.name), el('span', { class: 'cr-score' }, g.score === null ? '—' : String(g.score))),
        el(
          'div',
          { class: 'cr-badges' },
          g.belowThreshold ? el('span', { class: 'badge badge--alarm' }, t('cr.below')) : null,
          g.blackListed ? el('span', { class: 'badge badge--alarm' }, t('cr.blackListed')) : null,
          g.actions.map((a) => el('span', { class: 'badge badge--caution' }, `${t(`cr.action.${a.kind}`)} ${a.recordedAt.slice(0, 10)}`)),
          el('span', { class: 'badge' }, t('cr.weightVersion', { v: g.weightVersion })),
        ),
        el('details', {}, el('summary', {}, t('cr.howMade')), breakdownTable(g.breakdown, g.score)),
      ),
    ),
  );
}

function renderAll() {
  renderYears();
  renderAssessments();
  renderGrades();
}

async function load() {
  [assessments, grades] = await Promise.all([request('GET', `/credit/assessments?year=${year}`), request('GET', `/credit/grades/${year}`)]);
  renderAll();
}

$('year').addEventListener('change', (e) => {
  year = Number(e.target.value);
  void load().catch(fail);
});

$('assess-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const note = $('f-note').value.trim();
  try {
    await request('POST', '/credit/assessments', { body: { communityId: $('f-community').value, kind: $('f-kind').value, assessedOn: $('f-date').value, score: Number($('f-score').value), ...(note ? { note } : {}) } });
    notify(t('cr.saved'));
    $('f-score').value = '';
    $('f-note').value = '';
    await load();
  } catch (err) {
    fail(err);
  }
});

$('run').addEventListener('click', async () => {
  try {
    const result = await request('POST', `/credit/grades/${year}/run`);
    notify(t('cr.ran', { year: result.year, v: result.weightVersion }));
    await load();
  } catch (err) {
    fail(err);
  }
});

onLangChange(() => {
  if (me) renderAll();
});

startSession({
  onLogin: async () => {
    me = await api.me();
    $('user-name').textContent = me.displayName || me.username || '';
    $('record').hidden = !ASSESSORS.includes(me.role);
    $('run').hidden = !GRADERS.includes(me.role);
    communities = await api.communities();
    $('f-date').value = new Date().toISOString().slice(0, 10);
    renderCommunities();
    renderYears();
    await load().catch(fail);
  },
  onLogout: () => {
    me = null;
    assessments = [];
    grades = [];
  },
});
