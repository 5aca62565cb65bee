// Publishing on a community's disclosure board (公示栏): platform_admin / property_staff log in,
// pick a section, edit its JSON content (a template per section) and publish a new version. The
// server validates the content per section, keeps every version and audits each publication.
import './strings.js';
import { api, ApiError, request } from '../shared/api.js';
import { getLang, onLangChange, t } from '../shared/i18n.js';
import { startSession } from '../shared/session.js';

// The elevator maintenance and inspection sections are filled from the maintenance records, not published here.
const sections = ['manager_contacts', 'service_items_fees', 'common_income_use', 'utility_cost_sharing', 'notices'];

const today = () => new Date().toISOString().slice(0, 10);
const nextYear = () => {
  const d = new Date();
  d.setFullYear(d.getFullYear() + 1);
  return d.toISOString().slice(0, 10);
};

/** A filled-in example per section: the shape the server validates. Amounts in fen (分). */
const templates = {
  manager_contacts: () => ({
    company: '某某物业服务有限公司',
    projectManager: { name: '张三', title: '项目经理', phone: '0871-12345678', qualification: '物业管理师' },
    servicePhone: '0871-12345678',
    complaintPhone: '0871-87654321',
    supervisionPhone: '12345',
    officeAddress: '小区 1 栋 1 楼物业服务中心',
    officeHours: '08:30–17:30',
    contacts: [{ role: '客服', name: '李四', phone: '13800000000' }],
    facilityContractors: [
      { facility: 'elevator', company: '某某电梯工程有限公司', contact: '王五', phone: '13900000000' },
      { facility: 'fire', company: '某某消防技术服务有限公司', phone: '13700000000' },
    ],
  }),
  service_items_fees: () => ({
    pricingMode: 'lump_sum',
    serviceLevel: '二级',
    contractFrom: today(),
    contractTo: nextYear(),
    services: [{ name: '公共区域清洁', standard: '每日清扫两次，垃圾日产日清' }],
    fees: [{ name: '物业服务费（住宅）', priceFen: 150, unit: '元/㎡·月', basis: '物业服务合同' }],
    extraServices: [{ name: '家政保洁', priceFen: 5000, unit: '元/小时' }],
  }),
  common_income_use: () => ({
    period: '本季度',
    periodFrom: today(),
    periodTo: today(),
    income: [{ source: '电梯广告', amountFen: 120000 }],
    uses: [{ purpose: '补充专项维修资金', amountFen: 100000, approvedBy: '业主大会决议' }],
    accountHolder: '业主委员会公共收益账户',
  }),
  utility_cost_sharing: () => ({
    period: '本月',
    items: [{ item: '公共照明电费', totalFen: 56000, basis: '按建筑面积分摊', perUnit: '0.05 元/㎡' }],
  }),
  notices: () => ({ items: [{ title: '停水通知', body: '因管网维修，本周六 9:00–12:00 停水。', date: today() }] }),
};

const $ = (id) => document.getElementById(id);
let communities = [];
let board = null;


function communityId() {
  return $('community').value;
}

function section() {
  return $('section').value;
}

function fillSections() {
  const current = $('section').value || sections[0];
  $('section').replaceChildren(
    ...sections.map((s) => {
      const o = document.createElement('option');
      o.value = s;
      o.textContent = t(`board.sec.${s}`);
      return o;
    }),
  );
  $('section').value = current;
  $('section-hint').textContent = t(`board.hint.${section()}`);
}

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text ?? '—';
  return td;
}

function row(...cells) {
  const tr = document.createElement('tr');
  tr.append(...cells.map(cell));
  return tr;
}

async function refresh() {
  const id = communityId();
  if (!id) return;
  $('public-link').href = `./?community=${encodeURIComponent(id)}`;
  const [history, audit, pub] = await Promise.all([
    request('GET', `/board/communities/${encodeURIComponent(id)}/items/${section()}/history`),
    request('GET', `/board/communities/${encodeURIComponent(id)}/audit`),
    request('GET', `/public/communities/${encodeURIComponent(id)}/board`, { auth: false }),
  ]);
  board = pub;
  $('history').replaceChildren(...history.map((h) => row(String(h.version), new Date(h.publishedAt).toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-GB'), h.publishedBy)));
  $('audit').replaceChildren(
    ...audit
      .slice()
      .reverse()
      .map((a) => row(new Date(a.at).toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-GB'), a.detail.username ?? a.actorId, t(`board.sec.${a.detail.section}`), String(a.detail.version))),
  );
}

function loadTemplate() {
  $('content').value = JSON.stringify(templates[section()](), null, 2);
}

function loadCurrent() {
  const current = board?.sections?.[section()];
  if (current) $('content').value = JSON.stringify(current.content, null, 2);
  else loadTemplate();
}

async function publish(event) {
  event.preventDefault();
  const result = $('result');
  result.className = '';
  let content;
  try {
    content = JSON.parse($('content').value);
  } catch (e) {
    result.className = 'bda__bad';
    result.textContent = t('board.admin.badJson', { msg: e.message });
    return;
  }
  try {
    const item = await request('POST', `/board/communities/${encodeURIComponent(communityId())}/items`, { body: { section: section(), content } });
    result.className = 'bda__ok';
    result.dataset.version = String(item.version);
    result.textContent = t('board.admin.published', { section: t(`board.sec.${item.section}`), v: item.version });
    await refresh();
  } catch (e) {
    result.className = 'bda__bad';
    result.textContent = t('board.admin.failed', { msg: e instanceof ApiError ? e.message : String(e) });
  }
}

async function enter() {
  communities = await api.communities();
  const wanted = new URLSearchParams(location.search).get('community');
  $('community').replaceChildren(
    ...communities.map((c) => {
      const o = document.createElement('option');
      o.value = c.id;
      o.textContent = c.name;
      return o;
    }),
  );
  if (wanted && communities.some((c) => c.id === wanted)) $('community').value = wanted;
  fillSections();
  await refresh();
  loadCurrent();
}

$('community').addEventListener('change', () => void refresh().then(loadCurrent));
$('section').addEventListener('change', () => {
  $('section-hint').textContent = t(`board.hint.${section()}`);
  void refresh().then(loadCurrent);
});
$('load-template').addEventListener('click', loadTemplate);
$('load-current').addEventListener('click', loadCurrent);
$('publish-form').addEventListener('submit', (e) => void publish(e));
onLangChange(fillSections);
startSession({
  onLogin: () => {
    $('logout').hidden = false;
    return enter().catch((e) => ($('result').textContent = t('loadError', { msg: e.message })));
  },
  onLogout: () => ($('logout').hidden = true),
});
