/**
 * RULE_STATE=shared: what a drain's transitions ask of the alarm lifecycle, as data. A drain writes
 * these to the rule outbox in Redis in the same script that commits the rule state, executes them
 * and then removes them; one left behind by a process that died is replayed by another.
 */
import { z } from 'zod';
import { type DeviceRuleState, heldByAnotherRule, type RuleSet, type Transition } from './alarm-rules';

export const ruleAlarmOpSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('raise'),
    deviceId: z.string(),
    communityId: z.string(),
    ruleId: z.string(),
    type: z.string(),
    severity: z.number().int(),
    source: z.enum(['device', 'platform']),
    ts: z.number(),
  }),
  z.object({ action: z.literal('clear'), deviceId: z.string(), ruleId: z.string(), type: z.string(), ts: z.number() }),
]);
export type RuleAlarmOp = z.infer<typeof ruleAlarmOpSchema>;

/**
 * The raises and clears a device's transitions call for; a repeat is a raise (counted on the open
 * alarm). A clear is left out while another rule of the same type (device-reported and inferred)
 * still holds the alarm in `state`, the state after the transitions.
 */
export function alarmOps(device: { id: string; communityId: string }, set: RuleSet, state: DeviceRuleState, transitions: readonly Transition[]): RuleAlarmOp[] {
  const ops: RuleAlarmOp[] = [];
  for (const t of transitions) {
    if (t.action === 'clear') {
      if (!heldByAnotherRule(set, state, t.type, t.ruleId)) ops.push({ action: 'clear', deviceId: device.id, ruleId: t.ruleId, type: t.type, ts: t.ts });
    } else {
      ops.push({ action: 'raise', deviceId: device.id, communityId: device.communityId, ruleId: t.ruleId, type: t.type, severity: t.severity, source: t.inferred ? 'platform' : 'device', ts: t.ts });
    }
  }
  return ops;
}

/**
 * Whether a replayed op still agrees with the device's rule state now: a raise while its rule is
 * still raised, a clear while no rule of its type is. An op the state has moved past since (a raise
 * whose condition ended and was cleared meanwhile) would otherwise leave an alarm open for good.
 */
export function stillCurrent(set: RuleSet, state: DeviceRuleState, op: RuleAlarmOp): boolean {
  if (op.action === 'raise') return set.rules.some((r) => r.def.id === op.ruleId && state.slots[r.index].active);
  return !set.rules.some((r) => r.def.type === op.type && state.slots[r.index].active);
}

/**
 * An op's id: the device, the rule-state version its commit created (each version is committed
 * once, by the compare-and-set) and its place in that commit, so a device's ops replay in order.
 */
export function ruleOpId(deviceId: string, version: number, index: number): string {
  return `${deviceId}:${version}:${index}`;
}

/** Orders one device's op ids by commit, then place in the commit. */
export function compareRuleOpIds(a: string, b: string): number {
  const [va, ia] = a.split(':').slice(-2).map(Number);
  const [vb, ib] = b.split(':').slice(-2).map(Number);
  return va - vb || ia - ib;
}
