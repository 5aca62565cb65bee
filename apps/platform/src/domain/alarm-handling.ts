/**
 * What the duty desk offers per alarm type: the causes a person may clear it with, and the public
 * emergency line the case is handed to when the people on duty cannot resolve it.
 */
import { alarmClearCauses, type AlarmClearCause } from '@app/contracts';
import { AlarmType } from './alarm-types';

/**
 * Release causes of a trapped-passenger rescue. Domain rules §1.6: record the release and its cause
 * after every rescue; Huai'an 2023 sorts 418 calls into external (power cut etc.), human (rubbish
 * blocking doors…) and door system, the rest being other equipment faults. The local annex that
 * numbers them (DB52/T 1628.3 Annex B) was not available, hence these plain categories.
 */
const releaseCauses: readonly AlarmClearCause[] = ['power_cut', 'external_other', 'human', 'door_system', 'equipment_other', 'false_alarm'];
/** Any other alarm a person clears: repaired, a false alarm, an outside cause, or something else. */
const generalCauses: readonly AlarmClearCause[] = ['repaired', 'false_alarm', 'external_other', 'other'];

const trapped = new Set<string>([AlarmType.TrappedAtLevel, AlarmType.TrappedNotLevel, AlarmType.EmergencyCall]);

export function clearCausesFor(type: string): readonly AlarmClearCause[] {
  return trapped.has(type) ? releaseCauses : generalCauses;
}

export function isClearCause(value: string): value is AlarmClearCause {
  return (alarmClearCauses as readonly string[]).includes(value);
}

/**
 * The emergency lines a trapped passenger or a fire is handed to (shown on the desk, never dialled
 * by the platform): trapped passengers and calls go to the city's 96333 elevator rescue platform
 * with 119 fire-rescue as the backstop tier (§1.6 三级响应); a fire alarm, once confirmed on site,
 * goes to 119 (§2.3: human confirmation, then the 119 terminal).
 */
export function handOffFor(type: string): string[] {
  if (trapped.has(type)) return ['96333', '119'];
  if (type === AlarmType.Fire) return ['119'];
  return [];
}
