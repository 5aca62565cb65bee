/**
 * Alarm detection as a pure rule engine. Rules are data (ALARM_RULES): which device kind/subtype
 * and which input they look at, a condition in disjunctive normal form (OR of ANDs of field
 * tests) whose thresholds are named parameters, and the timing: "lasts N seconds" (holdS),
 * "N times in a row" (count) and a delayed clear (clearDelayS). Settings (defaults, overridden
 * per community and per device) are compiled once per device into closures, so evaluating one
 * reading is a handful of comparisons and allocates nothing unless a transition happens.
 *
 * evaluate(state, input, now) mutates the per-device state in place (it is the hot path) and
 * returns it with the transitions (raise / clear) it caused. A 'tick' input lets a timer fire
 * "lasts N seconds" and delayed clears when no further reading arrives.
 */
import type { DeviceKind, ElevatorEventType, FireFlag } from '@app/contracts';
import { AlarmType, type AlarmTypeName } from './alarm-types';

// ------------------------------------------------------------------------------------------ data

export type Op = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/** One field test. `value` is a literal; `param` names a threshold from the settings. */
export interface FieldTest {
  field: string;
  op: Op;
  value?: string | number | boolean;
  param?: ThresholdName;
}

export type RuleSource = 'reading' | 'event' | 'presence';

export interface RuleDefinition {
  id: string;
  /** Alarm type raised; several rules may raise the same type (device-reported and inferred). */
  type: AlarmTypeName;
  severity: 1 | 2 | 3 | 4 | 5;
  kinds: readonly DeviceKind[];
  subtypes?: readonly string[];
  source: RuleSource;
  /** For source 'event': the event type; the condition is the event's `active`. */
  eventType?: string;
  /** For source 'reading': OR of ANDs. A reading that carries none of the fields is ignored. */
  anyOf?: readonly (readonly FieldTest[])[];
  /** For source 'presence': the condition is "offline". */
  holdS?: number;
  count?: number;
  clearDelayS?: number;
  /** Raised by the platform from its own inference (may be cleared manually). */
  inferred: boolean;
  /** Passenger emergency calls and trapped passengers: hold/count/clear delay are never applied. */
  neverDebounce?: boolean;
}

export const DEFAULT_THRESHOLDS = {
  /** Trapped passengers: occupied, stopped, door closed for this long (domain rules §1.4: 20–40 s). */
  trappedHoldS: 20,
  /** Stopped outside the door zone (§1.4: 45 s). */
  outsideDoorZoneHoldS: 45,
  /** Moving with the door open: readings in a row. */
  doorOpenMovingCount: 2,
  /** Power on battery for this long. */
  batteryHoldS: 10,
  /** Hydrant dynamic pressure, kPa (GB 50974 §7.4.12: ≥350 high-rise, ≥250 elsewhere; >700 needs reduction). */
  hydrantPressureMin: 350,
  hydrantPressureMax: 700,
  /** Sprinkler network pressure, kPa (auto-sprinkler ≥ 0.10 MPa; vendor over-pressure 1.0 MPa). */
  sprinklerPressureMin: 100,
  sprinklerPressureMax: 1000,
  /** Fire tank level, metres of water (≥ 0.07 MPa static pressure for high-rise residential). */
  tankLevelMin: 7,
  pressureHoldS: 30,
  tankHoldS: 60,
  /** Offline for this long after presence says so. */
  offlineHoldS: 30,
  /** Platform-side debounce of clears of inferred faults. */
  clearDelayS: 5,
  /** Notifications per device and hour (severity 1 is never capped). */
  notifyCapPerHour: 30,
} as const;
export type ThresholdName = keyof typeof DEFAULT_THRESHOLDS;
export type Thresholds = Record<ThresholdName, number>;
export const thresholdNames = Object.keys(DEFAULT_THRESHOLDS) as ThresholdName[];

/** Per-rule overrides stored in alarm_rule_settings (community, then device, over the defaults). */
export interface RuleOverride {
  enabled?: boolean;
  holdS?: number;
  count?: number;
  clearDelayS?: number;
  severity?: 1 | 2 | 3 | 4 | 5;
}
export interface AlarmRuleOverrides {
  thresholds?: Partial<Thresholds>;
  rules?: Record<string, RuleOverride>;
}

const elevatorEvent = (eventType: AlarmTypeName & ElevatorEventType, severity: RuleDefinition['severity'], neverDebounce = false): RuleDefinition => ({
  id: `event.${eventType}`,
  type: eventType,
  severity,
  kinds: ['elevator'],
  source: 'event',
  eventType,
  inferred: false,
  neverDebounce,
});

const fireFlag = (flag: FireFlag, type: AlarmTypeName, severity: RuleDefinition['severity']): RuleDefinition[] => [
  { id: `event.fire.${flag}`, type, severity, kinds: ['fire'], source: 'event', eventType: flag, inferred: false, neverDebounce: flag === 'fire' },
  {
    id: `reading.fire.${flag}`,
    type,
    severity,
    kinds: ['fire'],
    source: 'reading',
    anyOf: [[{ field: `flags.${flag}`, op: 'eq', value: true }]],
    inferred: false,
    neverDebounce: flag === 'fire',
  },
];

const normalStop = [
  { field: 'mode', op: 'eq', value: 'normal' },
  { field: 'direction', op: 'eq', value: 'stop' },
] as const satisfies readonly FieldTest[];

/** Every rule of the platform. Severity order per domain rules §1.6: trapped not level > trapped at level > overtravel/UCM > other faults. */
export const ALARM_RULES: readonly RuleDefinition[] = [
  // Device-reported elevator faults (contract §2).
  elevatorEvent('trapped_not_level', 1, true),
  elevatorEvent('trapped_at_level', 1, true),
  elevatorEvent('emergency_call', 1, true),
  elevatorEvent('top_overtravel', 2),
  elevatorEvent('bottom_overtravel', 2),
  elevatorEvent('moving_with_door_open', 2),
  elevatorEvent('door_open_while_running', 2),
  elevatorEvent('overspeed', 2),
  elevatorEvent('stopped_outside_door_zone', 3),
  elevatorEvent('power_failure', 3),
  elevatorEvent('safety_circuit_open', 3),
  elevatorEvent('door_open_fault', 3),
  elevatorEvent('door_close_fault', 3),
  elevatorEvent('door_lock_circuit_open', 3),
  elevatorEvent('speed_abnormal', 3),
  elevatorEvent('landing_button_stuck', 4),
  elevatorEvent('ebike_in_car', 4),
  // Inferred from elevator readings.
  {
    id: 'infer.trapped_at_level',
    type: 'trapped_at_level',
    severity: 1,
    kinds: ['elevator'],
    source: 'reading',
    anyOf: [[...normalStop, { field: 'occupied', op: 'eq', value: true }, { field: 'door', op: 'eq', value: 'closed' }, { field: 'atLevel', op: 'eq', value: true }]],
    holdS: -1, // → trappedHoldS
    clearDelayS: 0,
    inferred: true,
  },
  {
    id: 'infer.trapped_not_level',
    type: 'trapped_not_level',
    severity: 1,
    kinds: ['elevator'],
    source: 'reading',
    anyOf: [
      [{ field: 'direction', op: 'eq', value: 'stop' }, { field: 'occupied', op: 'eq', value: true }, { field: 'door', op: 'eq', value: 'closed' }, { field: 'atLevel', op: 'eq', value: false }],
    ],
    holdS: -1,
    clearDelayS: 0,
    inferred: true,
  },
  {
    id: 'infer.stopped_outside_door_zone',
    type: 'stopped_outside_door_zone',
    severity: 3,
    kinds: ['elevator'],
    source: 'reading',
    anyOf: [[...normalStop, { field: 'atLevel', op: 'eq', value: false }]],
    holdS: -1,
    inferred: true,
  },
  {
    id: 'infer.moving_with_door_open',
    type: 'moving_with_door_open',
    severity: 2,
    kinds: ['elevator'],
    source: 'reading',
    // OR: moving up with the door open, moving down with the door open
    anyOf: [
      [{ field: 'direction', op: 'eq', value: 'up' }, { field: 'door', op: 'eq', value: 'open' }],
      [{ field: 'direction', op: 'eq', value: 'down' }, { field: 'door', op: 'eq', value: 'open' }],
    ],
    count: -1,
    inferred: true,
  },
  {
    id: 'infer.power_failure',
    type: 'power_failure',
    severity: 3,
    kinds: ['elevator'],
    source: 'reading',
    anyOf: [[{ field: 'power', op: 'eq', value: 'battery' }]],
    holdS: -1,
    inferred: true,
  },
  // Fire: device-reported flags (readings and events).
  ...fireFlag('fire', 'fire', 1),
  ...fireFlag('powerFault', 'fire_power_fault', 2),
  ...fireFlag('fault', 'fire_fault', 3),
  ...fireFlag('supervisory', 'fire_supervisory', 3),
  ...fireFlag('disabled', 'fire_disabled', 4),
  ...fireFlag('started', 'fire_linkage_started', 4),
  // Fire: inferred from values.
  {
    id: 'infer.hydrant_pressure_low',
    type: 'pressure_low',
    severity: 2,
    kinds: ['fire'],
    subtypes: ['hydrant_pressure'],
    source: 'reading',
    anyOf: [[{ field: 'value', op: 'lt', param: 'hydrantPressureMin' }]],
    holdS: -1,
    inferred: true,
  },
  {
    id: 'infer.hydrant_pressure_high',
    type: 'pressure_high',
    severity: 3,
    kinds: ['fire'],
    subtypes: ['hydrant_pressure'],
    source: 'reading',
    anyOf: [[{ field: 'value', op: 'gt', param: 'hydrantPressureMax' }]],
    holdS: -1,
    inferred: true,
  },
  {
    id: 'infer.sprinkler_pressure_low',
    type: 'pressure_low',
    severity: 2,
    kinds: ['fire'],
    subtypes: ['sprinkler_pressure'],
    source: 'reading',
    anyOf: [[{ field: 'value', op: 'lt', param: 'sprinklerPressureMin' }]],
    holdS: -1,
    inferred: true,
  },
  {
    id: 'infer.sprinkler_pressure_high',
    type: 'pressure_high',
    severity: 3,
    kinds: ['fire'],
    subtypes: ['sprinkler_pressure'],
    source: 'reading',
    anyOf: [[{ field: 'value', op: 'gt', param: 'sprinklerPressureMax' }]],
    holdS: -1,
    inferred: true,
  },
  {
    id: 'infer.tank_level_low',
    type: 'tank_level_low',
    severity: 2,
    kinds: ['fire'],
    subtypes: ['tank_level'],
    source: 'reading',
    anyOf: [[{ field: 'value', op: 'lt', param: 'tankLevelMin' }]],
    holdS: -1,
    inferred: true,
  },
  // Any device.
  { id: 'infer.offline', type: 'offline', severity: 3, kinds: ['elevator', 'fire', 'gate'], source: 'presence', holdS: -1, clearDelayS: 0, inferred: true },
];

/** Where a rule's -1 placeholders take their value from. */
const holdParam: Record<string, ThresholdName> = {
  'infer.trapped_at_level': 'trappedHoldS',
  'infer.trapped_not_level': 'trappedHoldS',
  'infer.stopped_outside_door_zone': 'outsideDoorZoneHoldS',
  'infer.power_failure': 'batteryHoldS',
  'infer.hydrant_pressure_low': 'pressureHoldS',
  'infer.hydrant_pressure_high': 'pressureHoldS',
  'infer.sprinkler_pressure_low': 'pressureHoldS',
  'infer.sprinkler_pressure_high': 'pressureHoldS',
  'infer.tank_level_low': 'tankHoldS',
  'infer.offline': 'offlineHoldS',
};
const countParam: Record<string, ThresholdName> = { 'infer.moving_with_door_open': 'doorOpenMovingCount' };

export const ruleById = new Map(ALARM_RULES.map((r) => [r.id, r]));
/** Raised by the platform itself: the dispatch (arrival) and the maintenance sweep (services/maintenance.service.ts). */
export const platformAlarmTypes: readonly AlarmTypeName[] = [AlarmType.ArrivalOverdue, AlarmType.MaintenanceOverdue, AlarmType.CertificateExpiring, AlarmType.CertificateExpired, AlarmType.CertificateMissing];
/** Alarm types that rules can raise, plus those the platform raises itself. */
export const alarmTypes: string[] = [...new Set([...ALARM_RULES.map((r) => r.type), ...platformAlarmTypes])];
export const INFERRED_TYPES: ReadonlySet<string> = new Set<AlarmTypeName>(ALARM_RULES.filter((r) => r.inferred).map((r) => r.type).concat(AlarmType.ArrivalOverdue));

/** Fire alarms and trapped passengers go ahead of everything else. */
export function isLifeSafety(type: string): boolean {
  return type === 'fire' || type === 'trapped_at_level' || type === 'trapped_not_level' || type === 'emergency_call';
}

export function severityOf(type: string): number {
  if (type === 'arrival_overdue') return 1;
  return ALARM_RULES.find((r) => r.type === type)?.severity ?? 3;
}

// ------------------------------------------------------------------------------------------ compile

type Predicate = (input: Record<string, unknown>) => boolean | undefined;

export interface CompiledRule {
  def: RuleDefinition;
  index: number;
  source: RuleSource;
  eventType?: string;
  /** true / false, or undefined when the input says nothing about the rule's fields. */
  test?: Predicate;
  holdMs: number;
  count: number;
  clearDelayMs: number;
  severity: number;
}

export interface RuleSet {
  rules: CompiledRule[];
  byEvent: Map<string, CompiledRule[]>;
  readingRules: CompiledRule[];
  presenceRules: CompiledRule[];
  thresholds: Thresholds;
}

function accessor(field: string): (input: Record<string, unknown>) => unknown {
  const dot = field.indexOf('.');
  if (dot < 0) return (input) => input[field];
  const a = field.slice(0, dot);
  const b = field.slice(dot + 1);
  return (input) => {
    const inner = input[a] as Record<string, unknown> | undefined;
    return inner === undefined || inner === null ? undefined : inner[b];
  };
}

function compileTest(test: FieldTest, thresholds: Thresholds): Predicate {
  const get = accessor(test.field);
  const v = test.param ? thresholds[test.param] : test.value;
  switch (test.op) {
    case 'eq':
      return (i) => {
        const x = get(i);
        return x === undefined ? undefined : x === v;
      };
    case 'ne':
      return (i) => {
        const x = get(i);
        return x === undefined ? undefined : x !== v;
      };
    case 'lt':
      return (i) => {
        const x = get(i);
        return typeof x === 'number' ? x < (v as number) : undefined;
      };
    case 'le':
      return (i) => {
        const x = get(i);
        return typeof x === 'number' ? x <= (v as number) : undefined;
      };
    case 'gt':
      return (i) => {
        const x = get(i);
        return typeof x === 'number' ? x > (v as number) : undefined;
      };
    case 'ge':
      return (i) => {
        const x = get(i);
        return typeof x === 'number' ? x >= (v as number) : undefined;
      };
  }
}

/** OR of ANDs; a conjunction with an unknown field is unknown; the OR is unknown only if every term is. */
function compileCondition(anyOf: readonly (readonly FieldTest[])[], thresholds: Thresholds): Predicate {
  const terms = anyOf.map((all) => all.map((t) => compileTest(t, thresholds)));
  return (input) => {
    let known = false;
    for (let i = 0; i < terms.length; i++) {
      const term = terms[i];
      let value: boolean | undefined = true;
      for (let j = 0; j < term.length; j++) {
        const r = term[j](input);
        if (r === undefined) value = undefined;
        else if (!r) {
          value = false;
          break;
        }
      }
      if (value === true) return true;
      if (value === false) known = true;
    }
    return known ? false : undefined;
  };
}

/** Merges overrides (community first, then device) over the defaults. */
export function mergeOverrides(...layers: Array<AlarmRuleOverrides | undefined>): { thresholds: Thresholds; rules: Record<string, RuleOverride> } {
  const thresholds: Thresholds = { ...DEFAULT_THRESHOLDS };
  const rules: Record<string, RuleOverride> = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer.thresholds ?? {})) if (typeof v === 'number' && k in thresholds) thresholds[k as ThresholdName] = v;
    for (const [id, o] of Object.entries(layer.rules ?? {})) rules[id] = { ...rules[id], ...o };
  }
  return { thresholds, rules };
}

/** The rules of one device (kind, subtype) under its merged settings. */
export function compileRules(kind: DeviceKind, subtype: string | null, ...layers: Array<AlarmRuleOverrides | undefined>): RuleSet {
  const { thresholds, rules: overrides } = mergeOverrides(...layers);
  const set: RuleSet = { rules: [], byEvent: new Map(), readingRules: [], presenceRules: [], thresholds };
  for (const def of ALARM_RULES) {
    if (!def.kinds.includes(kind)) continue;
    if (def.subtypes && !def.subtypes.includes(subtype ?? '')) continue;
    const o = overrides[def.id] ?? {};
    if (o.enabled === false) continue;
    const hp = holdParam[def.id];
    const cp = countParam[def.id];
    let holdS = o.holdS ?? (def.holdS === -1 && hp ? thresholds[hp] : (def.holdS ?? 0));
    let count = o.count ?? (def.count === -1 && cp ? thresholds[cp] : (def.count ?? 1));
    let clearDelayS = o.clearDelayS ?? def.clearDelayS ?? (def.inferred ? thresholds.clearDelayS : 0);
    if (def.neverDebounce) [holdS, count, clearDelayS] = [0, 1, 0];
    const rule: CompiledRule = {
      def,
      index: set.rules.length,
      source: def.source,
      eventType: def.eventType,
      test: def.anyOf ? compileCondition(def.anyOf, thresholds) : undefined,
      holdMs: Math.max(0, holdS) * 1000,
      count: Math.max(1, Math.round(count)),
      clearDelayMs: Math.max(0, clearDelayS) * 1000,
      severity: o.severity ?? def.severity,
    };
    set.rules.push(rule);
    if (def.source === 'event') {
      const list = set.byEvent.get(def.eventType!) ?? [];
      list.push(rule);
      set.byEvent.set(def.eventType!, list);
    } else if (def.source === 'reading') set.readingRules.push(rule);
    else set.presenceRules.push(rule);
  }
  return set;
}

/**
 * Compiled rule sets shared by the devices of one kind, subtype and settings: one set per device
 * cost kilobytes each (about a quarter of a connected device's memory at 50,000 devices). A set is
 * frozen once compiled, so sharing it is safe; clear() when the settings change.
 */
export class SharedRuleSets {
  private readonly sets = new Map<string, RuleSet>();

  compile(kind: DeviceKind, subtype: string | null, ...layers: Array<AlarmRuleOverrides | undefined>): RuleSet {
    const key = JSON.stringify([kind, subtype, layers]);
    let set = this.sets.get(key);
    if (!set) {
      set = compileRules(kind, subtype, ...layers);
      for (const rule of set.rules) Object.freeze(rule);
      for (const list of [set.rules, set.readingRules, set.presenceRules, ...set.byEvent.values()]) Object.freeze(list);
      Object.freeze(set.thresholds);
      this.sets.set(key, Object.freeze(set));
    }
    return set;
  }

  get size(): number {
    return this.sets.size;
  }

  clear(): void {
    this.sets.clear();
  }
}

// ------------------------------------------------------------------------------------------ evaluate

/** State of one rule on one device. Times are ms since the epoch; 0 = not set. */
export interface RuleSlot {
  /** Condition currently true. */
  on: boolean;
  /** Since when the condition has held (0 when off). */
  since: number;
  /** Consecutive inputs with the condition true. */
  hits: number;
  /** An alarm is raised. */
  active: boolean;
  /** Since when the condition has been false while active (delayed clear), 0 when not pending. */
  offSince: number;
}

export interface DeviceRuleState {
  slots: RuleSlot[];
  /** Set when a slot changed; the owner persists and resets it. */
  dirty: boolean;
  /** Earliest time a tick may change something (hold or delayed clear), 0 = none. */
  nextDeadline: number;
}

export type RuleInput =
  | { kind: 'reading'; reading: Record<string, unknown>; ts: number }
  | { kind: 'event'; type: string; active: boolean; ts: number }
  | { kind: 'presence'; online: boolean; ts: number }
  | { kind: 'tick' };

export interface Transition {
  /** repeat: a device reported an alarm again while it is raised (counted on the open alarm). */
  action: 'raise' | 'clear' | 'repeat';
  ruleId: string;
  type: string;
  severity: number;
  inferred: boolean;
  /** When the condition began (raise) or ended (clear). */
  ts: number;
}

export interface EvaluateResult {
  state: DeviceRuleState;
  transitions: readonly Transition[];
}

const NONE: readonly Transition[] = Object.freeze([]);

export function newSlot(): RuleSlot {
  return { on: false, since: 0, hits: 0, active: false, offSince: 0 };
}

export function initialState(set: RuleSet): DeviceRuleState {
  return { slots: set.rules.map(() => newSlot()), dirty: false, nextDeadline: 0 };
}

/** Applies one observation of a rule's condition. Returns a transition or undefined. */
function observe(rule: CompiledRule, slot: RuleSlot, on: boolean, ts: number, now: number, state: DeviceRuleState): Transition | undefined {
  if (on) {
    if (!slot.on) {
      slot.on = true;
      slot.since = ts;
      slot.hits = 0;
    }
    slot.hits++;
    slot.offSince = 0;
    state.dirty = true;
    if (!slot.active && slot.hits >= rule.count && now - slot.since >= rule.holdMs) {
      slot.active = true;
      return transition('raise', rule, slot.since);
    }
    return undefined;
  }
  if (!slot.on && slot.hits === 0 && !slot.active) return undefined;
  slot.on = false;
  slot.since = 0;
  slot.hits = 0;
  state.dirty = true;
  if (!slot.active) return undefined;
  if (slot.offSince === 0) slot.offSince = ts;
  if (now - slot.offSince >= rule.clearDelayMs) {
    const offSince = slot.offSince;
    slot.active = false;
    slot.offSince = 0;
    return transition('clear', rule, offSince);
  }
  return undefined;
}

/** Time-driven checks of one slot (holds and delayed clears). */
function expire(rule: CompiledRule, slot: RuleSlot, now: number): Transition | undefined {
  if (slot.on && !slot.active && slot.hits >= rule.count && now - slot.since >= rule.holdMs) {
    slot.active = true;
    return transition('raise', rule, slot.since);
  }
  if (!slot.on && slot.active && slot.offSince > 0 && now - slot.offSince >= rule.clearDelayMs) {
    const offSince = slot.offSince;
    slot.active = false;
    slot.offSince = 0;
    return transition('clear', rule, offSince);
  }
  return undefined;
}

function transition(action: Transition['action'], rule: CompiledRule, ts: number): Transition {
  return { action, ruleId: rule.def.id, type: rule.def.type, severity: rule.severity, inferred: rule.def.inferred, ts };
}

function deadlineOf(rule: CompiledRule, slot: RuleSlot): number {
  if (slot.on && !slot.active && slot.hits >= rule.count) return slot.since + rule.holdMs;
  if (!slot.on && slot.active && slot.offSince > 0) return slot.offSince + rule.clearDelayMs;
  return 0;
}

function recomputeDeadline(set: RuleSet, state: DeviceRuleState): void {
  let next = 0;
  for (let i = 0; i < set.rules.length; i++) {
    const d = deadlineOf(set.rules[i], state.slots[i]);
    if (d > 0 && (next === 0 || d < next)) next = d;
  }
  state.nextDeadline = next;
}

/**
 * Evaluates one input against a device's rules. `now` is the platform clock (holds are measured
 * from the input's own ts to now, so a backfilled reading cannot raise instantly unless its ts
 * says the condition has lasted). The state is updated in place.
 */
export function evaluate(set: RuleSet, state: DeviceRuleState, input: RuleInput, now: number): EvaluateResult {
  let out: Transition[] | undefined;
  const push = (t: Transition | undefined) => {
    if (t) (out ??= []).push(t);
  };
  switch (input.kind) {
    case 'reading': {
      const rules = set.readingRules;
      for (let i = 0; i < rules.length; i++) {
        const rule = rules[i];
        const on = rule.test!(input.reading);
        if (on === undefined) continue;
        const slot = state.slots[rule.index];
        if (!on && !slot.on && !slot.active) continue; // the common case: nothing to do
        push(observe(rule, slot, on, input.ts, now, state));
      }
      break;
    }
    case 'event': {
      const rules = set.byEvent.get(input.type);
      if (!rules) break;
      for (const rule of rules) {
        const slot = state.slots[rule.index];
        if (input.active && slot.active) {
          push(transition('repeat', rule, input.ts));
          continue;
        }
        push(observe(rule, slot, input.active, input.ts, now, state));
      }
      break;
    }
    case 'presence':
      for (const rule of set.presenceRules) push(observe(rule, state.slots[rule.index], !input.online, input.ts, now, state));
      break;
    case 'tick':
      if (state.nextDeadline === 0 || now < state.nextDeadline) return { state, transitions: NONE };
      for (const rule of set.rules) {
        const t = expire(rule, state.slots[rule.index], now);
        if (t) state.dirty = true;
        push(t);
      }
      break;
  }
  if (state.dirty || out) recomputeDeadline(set, state);
  return { state, transitions: out ?? NONE };
}

/**
 * Clearing when two rules raise the same alarm type (a device-reported event and a platform
 * inference, e.g. trapped_not_level): the open alarm clears only when NEITHER holds any more.
 * Deliberately the safer way for trapped passengers: a terminal that withdraws its event while
 * the readings still show a stopped, occupied car with the door closed must not clear the alarm
 * (and the other way round). True when a rule other than `ruleId` still holds `type`.
 */
export function heldByAnotherRule(set: RuleSet, state: DeviceRuleState, type: string, ruleId: string): boolean {
  return set.rules.some((r) => r.def.type === type && r.def.id !== ruleId && state.slots[r.index].active);
}

/**
 * Whether a person may clear an open alarm by hand: any type the platform infers (whichever rule
 * raised it first — the row's source is the first one's), so an alarm held by a stale device event
 * or a stale inference can still be closed on site; alarms only a device reports clear when it says so.
 */
export function manuallyClearable(type: string): boolean {
  return INFERRED_TYPES.has(type);
}

// ------------------------------------------------------------------------------------------ persistence

/** Compact form for Redis: ruleId → [on, since, hits, active, offSince]. Only non-idle slots. */
export function serializeState(set: RuleSet, state: DeviceRuleState): string {
  const o: Record<string, [number, number, number, number, number]> = {};
  for (const rule of set.rules) {
    const s = state.slots[rule.index];
    if (s.on || s.active || s.hits > 0) o[rule.def.id] = [s.on ? 1 : 0, s.since, s.hits, s.active ? 1 : 0, s.offSince];
  }
  return JSON.stringify(o);
}

export function deserializeState(set: RuleSet, json: string | undefined): DeviceRuleState {
  const state = initialState(set);
  if (!json) return state;
  let o: Record<string, number[]>;
  try {
    o = JSON.parse(json) as Record<string, number[]>;
  } catch {
    return state;
  }
  for (const rule of set.rules) {
    const v = o[rule.def.id];
    if (!Array.isArray(v)) continue;
    state.slots[rule.index] = { on: v[0] === 1, since: v[1] ?? 0, hits: v[2] ?? 0, active: v[3] === 1, offSince: v[4] ?? 0 };
  }
  recomputeDeadline(set, state);
  return state;
}

// ------------------------------------------------------------------------------------------ shared state

export interface StoredEvaluation extends EvaluateResult {
  /** The state to write: undefined when the input changed nothing ('{}' when every rule is idle). */
  json?: string;
}

export interface DrainResult extends StoredEvaluation {
  /** Device ts of the newest input evaluated (at least the one before). */
  newestTs: number;
  /** Inputs skipped: older than an input evaluated before them (late beyond the reorder window). */
  late: number;
}

/**
 * RULE_STATE=shared: evaluates a device's waiting inputs (oldest first) and then a tick, on a copy
 * of its stored state, as of `now` (the reorder window behind the clock). An input older than the
 * newest one already evaluated is skipped and counted: the rules are about the device's sequence
 * in time, and an old reading applied after a newer one would restart or end a hold with a wrong
 * time or break a run of "N in a row". Transitions are to be executed only once the result is
 * committed (by exactly one process).
 */
export function drainInputs(
  set: RuleSet,
  stored: string | undefined,
  newestTs: number,
  inputs: ReadonlyArray<Exclude<RuleInput, { kind: 'tick' }>>,
  now: number,
): DrainResult {
  const state = deserializeState(set, stored);
  const transitions: Transition[] = [];
  let late = 0;
  let newest = newestTs;
  for (const input of inputs) {
    if (input.ts < newest) {
      late++;
      continue;
    }
    newest = input.ts;
    transitions.push(...evaluate(set, state, input, now).transitions);
  }
  transitions.push(...evaluate(set, state, { kind: 'tick' }, now).transitions);
  let json: string | undefined;
  if (state.dirty) {
    state.dirty = false;
    const written = serializeState(set, state);
    if (written !== (stored || '{}')) json = written;
  }
  return { state, transitions, json, newestTs: newest, late };
}
