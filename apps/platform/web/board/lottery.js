// The lottery (摇号) for newly added parking slots (seed 004 三(四)2(2)), opened by the owners'
// committee or the property company from a phone: the announced seed, the entrants, the community's
// slots being let and the owners' decision behind them; POST /api/v1/parking/lotteries draws it once
// and the public board (公示栏) shows the seed, every entrant's SHA-256 and the result for anyone to
// re-run in the browser.
import './strings.js';
import { api, request } from '../shared/api.js';
import { citableDecisions, fillDecisionSelect } from '../shared/decisions.js';
import { onLangChange, t } from '../shared/i18n.js';
import { startSession } from '../shared/session.js';

const $ = (id) => document.getElementById(id);
let state = { slots: [], votes: [], lotteries: [] };

const lines = (text) => [...new Set(text.split('\n').map((l) => l.trim()).filter(Boolean))];
const communityId = () => $('community').value;
const boardHref = (hash = '') => `./?community=${encodeURIComponent(communityId())}${hash}`;

function node(tag, attrs, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  n.append(...children);
  return n;
}

function render() {
  const checked = new Set([...$('slots').querySelectorAll('input:checked')].map((i) => i.value));
  $('slots').replaceChildren(
    ...(state.slots.length
      ? state.slots.map((s) => {
          const box = node('input', { type: 'checkbox', value: s.code, 'data-slot': s.code });
          box.checked = checked.has(s.code);
          return node('label', {}, box, `${s.code}${s.location ? ` · ${s.location}` : ''}`);
        })
      : [node('p', { class: 'bda__hint' }, t('board.lp.noSlots'))]),
  );
  const vote = $('vote').value;
  fillDecisionSelect($('vote'), state.votes, t('board.lp.noVote'));
  if (state.votes.some((v) => v.id === vote)) $('vote').value = vote;
  $('published').replaceChildren(...state.lotteries.map((l) => node('li', { 'data-lottery': l.id }, node('a', { href: boardHref(`#lottery-${l.id}`) }, l.title), ` · ${l.seed}`)));
  $('public-link').href = boardHref();
}

async function refresh() {
  if (!communityId()) return;
  const id = encodeURIComponent(communityId());
  const [slots, votes, board] = await Promise.all([
    request('GET', `/parking/slots?communityId=${id}`),
    citableDecisions(communityId()),
    request('GET', `/public/communities/${id}/board`, { auth: false }),
  ]);
  state = { slots: slots.filter((s) => !s.withdrawnFrom), votes, lotteries: board.slotLotteries.lotteries };
  render();
}

async function draw(event) {
  event.preventDefault();
  const result = $('result');
  $('result-link').hidden = true;
  const body = {
    communityId: communityId(),
    title: $('title').value.trim(),
    seed: $('seed').value.trim(),
    entrants: lines($('entrants').value),
    slots: [...$('slots').querySelectorAll('input:checked')].map((i) => i.value),
    ...($('vote').value ? { decisionVoteId: $('vote').value } : {}),
  };
  if (!body.title || !body.seed || !body.entrants.length || !body.slots.length) {
    result.className = 'bda__bad';
    result.textContent = t('board.lp.needAll');
    return;
  }
  $('draw').disabled = true;
  try {
    const lottery = await request('POST', '/parking/lotteries', { body });
    result.className = 'bda__ok';
    result.textContent = t('board.lp.drawn', { n: lottery.result.assignments.length, w: lottery.result.waiting.length });
    $('result-link').href = boardHref(`#lottery-${lottery.id}`);
    $('result-link').hidden = false;
    await refresh();
  } catch (e) {
    result.className = 'bda__bad';
    result.textContent = t('board.lp.failed', { msg: e instanceof Error ? e.message : String(e) });
  } finally {
    $('draw').disabled = false;
  }
}

async function enter() {
  const communities = await api.communities();
  $('community').replaceChildren(...communities.map((c) => node('option', { value: c.id }, c.name)));
  await refresh();
}

$('community').addEventListener('change', () => void refresh());
$('draw-form').addEventListener('submit', (e) => void draw(e));
onLangChange(render);
startSession({
  onLogin: () => {
    $('logout').hidden = false;
    return enter().catch((e) => ($('result').textContent = t('loadError', { msg: e.message })));
  },
  onLogout: () => ($('logout').hidden = true),
});
