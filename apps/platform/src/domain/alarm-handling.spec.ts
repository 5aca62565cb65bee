import { alarmClearCauses } from '@app/contracts';
import { alarmTypes } from './alarm-rules';
import { clearCausesFor, handOffFor, isClearCause } from './alarm-handling';

describe('duty desk: clear causes and hand-off lines per alarm type', () => {
  it('a trapped-passenger rescue is cleared with a release cause (domain rules §1.6: Huai\'an 2023 external / human / door system)', () => {
    for (const type of ['trapped_not_level', 'trapped_at_level', 'emergency_call']) {
      expect(clearCausesFor(type)).toEqual(expect.arrayContaining(['power_cut', 'human', 'door_system', 'equipment_other', 'false_alarm']));
      expect(clearCausesFor(type)).not.toContain('repaired');
    }
  });

  it('other alarms are cleared as repaired, a false alarm, an outside cause or other', () => {
    expect(clearCausesFor('pressure_low')).toEqual(['repaired', 'false_alarm', 'external_other', 'other']);
    expect(clearCausesFor('offline')).toEqual(['repaired', 'false_alarm', 'external_other', 'other']);
  });

  it('every cause offered for a type the engine raises is in the contract', () => {
    for (const type of alarmTypes) for (const cause of clearCausesFor(type)) expect(isClearCause(cause)).toBe(true);
    expect(isClearCause('because')).toBe(false);
    expect(new Set(alarmTypes.flatMap((t) => clearCausesFor(t)))).toEqual(new Set(alarmClearCauses));
  });

  it('trapped passengers go to 96333 with 119 as the backstop (§1.6 三级响应); a fire to 119 (§2.3); faults to nobody outside', () => {
    expect(handOffFor('trapped_not_level')).toEqual(['96333', '119']);
    expect(handOffFor('emergency_call')).toEqual(['96333', '119']);
    expect(handOffFor('fire')).toEqual(['119']);
    expect(handOffFor('fire_fault')).toEqual([]);
    expect(handOffFor('door_close_fault')).toEqual([]);
  });
});
