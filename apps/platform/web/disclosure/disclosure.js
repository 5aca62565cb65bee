// Public disclosure page (no login): each disclosed emergency repair of a community with its
// total, the share of every unit by floor area, and its timeline. ?community=<uuid>
import './strings.js';
import { getLang, t } from '../shared/i18n.js';
import { communityId, el, label, showLanguage, startPublicPage } from '../shared/public-page.js';

const main = document.getElementById('disc-main');
let data = null;
let error = null;

const yuan = (fen) => {
  const neg = fen < 0;
  const abs = Math.abs(fen);
  return `${neg ? '-' : ''}${Math.floor(abs / 100).toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en')}.${String(abs % 100).padStart(2, '0')}`;
};
const when = (isoText) => new Date(isoText).toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai', hour12: false });

function renderCase(c) {
  const sum = c.shares.reduce((s, x) => s + x.shareFen, 0);
  const rows = c.shares.map((s) =>
    el('tr', { 'data-unit': `${s.building}-${s.unit}` }, el('td', {}, s.building), el('td', {}, s.unit), el('td', { class: 'num' }, s.floorArea), el('td', { class: 'num share' }, yuan(s.shareFen))),
  );
  return el(
    'section',
    { class: 'disc-case', 'data-case-id': c.id, 'data-total-fen': String(c.totalFen) },
    el('h2', {}, c.title),
    el(
      'dl',
      { class: 'disc-meta' },
      el('dt', {}, t('fund.disclosure.category')),
      el('dd', {}, label('fund.category', c.category)),
      el('dt', {}, t('fund.disclosure.contractor')),
      el('dd', {}, c.contractor ?? '—'),
      el('dt', {}, t('fund.disclosure.plan')),
      el('dd', {}, c.repairPlan ?? '—'),
      el('dt', {}, t('fund.disclosure.total')),
      el('dd', { class: 'disc-total' }, `¥ ${yuan(c.totalFen)}`),
      el('dt', {}, t('fund.disclosure.disclosedAt')),
      el('dd', {}, c.disclosedAt ? when(c.disclosedAt) : '—'),
    ),
    el('h3', {}, t('fund.disclosure.shares')),
    el(
      'table',
      { class: 'disc-table' },
      el(
        'thead',
        {},
        el('tr', {}, el('th', {}, t('fund.disclosure.building')), el('th', {}, t('fund.disclosure.unit')), el('th', { class: 'num' }, t('fund.disclosure.area')), el('th', { class: 'num' }, t('fund.disclosure.share'))),
      ),
      el('tbody', {}, ...rows),
      el('tfoot', {}, el('tr', {}, el('td', { colspan: '3' }, t('fund.disclosure.sum')), el('td', { class: 'num share-sum', 'data-sum-fen': String(sum) }, yuan(sum)))),
    ),
    el('h3', {}, t('fund.disclosure.timeline')),
    el(
      'ol',
      { class: 'disc-timeline' },
      ...c.timeline.map((e) => el('li', {}, el('time', { datetime: e.at }, when(e.at)), label('fund.action', e.action), e.actorRole ? ` · ${label('fund.role', e.actorRole)}` : '')),
    ),
  );
}

function render() {
  showLanguage();
  main.replaceChildren();
  if (error) {
    main.append(el('p', { id: 'disc-status', role: 'alert' }, error));
    return;
  }
  if (!data) {
    main.append(el('p', { id: 'disc-status' }, t('loading')));
    return;
  }
  document.getElementById('disc-community').textContent = `${data.community.name} · ${data.community.district} ${data.community.street}`;
  if (data.cases.length === 0) main.append(el('p', { class: 'disc-empty', id: 'disc-status' }, t('fund.disclosure.none')));
  for (const c of data.cases) main.append(renderCase(c));
}

async function load() {
  if (!communityId) {
    error = t('fund.disclosure.noCommunity');
    return render();
  }
  try {
    const res = await fetch(`/api/v1/public/communities/${encodeURIComponent(communityId)}/fund-cases`);
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new Error(body?.message ?? `HTTP ${res.status}`);
    data = body;
  } catch (e) {
    error = t('loadError', { msg: e.message });
  }
  render();
}

startPublicPage({ printButtonId: 'disc-print', render });
load();
