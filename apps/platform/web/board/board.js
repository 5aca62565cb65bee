// Public disclosure board (公示栏) of a community: published sections (manager and contacts,
// service items and fees, elevator maintenance and inspections, common income and its use,
// public utility cost sharing, notices) and live sections (parking fees with the tariff's filing
// number, slot usage, parking common income, maintenance-fund cases with per-owner shares, owners'
// votes with their tallies by area and headcount), the committees' own sections (flagged when
// overdue), each
// with its own "last updated". No login. ?community=<id>[&lang=en]
import './strings.js';
import { t } from '../shared/i18n.js';
import { communityId, el, label, showLanguage, startPublicPage, yuan } from '../shared/public-page.js';
import { verifyLottery } from '../shared/slot-lottery.js';

const status = document.getElementById('status');
const root = document.getElementById('sections');
let data = null;

/** "YYYY-MM-DD HH:mm" in the community's business time zone. */
function stamp(iso) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat('sv-SE', { timeZone: data.timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(iso));
}

function table(headers, rows, foot) {
  const numeric = headers.map((h) => h.startsWith('#'));
  return el(
    'table',
    {},
    el('thead', {}, el('tr', {}, headers.map((h, i) => el('th', { class: numeric[i] ? 'num' : undefined }, t(h.replace(/^#/, '')))))),
    el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c, i) => el('td', { class: numeric[i] ? 'num' : undefined }, c ?? '—'))))),
    foot ? el('tfoot', {}, el('tr', {}, foot.map((c, i) => el('td', { class: numeric[i] ? 'num' : undefined }, c ?? '')))) : null,
  );
}

function dl(pairs) {
  return el('dl', {}, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '').flatMap(([k, v]) => [el('dt', {}, t(k)), el('dd', {}, v)]));
}

const money = (fen) => t('board.yuan', { v: yuan(fen) });

/** One panel: title, number, "last updated", body. */
function section(key, no, lastUpdated, body, { wide = false, live = false, version } = {}) {
  const updated = el(
    'p',
    { class: 'bd-updated' },
    `${t('board.lastUpdated')}：`,
    el('strong', { class: 'bd-updated__at' }, lastUpdated ? stamp(lastUpdated) : t('board.notYet')),
    version ? ` · ${t('board.version', { v: version })}` : '',
    live ? el('span', { class: 'bd-live' }, t('board.live')) : '',
  );
  return el(
    'section',
    { class: `bd-sec${wide ? ' bd-sec--wide' : ''}`, 'data-section': key, 'data-version': version ?? undefined },
    el('h2', {}, el('span', {}, t(`board.sec.${key}`)), el('span', { class: 'bd-no' }, `${no}`)),
    updated,
    body ?? el('p', { class: 'bd-empty' }, t('board.empty')),
  );
}

function published(key) {
  return data.sections[key];
}

function managerContacts(c) {
  return [
    dl([
      ['board.mc.company', c.company],
      ['board.mc.manager', [c.projectManager.name, c.projectManager.title].filter(Boolean).join(' · ')],
      ['board.mc.managerPhone', c.projectManager.phone],
      ['board.mc.qualification', c.projectManager.qualification],
      ['board.mc.servicePhone', c.servicePhone],
      ['board.mc.complaintPhone', c.complaintPhone],
      ['board.mc.supervisionPhone', c.supervisionPhone],
      ['board.mc.office', c.officeAddress],
      ['board.mc.hours', c.officeHours],
    ]),
    c.contacts?.length ? table(['board.mc.role', 'board.mc.name', 'board.mc.phone'], c.contacts.map((x) => [x.role, x.name, x.phone])) : null,
    c.facilityContractors?.length
      ? [el('h3', { class: 'bd-sub' }, t('board.mc.facilities')), table(['board.mc.facility', 'board.em.maintainer', 'board.mc.contact', 'board.mc.phone'], c.facilityContractors.map((x) => [label('board.facility', x.facility), x.company, x.contact, x.phone]))]
      : null,
  ];
}

function serviceFees(c) {
  return [
    dl([
      ['board.sf.mode', label('board.sf.mode', c.pricingMode)],
      ['board.sf.level', c.serviceLevel],
      ['board.sf.contract', c.contractFrom || c.contractTo ? `${c.contractFrom ?? ''} ～ ${c.contractTo ?? ''}` : undefined],
    ]),
    c.services?.length ? table(['board.sf.service', 'board.sf.standard'], c.services.map((s) => [s.name, s.standard])) : null,
    table(['board.sf.fee', '#board.sf.price', 'board.sf.basis'], c.fees.map((f) => [f.name, `${money(f.priceFen)} / ${f.unit}`, f.basis])),
    c.extraServices?.length ? [el('h3', { class: 'bd-sub' }, t('board.sf.extra')), table(['board.sf.service', '#board.sf.price'], c.extraServices.map((f) => [f.name, `${money(f.priceFen)} / ${f.unit}`]))] : null,
    c.note ? el('p', {}, c.note) : null,
  ];
}

function parkingFees(p) {
  const ct = p.currentTariff;
  if (!ct) return el('p', { class: 'bd-empty' }, t('board.pf.none'));
  const r = ct.rules ?? {};
  const lines = [];
  if (r.freeMinutes > 0) lines.push(t('board.pf.free', { n: r.freeMinutes }));
  if (r.pricing?.mode === 'unit') for (const b of r.pricing.bands) lines.push(t('board.pf.band', { name: b.name, start: b.start, end: b.end, unit: b.unitMinutes, price: yuan(b.unitPriceFen) }));
  if (r.pricing?.mode === 'tiered') for (const tier of r.pricing.tiers) lines.push(t('board.pf.tier', { m: tier.upToMinutes, price: yuan(tier.amountFen) }));
  if (r.cap) lines.push(t('board.pf.cap', { price: yuan(r.cap.amountFen) }));
  return [
    dl([
      ['board.pf.filing', el('span', { class: 'bd-filing' }, ct.filingNumber)],
      ['board.pf.setBy', label('pd.setBy', ct.setBy)],
      ['board.pf.decision', ct.decisionRef],
      ['board.pf.decisionVote', ct.decisionVoteId ? decisionLink(ct.decisionVoteId) : null],
      ['board.pf.effective', stamp(ct.effectiveFrom)],
      ['board.pf.version', String(ct.version)],
    ]),
    lines.length ? el('ul', {}, lines.map((l) => el('li', {}, l))) : null,
    el('p', { class: 'noprint' }, el('a', { href: `../parking-disclosure/?community=${encodeURIComponent(data.community.id)}` }, t('board.pf.details'))),
  ];
}

function slotUsage(s) {
  return dl([
    ['board.su.total', String(s.totalSlots)],
    ['board.su.private', String(s.privateSlots)],
    ['board.su.common', String(s.commonSlots)],
    ['board.su.shareable', String(s.shareableSlots)],
    ['board.su.fireLane', String(s.fireLaneSlots)],
    ['board.su.inside', String(s.vehiclesInside)],
    ['board.su.freeCommon', String(s.freeCommonSlots)],
  ]);
}

function commonIncome(live, pub) {
  const parts = [
    el('h3', { class: 'bd-sub' }, t('board.ci.parking', { month: live.month })),
    dl([
      ['board.ci.parkingRevenue', money(live.parkingRevenueFen)],
      ['board.ci.parkingCommon', money(live.commonIncomeFen)],
    ]),
    // Advertising and other common-area income staff recorded this month (booked to common income).
    el('h3', { class: 'bd-sub' }, t('board.ci.recorded', { month: live.month })),
    live.otherIncome.length
      ? table(
          ['board.ci.category', 'board.ci.payer', 'board.ci.contract', 'board.ci.incomePeriod', 'board.ci.receivedOn', '#board.ci.amount'],
          live.otherIncome.map((x) => [t(`board.ci.cat.${x.category}`), x.payer, x.contractRef, `${x.periodFrom} – ${x.periodTo}`, x.receivedOn, money(x.amountFen)]),
          [t('board.total'), '', '', '', '', money(live.otherIncomeFen)],
        )
      : el('p', { class: 'bd-empty' }, t('board.ci.noneRecorded')),
  ];
  if (pub) {
    const c = pub.content;
    const inSum = c.income.reduce((a, x) => a + BigInt(x.amountFen), 0n);
    const outSum = c.uses.reduce((a, x) => a + BigInt(x.amountFen), 0n);
    parts.push(
      el('h3', { class: 'bd-sub' }, t('board.ci.period', { period: c.period, from: c.periodFrom, to: c.periodTo })),
      el('p', { class: 'bd-updated' }, `${t('board.lastUpdated')}：`, el('strong', {}, stamp(pub.lastUpdated)), ` · ${t('board.version', { v: pub.version })}`),
      table(['board.ci.source', '#board.ci.amount'], c.income.map((x) => [x.source, money(x.amountFen)]), [t('board.total'), money(inSum)]),
      table(['board.ci.use', 'board.ci.approvedBy', '#board.ci.amount'], c.uses.map((x) => [x.purpose, x.approvedBy, money(x.amountFen)]), [t('board.total'), '', money(outSum)]),
      dl([
        ['board.ci.balance', money(inSum - outSum)],
        ['board.ci.account', c.accountHolder],
      ]),
      c.note ? el('p', {}, c.note) : null,
    );
  } else {
    parts.push(el('p', { class: 'bd-empty' }, t('board.ci.noPublished')));
  }
  return parts;
}

function utilitySharing(c) {
  return [el('p', {}, c.period), table(['board.us.item', '#board.us.total', 'board.us.basis', 'board.us.perUnit'], c.items.map((x) => [x.item, money(x.totalFen), x.basis, x.perUnit])), c.note ? el('p', {}, c.note) : null];
}

/** A case in its public notice period (公示期): shown for the whole period, before any disclosure. */
function noticeCase(c) {
  return el(
    'div',
    { class: 'bd-case', 'data-notice': c.id },
    el('h3', { class: 'bd-sub' }, t('board.fc.inNotice', { title: c.title })),
    dl([
      ['board.fc.plan', c.repairPlan ?? ''],
      ['board.fc.contractor', c.contractor ?? ''],
      ['board.fc.budget', c.budgetFen === null ? '' : money(c.budgetFen)],
      ['board.fc.charged', c.chargedBuildings.length ? c.chargedBuildings.join('、') : t('board.fc.estate')],
      ['board.fc.noticePeriod', `${stamp(c.noticeFrom)} – ${stamp(c.noticeEndsAt)}`],
    ]),
  );
}

function fundCases(f) {
  const notices = f.inNotice.map(noticeCase);
  if (!f.cases.length) return [...notices, el('p', { class: 'bd-empty' }, t('board.fc.none'))];
  return [
    ...notices,
    dl([['board.fc.total', money(f.totalFen)]]),
    ...f.cases.map((c) =>
      el(
        'div',
        { class: 'bd-case', 'data-case': c.id },
        el('h3', { class: 'bd-sub' }, `${c.title}（${money(c.totalFen)}）`),
        dl([
          ['board.fc.contractor', c.contractor],
          ['board.fc.disclosedAt', stamp(c.disclosedAt)],
        ]),
        table(
          ['board.fc.building', 'board.fc.unit', '#board.fc.area', '#board.fc.share'],
          c.shares.map((s) => [s.building, s.unit, String(s.floorArea), money(s.shareFen)]),
          [t('board.total'), '', '', money(c.shares.reduce((a, s) => a + BigInt(s.shareFen), 0n))],
        ),
      ),
    ),
  ];
}

/** The street's latest word on a decision, or that it has not reviewed it. */
function reviewStatus(v) {
  const last = v.reviews.at(-1);
  return el('span', { class: 'bd-review-status', 'data-review-status': last?.outcome ?? 'none' }, last ? t('board.od.reviewStatus', { outcome: label('board.od.reviewOutcome', last.outcome), at: stamp(last.reviewedAt) }) : t('board.od.notReviewed'));
}

/** A link to a closed vote's published result in this board's owners' decisions, with its review status. */
function decisionLink(voteId) {
  const v = data.ownerDecisions.votes.find((x) => x.id === voteId);
  return el('span', { 'data-decision-vote': voteId }, el('a', { href: `#vote-${voteId}` }, v?.question ?? voteId), v ? ['（', reviewStatus(v), '）'] : null);
}

/** Owners' joint decisions: each closed vote with its rule, outcome and tallies by area and headcount. */
function ownerDecisions(d) {
  if (!d.votes.length) return el('p', { class: 'bd-empty' }, t('board.od.none'));
  return d.votes.map((v) => {
    const r = v.result;
    const outcome = !r.participationMet ? t('board.od.noQuorum') : r.adopted === null ? t('board.od.rejected') : t('board.od.adopted', { option: r.adoptedOption });
    return el(
      'div',
      { class: 'bd-case', 'data-vote': v.id, id: `vote-${v.id}` },
      el('h3', { class: 'bd-sub' }, v.question),
      dl([
        ['board.od.period', `${stamp(v.opensAt)} – ${stamp(v.closesAt)}`],
        ['board.od.rule', r.ruleSource],
        ['board.od.outcome', outcome],
        ['board.od.reviewed', reviewStatus(v)],
      ]),
      v.reviews.map((rv) => el('p', { class: 'bd-review', 'data-review': rv.outcome }, t('board.od.review', { at: stamp(rv.reviewedAt), outcome: label('board.od.reviewOutcome', rv.outcome), reason: rv.reason }))),
      table(
        ['board.od.option', '#board.od.area', '#board.od.heads'],
        [...r.perOption.map((o) => [o.option, o.area, String(o.headcount)]), [t('board.od.participating'), r.participating.area, String(r.participating.headcount)]],
        [t('board.od.total'), r.total.area, String(r.total.headcount)],
      ),
    );
  });
}

const committeeContent = {
  committee_income_expenses: (c) => [
    el('p', {}, `${c.period}（${c.periodFrom} – ${c.periodTo}）`),
    table(['board.cm.source', '#board.cm.amount'], c.income.map((i) => [i.source, money(i.amountFen)])),
    table(['board.cm.purpose', 'board.cm.approvedBy', '#board.cm.amount'], c.expenses.map((e) => [e.purpose, e.approvedBy, money(e.amountFen)])),
  ],
  committee_decisions: (c) => c.items.map((d) => el('div', { class: 'bd-notice' }, el('h3', {}, `${d.title}（${d.decidedOn}）`), el('p', {}, d.body))),
  joint_meeting_minutes: (c) => [
    dl([
      ['board.cm.meetingDate', c.meetingDate],
      ['board.cm.attendees', c.attendees.join('、')],
    ]),
    table(['board.cm.topic', 'board.cm.outcome'], c.topics.map((x) => [x.topic, x.outcome])),
  ],
};

/** A committee's section: who publishes it, how often, and a flag when it is overdue (seed 003 (二)). */
function committee(s) {
  return [
    s.stale ? el('p', { class: 'bd-stale', role: 'status' }, t('board.cm.stale')) : null,
    dl([
      ['board.cm.publisher', label('board.cm.role', s.publisherRole)],
      ['board.cm.period', label('board.cm.every', s.period)],
      ['board.cm.dueBy', s.dueBy ? stamp(s.dueBy) : t('board.cm.dueNow')],
    ]),
    s.content ? committeeContent[s.section](s.content) : el('p', { class: 'bd-empty' }, t('board.empty')),
  ];
}

/** The browser's own re-run of a lottery (Web Crypto), kept across re-renders (language switch). */
const verified = new Map();

async function verify(lottery) {
  verified.set(lottery.id, { state: 'running' });
  render();
  try {
    verified.set(lottery.id, { state: (await verifyLottery(lottery)).matches ? 'matches' : 'differs' });
  } catch (e) {
    verified.set(lottery.id, { state: 'failed', msg: e instanceof Error ? e.message : String(e) });
  }
  render();
}

/** Lotteries for added slots: the seed, every entrant's SHA-256 and the result, re-runnable here. */
function slotLotteries(s) {
  if (!s.lotteries.length) return el('p', { class: 'bd-empty' }, t('board.lt.none'));
  return s.lotteries.map((l) => {
    const check = verified.get(l.id);
    const placed = new Map(l.result.assignments.map((a) => [a.entrant, a.slot]));
    return el(
      'div',
      { class: 'bd-case', 'data-lottery': l.id, id: `lottery-${l.id}` },
      el('h3', { class: 'bd-sub' }, l.title),
      dl([
        ['board.lt.drawnAt', stamp(l.drawnAt)],
        ['board.lt.seed', el('code', { class: 'bd-seed' }, l.seed)],
        ['board.lt.decisionVote', l.decisionVoteId ? decisionLink(l.decisionVoteId) : null],
        ['board.lt.method', l.method],
        ['board.lt.counts', t('board.lt.countsValue', { entrants: l.entrants.length, slots: l.slots.length })],
      ]),
      table(['board.lt.slot', 'board.lt.entrant'], l.result.assignments.map((a) => [a.slot, a.entrant])),
      l.result.waiting.length ? el('p', {}, `${t('board.lt.waiting')}：${l.result.waiting.join('、')}`) : null,
      el('h3', { class: 'bd-sub' }, t('board.lt.ranking')),
      el(
        'div',
        { class: 'bd-scroll' },
        table(['#board.lt.rank', 'board.lt.entrant', 'board.lt.digest', 'board.lt.outcome'], l.result.ranking.map((r, i) => [String(i + 1), r.entrant, el('code', { class: 'bd-digest' }, r.digest), placed.get(r.entrant) ?? t('board.lt.waits')])),
      ),
      el(
        'p',
        { class: 'bd-verify noprint' },
        el('button', { type: 'button', 'data-verify': l.id, disabled: check?.state === 'running' ? '' : undefined }, t('board.lt.verify')),
        ' ',
        el('span', { class: 'bd-verify__result', role: 'status', 'data-verify-result': check?.state ?? 'none' }, check ? t(`board.lt.verify.${check.state}`, { msg: check.msg ?? '' }) : t('board.lt.verifyHint')),
      ),
    );
  });
}

function maintenance(c) {
  const sum = c.records.reduce((a, r) => a + BigInt(r.costFen ?? 0), 0n);
  return [
    dl([
      ['board.em.maintainer', c.maintainer],
      ['board.em.phone', c.maintainerPhone],
    ]),
    table(
      ['board.em.elevator', 'board.em.date', 'board.em.kind', 'board.em.content', '#board.em.cost'],
      c.records.map((r) => [r.elevator, r.date, label('board.em.kind', r.kind), r.content, money(r.costFen ?? 0)]),
      [t('board.total'), '', '', '', money(sum)],
    ),
  ];
}

function inspections(c) {
  return table(
    ['board.ei.elevator', 'board.ei.registration', 'board.ei.agency', 'board.ei.date', 'board.ei.result', 'board.ei.certificate', 'board.ei.next'],
    c.records.map((r) => [r.elevator, r.registrationCode, r.agency, r.inspectedOn, label('board.ei.result', r.result), r.certificateNo, r.nextDueOn]),
  );
}

function notices(c) {
  return c.items.map((n) => el('div', { class: 'bd-notice' }, el('h3', {}, n.date ? `${n.title}（${n.date}）` : n.title), el('p', {}, n.body)));
}

function render() {
  showLanguage();
  if (!data) return;
  const c = data.community;
  document.getElementById('community-name').textContent = `${c.name}（${c.district} ${c.street}${c.address ? ` · ${c.address}` : ''}）`;
  document.getElementById('generated-at').textContent = stamp(data.generatedAt);
  const pub = (key, fn, opts = {}) => {
    const s = published(key);
    return [s ? s.lastUpdated : null, s ? fn(s.content) : null, { ...opts, version: s?.version }];
  };
  const panels = [
    ['manager_contacts', ...pub('manager_contacts', managerContacts, { wide: true })],
    ['service_items_fees', ...pub('service_items_fees', serviceFees, { wide: true })],
    ['parking_fees', data.parkingFees.lastUpdated, parkingFees(data.parkingFees), { live: true }],
    ['slot_usage', data.slotUsage.lastUpdated, slotUsage(data.slotUsage), { live: true }],
    ['common_income_use', data.sections.common_income_use?.lastUpdated ?? data.commonIncome.lastUpdated, commonIncome(data.commonIncome, data.sections.common_income_use), { wide: true, live: true, version: data.sections.common_income_use?.version }],
    ['utility_cost_sharing', ...pub('utility_cost_sharing', utilitySharing, { wide: true })],
    ['fund_cases', data.fundCases.lastUpdated, fundCases(data.fundCases), { wide: true, live: true }],
    ['owner_decisions', data.ownerDecisions.lastUpdated, ownerDecisions(data.ownerDecisions), { wide: true, live: true }],
    ['slot_lotteries', data.slotLotteries.lastUpdated, slotLotteries(data.slotLotteries), { wide: true, live: true }],
    ['elevator_maintenance_records', ...pub('elevator_maintenance_records', maintenance, { wide: true })],
    ['elevator_inspection_records', ...pub('elevator_inspection_records', inspections, { wide: true })],
    ['notices', ...pub('notices', notices, { wide: true })],
    ...data.committee.map((s) => [s.section, s.lastUpdated, committee(s), { wide: true, version: s.version ?? undefined }]),
  ];
  root.replaceChildren(...panels.map(([key, updated, body, opts], i) => section(key, i + 1, updated, body, opts)));
  for (const button of root.querySelectorAll('button[data-verify]')) {
    button.addEventListener('click', () => void verify(data.slotLotteries.lotteries.find((l) => l.id === button.dataset.verify)));
  }
}

/** A link from another page (…#vote-<id>, #lottery-<id>) lands on its item once the board has rendered. */
function showLinked() {
  const target = location.hash.length > 1 ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
  if (target) target.scrollIntoView();
}

async function load() {
  if (!communityId) {
    status.textContent = t('board.noCommunity');
    return;
  }
  const res = await fetch(`/api/v1/public/communities/${encodeURIComponent(communityId)}/board`);
  if (!res.ok) {
    status.textContent = res.status === 404 || res.status === 400 ? t('board.notFound') : t('loadError', { msg: res.status });
    return;
  }
  data = await res.json();
  status.hidden = true;
  root.hidden = false;
  render();
  showLinked();
}

startPublicPage({ printButtonId: 'print', render });
void load().catch((e) => (status.textContent = t('loadError', { msg: e.message })));
