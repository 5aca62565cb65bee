// The committees publish their own board sections from a phone (issue 13 §6): the owners'
// committee its income and expenses and its decisions, the residents' committee the monthly
// joint-meeting minutes (seed 003 (二)1, (二)3). Plain fields instead of JSON; which sections are
// the caller's, and which are overdue, come from the public board's `committee` list.
import './strings.js';
import { api, request } from '../shared/api.js';
import { onLangChange, t } from '../shared/i18n.js';
import { startSession } from '../shared/session.js';

const $ = (id) => document.getElementById(id);
let me = null;
let board = null;

const today = () => new Date().toISOString().slice(0, 10);
const lines = (text) => text.split('\n').map((l) => l.trim()).filter(Boolean);

/** "12.5" yuan → 1250 fen, exactly (no floating point); NaN when not an amount. */
function fen(yuan) {
  const m = /^(\d{1,10})(?:\.(\d{1,2}))?$/.exec(yuan);
  return m ? Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0')) : NaN;
}

/** "办公用品 120.50" → { label: '办公用品', amountFen: 12050 }: the amount is the last word. */
function amountLine(line) {
  const at = line.lastIndexOf(' ');
  const amountFen = at > 0 ? fen(line.slice(at + 1)) : NaN;
  if (Number.isNaN(amountFen)) throw new Error(t('board.cp.badAmount', { line }));
  return { label: line.slice(0, at).trim(), amountFen };
}

/** "议题：结果" (or "议题: 结果") → { topic, outcome }. */
function topicLine(line) {
  const m = /^(.+?)[：:](.+)$/.exec(line);
  if (!m) throw new Error(t('board.cp.badTopic', { line }));
  return { topic: m[1].trim(), outcome: m[2].trim() };
}

function field(name, kind = 'text', value = '') {
  const label = document.createElement('label');
  const span = document.createElement('span');
  span.textContent = t(`board.cp.f.${name}`);
  const input = document.createElement(kind === 'textarea' ? 'textarea' : 'input');
  input.id = `f-${name}`;
  if (kind === 'textarea') input.rows = 4;
  else input.type = kind;
  input.value = value;
  label.append(span, input);
  return label;
}

/** Each section: its form fields and how they become the content the server validates. */
const forms = {
  joint_meeting_minutes: {
    fields: () => [field('meetingDate', 'date', today()), field('attendees', 'textarea'), field('topics', 'textarea')],
    content: (v) => ({ meetingDate: v.meetingDate, attendees: lines(v.attendees), topics: lines(v.topics).map(topicLine) }),
  },
  committee_decisions: {
    fields: () => [field('title'), field('decidedOn', 'date', today()), field('body', 'textarea')],
    // A new decision goes on top of the ones shown now (the board keeps the latest version only).
    content: (v, current) => ({ items: [{ title: v.title, decidedOn: v.decidedOn, body: v.body }, ...(current?.items ?? [])].slice(0, 30) }),
  },
  committee_income_expenses: {
    fields: () => [field('period'), field('periodFrom', 'date', today()), field('periodTo', 'date', today()), field('income', 'textarea'), field('expenses', 'textarea')],
    content: (v) => ({
      period: v.period,
      periodFrom: v.periodFrom,
      periodTo: v.periodTo,
      income: lines(v.income).map(amountLine).map((l) => ({ source: l.label, amountFen: l.amountFen })),
      expenses: lines(v.expenses).map(amountLine).map((l) => ({ purpose: l.label, amountFen: l.amountFen })),
    }),
  },
};

const mine = () => (board?.committee ?? []).filter((s) => s.publisherRole === me?.role);
const section = () => $('section').value;

function render() {
  const current = section();
  $('section').replaceChildren(
    ...mine().map((s) => {
      const o = document.createElement('option');
      o.value = s.section;
      o.textContent = t(`board.sec.${s.section}`);
      return o;
    }),
  );
  if (mine().some((s) => s.section === current)) $('section').value = current;
  $('sections-status').replaceChildren(
    ...mine().map((s) => {
      const li = document.createElement('li');
      li.dataset.section = s.section;
      li.className = s.stale ? 'bda__bad' : 'bda__ok';
      li.textContent = `${t(`board.sec.${s.section}`)}：${s.stale ? t('board.cm.stale') : t('board.cp.upToDate')}`;
      return li;
    }),
  );
  $('fields').replaceChildren(...(forms[section()]?.fields() ?? [t('board.cp.notCommittee')]));
  $('publish').disabled = !forms[section()];
}

async function refresh() {
  const id = $('community').value;
  if (!id) return;
  $('public-link').href = `./?community=${encodeURIComponent(id)}`;
  board = await request('GET', `/public/communities/${encodeURIComponent(id)}/board`, { auth: false });
  render();
}

async function publish(event) {
  event.preventDefault();
  const result = $('result');
  const values = Object.fromEntries([...$('fields').querySelectorAll('input, textarea')].map((i) => [i.id.slice(2), i.value.trim()]));
  try {
    const current = board.committee.find((s) => s.section === section())?.content;
    const item = await request('POST', `/board/communities/${encodeURIComponent($('community').value)}/committee-items`, { body: { section: section(), content: forms[section()].content(values, current) } });
    result.className = 'bda__ok';
    result.textContent = t('board.admin.published', { section: t(`board.sec.${item.section}`), v: item.version });
    await refresh();
  } catch (e) {
    result.className = 'bda__bad';
    result.textContent = t('board.admin.failed', { msg: e instanceof Error ? e.message : String(e) });
  }
}

async function enter() {
  me = await api.me();
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
$('section').addEventListener('change', render);
$('publish-form').addEventListener('submit', (e) => void publish(e));
onLangChange(() => board && render());
startSession({
  onLogin: () => {
    $('logout').hidden = false;
    return enter().catch((e) => ($('result').textContent = t('loadError', { msg: e.message })));
  },
  onLogout: () => ($('logout').hidden = true),
});
