// The owner's vote page (业主共同决定): my homes and their verification, open votes with a ballot
// for the homes I represent, and closed votes with their tallies by area and headcount.
// Sign-in: ../shared/session.js. Chinese first, English through shared/i18n.js.
import './strings.js';
import { onLangChange, t } from '../shared/i18n.js';
import { request } from '../shared/api.js';
import { esc } from '../shared/escape.js';
import { noticeLine } from '../shared/notice.js';
import { startSession } from '../shared/session.js';

const $ = (id) => document.getElementById(id);
let units = [];
let votes = [];

const notify = noticeLine($('notice'), 'vt-notice');

const when = (iso) => new Date(iso).toLocaleString(document.documentElement.lang || 'zh-CN', { dateStyle: 'short', timeStyle: 'short' });

function renderUnits() {
  if (units.length === 0) {
    $('units').innerHTML = `<p><strong>${esc(t('vote.units.none'))}</strong></p><p class="vt-muted">${esc(t('vote.units.noneBody'))}</p>`;
    return;
  }
  const role = (u) => (u.status !== 'verified' || u.relation !== 'owner' ? '' : u.representative ? t('vote.representative') : t('vote.coOwner'));
  $('units').innerHTML = `<ul class="vt-units">${units
    .map(
      (u) => `<li class="vt-unit"><span>${esc(t('vote.unit', { building: u.building, number: u.number, area: u.floorArea }))}</span>
        <span><span class="vt-tag vt-tag--${esc(u.status)}">${esc(t(`vote.status.${u.status}`))}</span> <span class="vt-muted">${esc(role(u))}</span></span></li>`,
    )
    .join('')}</ul>`;
}

function tallyTable(result) {
  const row = (label, tally) => `<tr><td>${esc(label)}</td><td>${esc(tally.area)}</td><td>${esc(tally.headcount)}</td></tr>`;
  return `<table class="vt-tally"><thead><tr><th>${esc(t('vote.tally.option'))}</th><th>${esc(t('vote.tally.area'))}</th><th>${esc(t('vote.tally.heads'))}</th></tr></thead>
    <tbody>${result.perOption.map((o) => row(o.option, o)).join('')}${row(t('vote.tally.participating'), result.participating)}${row(t('vote.tally.total'), result.total)}</tbody></table>`;
}

function outcome(result) {
  if (!result.participationMet) return `<p class="vt-outcome">${esc(t('vote.result.noQuorum'))}</p>`;
  if (result.adopted === null) return `<p class="vt-outcome">${esc(t('vote.result.rejected'))}</p>`;
  return `<p class="vt-outcome vt-outcome--adopted">${esc(t('vote.result.adopted', { option: result.adoptedOption }))}</p>`;
}

function voteCard(v) {
  const head = `<h3>${esc(v.question)}</h3>
    <p class="vt-muted">${esc(t('vote.period', { from: when(v.opensAt), to: when(v.closesAt) }))}</p>
    <p class="vt-muted">${esc(t(`vote.rule.${v.rule}`))}</p>`;
  if (v.status === 'closed') return `<article class="vt-card">${head}<h4>${esc(t('vote.result'))}</h4>${outcome(v.result)}${tallyTable(v.result)}</article>`;
  const count = `<p class="vt-muted">${esc(t('vote.ballots', { n: v.ballots }))}</p>`;
  if (v.myUnits.length === 0) return `<article class="vt-card">${head}${count}<p class="vt-muted">${esc(t('vote.cannot'))}</p></article>`;
  if (v.myUnits.every((u) => u.voted)) return `<article class="vt-card">${head}${count}<p class="vt-outcome">${esc(t('vote.voted'))}</p></article>`;
  const options = v.options
    .map((o, i) => `<label class="vt-option"><input type="radio" name="option-${esc(v.id)}" value="${i}" /> <span>${esc(o)}</span></label>`)
    .join('');
  return `<article class="vt-card"><form data-vote="${esc(v.id)}">${head}${count}<fieldset class="vt-options">${options}</fieldset>
    <button type="submit" class="btn btn--primary">${esc(t('vote.submit'))}</button></form></article>`;
}

function renderVotes() {
  const none = `<p class="vt-muted">${esc(t('vote.none'))}</p>`;
  const open = votes.filter((v) => v.status === 'open');
  const closed = votes.filter((v) => v.status === 'closed');
  $('open-votes').innerHTML = open.length ? open.map(voteCard).join('') : none;
  $('closed-votes').innerHTML = closed.length ? closed.map(voteCard).join('') : none;
}

$('open-votes').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const picked = form.querySelector('input[type=radio]:checked');
  if (!picked) return notify(t('vote.pick'), 'alarm');
  const button = form.querySelector('button');
  button.disabled = true;
  button.textContent = t('vote.submitting');
  try {
    const res = await request('POST', `/votes/${encodeURIComponent(form.dataset.vote)}/ballots`, { body: { option: Number(picked.value) } });
    notify(t('vote.done', { units: res.unitIds.length }));
    await load();
  } catch (err) {
    notify(err.message, 'alarm');
    button.disabled = false;
    button.textContent = t('vote.submit');
  }
});

async function load() {
  units = await request('GET', '/units/mine');
  const communities = [...new Set(units.map((u) => u.communityId))];
  const lists = await Promise.all(communities.map((id) => request('GET', `/votes?communityId=${encodeURIComponent(id)}`)));
  votes = lists.flat();
  renderUnits();
  renderVotes();
}

onLangChange(() => {
  renderUnits();
  renderVotes();
});

startSession({
  onLogin: () => load().catch((err) => notify(t('loadError', { msg: err.message }), 'alarm')),
  onLogout: () => notify(''),
});
