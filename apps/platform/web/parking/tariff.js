// Staff page: a community's parking tariffs (收费标准), each with the owners' vote that set it
// (decisionVoteId, linked to its published result on the board), and filing a new version
// (POST /api/v1/billing/communities/:id/tariffs) citing one of the community's adopted decisions.
import './strings.js';
import { api, request } from '../shared/api.js';
import { citable, decisionHref, fillDecisionSelect } from '../shared/decisions.js';
import { esc } from '../shared/escape.js';
import { getLang, onLangChange, t } from '../shared/i18n.js';
import { startSession } from '../shared/session.js';

const $ = (id) => document.getElementById(id);
let state = { tariffs: [], votes: [], decisions: [] };

const communityId = () => $('community').value;
const when = (iso) => new Date(iso).toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-GB', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });

/** "2.5" yuan → 250 fen, exactly (no floating point); NaN when not an amount. */
function fen(yuan) {
  const m = /^(\d{1,8})(?:\.(\d{1,2}))?$/.exec(yuan.trim());
  return m ? Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0')) : NaN;
}

function voteCell(tariff) {
  if (!tariff.decisionVoteId) return '—';
  const vote = state.votes.find((v) => v.id === tariff.decisionVoteId);
  const status = vote?.reviews.at(-1) ? ` · ${t(`parking.tf.review.${vote.reviews.at(-1).outcome}`)}` : '';
  return `<a href="${esc(decisionHref(communityId(), tariff.decisionVoteId))}" target="_blank" rel="noopener" data-decision-vote="${esc(tariff.decisionVoteId)}">${esc(vote?.question ?? tariff.decisionVoteId)}</a>${esc(status)}`;
}

function render() {
  $('tariffs').innerHTML = state.tariffs.length
    ? state.tariffs
        .map((x) => `<tr data-tariff="${esc(x.id)}"><td>${esc(x.version)}</td><td>${esc(t(`pd.setBy.${x.setBy}`))}</td><td>${esc(x.filingNumber)}</td><td>${voteCell(x)}</td><td>${esc(when(x.effectiveFrom))}</td></tr>`)
        .join('')
    : `<tr><td colspan="5">${esc(t('parking.tf.none'))}</td></tr>`;
  const picked = $('decision-vote').value;
  fillDecisionSelect($('decision-vote'), state.decisions, t('parking.tf.noVote'));
  if (state.decisions.some((v) => v.id === picked)) $('decision-vote').value = picked;
  $('disclosure-link').href = `/parking-disclosure/?community=${encodeURIComponent(communityId())}`;
}

async function refresh() {
  if (!communityId()) return;
  const id = encodeURIComponent(communityId());
  const [tariffs, votes] = await Promise.all([request('GET', `/billing/communities/${id}/tariffs`), request('GET', `/votes?communityId=${id}`)]);
  state = { tariffs: [...tariffs].sort((a, b) => b.version - a.version), votes, decisions: votes.filter(citable) };
  render();
}

async function file(event) {
  event.preventDefault();
  const result = $('result');
  const price = fen($('unit-price').value);
  const cap = $('cap').value.trim() ? fen($('cap').value) : null;
  if (!$('filing').value.trim() || !$('effective').value || Number.isNaN(price) || Number.isNaN(cap)) {
    result.className = 'tf-bad';
    result.textContent = t('parking.tf.needAll');
    return;
  }
  const body = {
    setBy: $('set-by').value,
    filingNumber: $('filing').value.trim(),
    ...($('decision-ref').value.trim() ? { decisionRef: $('decision-ref').value.trim() } : {}),
    ...($('decision-vote').value ? { decisionVoteId: $('decision-vote').value } : {}),
    effectiveFrom: new Date($('effective').value).toISOString(),
    rules: {
      freeMinutes: Number($('free-minutes').value || 0),
      pricing: { mode: 'unit', bands: [{ name: t('parking.tf.allDay'), start: '00:00', end: '00:00', unitMinutes: Number($('unit-minutes').value), unitPriceFen: price }] },
      ...(cap === null ? {} : { cap: { amountFen: cap, window: 'calendarDay' } }),
    },
  };
  $('file').disabled = true;
  try {
    const tariff = await request('POST', `/billing/communities/${encodeURIComponent(communityId())}/tariffs`, { body });
    result.className = 'tf-ok';
    result.textContent = t('parking.tf.filed', { v: tariff.version });
    await refresh();
  } catch (e) {
    result.className = 'tf-bad';
    result.textContent = t('parking.tf.failed', { msg: e instanceof Error ? e.message : String(e) });
  } finally {
    $('file').disabled = false;
  }
}

async function enter() {
  api.me().then((me) => ($('user-name').textContent = me.displayName || me.username || '')).catch(() => undefined);
  const communities = await api.communities();
  $('community').replaceChildren(
    ...communities.map((c) => {
      const o = document.createElement('option');
      o.value = c.id;
      o.textContent = c.name;
      return o;
    }),
  );
  await refresh();
}

$('community').addEventListener('change', () => void refresh());
$('tariff-form').addEventListener('submit', (e) => void file(e));
onLangChange(render);
startSession({ onLogin: () => enter().catch((e) => ($('result').textContent = t('loadError', { msg: e.message }))) });
