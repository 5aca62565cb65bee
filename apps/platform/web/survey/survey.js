// The satisfaction survey page (满意度测评): owners answer their community's open half-yearly survey
// on the phone, one questionnaire per home, a 1–5 score per service area and an optional comment;
// closed surveys show their results (mean, 满意率, response rate); the property company and the
// owners' committee open and close surveys here. Sign-in: ../shared/session.js. Chinese first, English through shared/i18n.js.
import './strings.js';
import { onLangChange, t } from '../shared/i18n.js';
import { api, request } from '../shared/api.js';
import { esc } from '../shared/escape.js';
import { noticeLine } from '../shared/notice.js';
import { startSession } from '../shared/session.js';

const $ = (id) => document.getElementById(id);
// The roles of Permission.SurveyOpen (domain/permissions.ts); the server decides, this only hides the form and buttons.
const CLOSERS = ['platform_admin', 'property_staff', 'owners_committee'];
let me = null;
let communities = [];
let surveys = [];

const notify = noticeLine($('notice'), 'sv-notice');

function heading(s) {
  const community = communities.find((c) => c.id === s.communityId)?.name ?? '';
  return `<h3>${esc(t('sv.period', { community, year: s.period.slice(0, 4), half: t(`sv.half.${s.period.slice(5)}`) }))}</h3>`;
}

function question(s, q) {
  const text = document.documentElement.lang === 'en' ? q.en : q.zh;
  const scale = [1, 2, 3, 4, 5].map((n) => `<label><input type="radio" name="${esc(q.area)}" value="${n}" /><span>${n}</span></label>`).join('');
  return `<fieldset class="sv-q" data-area="${esc(q.area)}"><legend>${esc(text)}</legend>
    <div class="sv-scale">${scale}</div><div class="sv-ends"><span>${esc(t('sv.score.1'))}</span><span>${esc(t('sv.score.5'))}</span></div>
    <textarea name="comment-${esc(q.area)}" maxlength="500" rows="1" placeholder="${esc(t('sv.comment'))}" aria-label="${esc(t('sv.comment'))}"></textarea></fieldset>`;
}

function openCard(s) {
  const count = `<p class="sv-muted">${esc(t('sv.answers', { n: s.answers }))}</p>`;
  const close = me && CLOSERS.includes(me.role) ? `<button type="button" class="btn" data-close="${esc(s.id)}">${esc(t('sv.close'))}</button>` : '';
  if (s.myUnits.length === 0) return `<article class="sv-card">${heading(s)}${count}<p class="sv-muted">${esc(t('sv.cannot'))}</p>${close}</article>`;
  if (s.myUnits.every((u) => u.answered)) return `<article class="sv-card">${heading(s)}${count}<p class="sv-done">${esc(t('sv.answered'))}</p>${close}</article>`;
  return `<article class="sv-card"><form data-survey="${esc(s.id)}">${heading(s)}${count}<p class="sv-muted">${esc(t('sv.scale'))}</p>
    ${s.questions.map((q) => question(s, q)).join('')}<button type="submit" class="btn btn--primary">${esc(t('sv.submit'))}</button></form>${close}</article>`;
}

function resultCard(s) {
  const r = s.result;
  const dash = (v) => (v === null ? '–' : v);
  const row = (label, a) => `<tr><td>${esc(label)}</td><td>${esc(dash(a.mean))}</td><td>${esc(a.satisfiedRate === null ? '–' : `${a.satisfiedRate}%`)}</td><td>${esc(a.answers ?? '')}</td></tr>`;
  return `<article class="sv-card" data-result="${esc(s.id)}">${heading(s)}
    <p class="sv-muted">${esc(t('sv.response', { answered: r.answeredUnits, units: r.units, rate: dash(r.responseRate), score: dash(r.score) }))}</p>
    <table class="sv-table"><thead><tr><th>${esc(t('sv.area'))}</th><th>${esc(t('sv.mean'))}</th><th>${esc(t('sv.satisfied'))}</th><th>${esc(t('sv.count'))}</th></tr></thead>
    <tbody>${r.areas.map((a) => row(t(`sv.area.${a.area}`), a)).join('')}${row(t('sv.overall'), { mean: r.mean, satisfiedRate: r.satisfiedRate })}</tbody></table></article>`;
}

function render() {
  const none = `<p class="sv-muted">${esc(t('sv.none'))}</p>`;
  const open = surveys.filter((s) => s.status === 'open');
  const closed = surveys.filter((s) => s.status === 'closed');
  $('open-surveys').innerHTML = open.length ? open.map(openCard).join('') : none;
  $('closed-surveys').innerHTML = closed.length ? closed.map(resultCard).join('') : none;
}

$('open-surveys').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const scores = {};
  const comments = {};
  for (const set of form.querySelectorAll('fieldset[data-area]')) {
    const picked = set.querySelector('input[type=radio]:checked');
    if (picked) scores[set.dataset.area] = Number(picked.value);
    const comment = set.querySelector('textarea').value.trim();
    if (comment) comments[set.dataset.area] = comment;
  }
  if (Object.keys(scores).length === 0) return notify(t('sv.pickOne'), 'alarm');
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  button.textContent = t('sv.submitting');
  try {
    const res = await request('POST', `/surveys/${encodeURIComponent(form.dataset.survey)}/answers`, { body: { scores, ...(Object.keys(comments).length ? { comments } : {}) } });
    notify(t('sv.done', { units: res.unitIds.length }));
    await load();
  } catch (err) {
    notify(err.message, 'alarm');
    button.disabled = false;
    button.textContent = t('sv.submit');
  }
});

$('open-surveys').addEventListener('click', async (event) => {
  const id = event.target.closest('[data-close]')?.dataset.close;
  if (!id) return;
  try {
    await request('POST', `/surveys/${encodeURIComponent(id)}/close`);
    notify(t('sv.closedDone'));
    await load();
  } catch (err) {
    notify(err.message, 'alarm');
  }
});

const notMine = (err) => {
  if (err.status === 404) return [];
  throw err;
};

$('open-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const period = $('f-period').value.trim().toUpperCase();
  try {
    await request('POST', '/surveys', { body: { communityId: $('f-community').value, period } });
    notify(t('sv.started', { period }));
    await load();
  } catch (err) {
    notify(err.message, 'alarm');
  }
});

/** The half-year of today, as the server names it (domain/satisfaction-survey.ts surveyPeriodOf). */
const currentPeriod = () => `${new Date().getFullYear()}H${new Date().getMonth() < 6 ? 1 : 2}`;

async function load() {
  communities = await api.communities();
  $('f-community').innerHTML = communities.map((c) => `<option value="${esc(c.id)}">${esc(c.name)}</option>`).join('');
  // An owner reaches only the surveys of communities where they hold a verified home: the others answer 404.
  const lists = await Promise.all(communities.map((c) => request('GET', `/surveys?communityId=${encodeURIComponent(c.id)}`).catch(notMine)));
  surveys = lists.flat();
  render();
}

onLangChange(() => {
  if (me) render();
});

startSession({
  onLogin: async () => {
    me = await api.me();
    $('open-form').hidden = !CLOSERS.includes(me.role);
    $('f-period').value = currentPeriod();
    await load().catch((err) => notify(t('loadError', { msg: err.message }), 'alarm'));
  },
  onLogout: () => {
    me = null;
    surveys = [];
    notify('');
  },
});
