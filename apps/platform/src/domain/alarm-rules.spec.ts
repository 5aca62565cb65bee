import type { DeviceKind } from '@app/contracts';
import {
  ALARM_RULES,
  type AlarmRuleOverrides,
  compileRules,
  deserializeState,
  type DeviceRuleState,
  evaluate,
  drainInputs,
  heldByAnotherRule,
  initialState,
  manuallyClearable,
  type RuleInput,
  type RuleSet,
  serializeState,
  SharedRuleSets,
  type Transition,
} from './alarm-rules';

const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);

/** Every scenario runs on shared, frozen sets, as the platform does: a rule that wrote to its set would throw. */
const sharedSets = new SharedRuleSets();

/** A device under test with a fake clock. */
class Rig {
  now = T0;
  readonly set: RuleSet;
  state: DeviceRuleState;
  readonly log: Transition[] = [];
  constructor(kind: DeviceKind, subtype: string | null = null, ...layers: AlarmRuleOverrides[]) {
    this.set = sharedSets.compile(kind, subtype, ...layers);
    this.state = initialState(this.set);
  }
  private run(input: RuleInput): Transition[] {
    const { state, transitions } = evaluate(this.set, this.state, input, this.now);
    this.state = state;
    this.log.push(...transitions);
    return [...transitions];
  }
  reading(r: Record<string, unknown>) {
    return this.run({ kind: 'reading', reading: r, ts: this.now });
  }
  event(type: string, active: boolean) {
    return this.run({ kind: 'event', type, active, ts: this.now });
  }
  presence(online: boolean) {
    return this.run({ kind: 'presence', online, ts: this.now });
  }
  advance(ms: number) {
    this.now += ms;
    return this.run({ kind: 'tick' });
  }
}

const lift = (o: Record<string, unknown> = {}) => ({
  mode: 'normal',
  direction: 'stop',
  floor: 3,
  atLevel: true,
  door: 'closed',
  speed: 0,
  occupied: false,
  power: 'mains',
  safetyCircuit: 'closed',
  ...o,
});
const types = (ts: Transition[]) => ts.map((t) => `${t.action}:${t.type}`);

describe('rule sets shared between devices', () => {
  it('gives devices of one kind, subtype and settings one frozen set, and others their own', () => {
    const sets = new SharedRuleSets();
    const a = sets.compile('elevator', null, undefined, undefined);
    expect(sets.compile('elevator', null, undefined, undefined)).toBe(a);
    expect(Object.isFrozen(a) && Object.isFrozen(a.rules) && Object.isFrozen(a.rules[0]) && Object.isFrozen(a.thresholds)).toBe(true);
    const ids = (set: RuleSet) => set.rules.map((r) => `${r.def.id}:${r.holdMs}:${r.count}`);
    expect(ids(a)).toEqual(ids(compileRules('elevator', null)));
    expect(sets.compile('elevator', null, { thresholds: { trappedHoldS: 40 } }, undefined)).not.toBe(a);
    expect(sets.compile('fire', 'hydrant_pressure', undefined, undefined)).not.toBe(sets.compile('fire', 'sprinkler_pressure', undefined, undefined));
    expect(sets.size).toBe(4);
    sets.clear();
    expect(sets.compile('elevator', null, undefined, undefined)).not.toBe(a);
  });

  it('keeps two devices on one set apart: each has its own state', () => {
    const one = new Rig('elevator');
    const two = new Rig('elevator');
    expect(two.set).toBe(one.set);
    one.reading(lift({ occupied: true }));
    two.reading(lift());
    expect(types(one.advance(20_000))).toEqual(['raise:trapped_at_level']);
    expect(two.advance(20_000)).toEqual([]);
  });
});

describe('device-reported elevator faults', () => {
  const reported = ALARM_RULES.filter((r) => r.source === 'event' && r.kinds.includes('elevator'));
  it.each(reported.map((r) => [r.eventType!, r.severity]))('%s raises on active and clears on inactive (severity %i)', (type, severity) => {
    const rig = new Rig('elevator');
    const raised = rig.event(type, true);
    expect(raised).toEqual([expect.objectContaining({ action: 'raise', type, severity, inferred: false, ts: T0 })]);
    expect(types(rig.event(type, true))).toEqual([`repeat:${type}`]); // a repeat is counted, not raised twice
    rig.now += 1000;
    expect(types(rig.event(type, false))).toEqual([`clear:${type}`]);
  });

  it('never debounces emergency calls and trapped events even when settings ask for it', () => {
    const rig = new Rig('elevator', null, { rules: { 'event.emergency_call': { holdS: 60, count: 5 }, 'event.trapped_not_level': { holdS: 60 } } });
    expect(types(rig.event('emergency_call', true))).toEqual(['raise:emergency_call']);
    expect(types(rig.event('trapped_not_level', true))).toEqual(['raise:trapped_not_level']);
  });

  it('other device faults can be debounced by settings (lasts N seconds, fired by the timer)', () => {
    const rig = new Rig('elevator', null, { rules: { 'event.door_close_fault': { holdS: 5 } } });
    expect(rig.event('door_close_fault', true)).toEqual([]);
    expect(rig.advance(4000)).toEqual([]);
    expect(types(rig.advance(1000))).toEqual(['raise:door_close_fault']);
  });

  it('ignores event types of other kinds', () => {
    const rig = new Rig('elevator');
    expect(rig.event('fire', true)).toEqual([]);
  });
});

describe('inferred: trapped passengers', () => {
  it('raises trapped_at_level when occupied, stopped, door closed, at level for 20 s, without another reading', () => {
    const rig = new Rig('elevator');
    expect(rig.reading(lift({ occupied: true }))).toEqual([]);
    expect(rig.advance(19_999)).toEqual([]);
    const t = rig.advance(1);
    expect(t).toEqual([expect.objectContaining({ action: 'raise', type: 'trapped_at_level', severity: 1, inferred: true, ts: T0 })]);
  });

  it('raises trapped_not_level when not at level (any mode)', () => {
    const rig = new Rig('elevator');
    rig.reading(lift({ occupied: true, atLevel: false, mode: 'out_of_service' }));
    expect(types(rig.advance(20_000))).toEqual(['raise:trapped_not_level']);
  });

  it('does not raise when the door opens before the hold', () => {
    const rig = new Rig('elevator');
    rig.reading(lift({ occupied: true }));
    rig.now += 10_000;
    rig.reading(lift({ occupied: true, door: 'open' }));
    expect(rig.advance(30_000)).toEqual([]);
  });

  it('clears at once when the door opens (no clear delay for trapped)', () => {
    const rig = new Rig('elevator');
    rig.reading(lift({ occupied: true }));
    rig.advance(20_000);
    rig.now += 1000;
    expect(types(rig.reading(lift({ occupied: true, door: 'open' })))).toEqual(['clear:trapped_at_level']);
  });

  it('hold time comes from the per-device threshold', () => {
    const rig = new Rig('elevator', null, { thresholds: { trappedHoldS: 40 } }, { thresholds: { trappedHoldS: 3 } });
    rig.reading(lift({ occupied: true }));
    expect(types(rig.advance(3000))).toEqual(['raise:trapped_at_level']);
  });

  it('a reading that arrives after the hold raises on that reading', () => {
    const rig = new Rig('elevator');
    rig.reading(lift({ occupied: true }));
    rig.now += 25_000;
    expect(types(rig.reading(lift({ occupied: true })))).toEqual(['raise:trapped_at_level']);
  });
});

describe('one alarm type held by a device event and an inference (clearing semantics)', () => {
  const trappedReading = lift({ atLevel: false, occupied: true, door: 'closed', direction: 'stop' });
  const held = (rig: Rig, t: Transition) => heldByAnotherRule(rig.set, rig.state, t.type, t.ruleId);

  it('the terminal withdrawing its event does not clear while readings still show a stopped, occupied car with the door closed', () => {
    const rig = new Rig('elevator');
    expect(types(rig.event('trapped_not_level', true))).toEqual(['raise:trapped_not_level']);
    rig.reading(trappedReading);
    expect(types(rig.advance(20_000))).toEqual(['raise:trapped_not_level']); // the inference holds it too (a repeat on the open alarm)
    rig.now += 1000;
    const withdrawn = rig.event('trapped_not_level', false);
    expect(withdrawn).toEqual([expect.objectContaining({ action: 'clear', ruleId: 'event.trapped_not_level' })]);
    expect(held(rig, withdrawn[0])).toBe(true); // → the alarm stays open
    rig.now += 1000;
    const doorOpen = rig.reading(lift({ atLevel: true, occupied: false, door: 'open' }));
    expect(doorOpen).toEqual([expect.objectContaining({ action: 'clear', ruleId: 'infer.trapped_not_level' })]);
    expect(held(rig, doorOpen[0])).toBe(false); // both ended → it clears
  });

  it('and the other way round: readings back to normal while the terminal still reports trapped do not clear', () => {
    const rig = new Rig('elevator');
    rig.reading(trappedReading);
    expect(types(rig.advance(20_000))).toEqual(['raise:trapped_not_level']);
    expect(types(rig.event('trapped_not_level', true))).toEqual(['raise:trapped_not_level']);
    const normal = rig.reading(lift({ atLevel: true, door: 'open', occupied: false }));
    expect(normal).toEqual([expect.objectContaining({ action: 'clear', ruleId: 'infer.trapped_not_level' })]);
    expect(held(rig, normal[0])).toBe(true);
    const withdrawn = rig.event('trapped_not_level', false);
    expect(held(rig, withdrawn[0])).toBe(false);
  });

  it('a person may clear any type the platform infers (also when the device reported it first); device-only faults clear on the device', () => {
    expect(manuallyClearable('trapped_not_level')).toBe(true);
    expect(manuallyClearable('trapped_at_level')).toBe(true);
    expect(manuallyClearable('arrival_overdue')).toBe(true);
    expect(manuallyClearable('emergency_call')).toBe(false);
    expect(manuallyClearable('top_overtravel')).toBe(false);
  });
});

describe('inferred: stop outside the door zone', () => {
  it('raises after 45 s stopped not level in normal mode, and clears with a delay', () => {
    const rig = new Rig('elevator');
    rig.reading(lift({ atLevel: false }));
    expect(rig.advance(44_000)).toEqual([]);
    expect(types(rig.advance(1000))).toEqual(['raise:stopped_outside_door_zone']);
    rig.now += 1000;
    expect(rig.reading(lift({ atLevel: true }))).toEqual([]); // delayed clear: 5 s
    expect(rig.advance(4000)).toEqual([]);
    expect(types(rig.advance(1000))).toEqual(['clear:stopped_outside_door_zone']);
  });

  it('a relapse within the clear delay cancels the pending clear', () => {
    const rig = new Rig('elevator');
    rig.reading(lift({ atLevel: false }));
    rig.advance(45_000);
    rig.reading(lift());
    rig.now += 2000;
    rig.reading(lift({ atLevel: false }));
    expect(rig.advance(10_000)).toEqual([]);
    expect(rig.log.filter((t) => t.action === 'clear')).toEqual([]);
  });

  it('is not raised in inspection mode', () => {
    const rig = new Rig('elevator');
    rig.reading(lift({ atLevel: false, mode: 'inspection' }));
    expect(rig.advance(60_000)).toEqual([]);
  });
});

describe('inferred: moving with the door open (N times in a row, OR of conditions)', () => {
  it('raises on the 2nd consecutive reading, up or down', () => {
    const rig = new Rig('elevator');
    expect(rig.reading(lift({ direction: 'up', door: 'open', speed: 0.5 }))).toEqual([]);
    expect(types(rig.reading(lift({ direction: 'down', door: 'open', speed: 0.5 })))).toEqual(['raise:moving_with_door_open']);
  });

  it('a normal reading in between resets the run', () => {
    const rig = new Rig('elevator');
    rig.reading(lift({ direction: 'up', door: 'open' }));
    rig.reading(lift({ direction: 'up', door: 'closed' }));
    expect(rig.reading(lift({ direction: 'up', door: 'open' }))).toEqual([]);
  });

  it('count is configurable', () => {
    const rig = new Rig('elevator', null, { thresholds: { doorOpenMovingCount: 1 } });
    expect(types(rig.reading(lift({ direction: 'up', door: 'open' })))).toEqual(['raise:moving_with_door_open']);
  });
});

describe('inferred: power on battery', () => {
  it('raises after 10 s on battery and clears 5 s after mains returns', () => {
    const rig = new Rig('elevator');
    rig.reading(lift({ power: 'battery' }));
    expect(types(rig.advance(10_000))).toEqual(['raise:power_failure']);
    rig.reading(lift());
    expect(types(rig.advance(5000))).toEqual(['clear:power_failure']);
  });

  it('a rule can be disabled per device', () => {
    const rig = new Rig('elevator', null, { rules: { 'infer.power_failure': { enabled: false } } });
    rig.reading(lift({ power: 'battery' }));
    expect(rig.advance(60_000)).toEqual([]);
  });
});

describe('fire flags (readings and events)', () => {
  const flags: Array<[string, string, number]> = [
    ['fire', 'fire', 1],
    ['powerFault', 'fire_power_fault', 2],
    ['fault', 'fire_fault', 3],
    ['supervisory', 'fire_supervisory', 3],
    ['disabled', 'fire_disabled', 4],
    ['started', 'fire_linkage_started', 4],
  ];
  it.each(flags)('flag %s raises %s (severity %i) from a reading and clears when false', (flag, type, severity) => {
    const rig = new Rig('fire', 'controller');
    expect(rig.reading({ flags: { [flag]: true } })).toEqual([expect.objectContaining({ action: 'raise', type, severity })]);
    expect(rig.reading({ flags: {} })).toEqual([]); // a reading without the flag says nothing
    rig.now += 6000;
    const cleared = rig.reading({ flags: { [flag]: false } });
    expect(types(cleared.concat(rig.advance(6000)))).toEqual([`clear:${type}`]);
  });

  it.each(flags)('event %s raises %s', (flag, type) => {
    const rig = new Rig('fire', 'smoke_detector');
    expect(types(rig.event(flag, true))).toEqual([`raise:${type}`]);
    expect(types(rig.event(flag, false))).toEqual([`clear:${type}`]);
  });

  it('a fire flag is never debounced', () => {
    const rig = new Rig('fire', 'controller', { rules: { 'reading.fire.fire': { holdS: 30 } } });
    expect(types(rig.reading({ flags: { fire: true } }))).toEqual(['raise:fire']);
  });
});

describe('fire values', () => {
  it('hydrant pressure below 350 kPa for 30 s raises pressure_low', () => {
    const rig = new Rig('fire', 'hydrant_pressure');
    expect(rig.reading({ value: 400 })).toEqual([]);
    rig.reading({ value: 300 });
    expect(rig.advance(29_000)).toEqual([]);
    expect(types(rig.advance(1000))).toEqual(['raise:pressure_low']);
  });

  it('hydrant pressure above 700 kPa raises pressure_high; 250 kPa profile for low-rise', () => {
    const rig = new Rig('fire', 'hydrant_pressure', { thresholds: { hydrantPressureMin: 250 } });
    rig.reading({ value: 300 });
    expect(rig.advance(60_000)).toEqual([]);
    rig.reading({ value: 720 });
    expect(types(rig.advance(30_000))).toEqual(['raise:pressure_high']);
  });

  it('sprinkler pressure below 100 kPa or above 1000 kPa', () => {
    const low = new Rig('fire', 'sprinkler_pressure');
    low.reading({ value: 80 });
    expect(types(low.advance(30_000))).toEqual(['raise:pressure_low']);
    const high = new Rig('fire', 'sprinkler_pressure');
    high.reading({ value: 1100 });
    expect(types(high.advance(30_000))).toEqual(['raise:pressure_high']);
  });

  it('tank level below 7 m for 60 s raises tank_level_low and clears when refilled', () => {
    const rig = new Rig('fire', 'tank_level');
    rig.reading({ value: 6.5 });
    expect(types(rig.advance(60_000))).toEqual(['raise:tank_level_low']);
    rig.reading({ value: 7.2 });
    expect(types(rig.advance(5000))).toEqual(['clear:tank_level_low']);
  });

  it('a value rule applies only to its subtype', () => {
    const rig = new Rig('fire', 'tank_level');
    rig.reading({ value: 5000 });
    expect(rig.advance(120_000)).toEqual([]);
  });
});

describe('device offline', () => {
  it('raises after 30 s offline and clears when it comes back', () => {
    const rig = new Rig('gate');
    rig.presence(false);
    expect(rig.advance(29_000)).toEqual([]);
    expect(types(rig.advance(1000))).toEqual(['raise:offline']);
    expect(types(rig.presence(true))).toEqual(['clear:offline']);
  });

  it('a device back within the hold raises nothing', () => {
    const rig = new Rig('elevator');
    rig.presence(false);
    rig.now += 10_000;
    rig.presence(true);
    expect(rig.advance(60_000)).toEqual([]);
  });
});

describe('state persistence', () => {
  it('round-trips through the compact form, keeping hold time and active alarms', () => {
    const rig = new Rig('elevator');
    rig.reading(lift({ occupied: true }));
    rig.event('emergency_call', true);
    rig.now += 10_000;
    const json = serializeState(rig.set, rig.state);
    const restored = deserializeState(rig.set, json);
    expect(restored.nextDeadline).toBe(T0 + 20_000);
    const { transitions } = evaluate(rig.set, restored, { kind: 'tick' }, T0 + 20_000);
    expect(types([...transitions])).toEqual(['raise:trapped_at_level']);
    // the emergency call stays active: a repeat does not raise again
    const again = evaluate(rig.set, restored, { kind: 'event', type: 'emergency_call', active: true, ts: T0 + 21_000 }, T0 + 21_000).transitions;
    expect(types([...again])).toEqual(['repeat:emergency_call']);
  });

  it('bad stored state starts idle', () => {
    const set = compileRules('elevator', null);
    expect(deserializeState(set, '{not json').slots.every((s) => !s.on && !s.active)).toBe(true);
  });

  it('an idle device with normal readings never becomes dirty', () => {
    const rig = new Rig('elevator');
    for (let i = 0; i < 10; i++) rig.reading(lift());
    expect(rig.state.dirty).toBe(false);
  });
});

describe('hot path cost', () => {
  it('evaluates a normal reading in a few microseconds', () => {
    const set = compileRules('elevator', null);
    const state = initialState(set);
    const reading = lift();
    const input: RuleInput = { kind: 'reading', reading, ts: T0 };
    for (let i = 0; i < 20_000; i++) evaluate(set, state, input, T0);
    const n = 200_000;
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) evaluate(set, state, input, T0);
    const perCallUs = Number(process.hrtime.bigint() - start) / 1000 / n;
    expect(perCallUs).toBeLessThan(5);
  });
});

/**
 * RULE_STATE=shared (issue 10 §2): with Mosquitto's round-robin shared subscriptions one device's
 * readings reach several processes; each input is evaluated on the stored state and written with
 * a compare-and-set, transitions executed only by the winner (services/alarm-detection.service.ts).
 * The store here is the CAS of RedisRepository.casRuleState reduced to its rule.
 */
describe('shared rule state (drainInputs under a compare-and-set)', () => {
  const set = compileRules('elevator', null, { thresholds: { batteryHoldS: 3 } });
  class Store {
    json = '';
    version = 0;
    cas(expected: number, json: string | undefined): boolean {
      if (expected !== this.version) return false;
      if (json !== undefined) {
        this.json = json === '{}' ? '' : json;
        this.version++;
      }
      return true;
    }
  }
  /** A process: its copy of the state (possibly behind) and the transitions it executed. */
  class Proc {
    json = '';
    version = -1;
    readonly done: string[] = [];
    constructor(private readonly store: Store) {}
    input(input: RuleInput, now: number): void {
      for (;;) {
        const r = input.kind === 'tick' ? drainInputs(set, this.json || undefined, 0, [], now) : drainInputs(set, this.json || undefined, 0, [input], now);
        if (!this.store.cas(this.version, r.json)) {
          [this.json, this.version] = [this.store.json, this.store.version];
          continue;
        }
        if (r.json !== undefined) [this.json, this.version] = [r.json === '{}' ? '' : r.json, this.store.version];
        this.done.push(...types([...r.transitions]));
        return;
      }
    }
  }

  it('an input that changes nothing leaves the state unwritten', () => {
    expect(drainInputs(set, undefined, 0, [{ kind: 'reading', reading: lift(), ts: T0 }], T0).json).toBeUndefined();
    const on = drainInputs(set, undefined, 0, [{ kind: 'reading', reading: lift({ power: 'battery' }), ts: T0 }], T0);
    expect(on.json).toBeDefined();
    expect(on.state.nextDeadline).toBe(T0 + 3000);
    const again = drainInputs(set, on.json, T0, [], T0 + 1000);
    expect(again.json).toBeUndefined();
    expect(again.transitions).toEqual([]);
  });

  it('evaluates waiting inputs in ts order as of the window behind the clock, skipping (counting) inputs older than the newest evaluated', () => {
    const open = lift({ direction: 'up', door: 'open' });
    // open, normal, open: never twice in a row, though a process saw the two opens first.
    const r = drainInputs(set, undefined, 0, [
      { kind: 'reading', reading: open, ts: T0 },
      { kind: 'reading', reading: lift(), ts: T0 + 250 },
      { kind: 'reading', reading: open, ts: T0 + 500 },
    ], T0 + 500);
    expect(r.transitions).toEqual([]);
    expect(r.newestTs).toBe(T0 + 500);
    // A normal reading from before arriving after the window: skipped, so the run continues.
    const late = drainInputs(set, r.json, r.newestTs, [{ kind: 'reading', reading: lift(), ts: T0 + 400 }, { kind: 'reading', reading: open, ts: T0 + 750 }], T0 + 750);
    expect(late.late).toBe(1);
    expect(types([...late.transitions])).toEqual(['raise:moving_with_door_open']);
  });

  it('a hold is measured on the stream time: a reading evaluated a window late does not find its hold lasted', () => {
    // Battery at T0, mains at T0 + 750: evaluated together as of T0 + 750, the 3 s hold never lasts.
    const r = drainInputs(set, undefined, 0, [
      { kind: 'reading', reading: lift({ power: 'battery' }), ts: T0 },
      { kind: 'reading', reading: lift(), ts: T0 + 750 },
    ], T0 + 750);
    expect(r.transitions).toEqual([]);
    expect(r.state.nextDeadline).toBe(0);
  });

  it('"lasts N s" spread round-robin over three processes raises exactly once, by one process', () => {
    const store = new Store();
    const procs = [new Proc(store), new Proc(store), new Proc(store)];
    for (let i = 0; i <= 20; i++) procs[i % 3].input({ kind: 'reading', reading: lift({ power: 'battery' }), ts: T0 + i * 250 }, T0 + i * 250);
    expect(procs.flatMap((p) => p.done)).toEqual(['raise:power_failure']);
  });

  it('"N in a row" round-robin: two in a row raise once; on, off, off repeated never raises', () => {
    const store = new Store();
    const procs = [new Proc(store), new Proc(store), new Proc(store)];
    const open = lift({ direction: 'up', door: 'open' });
    const pattern = [open, lift(), lift()];
    for (let i = 0; i < 30; i++) procs[i % 3].input({ kind: 'reading', reading: pattern[i % 3], ts: T0 + i }, T0 + i);
    expect(procs.flatMap((p) => p.done)).toEqual([]);
    procs[0].input({ kind: 'reading', reading: open, ts: T0 + 100 }, T0 + 100);
    procs[1].input({ kind: 'reading', reading: open, ts: T0 + 101 }, T0 + 101);
    procs[2].input({ kind: 'reading', reading: open, ts: T0 + 102 }, T0 + 102);
    expect(procs.flatMap((p) => p.done)).toEqual(['raise:moving_with_door_open']);
    expect(procs[1].done).toEqual(['raise:moving_with_door_open']);
  });

  it('two processes ticking the same due device: the second finds nothing due', () => {
    const store = new Store();
    const [a, b] = [new Proc(store), new Proc(store)];
    a.input({ kind: 'reading', reading: lift({ power: 'battery' }), ts: T0 }, T0);
    b.input({ kind: 'tick' }, T0 + 3000);
    a.input({ kind: 'tick' }, T0 + 3000);
    expect([...a.done, ...b.done]).toEqual(['raise:power_failure']);
    expect(b.done).toEqual(['raise:power_failure']);
  });
});
