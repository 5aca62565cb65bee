// Gate tile body: barrier state, last vehicle (plate, direction, lane).
import { t } from '../../shared/i18n.js';
import { esc, label } from './common.js';

export function problems(device) {
  const s = device.state;
  if (s && s.barrier === 'fault') return [{ tone: 'alarm', text: `${t('gate.barrier')} ${t('gate.barrier.fault')}` }];
  return [];
}

/** GA 36 plate colour: 8 characters = new-energy (green), 应急 = emergency, otherwise blue. */
function plateClass(plate) {
  if (!plate) return 'plate--unknown';
  if (/应急/.test(plate)) return 'plate--emergency';
  if (/[警]$/.test(plate)) return 'plate--white';
  if (/[学挂]$/.test(plate)) return 'plate--yellow';
  if ([...plate].length === 8) return 'plate--green';
  if ([...plate].length === 7) return 'plate--blue';
  return 'plate--unknown';
}

export function renderBody(device) {
  const s = device.state;
  if (!s) return `<p class="tile__nodata">${esc(t('status.nodata'))}</p>`;
  const barrier = s.barrier;
  const plate = typeof s.lastPlate === 'string' ? s.lastPlate : null;
  let vehicle;
  if (plate !== null || s.lastDirection) {
    const dir = s.lastDirection === 'in' || s.lastDirection === 'out' ? s.lastDirection : null;
    vehicle = `
      <div class="gate__vehicle">
        <span class="plate ${plateClass(plate)}" data-field="lastPlate">${esc(plate || t('gate.unreadable'))}</span>
        ${dir ? `<span class="gate__dir gate__dir--${dir}" data-field="lastDirection">${dir === 'in' ? '→' : '←'} ${esc(t(`gate.dir.${dir}`))}</span>` : ''}
        ${s.lastLane ? `<span class="gate__lane">${esc(t('gate.lane', { lane: s.lastLane }))}</span>` : ''}
      </div>`;
  } else {
    vehicle = `<div class="gate__vehicle gate__vehicle--none">${esc(t('gate.noVehicle'))}</div>`;
  }
  return `
  <div class="gate">
    <div class="gate__barrier gate__barrier--${esc(barrier || 'unknown')}" data-field="barrier">
      <span class="gate__icon" aria-hidden="true"><span class="gate__post"></span><span class="gate__arm"></span></span>
      <span>${esc(label('gate.barrier', barrier))}</span>
    </div>
    <div class="gate__label">${esc(t('gate.lastVehicle'))}</div>
    ${vehicle}
  </div>`;
}
