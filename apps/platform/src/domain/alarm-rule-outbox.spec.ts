import { alarmOps, compareRuleOpIds, ruleAlarmOpSchema, ruleOpId, stillCurrent } from './alarm-rule-outbox';
import { compileRules, type DeviceRuleState, evaluate, initialState, type RuleInput, type Transition } from './alarm-rules';

const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const lift = { id: 'lift-1', communityId: 'c-1' };
const set = compileRules('elevator', null);
const trapped = { mode: 'normal', direction: 'stop', floor: 3, atLevel: false, door: 'closed', speed: 0, occupied: true, power: 'mains', safetyCircuit: 'closed' };

/** A device's state driven by inputs, keeping the transitions of the last step. */
function run(state: DeviceRuleState, input: RuleInput, now: number): Transition[] {
  return [...evaluate(set, state, input, now).transitions];
}

describe('alarmOps: what a drain asks of the alarm lifecycle', () => {
  it('a raise and a repeat become raises (device-reported source), a clear a clear', () => {
    const state = initialState(set);
    const raised = run(state, { kind: 'event', type: 'safety_circuit_open', active: true, ts: T0 }, T0);
    const repeated = run(state, { kind: 'event', type: 'safety_circuit_open', active: true, ts: T0 + 1000 }, T0 + 1000);
    const ops = alarmOps(lift, set, state, [...raised, ...repeated]);
    expect(ops).toEqual([
      { action: 'raise', deviceId: 'lift-1', communityId: 'c-1', ruleId: 'event.safety_circuit_open', type: 'safety_circuit_open', severity: 3, source: 'device', ts: T0 },
      { action: 'raise', deviceId: 'lift-1', communityId: 'c-1', ruleId: 'event.safety_circuit_open', type: 'safety_circuit_open', severity: 3, source: 'device', ts: T0 + 1000 },
    ]);
    for (const op of ops) expect(ruleAlarmOpSchema.parse(JSON.parse(JSON.stringify(op)))).toEqual(op);
    const cleared = run(state, { kind: 'event', type: 'safety_circuit_open', active: false, ts: T0 + 2000 }, T0 + 2000);
    expect(alarmOps(lift, set, state, cleared)).toEqual([{ action: 'clear', deviceId: 'lift-1', ruleId: 'event.safety_circuit_open', type: 'safety_circuit_open', ts: T0 + 2000 }]);
  });

  it('leaves a clear out while another rule of the type still holds the alarm', () => {
    const state = initialState(set);
    run(state, { kind: 'event', type: 'trapped_not_level', active: true, ts: T0 }, T0);
    run(state, { kind: 'reading', reading: trapped, ts: T0 + 1000 }, T0 + 1000);
    run(state, { kind: 'tick' }, T0 + 60_000); // the inference holds it too
    const withdrawn = run(state, { kind: 'event', type: 'trapped_not_level', active: false, ts: T0 + 61_000 }, T0 + 61_000);
    expect(withdrawn).toHaveLength(1);
    expect(alarmOps(lift, set, state, withdrawn)).toEqual([]);
  });
});

describe('stillCurrent: a replayed op against the rule state now', () => {
  it('a raise while its rule is raised, not once the condition has been cleared; a clear the other way round', () => {
    const state = initialState(set);
    const [raise] = alarmOps(lift, set, state, run(state, { kind: 'event', type: 'safety_circuit_open', active: true, ts: T0 }, T0));
    expect(stillCurrent(set, state, raise)).toBe(true);
    const [clear] = alarmOps(lift, set, state, run(state, { kind: 'event', type: 'safety_circuit_open', active: false, ts: T0 + 1000 }, T0 + 1000));
    expect(stillCurrent(set, state, raise)).toBe(false);
    expect(stillCurrent(set, state, clear)).toBe(true);
    run(state, { kind: 'event', type: 'safety_circuit_open', active: true, ts: T0 + 2000 }, T0 + 2000);
    expect(stillCurrent(set, state, clear)).toBe(false); // raised again since: the clear is past
  });

  it('a raise of a rule the device no longer has is not current', () => {
    const op = { action: 'raise', deviceId: 'lift-1', communityId: 'c-1', ruleId: 'event.gone', type: 'safety_circuit_open', severity: 3, source: 'device', ts: T0 } as const;
    expect(stillCurrent(set, initialState(set), op)).toBe(false);
  });
});

describe('rule op ids', () => {
  it('order one device by commit (version), then place in the commit, numerically; device ids may hold colons', () => {
    const ids = [ruleOpId('a:b', 10, 0), ruleOpId('a:b', 9, 1), ruleOpId('a:b', 9, 0), ruleOpId('a:b', 10, 2)];
    expect(ids.sort(compareRuleOpIds)).toEqual(['a:b:9:0', 'a:b:9:1', 'a:b:10:0', 'a:b:10:2']);
  });
});
