import { ALARM_RULES, alarmTypes } from './alarm-rules';
import { AlarmType } from './alarm-types';
import { categoryOfAlarm, fundQualifyingAlarmTypes } from './fund-profiles';

describe('alarm types that open a maintenance-fund case', () => {
  it('every qualifying type is one the rule engine raises (the names drifted once: fault / low_pressure were never raised)', () => {
    for (const type of fundQualifyingAlarmTypes) expect(alarmTypes).toContain(type);
    expect(fundQualifyingAlarmTypes.length).toBeGreaterThan(0);
  });

  it('every alarm type the engine raises is in the shared list of names', () => {
    const names: string[] = Object.values(AlarmType);
    for (const type of alarmTypes) expect(names).toContain(type);
  });

  it('fire faults, fire power faults, low hydrant/sprinkler pressure and a low tank are fire-facility failures (2015 消防设施故障; domain rules §2.4, §3.4)', () => {
    for (const type of ['fire_fault', 'fire_power_fault', 'pressure_low', 'tank_level_low']) expect(categoryOfAlarm(type)).toBe('fire_facility');
    // the pressure rule that opens a case watches hydrant and sprinkler pipes both
    const lowPressureSubtypes = ALARM_RULES.filter((r) => r.type === 'pressure_low').flatMap((r) => r.subtypes ?? []);
    expect(lowPressureSubtypes.sort()).toEqual(['hydrant_pressure', 'sprinkler_pressure']);
  });

  it('the platform’s own maintenance alarms are no equipment failure and open no case (a missing certificate is paperwork, not a repair)', () => {
    for (const type of [AlarmType.MaintenanceOverdue, AlarmType.CertificateExpiring, AlarmType.CertificateExpired, AlarmType.CertificateMissing]) expect(categoryOfAlarm(type)).toBeNull();
    expect(alarmTypes).toContain(AlarmType.CertificateMissing);
  });

  it('a fire alarm, supervisory, disabled, linkage and over-pressure are not failures of the facility', () => {
    for (const type of ['fire', 'fire_supervisory', 'fire_disabled', 'fire_linkage_started', 'pressure_high']) expect(categoryOfAlarm(type)).toBeNull();
  });

  it('elevator equipment failures qualify (2015 电梯故障; GB/T 24476 codes 1–5, 10–13, 15, domain rules §1.2.1)', () => {
    for (const type of ['top_overtravel', 'bottom_overtravel', 'overspeed', 'door_open_while_running', 'moving_with_door_open', 'safety_circuit_open', 'door_open_fault', 'door_close_fault', 'door_lock_circuit_open', 'speed_abnormal']) {
      expect(categoryOfAlarm(type)).toBe('elevator');
    }
  });

  it('a trapped passenger is a rescue, not necessarily a repair (§1.6: most releases find a power cut or a human cause); calls, power cuts and the platform\'s own alarms open nothing', () => {
    for (const type of ['trapped_at_level', 'trapped_not_level', 'emergency_call', 'ebike_in_car', 'power_failure', 'stopped_outside_door_zone', 'landing_button_stuck', 'offline', 'arrival_overdue']) {
      expect(categoryOfAlarm(type)).toBeNull();
    }
  });
});
