// History page: readings of one device over a chosen range, drawn with uPlot (served locally from
// ../vendor/uplot), aggregated server-side (GET /devices/:id/telemetry?every=…), with the device's
// alarms in the range as vertical markers. ?device=<id>[&range=1h|24h|7d|30d|1y|custom&from=&to=]
import './strings.js';
import '../shared/device-strings.js';
import uPlot from '../vendor/uplot/uPlot.esm.js';
import { api, request, ApiError } from '../shared/api.js';
import { esc } from '../shared/escape.js';
import { t, has, getLang, onLangChange } from '../shared/i18n.js';
import { startSession } from '../shared/session.js';
import { PRESETS, pickEvery, toLocalInput } from './range.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const deviceId = params.get('device') ?? '';

const COLORS = { speed: '#60a5fa', floor: '#eab308', value: '#38bdf8', band: 'rgba(56,189,248,0.18)', vehicles: '#22c55e', alarm: '#ef4444', warn: '#f97316' };

const state = {
  device: null,
  range: params.get('range') || '24h',
  customFrom: Number(new Date(params.get('from') ?? NaN)),
  customTo: Number(new Date(params.get('to') ?? NaN)),
  data: null,
  alarms: [],
  chart: null,
  loadSeq: 0,
};

// ---------------------------------------------------------------- range

function currentRange() {
  if (state.range === 'custom' && Number.isFinite(state.customFrom) && Number.isFinite(state.customTo) && state.customFrom < state.customTo) {
    return { from: state.customFrom, to: state.customTo };
  }
  const preset = PRESETS.find((p) => p.key === state.range) ?? PRESETS[1];
  const to = Date.now();
  return { from: to - preset.ms, to };
}

function renderPresets() {
  const box = $('presets');
  box.innerHTML = '';
  for (const key of [...PRESETS.map((p) => p.key), 'custom']) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'preset';
    b.dataset.range = key;
    b.textContent = t(`history.range.${key}`);
    const active = key === state.range;
    b.classList.toggle('is-active', active);
    b.setAttribute('aria-pressed', String(active));
    b.addEventListener('click', () => choose(key));
    box.append(b);
  }
  $('custom').hidden = state.range !== 'custom';
}

function choose(key) {
  state.range = key;
  if (key === 'custom') {
    const { from, to } = currentRange();
    if (!Number.isFinite(state.customFrom)) {
      $('custom-from').value = toLocalInput(from);
      $('custom-to').value = toLocalInput(to);
    }
    renderPresets();
    return;
  }
  syncUrl();
  renderPresets();
  void load();
}

$('custom').addEventListener('submit', (e) => {
  e.preventDefault();
  const from = new Date($('custom-from').value).getTime();
  const to = new Date($('custom-to').value).getTime();
  if (!(from < to)) {
    setStatus(t('history.badRange'), 'error');
    return;
  }
  state.customFrom = from;
  state.customTo = to;
  syncUrl();
  void load();
});

function syncUrl() {
  const u = new URL(location.href);
  u.searchParams.set('range', state.range);
  if (state.range === 'custom') {
    u.searchParams.set('from', new Date(state.customFrom).toISOString());
    u.searchParams.set('to', new Date(state.customTo).toISOString());
  } else {
    u.searchParams.delete('from');
    u.searchParams.delete('to');
  }
  history.replaceState(null, '', u);
}

// ---------------------------------------------------------------- data

function setStatus(text, tone = '') {
  $('status').textContent = text;
  $('status').className = `hist__status${tone ? ` hist__status--${tone}` : ''}`;
}

async function load() {
  const seq = ++state.loadSeq;
  const { from, to } = currentRange();
  const { every } = pickEvery(from, to);
  const chartEl = $('chart');
  chartEl.dataset.state = 'loading';
  setStatus(t('loading'));
  const iso = (ms) => new Date(ms).toISOString();
  try {
    const qs = new URLSearchParams({ from: iso(from), to: iso(to), every, limit: '2000' });
    const aq = new URLSearchParams({ deviceId, from: iso(from), to: iso(to), limit: '500' });
    const [data, alarms] = await Promise.all([
      request('GET', `/devices/${encodeURIComponent(deviceId)}/telemetry?${qs}`),
      request('GET', `/alarms?${aq}`).catch(() => []),
    ]);
    if (seq !== state.loadSeq) return;
    state.data = { ...data, fromMs: from, toMs: to };
    state.alarms = Array.isArray(alarms) ? alarms : [];
    setStatus('');
    draw();
  } catch (err) {
    if (seq !== state.loadSeq) return;
    chartEl.dataset.state = 'error';
    setStatus(t('loadError', { msg: err.message }), 'error');
  }
}

// ---------------------------------------------------------------- chart

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** uPlot series and data columns per device kind. */
function seriesFor(kind, points) {
  const xs = points.map((p) => Date.parse(p.time) / 1000);
  const col = (name) => points.map((p) => num(p[name]));
  if (kind === 'elevator') {
    return {
      data: [xs, col('speed'), col('floor')],
      series: [
        { label: t('history.series.speed'), scale: 'speed', stroke: COLORS.speed, width: 1.5, value: (u, v) => (v == null ? '—' : `${v.toFixed(2)} m/s`) },
        { label: t('history.series.floor'), scale: 'floor', stroke: COLORS.floor, width: 1.5, paths: uPlot.paths.stepped({ align: 1 }), value: (u, v) => (v == null ? '—' : v < 0 ? `B${-v}` : String(Math.round(v))) },
      ],
      axes: [{ scale: 'speed', label: 'm/s' }, { scale: 'floor', side: 1, label: t('elevator.floor'), grid: { show: false } }],
      bands: [],
    };
  }
  if (kind === 'fire') {
    const unit = state.device?.subtype === 'tank_level' ? 'm' : 'kPa';
    const fmt = (u, v) => (v == null ? '—' : `${v.toFixed(unit === 'm' ? 2 : 0)} ${unit}`);
    return {
      data: [xs, col('value'), col('value_max'), col('value_min')],
      series: [
        { label: t('history.series.value'), scale: 'v', stroke: COLORS.value, width: 2, value: fmt },
        { label: t('history.series.max'), scale: 'v', stroke: 'rgba(56,189,248,0.45)', width: 1, dash: [4, 4], value: fmt },
        { label: t('history.series.min'), scale: 'v', stroke: 'rgba(56,189,248,0.45)', width: 1, dash: [4, 4], value: fmt },
      ],
      axes: [{ scale: 'v', label: unit }],
      bands: [{ series: [2, 3], fill: COLORS.band }],
    };
  }
  return {
    data: [xs, col('vehicles')],
    series: [
      { label: t('history.series.vehicles'), scale: 'n', stroke: COLORS.vehicles, fill: 'rgba(34,197,94,0.35)', width: 1, paths: uPlot.paths.bars({ size: [0.8, 40] }), value: (u, v) => (v == null ? '—' : String(v)) },
    ],
    axes: [{ scale: 'n', label: t('history.series.vehicles') }],
    bands: [],
  };
}

function alarmLabel(a) {
  const type = has(`alarm.type.${a.type}`) ? t(`alarm.type.${a.type}`) : a.type;
  const sev = has(`alarm.sev.${a.severity}`) ? t(`alarm.sev.${a.severity}`) : String(a.severity);
  const when = new Date(a.firstAt).toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-GB');
  const cleared = a.clearedAt ? t('history.alarm.cleared', { at: new Date(a.clearedAt).toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-GB') }) : t('history.alarm.active');
  return `${type} · ${sev} · ${when} · ${cleared}`;
}

/** Alarm markers: a vertical line drawn on the canvas and a hoverable element above it with the tooltip. */
function placeMarkers(u) {
  const over = u.over;
  for (const el of over.querySelectorAll('.alarm-marker')) el.remove();
  const [min, max] = [u.scales.x.min, u.scales.x.max];
  for (const a of state.alarms) {
    const x = Date.parse(a.firstAt) / 1000;
    if (!(x >= min && x <= max)) continue;
    const el = document.createElement('div');
    el.className = `alarm-marker alarm-marker--sev${a.severity <= 2 ? 'hi' : 'lo'}`;
    el.style.left = `${u.valToPos(x, 'x')}px`;
    el.dataset.alarmId = a.alarmId;
    el.dataset.type = a.type;
    el.title = alarmLabel(a);
    el.setAttribute('role', 'img');
    el.setAttribute('aria-label', el.title);
    over.append(el);
  }
}

function drawAlarmLines(u) {
  const { ctx } = u;
  ctx.save();
  ctx.lineWidth = 1.5 * devicePixelRatio;
  ctx.setLineDash([5 * devicePixelRatio, 4 * devicePixelRatio]);
  for (const a of state.alarms) {
    const x = Date.parse(a.firstAt) / 1000;
    if (!(x >= u.scales.x.min && x <= u.scales.x.max)) continue;
    const px = Math.round(u.valToPos(x, 'x', true));
    ctx.strokeStyle = a.severity <= 2 ? COLORS.alarm : COLORS.warn;
    ctx.beginPath();
    ctx.moveTo(px, u.bbox.top);
    ctx.lineTo(px, u.bbox.top + u.bbox.height);
    ctx.stroke();
  }
  ctx.restore();
}

function draw() {
  const el = $('chart');
  state.chart?.destroy();
  state.chart = null;
  el.innerHTML = '';
  const { data, alarms } = { data: state.data, alarms: state.alarms };
  if (!data || !state.device) return;
  const points = data.points ?? [];
  el.dataset.points = String(points.length);
  el.dataset.alarms = String(alarms.length);
  el.dataset.every = data.every ?? '';
  $('summary').textContent = t('history.summary', { n: points.length, every: data.every ?? '—', alarms: alarms.length });
  renderAlarmList();
  if (points.length === 0) {
    el.dataset.state = 'empty';
    el.innerHTML = `<p class="chart__empty">${esc(t('history.empty'))}</p>`;
    return;
  }
  const s = seriesFor(state.device.kind, points);
  const axisBase = { stroke: '#aab6c9', grid: { stroke: '#22304a', width: 1 }, ticks: { stroke: '#2c3d5c', width: 1 } };
  const width = Math.max(320, el.clientWidth || 900);
  const opts = {
    width,
    height: 380,
    scales: { x: { time: true, range: () => [data.fromMs / 1000, data.toMs / 1000] } },
    series: [{ label: t('history.time') }, ...s.series],
    axes: [{ ...axisBase }, ...s.axes.map((a) => ({ ...axisBase, ...a, grid: a.grid ?? axisBase.grid }))],
    bands: s.bands,
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
    hooks: {
      draw: [drawAlarmLines, placeMarkers],
    },
  };
  state.chart = new uPlot(opts, s.data, el);
  el.dataset.state = 'ready';
}

function renderAlarmList() {
  const box = $('legend-alarms');
  box.innerHTML = state.alarms.length
    ? `<span class="hist__alarms-title">${esc(t('history.alarms', { n: state.alarms.length }))}</span>`
    : '';
}

let resizeTimer;
addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => state.chart?.setSize({ width: Math.max(320, $('chart').clientWidth), height: 380 }), 150);
});

// ---------------------------------------------------------------- device, language, start

function renderDevice() {
  const d = state.device;
  if (!d) return;
  $('device-name').textContent = d.name;
  const sub = d.subtype && has(`fire.subtype.${d.subtype}`) ? t(`fire.subtype.${d.subtype}`) : d.subtype;
  $('device-meta').textContent = [t(`kind.${d.kind}`), sub, d.location, d.deviceId].filter(Boolean).join(' · ');
  document.title = `${d.name} · ${t('history.title')}`;
}

onLangChange(() => {
  renderPresets();
  renderDevice();
  draw();
});

async function start() {
  renderPresets();
  if (state.range === 'custom') {
    if (Number.isFinite(state.customFrom)) $('custom-from').value = toLocalInput(state.customFrom);
    if (Number.isFinite(state.customTo)) $('custom-to').value = toLocalInput(state.customTo);
  }
  if (!deviceId) {
    setStatus(t('history.noDevice'), 'error');
    return;
  }
  try {
    state.device = await api.deviceLive(deviceId);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    setStatus(t('loadError', { msg: err.message }), 'error');
    $('chart').dataset.state = 'error';
    return;
  }
  renderDevice();
  await load();
}

startSession({ onLogin: start });
