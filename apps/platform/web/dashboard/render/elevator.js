// Elevator tile body: big floor with direction indicator, then door / mode / car / power / safety.
import { t } from '../../shared/i18n.js';
import { esc, label, kv } from './common.js';

export function floorText(floor) {
  if (typeof floor !== 'number' || !Number.isFinite(floor)) return '—';
  return floor < 0 ? `B${-floor}` : String(floor);
}

/** Active problems shown as alarm (red) or warning (amber) on the tile and counted at the top. */
export function problems(device) {
  const s = device.state;
  const out = [];
  if (!s) return out;
  // active events / detected faults (state.faults: event types, GB/T 24476)
  const faults = Array.isArray(s.faults) ? s.faults : [];
  for (const f of faults) out.push({ tone: f === 'ebike_in_car' ? 'warn' : 'alarm', text: label('elevator.fault', f), key: f });
  const hasFault = (f) => faults.includes(f);
  if (s.safetyCircuit === 'open' && !hasFault('safety_circuit_open')) out.push({ tone: 'alarm', text: `${t('elevator.safety')} ${t('elevator.safety.open')}` });
  if (s.power === 'battery' && !hasFault('power_failure')) out.push({ tone: 'alarm', text: `${t('elevator.power')} ${t('elevator.power.battery')}` });
  if (s.mode === 'fire_recall') out.push({ tone: 'alarm', text: t('elevator.mode.fire_recall') });
  if (s.mode === 'out_of_service') out.push({ tone: 'warn', text: t('elevator.mode.out_of_service') });
  return out;
}

export function isMoving(device) {
  const s = device.state;
  return !!(device.online && s && (s.direction === 'up' || s.direction === 'down'));
}

export function renderBody(device) {
  const s = device.state;
  if (!s) return `<p class="tile__nodata">${esc(t('status.nodata'))}</p>`;
  const dir = s.direction === 'up' || s.direction === 'down' ? s.direction : 'stop';
  const dirLabel = t(`elevator.dir.${dir}`);
  const doorTone = s.door === 'closed' ? '' : 'info';
  const modeTone = s.mode === 'normal' ? 'ok' : s.mode === 'fire_recall' ? 'alarm' : 'warn';
  const speed = typeof s.speed === 'number' ? `${s.speed.toFixed(1)} m/s` : '—';
  const level = s.atLevel === true ? t('elevator.atLevel') : s.atLevel === false ? t('elevator.notLevel') : '';
  return `
  <div class="elev">
    <div class="elev__indicator" role="img" aria-label="${esc(`${t('elevator.floor')} ${floorText(s.floor)}, ${dirLabel}`)}">
      <div class="elev__arrows elev__arrows--${dir}" aria-hidden="true">
        <span class="elev__arrow elev__arrow--up">▲</span>
        <span class="elev__arrow elev__arrow--down">▼</span>
      </div>
      <div class="elev__floor" data-field="floor">${esc(floorText(s.floor))}</div>
    </div>
    <div class="elev__motion">
      <span class="elev__dirtext" data-field="direction">${esc(dirLabel)}</span>
      <span class="elev__speed">${esc(speed)}</span>
      ${level ? `<span class="elev__level">${esc(level)}</span>` : ''}
    </div>
    <dl class="kv">
      ${kv(t('elevator.door'), label('elevator.door', s.door), doorTone, 'door')}
      ${kv(t('elevator.mode'), label('elevator.mode', s.mode), modeTone, 'mode')}
      ${kv(t('elevator.occupied'), s.occupied ? t('elevator.occupied.yes') : t('elevator.occupied.no'), s.occupied ? 'info' : '', 'occupied')}
      ${kv(t('elevator.power'), label('elevator.power', s.power), s.power === 'battery' ? 'alarm' : '', 'power')}
      ${kv(t('elevator.safety'), label('elevator.safety', s.safetyCircuit), s.safetyCircuit === 'open' ? 'alarm' : '', 'safetyCircuit')}
    </dl>
  </div>`;
}
