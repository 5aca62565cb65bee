// Public parking disclosure (公示): revenue, owners' common income and the current tariff with its
// filing number. No login. ?community=<id>&month=YYYY-MM
import './strings.js';
import { getLang, t } from '../shared/i18n.js';
import { decisionHref } from '../shared/decisions.js';
import { communityId, params, showLanguage, startPublicPage, yuan } from '../shared/public-page.js';

const monthInput = document.getElementById('month');
const status = document.getElementById('status');
let data = null;

function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function row(...cells) {
  const tr = document.createElement('tr');
  for (const c of cells) tr.append(typeof c === 'string' ? cell(c) : c);
  return tr;
}

/** The owners' vote that set the tariff: a link to its result (and the street's review) on the board. */
function voteLink(voteId) {
  const td = cell('');
  const a = document.createElement('a');
  a.href = decisionHref(data.community.id, voteId);
  a.dataset.decisionVote = voteId;
  a.textContent = t('pd.decisionVote.open');
  td.append(a);
  return td;
}

function ruleLines(rules) {
  const out = [];
  if (rules.freeMinutes > 0) out.push(t('pd.rule.free', { n: rules.freeMinutes, mode: t(`pd.rule.free.${rules.freeMode}`) }));
  if (rules.pricing.mode === 'unit') {
    for (const b of rules.pricing.bands) out.push(t('pd.rule.band', { name: b.name, start: b.start, end: b.end, unit: b.unitMinutes, price: yuan(b.unitPriceFen) }));
  } else {
    for (const tier of rules.pricing.tiers) out.push(t('pd.rule.tier', { m: tier.upToMinutes, price: yuan(tier.amountFen) }));
  }
  if (rules.cap) out.push(t('pd.rule.cap', { price: yuan(rules.cap.amountFen), window: t(`pd.rule.cap.${rules.cap.window}`) }));
  const classes = Object.entries(rules.vehicleClassMultipliers ?? {});
  if (classes.length) out.push(t('pd.rule.class', { list: classes.map(([k, v]) => `${k} × ${v}`).join(', ') }));
  if (rules.newEnergy) out.push(t('pd.rule.nev', { m: rules.newEnergy.multiplier, n: rules.newEnergy.extraFreeMinutes }));
  if (rules.overstay) out.push(t('pd.rule.overstay', { g: rules.overstay.graceMinutes, unit: rules.overstay.unitMinutes, price: yuan(rules.overstay.unitPriceFen) }));
  out.push(t('pd.rule.emergency'));
  return out;
}

function render() {
  showLanguage();
  if (!data) return;
  document.getElementById('community-name').textContent = `${data.community.name}（${data.community.district} ${data.community.street}）`;
  const totals = document.getElementById('totals');
  totals.replaceChildren(
    ...[
      ['pd.revenue', data.revenueFen],
      ['pd.common', data.commonIncomeFen],
      ['pd.ownerEarnings', data.ownerEarningsFen],
      ['pd.commission', data.commissionFen],
      ['pd.platformFee', data.platformFeeFen],
      ['pd.collected', data.collectedFen],
      ['pd.refunded', data.refundedFen],
    ].map(([k, v]) => row(t(k), t('pd.yuan', { v: yuan(v) }))),
    row(t('pd.bills'), String(data.bills)),
  );
  const tariff = document.getElementById('tariff');
  const ct = data.currentTariff;
  if (!ct) {
    tariff.textContent = t('pd.noTariff');
  } else {
    const table = document.createElement('table');
    const body = document.createElement('tbody');
    body.append(
      row(t('pd.version'), String(ct.version)),
      row(t('pd.setBy'), t(`pd.setBy.${ct.setBy}`)),
      row(t('pd.filing'), cell(ct.filingNumber, 'pd__filing')),
      row(t('pd.decision'), ct.decisionRef ?? '—'),
      row(t('pd.decisionVote'), ct.decisionVoteId ? voteLink(ct.decisionVoteId) : '—'),
      row(t('pd.effective'), new Date(ct.effectiveFrom).toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: data.timeZone })),
    );
    table.append(body);
    const list = document.createElement('ul');
    for (const line of ruleLines(ct.rules)) {
      const li = document.createElement('li');
      li.textContent = line;
      list.append(li);
    }
    const h = document.createElement('h3');
    h.textContent = t('pd.rules');
    tariff.replaceChildren(table, h, list);
  }
  document.getElementById('history').replaceChildren(
    ...data.tariffHistory.map((v) => row(String(v.version), t(`pd.setBy.${v.setBy}`), v.filingNumber, new Date(v.effectiveFrom).toLocaleDateString(getLang() === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: data.timeZone }))),
  );
}

async function load() {
  if (!communityId) {
    status.textContent = t('pd.noCommunity');
    return;
  }
  const month = monthInput.value ? `?month=${monthInput.value}` : '';
  const res = await fetch(`/api/v1/public/communities/${encodeURIComponent(communityId)}/parking-disclosure${month}`);
  if (!res.ok) {
    status.textContent = res.status === 404 || res.status === 400 ? t('pd.notFound') : t('loadError', { msg: res.status });
    document.getElementById('content').hidden = true;
    return;
  }
  data = await res.json();
  if (!monthInput.value) monthInput.value = data.month;
  status.hidden = true;
  document.getElementById('content').hidden = false;
  render();
}

if (params.get('month')) monthInput.value = params.get('month');
monthInput.addEventListener('change', () => void load());
startPublicPage({ printButtonId: 'print', render });
void load().catch((e) => (status.textContent = t('loadError', { msg: e.message })));
