// Fire device tile body: value with unit by subtype, flags as coloured badges.
import { t } from '../../shared/i18n.js';
import { esc, badge, label } from './common.js';

export const UNITS = { hydrant_pressure: 'kPa', sprinkler_pressure: 'kPa', tank_level: 'm' };

// Display order and tone of each flag. fire red, fault orange, supervisory yellow, disabled grey.
const FLAGS = [
  ['fire', 'alarm'],
  ['fault', 'warn'],
  ['powerFault', 'warn'],
  ['supervisory', 'caution'],
  ['disabled', 'muted'],
  ['started', 'info'],
  ['feedback', 'info'],
];
// Flags that count as an active problem (for the 告警 counter and the tile highlight).
const PROBLEM = new Set(['fire', 'fault', 'powerFault', 'supervisory']);

/** Flags may arrive nested ({flags:{fire:true}}) or flattened like the Influx fields ({fire:true}). */
export function flagsOf(state) {
  if (!state) return {};
  if (state.flags && typeof state.flags === 'object') return state.flags;
  const out = {};
  for (const [name] of FLAGS) if (typeof state[name] === 'boolean') out[name] = state[name];
  return out;
}

export function problems(device) {
  const flags = flagsOf(device.state);
  return FLAGS.filter(([name]) => PROBLEM.has(name) && flags[name] === true).map(([name, tone]) => ({
    tone,
    text: t(`fire.flag.${name}`),
  }));
}

export function subtitle(device) {
  return label('fire.subtype', device.subtype);
}

function formatValue(v, unit) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return null;
  const digits = unit === 'm' ? 2 : Math.abs(v) >= 100 ? 0 : 1;
  return v.toFixed(digits);
}

export function renderBody(device) {
  const s = device.state;
  if (!s) return `<p class="tile__nodata">${esc(t('status.nodata'))}</p>`;
  const flags = flagsOf(s);
  const unit = UNITS[device.subtype];
  const value = formatValue(s.value, unit);
  const active = FLAGS.filter(([name]) => flags[name] === true);
  const badges = active.length
    ? active.map(([name, tone]) => badge(t(`fire.flag.${name}`), tone, `data-flag="${name}"`)).join('')
    : badge(t('fire.normal'), 'ok');
  const main =
    value !== null
      ? `<div class="fire__value" data-field="value"><span class="fire__num">${esc(value)}</span><span class="fire__unit">${esc(unit || '')}</span></div>`
      : '';
  return `
  <div class="fire ${value === null ? 'fire--novalue' : ''}">
    ${main}
    <div class="fire__flags" data-field="flags">${badges}</div>
    ${active.length && s.lastZone ? `<div class="fire__zone">${esc(t('fire.zone', { zone: s.lastZone }))}</div>` : ''}
  </div>`;
}
