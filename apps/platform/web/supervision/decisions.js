// Owners' decisions for the street's review (seed 002 五 职责分工: the street office reviews the
// decisions of the owners' assembly and committee): the closed votes of every community of the
// officer's area, with their result and the street's reviews so far; a street officer records a
// decision upheld or ordered corrected, with the reason (POST /api/v1/votes/:id/reviews), and the
// public board shows it with the result. District officers see the list without the form.
import { request } from '../shared/api.js';
import { decisionHref } from '../shared/decisions.js';
import { esc } from '../shared/escape.js';
import { getLang, t } from '../shared/i18n.js';

const $ = (id) => document.getElementById(id);
const state = { communities: [], votes: [], canReview: false, filter: 'all', notes: new Map() };

const when = (iso) => (iso ? new Date(iso).toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-GB', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }) : '—');
const outcomeLabel = (o) => t(`sup.dec.outcome.${o}`);

function resultText(r) {
  if (!r) return '—';
  if (!r.participationMet) return t('sup.dec.noQuorum');
  return r.adopted === null ? t('sup.dec.rejected') : t('sup.dec.adopted', { option: r.adoptedOption });
}

function reviewForm(v) {
  if (!state.canReview) return '';
  const note = state.notes.get(v.id);
  return `<form class="sup-dec__form" data-review-form="${esc(v.id)}">
    <label><span>${esc(t('sup.dec.outcome'))}</span>
      <select name="outcome">
        <option value="upheld">${esc(outcomeLabel('upheld'))}</option>
        <option value="ordered_corrected">${esc(outcomeLabel('ordered_corrected'))}</option>
      </select></label>
    <label class="sup-dec__reason"><span>${esc(t('sup.dec.reason'))}</span><textarea name="reason" rows="2" maxlength="2000" required></textarea></label>
    <button type="submit" class="btn btn--primary">${esc(t('sup.dec.record'))}</button>
    <span class="sup-dec__note ${note?.ok === false ? 'sup-num--bad' : ''}" role="status">${esc(note?.text ?? '')}</span>
  </form>`;
}

function voteHtml(v) {
  const last = v.reviews.at(-1);
  const reviews = v.reviews
    .map((r) => `<li data-review="${esc(r.outcome)}">${esc(when(r.reviewedAt))} · <strong>${esc(outcomeLabel(r.outcome))}</strong>：${esc(r.reason)}</li>`)
    .join('');
  return `<article class="sup-dec" data-vote="${esc(v.id)}" data-review-status="${esc(last?.outcome ?? 'none')}">
    <header class="sup-dec__head">
      <span class="sup-area">${esc(v.communityName)}</span>
      <a href="${esc(decisionHref(v.communityId, v.id))}" target="_blank" rel="noopener" class="sup-dec__question">${esc(v.question)}</a>
    </header>
    <p class="sup-dec__meta">${esc(t('sup.dec.closedAt', { at: when(v.closedAt) }))} · ${esc(resultText(v.result))} · ${esc(v.ruleSource)}</p>
    <p class="sup-dec__status">${esc(last ? t('sup.dec.status', { outcome: outcomeLabel(last.outcome), at: when(last.reviewedAt) }) : t('sup.dec.unreviewed'))}</p>
    ${reviews ? `<ul class="sup-dec__reviews">${reviews}</ul>` : ''}
    ${reviewForm(v)}
  </article>`;
}

export function renderDecisions() {
  const shown = state.votes.filter((v) => state.filter === 'all' || v.reviews.length === 0);
  $('decisions-summary').textContent = t('sup.dec.summary', { n: state.votes.length, open: state.votes.filter((v) => v.reviews.length === 0).length });
  $('decisions-list').innerHTML = shown.length ? shown.map(voteHtml).join('') : `<p class="sup-empty">${esc(t(state.filter === 'all' ? 'sup.dec.none' : 'sup.dec.noneUnreviewed'))}</p>`;
  for (const b of document.querySelectorAll('[data-dec-filter]')) b.setAttribute('aria-pressed', String(b.dataset.decFilter === state.filter));
}

/** Reloads the closed votes of the given communities ({ id, name }). */
export async function loadDecisions(communities, role) {
  state.communities = communities;
  state.canReview = role === 'street_officer';
  const lists = await Promise.all(communities.map(async (c) => (await request('GET', `/votes?communityId=${encodeURIComponent(c.id)}`)).filter((v) => v.status === 'closed').map((v) => ({ ...v, communityName: c.name }))));
  state.votes = lists.flat().sort((a, b) => (b.closedAt ?? '').localeCompare(a.closedAt ?? ''));
  renderDecisions();
}

async function submitReview(form) {
  const id = form.dataset.reviewForm;
  const body = { outcome: form.elements.outcome.value, reason: form.elements.reason.value.trim() };
  if (!body.reason) {
    state.notes.set(id, { ok: false, text: t('sup.dec.needReason') });
    return renderDecisions();
  }
  form.querySelector('button').disabled = true;
  try {
    await request('POST', `/votes/${encodeURIComponent(id)}/reviews`, { body });
    state.notes.set(id, { ok: true, text: t('sup.dec.recorded', { outcome: outcomeLabel(body.outcome) }) });
    await loadDecisions(state.communities, state.canReview ? 'street_officer' : '');
  } catch (e) {
    state.notes.set(id, { ok: false, text: t('sup.dec.failed', { msg: e instanceof Error ? e.message : String(e) }) });
    renderDecisions();
  }
}

$('decisions-list').addEventListener('submit', (e) => {
  e.preventDefault();
  void submitReview(e.target);
});
for (const b of document.querySelectorAll('[data-dec-filter]')) {
  b.addEventListener('click', () => {
    state.filter = b.dataset.decFilter;
    renderDecisions();
  });
}
